"""Recomputes every stream's hash chain from the stored rows and names the first event that does not match, and how.

What the chain shows, walking a stream in version order from GENESIS (each row: its content, prev_hash, hash):
  * changed   — the row chains from the event before it, but its content no longer gives its stored hash (a payload,
                actor, time... was edited); or its hash was rewritten to match, and the event after it still chains
                from the old one (then the edited row is named, found through its successor).
  * removed   — a stream's versions skip (or do not start at 1) and the event after the gap chains from a hash no
                stored event has: the events in the gap were deleted. (A stream's last events removed leave no gap
                for the chain to show: the signed checkpoints of the log-wide digest show those.)
  * inserted  — an event whose previous hash is not its predecessor's, while the event after it chains from its
                predecessor: it was put between two events that were linked to each other.
  * reordered — an event whose previous hash is the hash of an event stored after it in the stream: their order (the
                stream versions) was swapped.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import asyncpg
import orjson

from shared.audit.chain import GENESIS, content_digest, link
from shared.db import Connection
from shared.eventstore import ENVELOPE_COLUMNS

Kind = Literal["changed", "removed", "inserted", "reordered"]


@dataclass(frozen=True)
class StoredEvent:
    """One row of an events table with what the chain needs: its canonical fields and its stored links."""

    fields: dict[str, Any]  # canonical_encoding's arguments, payload parsed from the stored JSON
    prev_hash: bytes
    hash: bytes

    @property
    def event_id(self) -> str:
        return str(self.fields["event_id"])

    @property
    def stream_version(self) -> int:
        return int(self.fields["stream_version"])


@dataclass(frozen=True)
class Break:
    """The first event of a stream that does not match its chain, and how."""

    stream_id: str
    stream_version: int
    event_id: str
    kind: Kind
    detail: str


def first_break(stream_id: str, events: Sequence[StoredEvent]) -> Break | None:
    """The first break in one stream's events (given in stored version order), or None when it is intact."""
    expected_prev, expected_version = GENESIS, 1
    later_hashes = {e.hash: e for e in events}
    for i, event in enumerate(events):
        version = event.stream_version
        if event.prev_hash != expected_prev:
            if version > expected_version:
                missing = (
                    f"{expected_version}" if version == expected_version + 1 else f"{expected_version}-{version - 1}"
                )
                return _break(
                    stream_id,
                    event,
                    "removed",
                    f"version {missing} missing: this event chains from a hash no stored event has",
                )
            successor = events[i + 1] if i + 1 < len(events) else None
            chained_from = later_hashes.get(event.prev_hash)
            if chained_from is not None and chained_from.stream_version > version:
                return _break(
                    stream_id,
                    event,
                    "reordered",
                    f"chains from the event stored at version {chained_from.stream_version}",
                )
            if successor is not None and successor.prev_hash == expected_prev:
                return _break(stream_id, event, "inserted", "the event after it chains from the one before it")
            if i > 0:
                previous = events[i - 1]
                return _break(
                    stream_id, previous, "changed", "its hash was rewritten: the event after it chains from another"
                )
            return _break(stream_id, event, "changed", "the stream's first event does not chain from the genesis hash")
        if version != expected_version:
            return _break(
                stream_id,
                event,
                "inserted" if version < expected_version else "removed",
                f"stored at version {version}, expected {expected_version}",
            )
        if link(event.prev_hash, content_digest(**event.fields)) != event.hash:
            return _break(stream_id, event, "changed", "its content does not give its stored hash")
        expected_prev, expected_version = event.hash, version + 1
    return None


def _break(stream_id: str, event: StoredEvent, kind: Kind, detail: str) -> Break:
    return Break(stream_id, event.stream_version, event.event_id, kind, detail)


# The rows `StoredEvent` needs, in chain order; the payload as text, parsed with json (shared/audit/chain.py's rules).
STORED_EVENTS = """
select event_id, type, schema_version, stream_id, stream_version, occurred_at, actor, correlation_id, causation_id,
       payload::text as payload_json, prev_hash, hash
  from events {where} order by stream_id, stream_version"""


def stored_event(row: Any) -> StoredEvent:
    fields = {name: row[name] for name in ENVELOPE_COLUMNS}
    fields["payload"] = orjson.loads(row["payload_json"])
    return StoredEvent(fields=fields, prev_hash=bytes(row["prev_hash"] or b""), hash=bytes(row["hash"] or b""))


async def stream_events(conn: Connection, stream_id: str) -> list[StoredEvent]:
    """One stream's stored events in version order."""
    rows = await conn.fetch(STORED_EVENTS.format(where="where stream_id = $1"), stream_id)
    return [stored_event(row) for row in rows]


@dataclass(frozen=True)
class StoreReport:
    """What `verify_store` found in one service's store."""

    name: str
    events: int
    streams: int
    breaks: list[Break]


async def verify_store(name: str, dsn: str) -> StoreReport:
    """Recomputes every chain of the events table at `dsn`, stream by stream (one read of the table in key order)."""
    conn = await asyncpg.connect(dsn)
    events = streams = 0
    breaks: list[Break] = []
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            stream: list[StoredEvent] = []
            async for row in conn.cursor(STORED_EVENTS.format(where=""), prefetch=2_000):
                if stream and row["stream_id"] != stream[0].fields["stream_id"]:
                    breaks += _checked(stream)
                    streams += 1
                    stream = []
                stream.append(stored_event(row))
                events += 1
            if stream:
                breaks += _checked(stream)
                streams += 1
    finally:
        await conn.close()
    return StoreReport(name, events, streams, breaks)


def _checked(stream: list[StoredEvent]) -> list[Break]:
    found = first_break(str(stream[0].fields["stream_id"]), stream)
    return [] if found is None else [found]
