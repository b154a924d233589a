"""Consumers check each stream's chain as its events come (链连续性): every record of a topic, in partition order, must
chain from the last event of its stream the consumer saw, and an event the consumer applies must match its own hash.

The heads (the last version and hash seen per stream) are kept in `stream_heads`, read and written in the batch's
transaction, so they move exactly with the effects, the inbox rows and the position (shared/consumer.py). A record
that breaks its stream's chain is not applied: it goes to the DLQ with the reason, the consumer counts it, and
/readyz shows the alert (shared/web.py). The head does not move past a break, so the stream's later events (which
chain from the refused one) follow it to the DLQ: a stream whose history is in doubt is held for a person to look at.

What is not a break:
  * a redelivery (at least once) or a replay: a version at or below the head's (the inbox drops its effects); the
    head's own version must come back with the head's hash;
  * the first record of a stream this consumer sees at a version above 1, on a partition it did not read from its
    start or whose oldest records came before the chain (it started reading from a committed position after an
    upgrade): taken as the head;
  * a record without the chain headers before the partition's first chained record (`chain_partitions`): published
    before the chain existed (a topic's oldest records).
Both allowances end where the chain begins: after a partition's first chained record, a record without the headers is
a break; and on a partition this consumer read from offset 0, chained from that first record (every deployment since
the chain, every test), a stream must begin at version 1, so a stream appearing at version 5 is a break (its first
four events were removed, or the record was inserted). A rebuild or replay under a new consumer name (or from an
empty database) checks every stream from its version 1.
"""

from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from aiokafka import ConsumerRecord

from shared.audit.chain import GENESIS, HASH_HEADER, PREV_HASH_HEADER, content_digest, link
from shared.db import PLANNED_EACH_BATCH_BELOW, Connection

Head = tuple[int, bytes]  # the last version seen of a stream, and its hash


@dataclass(frozen=True)
class Link:
    """A record's claimed place in its stream's chain, from its headers."""

    stream_id: str
    version: int
    prev_hash: bytes
    hash: bytes


def chained(record: ConsumerRecord) -> bool:
    """Whether the record carries the chain headers."""
    return any(name == HASH_HEADER for name, _ in record.headers or ())


def record_link(headers: dict[str, bytes]) -> Link | str | None:
    """The record's link; None when it carries no chain headers; the reason when they cannot be read."""
    prev, own = headers.get(PREV_HASH_HEADER), headers.get(HASH_HEADER)
    if prev is None and own is None:
        return None
    try:
        found = Link(
            stream_id=headers["ce_subject"].decode(),
            version=int(headers["ce_streamversion"]),
            prev_hash=bytes.fromhex((prev or b"").decode()),
            hash=bytes.fromhex((own or b"").decode()),
        )
    except (KeyError, ValueError):
        return "chain break: the chain headers (ce_prevhash, ce_hash, ce_subject, ce_streamversion) cannot be read"
    if len(found.prev_hash) != 32 or len(found.hash) != 32:
        return "chain break: ce_prevhash and ce_hash must be 32 bytes in hex"
    return found


def record_hash(headers: dict[str, bytes], value: bytes | None, prev_hash: bytes) -> bytes | None:
    """The hash the record's content gives (its envelope from the headers, its payload from the value), linked to
    `prev_hash`; None when the record cannot be read (the decoder refuses it: DLQ with its own reason)."""

    def text(name: str) -> str:
        return headers[name].decode("utf-8", errors="replace")

    try:
        digest = content_digest(
            event_id=text("ce_id"),
            type=text("ce_type"),
            schema_version=int(text("ce_schemaversion")) if "ce_schemaversion" in headers else 1,
            stream_id=text("ce_subject"),
            stream_version=int(text("ce_streamversion")),
            occurred_at=text("ce_time"),
            actor=text("ce_actor"),
            correlation_id=text("ce_correlationid") if "ce_correlationid" in headers else text("ce_id"),
            causation_id=text("ce_causationid") if "ce_causationid" in headers else None,
            payload=orjson.loads(value or b""),
        )
    except (KeyError, ValueError, TypeError, OverflowError):  # OverflowError: a time that leaves the years in UTC
        return None
    return link(prev_hash, digest)


