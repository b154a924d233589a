"""The outbox relay: publishes stored events to the service's topic, in stream order.

Order per stream holds with any number of relay instances: the outbox is cut into
slots by stream, and a relay publishes a slot only while it holds that slot's
session advisory lock. Within a slot, rows go out in id order, which is stream order:
an append reads the previous version as committed before it inserts, so a stream's
later events always get larger ids.

The relays of a service's instances share the slots: each relay holds a member lock
for as long as its connection lives, and owns at most its share, ceil(slots / members).
One that holds more (a member joined) lets the extra slots go between batches, after
their rows were acknowledged and deleted, so the relay that claims them next starts
where it stopped; one whose share grew (a member left: its connection closed and
PostgreSQL dropped its locks) claims free slots. Members are counted every
`SHARE_CHECK_SECONDS`.

The relay publishes while batches come back full. After a batch that emptied the outbox it looks again
`RECHECK_SECONDS` later (or at once when notified): an append that saw the rows being published sent no
notification (an append notifies only into an empty slot, shared/eventstore.py). After an empty batch it
waits for a notification or `relay_poll_seconds`, the latest an event can wait should such an append
commit after that second look.

A batch's records are built into Kafka record batches here (`send_in_batches`), one per partition at a time, on the
partition the producer's default partitioner gives the key: the order per stream is the outbox's, as with a send per
record, without a future, a metadata wait and a partitioner call for each.

Delivery is at least once: a relay that dies after the broker acknowledged and
before it deleted the rows publishes them again; consumers drop the repeat by
event id. Nothing is dropped: rows leave the outbox only after acknowledgement.
"""

import asyncio
import contextlib
import struct
from collections import Counter
from collections.abc import Sequence
from typing import Any

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from shared.broker import Broker
from shared.db import Connection, init_connection
from shared.eventstore import stored_record
from shared.metrics import EVENTS_PUBLISHED, OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE
from shared.settings import ServiceSettings

log = structlog.get_logger()

_SLOT_LOCK_NAMESPACE = 7_301_002
# A relay's member lock (namespace, its backend pid): the relays holding one are those that share the slots.
_MEMBER_LOCK_NAMESPACE = 7_301_003
SHARE_CHECK_SECONDS = 0.5
BATCH_SIZE = 500
BACKLOG_MEASURE_SECONDS = 2.0
# A record batch's size at most (aiokafka's max_batch_size; 16 KiB by default, some 20 events): a relay batch's
# events for one partition in one or a few record batches, well under the broker's 1 MiB per batch.
RECORD_BATCH_BYTES = 256 * 1024
# After a batch that emptied the outbox, how soon it is looked at again before the relay waits for a notification.
RECHECK_SECONDS = 0.02
# An idempotent producer retries a batch for ever (aiokafka never expires one). After a broker of three was killed, the
# drill saw one relay's batches wait four minutes for a leader its producer no longer reached while the other relays
# went on: past this long without every acknowledgement the producer is replaced and the rows sent again (at least
# once: the same event ids, dropped by the consumers' inboxes).
ACK_TIMEOUT_SECONDS = 30.0
# How long a producer being replaced may take to stop before the batches it still holds are given up.
STOP_SECONDS = 5.0


def make_producer(broker: Broker, **overrides: Any) -> AIOKafkaProducer:
    """An idempotent producer that waits for all in-sync replicas."""
    options: dict[str, Any] = {
        **broker.client_options(),
        "enable_idempotence": True,
        "acks": "all",
        "linger_ms": 5,
        "request_timeout_ms": 15_000,
    }
    options.update(overrides)
    return AIOKafkaProducer(**options)


