"""The event store on asyncpg: append with an expected version, read a stream.

Every appended event gets an outbox row in the same transaction, so an event is
published if and only if it was stored.
"""

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson

from shared.audit.chain import GENESIS, chain_headers, content_digest, envelope_fields, link
from shared.contracts import Event
from shared.db import Connection
from shared.envelope import Envelope, Headers, ce_headers, decode_payload
from shared.metrics import EVENTS_APPENDED

GENESIS_SQL = "\\x" + GENESIS.hex()


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


# The stream's version and last hash (shared/audit/chain.py), read in the append's own statement: one row, (0,
# GENESIS) for a stream not yet there. The last event is found on the (stream_id, stream_version) key, as max() was.
CURRENT = f"""
    select coalesce(last.stream_version, 0) as version, coalesce(last.hash, '{GENESIS_SQL}'::bytea) as hash
      from (select 1) as one
      left join lateral (select stream_version, hash from events where stream_id = $1
                          order by stream_version desc limit 1) as last on true"""

# The append (see EventStore.append): $1 stream, $2 expected version, $3-$8 one array element per event,
# $9-$11 the metadata every event of one append shares, $12 the outbox slot, $13 the topic, $14 the events' content
# digests (shared/audit/chain.py), which `chain` links from the stream's last hash in order: event i's hash is
# sha256(hash of event i - 1 || digest i). The outbox rows are
# inserted in stream order, so the relay publishes a stream's events in order.
#
# The relay is woken (NOTIFY outbox) only when the slot held no row as the statement began: a relay that waits has
# emptied its slots, and one that finds rows keeps publishing until a batch comes back empty (shared/relay.py), so a
# row appended behind others needs no wake-up. A notifying commit takes a lock every notifying commit of the server
# waits for (PostgreSQL queues notifications in commit order), so a notification per append serialises the
# appends' commits under load; this way only the first append after an idle spell pays for it.
_APPEND = """
with recursive current as ({current}
), chain as (
    select 0 as i, (select hash from current) as hash
     union all
    select chain.i + 1, sha256(chain.hash || ($14::bytea[])[chain.i + 1]) from chain
     where chain.i < cardinality($14::bytea[])
), idle as (
    select not exists (select 1 from outbox where slot = $12::integer) as idle
), appended as (
    insert into events (event_id, stream_id, stream_version, type, schema_version,
                        occurred_at, correlation_id, causation_id, actor, payload, prev_hash, hash)
    {rows}
     where (select version from current) = $2
    on conflict (stream_id, stream_version) do nothing
    returning event_id, stream_version
), queued as (
    insert into outbox (event_id, slot, topic)
    select event_id, $12::integer, $13::text from appended order by stream_version
    returning slot
)
select (select version from current) as version,
       (select count(*) from queued)::integer as appended,
       (select count(*) from (select pg_notify('outbox', $12::text) from queued
                               where (select idle from idle) limit 1) as notified) as notified
"""
APPEND = _APPEND.format(
    current=CURRENT,
    rows="""select e.event_id, $1, e.stream_version, e.type, e.schema_version,
           e.occurred_at, $9::text, $10::text, $11::text, e.payload::jsonb, p.hash, h.hash
      from unnest($3::uuid[], $4::integer[], $5::text[], $6::integer[], $7::timestamptz[], $8::text[])
           with ordinality as e (event_id, stream_version, type, schema_version, occurred_at, payload, i)
      join chain h on h.i = e.i join chain p on p.i = e.i - 1""",
)
# APPEND for one event (how intake and cases append almost always): the event's columns as scalars, $1-$14 as in
# APPEND with $3-$8 in the order of `event_columns` and $14 its content digest. No arrays to build and send, no
# unnest to run (measured on the local server, 4,000 appends of an IssueReported, 4 connections, alternately, three
# pairs: PostgreSQL's CPU per append 298-372 → 255-308 µs and the Python client's 206-245 → 165-190 µs). The
# stream's version and last hash are read once, in the insert's own `from`; the notification counts what it sends.
# The same checks as APPEND.
_APPEND_ONE = """
with {current}appended as (
    insert into events (event_id, stream_id, stream_version, type, schema_version,
                        occurred_at, correlation_id, causation_id, actor, payload, prev_hash, hash)
    select $3::uuid, $1, $4::integer, $5::text, $6::integer,
           $7::timestamptz, $9::text, $10::text, $11::text, $8::text::jsonb, {prev}, sha256({prev} || $14::bytea)
    {where}
    on conflict (stream_id, stream_version) do nothing
    returning event_id
), queued as (
    insert into outbox (event_id, slot, topic) select event_id, $12::integer, $13::text from appended returning slot
)
select {version} as version, (select count(*) from queued)::integer as appended,
       (select count(pg_notify('outbox', $12::text)) from queued
         where not exists (select 1 from outbox o where o.slot = $12::integer)) as notified
{source}"""
APPEND_ONE = _APPEND_ONE.format(
    current=f"current as ({CURRENT}\n),\n",
    prev="current.hash",
    where="from current where current.version = $2",
    version="c.version",
    source="from current c",
)
# APPEND_ONE for a new stream (expected version 0; intake's every report): its version 1 is taken exactly when the
# stream exists, so the unique key is the whole check and the stream's version is not read first ("version" is then
# $2 and a conflict reads the version after). Measured on the local server, one connection per statement and
# database, appends interleaved (3,000 each): the statement's execution 253 → 181 µs (APPEND_ONE's single read of the
# version: 200), the backend's CPU per append 473 → 417 µs, on a machine at a 1-minute load of 11.
APPEND_ONE_NEW = _APPEND_ONE.format(
    current="", prev=f"'{GENESIS_SQL}'::bytea", where="where $2::integer = 0", version="$2::integer", source=""
)

