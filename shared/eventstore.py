"""The event store on asyncpg: append with an expected version, read a stream.

Every appended event gets an outbox row in the same transaction, so an event is
published if and only if it was stored.
"""

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from shared.contracts import Event
from shared.db import Connection
from shared.envelope import Envelope, Headers, ce_headers, decode_payload
from shared.metrics import EVENTS_APPENDED


class ConcurrencyConflict(Exception):
    """The stream moved on since it was read (并发冲突): reload and decide again."""

    def __init__(self, stream_id: str, expected: int, actual: int) -> None:
        super().__init__(f"stream {stream_id} is at version {actual}, expected {expected}")
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


@dataclass(frozen=True)
class Metadata:
    """Who asked for the change and why: copied onto every event appended for it."""

    actor: str
    correlation_id: str
    causation_id: str | None = None


def outbox_slot(stream_id: str, slots: int) -> int:
    """The outbox partition of a stream: stable across processes (unlike hash())."""
    return zlib.crc32(stream_id.encode()) % slots


@dataclass(frozen=True)
class EventStore:
    topic: str
    slots: int = 8

    async def version(self, conn: Connection, stream_id: str) -> int:
        return int(
            await conn.fetchval("select coalesce(max(stream_version), 0) from events where stream_id = $1", stream_id)
        )

    async def append(
        self,
        conn: Connection,
        stream_id: str,
        events: Sequence[Event],
        expected_version: int,
        meta: Metadata,
    ) -> list[Envelope]:
        """Append events after `expected_version` (0 for a new stream), with their outbox rows.

        Runs in the caller's transaction when there is one, so a consumer's inbox row
        and the events it causes commit together.
        """
        envelopes = [
            Envelope.wrap(
                event,
                stream_id=stream_id,
                stream_version=expected_version + i,
                actor=meta.actor,
                correlation_id=meta.correlation_id,
                causation_id=meta.causation_id,
            )
            for i, event in enumerate(events, start=1)
        ]
        if not envelopes:
            return []
        try:
            async with conn.transaction():
                actual = await self.version(conn, stream_id)
                if actual != expected_version:
                    raise ConcurrencyConflict(stream_id, expected_version, actual)
                await conn.executemany(
                    """insert into events (event_id, stream_id, stream_version, type, schema_version,
                                           occurred_at, correlation_id, causation_id, actor, payload)
                       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
                    [
                        (
                            e.event_id,
                            e.stream_id,
                            e.stream_version,
                            e.type,
                            e.schema_version,
                            e.occurred_at,
                            e.correlation_id,
                            e.causation_id,
                            e.actor,
                            e.payload.model_dump(mode="json"),
                        )
                        for e in envelopes
                    ],
                )
                slot = outbox_slot(stream_id, self.slots)
                await conn.executemany(
                    "insert into outbox (event_id, slot, topic) values ($1, $2, $3)",
                    [(e.event_id, slot, self.topic) for e in envelopes],
                )
                await conn.execute("select pg_notify('outbox', $1)", str(slot))
        except asyncpg.UniqueViolationError as exc:
            # A concurrent writer committed the same version between our check and our insert.
            raise ConcurrencyConflict(stream_id, expected_version, await self.version(conn, stream_id)) from exc
        for e in envelopes:
            EVENTS_APPENDED.labels(e.type).inc()
        return envelopes

    async def read(self, conn: Connection, stream_id: str) -> list[Envelope]:
        rows = await conn.fetch("select * from events where stream_id = $1 order by stream_version", stream_id)
        return [row_to_envelope(row) for row in rows]


# The events table's columns that are envelope fields of the same name (all but the payload).
ENVELOPE_COLUMNS = (
    "event_id",
    "type",
    "schema_version",
    "stream_id",
    "stream_version",
    "occurred_at",
    "correlation_id",
    "causation_id",
    "actor",
)


def row_to_envelope(row: asyncpg.Record) -> Envelope:
    return Envelope(
        **{column: row[column] for column in ENVELOPE_COLUMNS},
        payload=decode_payload(row["type"], row["schema_version"], row["payload"]),
    )


def stored_record(row: asyncpg.Record, *, source: str) -> tuple[bytes, bytes, Headers]:
    """The Kafka record of a stored event, its payload sent as stored (`payload_json`, the column as text).

    The payload was validated when it was appended; the relay sends it without parsing it again, with the schema
    version it was stored under, so a consumer upcasts it as it would any older record.
    """
    headers = ce_headers(**{column: row[column] for column in ENVELOPE_COLUMNS}, source=source)
    return row["stream_id"].encode(), row["payload_json"].encode(), headers