class OutboxRelay:
    def __init__(self, settings: ServiceSettings, *, name: str = "relay") -> None:
        self._settings = settings
        self._name = name
        self._owned: set[int] = set()
        self._share_checked_at = float("-inf")
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()
        self.published = 0
        self._measured_at = 0.0

    @property
    def owned_slots(self) -> frozenset[int]:
        return frozenset(self._owned)

    def stop(self) -> None:
        self._stopping.set()
        self._wakeup.set()

    async def run(self) -> None:
        """Publish until stopped; every failure is retried with backoff, nothing is skipped."""
        backoff = 0.2
        while not self._stopping.is_set():
            try:
                await self._run_once()
                backoff = 0.2
            # InternalClientError: a connection left mid-operation when the server went away (seen in the drill's
            # PostgreSQL restart); a new connection is all it needs.
            except (
                TimeoutError,
                OSError,
                asyncpg.PostgresError,
                asyncpg.InterfaceError,
                asyncpg.InternalClientError,
                KafkaError,
            ) as exc:
                log.warning("relay_retrying", relay=self._name, error=repr(exc), backoff=backoff)
                await self._sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _run_once(self) -> None:
        # Its deletes need not wait for the disk: one a crash loses sends its rows again, which every consumer's inbox
        # (and projections' facts, keyed by event) drops; at least once, as after any failure before the delete.
        conn = await asyncpg.connect(self._settings.database_dsn, server_settings={"synchronous_commit": "off"})
        await init_connection(conn)
        producer = make_producer(self._settings.broker, max_batch_size=RECORD_BATCH_BYTES)
        self._owned.clear()
        self._share_checked_at = float("-inf")
        try:
            await conn.execute("select pg_advisory_lock($1, pg_backend_pid())", _MEMBER_LOCK_NAMESPACE)
            await conn.add_listener("outbox", self._on_notify)
            await producer.start()
            while not self._stopping.is_set():
                await self._claim_share(conn)
                sent = await self._publish_batch(conn, producer) if self._owned else 0
                await self._measure_backlog(conn)
                if sent < BATCH_SIZE:
                    # An append notifies only a slot it found empty (shared/eventstore.py, APPEND): one that found
                    # the rows just published, and commits after them, is looked for again soon.
                    await self._wait_for_work(RECHECK_SECONDS if sent else self._settings.relay_poll_seconds)
        finally:
            self._owned.clear()
            # The producer may be stuck on an out-of-order sequence after a broker
            # restart: it is always replaced, never reused after a failure.
            await stop_producer(producer)
            with contextlib.suppress(Exception):
                await conn.close()

    async def _claim_share(self, conn: Connection) -> None:
        """Owns this relay's share of the slots: lets extra ones go, claims free ones up to it."""
        now = asyncio.get_running_loop().time()
        if now - self._share_checked_at < SHARE_CHECK_SECONDS:
            return  # at most one count per SHARE_CHECK_SECONDS, not a round trip per batch
        self._share_checked_at = now
        slots = self._settings.outbox_slots
        members = await conn.fetchval(
            """select count(*) from pg_locks
                where locktype = 'advisory' and granted and objsubid = 2 and classid = $1::bigint::oid
                  and database = (select oid from pg_database where datname = current_database())""",
            _MEMBER_LOCK_NAMESPACE,
        )
        share = -(-slots // max(int(members), 1))
        if len(self._owned) > share:
            extra = sorted(self._owned)[share:]
            await conn.execute(
                "select pg_advisory_unlock($1, slot) from unnest($2::int[]) as slot", _SLOT_LOCK_NAMESPACE, extra
            )
            self._owned.difference_update(extra)
            log.info("relay_slots_released", relay=self._name, slots=extra, members=members)
        elif len(self._owned) < share:
            claimed = await conn.fetch(
                # offset 0 keeps the planner from trying locks on slots this relay already owns; the limit keeps
                # it from trying more than its share
                """select slot
                     from (select slot from generate_series(0, $1 - 1) as slot
                            where slot <> all($2::int[]) offset 0) as free
                    where pg_try_advisory_lock($3, slot)
                    limit $4""",
                slots,
                sorted(self._owned),
                _SLOT_LOCK_NAMESPACE,
                share - len(self._owned),
            )
            self._owned.update(r["slot"] for r in claimed)

    async def _publish_batch(self, conn: Connection, producer: AIOKafkaProducer) -> int:
        """Sends up to BATCH_SIZE rows in id order, awaits their acknowledgements together, then deletes them in
        one statement. A failure before the delete leaves every row to be sent again (at least once)."""
        rows = await conn.fetch(
            """select o.slot, o.id as outbox_id, o.topic, e.event_id, e.stream_id, e.stream_version, e.type,
                      e.schema_version, e.occurred_at, e.correlation_id, e.causation_id, e.actor,
                      e.payload::text as payload_json, e.prev_hash, e.hash
                 from outbox o join events e using (event_id)
                where o.slot = any($1::int[])
                order by o.id
                limit $2""",
            sorted(self._owned),
            BATCH_SIZE,
        )
        if not rows:
            return 0
        await acknowledged(await send_in_batches(producer, rows, source=self._settings.ce_source))
        await conn.execute(
            "delete from outbox where (slot, id) in (select * from unnest($1::integer[], $2::bigint[]))",
            [r["slot"] for r in rows],
            [r["outbox_id"] for r in rows],
        )
        self.published += len(rows)
        for topic, count in Counter(row["topic"] for row in rows).items():
            EVENTS_PUBLISHED.labels(topic).inc(count)
        return len(rows)

    async def _measure_backlog(self, conn: Connection) -> None:
        now = asyncio.get_running_loop().time()
        if now - self._measured_at < BACKLOG_MEASURE_SECONDS:
            return
        self._measured_at = now
        count, age = await outbox_backlog(conn)
        OUTBOX_BACKLOG.set(count)
        OUTBOX_OLDEST_AGE.set(age)

    def _on_notify(self, *_: object) -> None:
        self._wakeup.set()

    async def _wait_for_work(self, seconds: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), seconds)
        self._wakeup.clear()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)