# The append of new streams (see EventStore.append_new): one array element per event, each with its stream, version,
# metadata, outbox slot ($11; $12 the topic) and its chain (prev_hash $13, hash $14: a new stream's whole chain is
# known before the statement, from GENESIS); a stream that exists already inserts nothing for that row. The outbox
# rows follow each stream's order; the relay is notified once per slot that held no row as the statement began (as
# APPEND: the statement's own rows are not visible to its `not exists`).
APPEND_NEW = """
with appended as (
    insert into events (event_id, stream_id, stream_version, type, schema_version,
                        occurred_at, correlation_id, causation_id, actor, payload, prev_hash, hash)
    select e.event_id, e.stream_id, e.stream_version, e.type, e.schema_version,
           e.occurred_at, e.correlation_id, e.causation_id, e.actor, e.payload::jsonb, e.prev_hash, e.hash
      from unnest($1::uuid[], $2::integer[], $3::text[], $4::integer[], $5::timestamptz[], $6::text[], $7::text[],
                  $8::text[], $9::text[], $10::text[], $13::bytea[], $14::bytea[])
           as e (event_id, stream_version, type, schema_version, occurred_at, payload, stream_id,
                 correlation_id, causation_id, actor, prev_hash, hash)
     where not exists (select 1 from events known where known.stream_id = e.stream_id)
    on conflict (stream_id, stream_version) do nothing
    returning event_id, stream_id, stream_version
), queued as (
    insert into outbox (event_id, slot, topic)
    select a.event_id, s.slot, $12::text
      from appended a join unnest($1::uuid[], $11::integer[]) as s (event_id, slot) on s.event_id = a.event_id
     order by a.stream_id, a.stream_version
    returning slot
)
select (select count(*) from queued)::integer as appended,
       (select count(*) from (select pg_notify('outbox', slot::text)
                                from (select distinct slot from queued) as slots
                               where not exists (select 1 from outbox o where o.slot = slots.slot)) as notified)
          as notified
"""


def outbox_slot(stream_id: str, slots: int) -> int:
    """The outbox partition of a stream: stable across processes (unlike hash())."""
    return zlib.crc32(stream_id.encode()) % slots


def wrap(stream_id: str, events: Sequence[Event], after_version: int, meta: Metadata) -> list[Envelope]:
    """The events as the stream's next versions after `after_version`, with the metadata of their command."""
    return [
        Envelope.wrap(
            event,
            stream_id=stream_id,
            stream_version=after_version + i,
            actor=meta.actor,
            correlation_id=meta.correlation_id,
            causation_id=meta.causation_id,
        )
        for i, event in enumerate(events, start=1)
    ]


def event_columns(envelopes: Sequence[Envelope]) -> tuple[list[Any], ...]:
    """The per-event arrays both appends send: event id, stream version, type, schema version, time, payload."""
    return (
        [e.event_id for e in envelopes],
        [e.stream_version for e in envelopes],
        [e.type for e in envelopes],
        [e.schema_version for e in envelopes],
        [e.occurred_at for e in envelopes],
        # pydantic serialises to JSON text itself: a third of the time of dumping to dicts, then json.dumps.
        [e.payload.model_dump_json() for e in envelopes],
    )


def content_digests(envelopes: Sequence[Envelope], payloads: Sequence[str]) -> list[bytes]:
    """Each event's content digest (shared/audit/chain.py) from its envelope and its payload as sent to be stored."""
    return [content_digest(**envelope_fields(e, orjson.loads(p))) for e, p in zip(envelopes, payloads, strict=True)]


def new_stream_chains(envelopes: Sequence[Envelope], payloads: Sequence[str]) -> tuple[list[bytes], list[bytes]]:
    """Each event's previous hash and hash when every stream starts here (version 1 from GENESIS), in order."""
    last: dict[str, bytes] = {}
    prev_hashes: list[bytes] = []
    hashes: list[bytes] = []
    for envelope, digest in zip(envelopes, content_digests(envelopes, payloads), strict=True):
        prev = GENESIS if envelope.stream_version == 1 else last[envelope.stream_id]
        last[envelope.stream_id] = link(prev, digest)
        prev_hashes.append(prev)
        hashes.append(last[envelope.stream_id])
    return prev_hashes, hashes