@dataclass
class PartitionChain:
    """Where the chain check stands on one partition for one consumer (the row of `chain_partitions`)."""

    first_offset: int  # the first offset this consumer checked here
    chained_from: int | None  # the offset of the first record with the chain headers it saw here

    def saw(self, offset: int) -> None:
        if self.chained_from is None:
            self.chained_from = offset

    def requires_headers(self, offset: int) -> bool:
        """Whether a record at `offset` must carry the chain headers: the chain is in force here from before it."""
        return self.chained_from is not None and offset > self.chained_from

    @property
    def whole(self) -> bool:
        """Read from its start and chained from its first record: every stream must begin at version 1 here."""
        return self.first_offset == 0 and self.chained_from == 0


def judge(head: Head | None, found: Link, content_hash: bytes | None, *, whole: bool = False) -> str | None:
    """Why the record breaks its stream's chain after `head`, or None. `content_hash`: what its content gives (None:
    its content is not checked, the consumer does not read it). `whole`: the partition was read from its start and
    chained from its first record, so a stream first seen here must begin at version 1."""
    if head is not None and found.version <= head[0]:
        if found.version == head[0] and found.hash != head[1]:
            return f"chain break: another event at version {found.version}, the last one seen of the stream"
        return None
    if content_hash is not None and content_hash != found.hash:
        return f"chain break: changed: the event at version {found.version} does not match its hash"
    if head is None:
        if found.version == 1 and found.prev_hash != GENESIS:
            return "chain break: the stream's first event does not chain from the genesis hash"
        if found.version > 1 and whole:
            missing = 1 if found.version == 2 else f"1-{found.version - 1}"
            return (
                f"chain break: removed or inserted: the stream's first event on this partition is version"
                f" {found.version}; version {missing} never came (or was refused)"
            )
        return None
    if found.version > head[0] + 1:
        missing = head[0] + 1 if found.version == head[0] + 2 else f"{head[0] + 1}-{found.version - 1}"
        return f"chain break: removed: version {missing} is missing before version {found.version} (or was refused)"
    if found.prev_hash != head[1]:
        return f"chain break: the event at version {found.version} does not chain from version {head[0]}"
    return None


async def check_batch(
    conn: Connection,
    consumer: str,
    topic: str,
    records: Sequence[ConsumerRecord],
    read_content: Callable[[int], bool],
) -> dict[int, str]:
    """The records of one partition's batch that break their stream's chain (by index, with the reason); the heads
    of the others' streams are moved on in `conn`'s transaction. `read_content(i)`: whether record i's content is
    checked against its hash (the events the consumer applies; the others' links only)."""
    if not records:
        return {}
    partition = records[0].partition
    checked = {(partition, index) for index in range(len(records)) if read_content(index)}
    breaks = await check_batches(conn, consumer, topic, {partition: records}, checked)
    return {index: reason for (_, index), reason in breaks.items()}