async def acknowledged(deliveries: Sequence[asyncio.Future[Any]], within: float = ACK_TIMEOUT_SECONDS) -> None:
    """Waits for every delivery; raises the first failure, or TimeoutError when some are still unacknowledged after
    `within` seconds (they are not cancelled: the producer that holds them is stopped)."""
    if not deliveries:
        return
    done, pending = await asyncio.wait(deliveries, timeout=within)
    for delivery in done:
        delivery.result()
    if pending:
        raise TimeoutError(f"{len(pending)} of {len(deliveries)} record batches unacknowledged after {within:.0f}s")


async def stop_producer(producer: AIOKafkaProducer, within: float = STOP_SECONDS) -> None:
    """Stops a producer that may hold batches it cannot deliver. aiokafka's stop waits until every batch is delivered,
    for ever with idempotence; after `within` seconds its sender task is cancelled (no public way to give the batches
    up), which ends that wait and closes its connections. What it held is still in the outbox."""
    stopping = asyncio.ensure_future(producer.stop())
    _, pending = await asyncio.wait([stopping], timeout=within)
    if pending:
        log.warning("producer_stop_gave_up_batches", within=within)
        sender = getattr(producer, "_sender", None)
        if sender is not None and sender.sender_task is not None:
            sender.sender_task.cancel()
    with contextlib.suppress(Exception):
        await stopping


async def send_in_batches(
    producer: AIOKafkaProducer, rows: Sequence[asyncpg.Record], *, source: str
) -> list[asyncio.Future[Any]]:
    """Queues the stored events `rows` (in outbox order, each with its `topic`) as record batches, one per partition
    at a time, and returns their deliveries: what `producer.send` per record does, without a future, a metadata
    wait and a partitioner call per record. Each record goes to the partition `send` would choose (the default
    partitioner: murmur2 of the key, as the Java client), in the rows' order within it, so the order per stream
    holds; a partition's next batch is queued only once the one before it left (aiokafka's `add_batch`)."""
    by_partition: dict[tuple[str, int], list[asyncpg.Record]] = {}
    partitions: dict[str, list[int]] = {}
    for row in rows:
        topic = row["topic"]
        if topic not in partitions:
            partitions[topic] = sorted(await producer.partitions_for(topic))
        known = partitions[topic]
        partition = known[(murmur2(row["stream_id"].encode()) & 0x7FFFFFFF) % len(known)]
        by_partition.setdefault((topic, partition), []).append(row)
    deliveries: list[asyncio.Future[Any]] = []
    for (topic, partition), records in by_partition.items():
        batch = producer.create_batch()
        for row in records:
            key, value, headers = stored_record(row, source=source)
            if batch.append(key=key, value=value, timestamp=None, headers=headers) is None:  # full: the next one
                deliveries.append(await producer.send_batch(batch, topic, partition=partition))
                batch = producer.create_batch()
                batch.append(key=key, value=value, timestamp=None, headers=headers)
        deliveries.append(await producer.send_batch(batch, topic, partition=partition))
    return deliveries


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 hash of a key (the Java client's `Utils.murmur2`, which aiokafka's default partitioner uses), as
    an unsigned 32-bit number: the same partitions in a third of aiokafka's time (its version goes byte by byte).
    Masking the xor of two products equals the xor of the masked products, hence one mask per word."""
    m, mask = 0x5BD1E995, 0xFFFFFFFF
    length = len(data)
    h = 0x9747B28C ^ length
    for k in struct.unpack_from(f"<{length >> 2}I", data):
        k = k * m & mask
        h = (h * m ^ (k ^ k >> 24) * m) & mask
    tail = length & 3
    if tail:
        h = (h ^ int.from_bytes(data[length - tail :], "little")) * m & mask
    h = (h ^ h >> 13) * m & mask
    return h ^ h >> 15


async def outbox_backlog(conn: Connection) -> tuple[int, float]:
    """Rows waiting and the age in seconds of the oldest one."""
    row = await conn.fetchrow(
        "select count(*) as n, coalesce(extract(epoch from now() - min(created_at)), 0) as age from outbox"
    )
    assert row is not None  # an aggregate without group by always returns one row
    return int(row["n"]), float(row["age"])