def count_appended(envelopes: Iterable[Envelope]) -> None:
    """Counts committed events in `events_appended_total` by type (every way of appending counts here)."""
    for e in envelopes:
        EVENTS_APPENDED.labels(e.type).inc()


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

        One statement (`APPEND`) checks the version, inserts the events and their outbox rows
        and notifies the relay: one round trip, atomic on its own. A version another writer
        took, before or during the statement, inserts nothing for that row (`on conflict do
        nothing`, which waits for the other writer's commit): one event is then all or nothing
        and needs no savepoint, so the caller's transaction stays usable and the conflict is
        raised. Several events run in a (sub)transaction of their own, which a conflict on some
        of them rolls back whole.
        """
        envelopes = wrap(stream_id, events, expected_version, meta)
        if not envelopes:
            return []
        await self._append(conn, stream_id, envelopes, expected_version, own_transaction=len(envelopes) > 1)
        return envelopes

    async def append_new(
        self, conn: Connection, streams: Sequence[tuple[str, Sequence[Event], Metadata]]
    ) -> list[list[Envelope]]:
        """Start several new streams at once, each with its events and metadata: one statement (`APPEND_NEW`) for
        all, in the caller's transaction. Should any of them exist already, nothing is appended and
        ConcurrencyConflict is raised (for the first such stream): the caller's transaction is then spoilt
        only if it goes on as if the events were there, so roll it back and decide again."""
        appended = [wrap(stream_id, events, 0, meta) for stream_id, events, meta in streams]
        envelopes = [e for stream in appended for e in stream]
        if not envelopes:
            return appended
        columns = self.new_stream_columns(envelopes)
        row = await conn.fetchrow(APPEND_NEW, *columns[:11], self.topic, *columns[11:])
        assert row is not None
        if row["appended"] != len(envelopes):
            # Which of them existed is not worth a round trip: the caller decides the whole set again.
            raise ConcurrencyConflict(envelopes[0].stream_id, 0, 1)
        count_appended(envelopes)
        return appended

    def new_stream_columns(self, envelopes: Sequence[Envelope]) -> tuple[list[Any], ...]:
        """The arrays `APPEND_NEW` takes: before its topic each event's columns, stream, metadata and outbox slot;
        after it the chain (previous hash, hash)."""
        columns = event_columns(envelopes)
        return (
            *columns,
            [e.stream_id for e in envelopes],
            [e.correlation_id for e in envelopes],
            [e.causation_id for e in envelopes],
            [e.actor for e in envelopes],
            [outbox_slot(e.stream_id, self.slots) for e in envelopes],
            *new_stream_chains(envelopes, columns[5]),
        )

    async def append_recorded(self, conn: Connection, envelopes: Sequence[Envelope]) -> None:
        """Appends one stream's events already made elsewhere (a recorded or simulated history: bench/history.py),
        with their ids, times and metadata, after the version before the first; with their outbox rows, as `append`.

        One append's events share the first one's actor and correlation; raises ConcurrencyConflict as `append`.
        """
        if not envelopes:
            return
        first = envelopes[0]
        await self._append(conn, first.stream_id, list(envelopes), first.stream_version - 1, own_transaction=True)

    async def _append(
        self,
        conn: Connection,
        stream_id: str,
        envelopes: list[Envelope],
        expected_version: int,
        *,
        own_transaction: bool,
    ) -> None:
        """`_insert` (in a (sub)transaction of its own when asked), counted; a conflict says where the stream is."""
        try:
            if own_transaction:
                async with conn.transaction():
                    await self._insert(conn, stream_id, envelopes, expected_version)
            else:
                await self._insert(conn, stream_id, envelopes, expected_version)
        except ConcurrencyConflict as conflict:
            if conflict.actual != expected_version:
                raise
            # Another writer committed this version while the statement ran (or APPEND_ONE_NEW, which does not read
            # the version, met the stream): where the stream is now, read after a (sub)transaction rolled back.
            raise ConcurrencyConflict(stream_id, expected_version, await self.version(conn, stream_id)) from None
        count_appended(envelopes)

    async def _insert(self, conn: Connection, stream_id: str, envelopes: list[Envelope], expected_version: int) -> None:
        slot = outbox_slot(stream_id, self.slots)
        first = envelopes[0]
        one = len(envelopes) == 1
        columns = event_columns(envelopes)
        digests = content_digests(envelopes, columns[5])
        row = await conn.fetchrow(
            (APPEND_ONE_NEW if expected_version == 0 else APPEND_ONE) if one else APPEND,
            stream_id,
            expected_version,
            *([column[0] for column in columns] if one else columns),
            first.correlation_id,
            first.causation_id,
            first.actor,
            slot,
            self.topic,
            digests[0] if one else digests,
        )
        assert row is not None
        if row["appended"] != len(envelopes):
            raise ConcurrencyConflict(stream_id, expected_version, row["version"])

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
    version it was stored under, so a consumer upcasts it as it would any older record. The event's place in its
    stream's chain travels as the extension attributes `prevhash` and `hash` (hex; shared/audit/chain.py).
    """
    headers = ce_headers(**{column: row[column] for column in ENVELOPE_COLUMNS}, source=source)
    headers += chain_headers(row["prev_hash"], row["hash"])
    return row["stream_id"].encode(), row["payload_json"].encode(), headers