async def check_batches(
    conn: Connection,
    consumer: str,
    topic: str,
    batches: Mapping[int, Sequence[ConsumerRecord]],
    read_content: Container[tuple[int, int]],
) -> dict[tuple[int, int], str]:
    """`check_batch` for the batches of several partitions of one topic at once (partition → its records, in offset
    order), in three statements whatever their number (two more while `stream_heads` is young): the records that break
    their stream's chain by (partition, index). `read_content`: the (partition, index) of the records whose content is
    checked. A stream lives on one partition (its id is the key), so the heads of all are one lookup."""
    batches = {partition: records for partition, records in batches.items() if records}
    if not batches:
        return {}
    chains, young = await _partition_chains(conn, consumer, topic, batches)
    links: list[tuple[int, int, dict[str, bytes], Link]] = []
    breaks: dict[tuple[int, int], str] = {}
    for partition, records in batches.items():
        chain = chains[partition]
        before = chain.chained_from
        for index, record in enumerate(records):
            headers = dict(record.headers or ())
            found = record_link(headers)
            if isinstance(found, str):
                breaks[partition, index] = found
            elif found is not None:
                chain.saw(record.offset)
                links.append((partition, index, headers, found))
            elif chain.requires_headers(record.offset):
                breaks[partition, index] = (
                    "chain break: inserted: a record without the chain headers (ce_prevhash, ce_hash) on a partition"
                    f" chained since offset {chain.chained_from}"
                )
        if chain.chained_from != before:  # once per partition and consumer: a row of its own
            await conn.execute(
                """insert into chain_partitions (consumer, topic, partition, first_offset, chained_from)
                   values ($1, $2, $3, $4, $5)
                   on conflict (consumer, topic, partition) do update set chained_from = excluded.chained_from""",
                consumer,
                topic,
                partition,
                chain.first_offset,
                chain.chained_from,
            )
    if not links:
        return breaks
    rows = await _heads(conn, consumer, topic, list({found.stream_id for _, _, _, found in links}), young)
    heads: dict[str, Head] = {row["stream_id"]: (row["stream_version"], bytes(row["hash"])) for row in rows}
    moved: dict[str, Head] = {}
    for partition, index, headers, found in links:
        record = batches[partition][index]
        content = record_hash(headers, record.value, found.prev_hash) if (partition, index) in read_content else None
        head = heads.get(found.stream_id)
        reason = judge(head, found, content, whole=chains[partition].whole)
        if reason is not None:
            breaks[partition, index] = reason
        elif head is None or found.version > head[0]:
            heads[found.stream_id] = moved[found.stream_id] = (found.version, found.hash)
    if moved:
        await conn.execute(
            """insert into stream_heads (consumer, topic, stream_id, stream_version, hash)
               select $1, $2, h.stream_id, h.stream_version, h.hash
                 from unnest($3::text[], $4::integer[], $5::bytea[]) as h (stream_id, stream_version, hash)
               on conflict (consumer, topic, stream_id)
               do update set stream_version = excluded.stream_version, hash = excluded.hash""",
            consumer,
            topic,
            list(moved),
            [head[0] for head in moved.values()],
            [head[1] for head in moved.values()],
        )
    return breaks


# The chain heads' lookup on a young `stream_heads` (shared/db.py PLANNED_EACH_BATCH_BELOW): its generic plan reads
# every head of the topic and filters the batch's streams out of them instead of looking each up. Measured in a rebuild
# into an empty database: its loaders idle for up to 55 s behind 1.3-1.7 cores of PostgreSQL running that lookup,
# against 0.5 once analysed.
_PLAN_CACHE_MODE = "select set_config('plan_cache_mode', $1, true)"


async def _heads(conn: Connection, consumer: str, topic: str, streams: list[str], young: str | None) -> list[Any]:
    """The heads of `streams`; `young`: the plan cache mode to set back after a custom plan (`_partition_chains`)."""
    if young is not None:
        await conn.execute(_PLAN_CACHE_MODE, "force_custom_plan")
    rows = await conn.fetch(
        """select stream_id, stream_version, hash from stream_heads
            where consumer = $1 and topic = $2 and stream_id = any($3::text[])""",
        consumer,
        topic,
        streams,
    )
    if young is not None:
        await conn.execute(_PLAN_CACHE_MODE, young)
    return rows


async def _partition_chains(
    conn: Connection, consumer: str, topic: str, batches: Mapping[int, Sequence[ConsumerRecord]]
) -> tuple[dict[int, PartitionChain], str | None]:
    """Each partition's row; a partition seen for the first time starts at its batch's first offset, with no chain yet
    (the row is written once a chained record is seen). And, in the same statement, whether `stream_heads` is young:
    the plan cache mode in force if it is (to set back after the lookup), else None."""
    rows = await conn.fetch(
        """select h.young, c.partition, c.first_offset, c.chained_from
             from (select case when reltuples < $4 then current_setting('plan_cache_mode') end as young
                     from pg_class where oid = 'stream_heads'::regclass) h
             left join chain_partitions c on c.consumer = $1 and c.topic = $2 and c.partition = any($3::integer[])""",
        consumer,
        topic,
        list(batches),
        PLANNED_EACH_BATCH_BELOW,
    )
    known = {
        row["partition"]: PartitionChain(row["first_offset"], row["chained_from"])
        for row in rows
        if row["partition"] is not None
    }
    chains = {
        partition: known.get(partition) or PartitionChain(first_offset=records[0].offset, chained_from=None)
        for partition, records in batches.items()
    }
    return chains, rows[0]["young"]
