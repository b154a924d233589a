"""The consumer runner: applies other services' events exactly once in effect.

For each partition batch: one database transaction holds the handler's effects, an
inbox row per event (a redelivery finds it and does nothing) and the partition's
position. The batches of one topic's partitions that one fetch brought are tried together
first, in one transaction for all (`_process_together`: the usual case under load); any
refusal, chain break or fault rolls that back and each partition goes alone, as below.
Only after the transaction commits is the Kafka offset committed, at most once per
`consumer_commit_interval_ms` for all partitions in one request, and at once when a fetch
finds nothing, before partitions move and on stop (a crash delivers the uncommitted rest
again, and the inbox drops it). The batch's inbox rows
are claimed in one statement and its events applied without a savepoint each; only when
a handler refuses an event is the batch rolled back and applied again one event at a
time, each in a savepoint, to send that event alone to the DLQ. A consumer with a batch
handler hands it the batch's fresh events at once, in the same transaction; whatever it
raises but a transient error sends the batch the same way, one event at a time through
the per-event handler. A record whose type the consumer does not handle is passed over
by its `ce_type` header, before its value is read. A consumer whose effects are idempotent by
themselves may give a raw batch handler (RawBatchHandler), tried first on each batch with the
records as fetched; what it leaves goes the way above.

Two kinds of failure get two answers:

- A message that cannot be read or breaks its contract (InvalidEvent, UnknownEventType, or
  PoisonMessage raised on purpose, as Dispatch does for a payload of the wrong class), or an event
  whose type the topic's owner does not publish (a `Closed` on intake.events: forged or misrouted;
  shared.contracts.TOPIC_EVENTS), goes to `<topic>.dlq` with a reason that names fields and types,
  never their values, and the consumer goes on.
  `python -m shared.dlq` (make dlq) lists dead letters and replays them after a fix.
- Anything else says nothing against the message: a handler's bug, a database or broker that is
  away. The partition is held at that event: sought back to it and paused, nothing committed past
  it, nothing skipped; it is tried again with backoff (up to `consumer_max_backoff_seconds`). When
  the handler still fails after `consumer_retry_attempts` tries or `consumer_retry_seconds`, the
  consumer is *stalled*: /readyz answers 503 naming it, the log says which event and why. It keeps
  trying, and goes on by itself once the event applies (the fault gone, or the fix deployed).
  The other partitions go on meanwhile: order holds per partition (per stream), not across them.
"""

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterator, MutableSet
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from uuid import UUID

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from asyncpg.pool import PoolConnectionProxy
from pydantic import ValidationError

from shared.audit.continuity import chained, check_batch, check_batches
from shared.contracts import TOPIC_EVENTS, Event
from shared.db import Connection
from shared.envelope import Envelope, Headers, InvalidEvent, UnknownEventType, ce_type, from_record
from shared.eventstore import ConcurrencyConflict
from shared.metrics import (
    CHAIN_BREAKS,
    CONSUMER_LAG,
    CONSUMER_RETRIES,
    CONSUMER_STALLED,
    DLQ_MESSAGES,
    EVENTS_CONSUMED,
)
from shared.relay import make_producer, stop_producer
from shared.settings import ServiceSettings

log = structlog.get_logger()

Handler = Callable[[Connection, Envelope], Awaitable[None]]
# Applies the fresh events of a batch (in the order they came, repeats already left out) in a few statements. It must
# leave the same effects as the per-event handler applied to each in turn: when it raises anything but a transient
# error, the batch is rolled back and applied again one event at a time with the per-event handler, which finds the
# refused event (DLQ) or the faulty one (held) exactly.
BatchHandler = Callable[[Connection, list[Envelope]], Awaitable[None]]
# The fast path of a consumer whose effects are idempotent by themselves (projections: its facts are keyed by event):
# the records of one topic (of one partition, or of several fetched together) as fetched, applied in the batch's
# transaction without reading them into envelopes and without inbox rows; called once per transaction; it answers the
# types of the events it applied (repeats left out: they count in no metric). None (or any error but a transient one):
# not for this path, and the batch, rolled back, goes the envelope way (inbox, batch handler, one at a time to find a
# refused event for the DLQ).
RawBatchHandler = Callable[[Connection, str, list[ConsumerRecord]], Awaitable[list[str] | None]]
# Runs first in each batch's transaction; False: the batch's events are recorded as seen (inbox, position) and not
# handed to the handler. What is the same for every event of a batch (a lock, a search path) is done here once.
Begin = Callable[[Connection], Awaitable[bool]]
# Reads a record's value and headers into an envelope; raises InvalidEvent or UnknownEventType for poison.
Decoder = Callable[[bytes | None, Headers], Envelope]

# Failures that say nothing about the message or the handler: retried without end, never a stall.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.TooManyConnectionsError,
    # The server is shutting down, restarting or recovering (57P01-57P03): it will take connections again.
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
    asyncpg.InternalClientError,  # a connection left mid-operation when the server went away
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
    ConcurrencyConflict,
    KafkaError,
)

# How long a stopping consumer tries to commit the offsets it applied since its last commit.
STOP_COMMIT_SECONDS = 5.0

# Health codes of a consumer, as /readyz shows them (shared.web adds the others).
OK = "ok"
STALLED = "stalled"

# The consumers running in a service: run_service sets it before it starts its background work, and a runner
# started there (or by a job started there) is in it while it runs, so /readyz can name a stalled one.
RUNNING_CONSUMERS: ContextVar[MutableSet["ConsumerRunner"] | None] = ContextVar("running_consumers", default=None)


class PoisonMessage(Exception):
    """Raised by a handler for an event it can never apply: the event goes to the DLQ.

    The message is the dead letter's reason: name the fields, never their values.
    """


# What a handler may raise to send its event to the DLQ; anything else holds the partition and is retried.
CONTRACT_ERRORS: tuple[type[Exception], ...] = (InvalidEvent, UnknownEventType, PoisonMessage)


E = TypeVar("E", bound=Event)


@dataclass(frozen=True)
class On(Generic[E]):
    """One line of a consumer's table: events of type `event` go to `handle`, which gets the payload typed."""

    event: type[E]
    handle: Callable[[Connection, Envelope, E], Awaitable[None]]


class Dispatch:
    """Which handler runs for which event type: the one table a reader looks at in a service's consumers.py.

    A type may have several lines; they run in the order given, in the consumer's transaction.
    A payload that is not the class its type names can never be applied: it is poison.
    """

    def __init__(self, *lines: On[Any]) -> None:
        self._lines: dict[str, list[On[Any]]] = {}
        for line in lines:
            self._lines.setdefault(line.event.event_type(), []).append(line)

    @property
    def handles(self) -> frozenset[str]:
        return frozenset(self._lines)

    async def __call__(self, conn: Connection, envelope: Envelope) -> None:
        for line in self._lines.get(envelope.type, ()):
            if not isinstance(envelope.payload, line.event):
                raise PoisonMessage(f"{envelope.type} carries a {type(envelope.payload).__name__}")
            await line.handle(conn, envelope, envelope.payload)


async def _ignore(conn: Connection, envelope: Envelope) -> None:
    """The handler of a batch whose `begin` said no."""


def dlq_topic(topic: str) -> str:
    return f"{topic}.dlq"


MAX_REASON_CHARS = 500


def dead_letter_reason(exc: Exception) -> str:
    """Why a message is dead-lettered, naming fields and rules but never the values it carried.

    A validation error is retold from its details without their input; an error that quoted the text it
    could not parse (a date, a number) keeps only the kind of error.
    """
    text = str(exc)
    cause = exc.__cause__
    if isinstance(cause, ValidationError):
        what = text.split(":", 1)[0]
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'data'}: {e['msg']}"
            for e in cause.errors(include_url=False, include_input=False)
        )
        text = f"{what}: {problems}"
    elif cause is not None and not isinstance(cause, json.JSONDecodeError) and str(cause) and str(cause) in text:
        text = text.replace(str(cause), type(cause).__name__)
    return text[:MAX_REASON_CHARS]


class _Isolate(Exception):
    """A handler refused an event of a batch applied as a whole: the batch is applied again one event at a time."""


def _by_topic(batches: dict[TopicPartition, list[ConsumerRecord]]) -> list[dict[TopicPartition, list[ConsumerRecord]]]:
    """A fetch's batches, one dict per topic."""
    topics: dict[str, dict[TopicPartition, list[ConsumerRecord]]] = {}
    for tp, records in batches.items():
        topics.setdefault(tp.topic, {})[tp] = records
    return list(topics.values())


class _Separate(Exception):
    """The partitions fetched together do not all apply as they are: each goes its own way (see _process_together)."""


class _NotRaw(Exception):
    """The raw handler left a batch to the envelope way: its transaction is rolled back."""


class HandlerFailed(Exception):
    """The handler raised on the batch's record at `index`: the batch's transaction is rolled back."""

    def __init__(self, index: int, error: Exception) -> None:
        super().__init__(f"record {index}: {error!r}")
        self.index = index
        self.error = error


# What a handler's fault is not turned into HandlerFailed for: its caller answers these.
_PASSED_ON: tuple[type[BaseException], ...] = (*CONTRACT_ERRORS, *TRANSIENT_ERRORS, _Isolate)


@contextlib.contextmanager
def _handling(envelope: Envelope, index: int) -> Iterator[None]:
    """The event's ids in the log context while its handler runs; a fault that is neither a contract error nor
    transient becomes HandlerFailed at `index`: the event is tried again, never skipped."""
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(
        correlation_id=envelope.correlation_id, event_id=str(envelope.event_id), event_type=envelope.type
    )
    try:
        yield
    except _PASSED_ON:
        raise
    except Exception as exc:  # a bug or a fault
        raise HandlerFailed(index, exc) from exc
    finally:
        structlog.contextvars.clear_contextvars()


@dataclass
class Held:
    """A partition held at `offset`: the event there failed and is tried again at `retry_at`."""

    offset: int
    since: float
    attempts: int = 0  # failed tries in a row, whatever the cause: they set the backoff
    failures: int = 0  # of which the handler (or the runner) failed, not the database or the broker
    retry_at: float = 0.0
    stalled: bool = False


def _usable(conn: "PoolConnectionProxy[asyncpg.Record]") -> bool:
    try:
        return not conn.is_closed()
    except asyncpg.InterfaceError:  # released back to the pool when its connection was lost
        return False


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka has no types: its base is Any
    """Waits for the batch in hand to commit, then commits the offsets not yet committed, before partitions move;
    forgets holds on partitions that moved."""

    def __init__(
        self,
        lock: asyncio.Lock,
        keep_only: Callable[[set[TopicPartition]], None],
        flush: Callable[[], Awaitable[None]],
        resume: Callable[[set[TopicPartition]], Awaitable[None]],
    ) -> None:
        self._lock = lock
        self._keep_only = keep_only
        self._flush = flush
        self._resume = resume

    async def on_partitions_revoked(self, revoked: Any) -> None:
        async with self._lock:
            await self._flush()

    async def on_partitions_assigned(self, assigned: Any) -> None:
        # A partition assigned again starts from the position stored with the effects: the held event, fetched anew.
        self._keep_only(set(assigned))
        await self._resume(set(assigned))


class ConsumerRunner:
    def __init__(
        self,
        settings: ServiceSettings,
        pool: asyncpg.Pool,
        *,
        name: str,
        topics: Collection[str],
        handler: Handler | Dispatch,
        handles: Collection[str] | None = None,
        max_records: int = 200,
        group_id: str | None = None,
        decode: Decoder = from_record,
        begin: Begin | None = None,
        batch_handler: BatchHandler | None = None,
        raw_batch_handler: RawBatchHandler | None = None,
        gather_ms: int = 0,
        fetch_min_bytes: int = 1,
        fetch_max_wait_ms: int = 500,
    ) -> None:
        """`name` is the consumer's identity (its inbox and, by default, its group); `handles` limits it to some types
        (by default, the types a Dispatch table names).

        A different `group_id` reads the topics from the beginning again, as a rebuild does.
        `decode` reads records that are not our own events, such as another platform's CloudEvents.
        `begin` runs first in each batch's transaction (see Begin).
        `batch_handler` applies a batch's fresh events at once (see BatchHandler); `handler` isolates one.
        `raw_batch_handler` is tried first on every batch (see RawBatchHandler).
        `gather_ms`: for a consumer no person waits on, how long records gather after a batch before the next is
        taken: under load one fetch, batch, transaction and commit per pause instead of one per record, each event
        applied up to that much later; after a quiet spell the first record is taken at once, and an idle consumer
        fetches no more often than without it (the broker holds an empty fetch up to aiokafka's 500 ms). 0: none.
        `fetch_min_bytes`, `fetch_max_wait_ms` (aiokafka's, default 1 byte and 500 ms): the broker holds a fetch until
        that many bytes have gathered or that long has passed; under load the bytes come at once and nothing waits.
        """
        self._settings = settings
        self._pool = pool
        self.name = name
        self.topics = list(topics)
        self._handler = handler
        if handles is None and isinstance(handler, Dispatch):
            handles = handler.handles
        self._handles = set(handles) if handles is not None else None
        self._max_records = max_records
        self._group_id = group_id
        self._decode = decode
        self._begin = begin
        self._batch_handler = batch_handler
        self._raw_batch_handler = raw_batch_handler
        self._gather_seconds = gather_ms / 1000
        self._fetch_min_bytes = fetch_min_bytes
        self._fetch_max_wait_ms = fetch_max_wait_ms
        self._commit_interval = settings.consumer_commit_interval_ms / 1000
        self._stopping = asyncio.Event()
        self._processing = asyncio.Lock()
        self._consumer: AIOKafkaConsumer | None = None
        # The offset after the last batch this process applied and committed, per partition (see _process).
        self._applied: dict[TopicPartition, int] = {}
        # What this consumer last committed to Kafka with success, per partition, and when: a partition whose applied
        # offset differs is committed with the next flush, so a failed or lost commit is made again (see _flush).
        self._committed: dict[TopicPartition, int] = {}
        self._committed_at = 0.0
        self._held: dict[TopicPartition, Held] = {}
        self._conn: PoolConnectionProxy[asyncpg.Record] | None = None  # see _connection
        # Dead letters sent from a batch not yet committed: a retry of that batch does not send them again.
        self._dead_letters_sent: set[tuple[str, int, int]] = set()
        self.dead_lettered = 0
        self.applied = 0
        # The records (topic, partition, offset) that broke their stream's chain since the consumer started: /readyz
        # shows the alert while there is one (shared/web.py).
        self.chain_breaks: set[tuple[str, int, int]] = set()

    @property
    def group_id(self) -> str:
        return self._group_id or f"{self._settings.topic_prefix}{self._settings.service_name}.{self.name}"

    @property
    def health(self) -> str:
        """`stalled` while a handler keeps failing on an event this consumer is held at, else `ok`."""
        return STALLED if any(held.stalled for held in self._held.values()) else OK

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        running = RUNNING_CONSUMERS.get()
        if running is not None:
            running.add(self)
        try:
            await self._run()
        finally:
            if running is not None:
                running.discard(self)
            self._forget_holds(set())

    async def _run(self) -> None:
        backoff = 0.2
        while not self._stopping.is_set():
            try:
                await self._run_consumer()
                backoff = 0.2
            except TRANSIENT_ERRORS as exc:
                log.warning("consumer_retrying", consumer=self.name, error=repr(exc), backoff=backoff)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), backoff)
                backoff = min(backoff * 2, 5.0)

    async def _run_consumer(self) -> None:
        consumer = AIOKafkaConsumer(
            **self._settings.broker.client_options(),
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            client_id=f"{self._settings.service_name}-{self.name}",
            max_partition_fetch_bytes=self._settings.consumer_partition_fetch_bytes,
            fetch_max_bytes=self._settings.consumer_fetch_max_bytes,
            fetch_min_bytes=self._fetch_min_bytes,
            fetch_max_wait_ms=self._fetch_max_wait_ms,
        )
        producer = make_producer(self._settings.broker)
        self._committed.clear()  # a new member: what the group holds is not known
        consumer.subscribe(
            self.topics,
            listener=_Rebalance(
                self._processing,
                self._forget_holds,
                lambda: self._flush(consumer),
                lambda assigned: self._seek_to_stored(consumer, assigned),
            ),
        )
        await consumer.start()
        self._consumer = consumer
        try:
            await producer.start()
            while not self._stopping.is_set():
                self._resume_due(consumer)
                batches = await self._fetch(consumer)
                for topic_batches in _by_topic(batches):
                    if await self._process_together(consumer, topic_batches):
                        continue
                    for tp, records in topic_batches.items():
                        async with self._processing:
                            if tp in consumer.assignment():  # not revoked while another partition's batch ran
                                await self._process(consumer, tp, records, producer)
                if not batches or self._commit_due():
                    async with self._processing:
                        await self._flush(consumer)
                if batches and self._gather_seconds:
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), self._gather_seconds)
        finally:
            self._consumer = None
            # What is not committed is delivered again, and the inbox drops it: a broker that is away is not waited for.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._flush(consumer), STOP_COMMIT_SECONDS)
            await self._give_back_connection()
            # Holds belong to this member's assignment: a new consumer starts from the committed offsets.
            self._forget_holds(set())
            await stop_producer(producer)
            # Leaving the group lets the partitions move at once instead of after the session timeout.
            with contextlib.suppress(Exception):
                await consumer.stop()

    async def _fetch(self, consumer: AIOKafkaConsumer) -> dict[TopicPartition, list[ConsumerRecord]]:
        """The next records, waiting up to 500 ms when there are none (the broker holds an empty fetch as long); a stop
        ends the wait at once instead of after it (a quarter of a second of every service's stop on average). Records
        a stopped fetch leaves are not applied nor committed: the next member is given them."""
        fetch = asyncio.ensure_future(consumer.getmany(timeout_ms=500, max_records=self._max_records))
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait((fetch, stopping), return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            if not fetch.done():
                fetch.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await fetch
        return {} if fetch.cancelled() else fetch.result()

    async def _process_together(
        self, consumer: AIOKafkaConsumer, batches: dict[TopicPartition, list[ConsumerRecord]]
    ) -> bool:
        """The batches of several partitions of one topic fetched at once, applied in one transaction when all of
        them apply as they are (the usual case: no refusal, no chain break, no fault); True when they were, and then
        committed. False leaves them to `_process`, one partition at a time, which isolates a refused event for the
        DLQ or holds a partition at a failing one. Under load a fetch brings records of most partitions: one
        transaction for them instead of one per partition (its inbox rows, chain heads and positions each one
        statement for all). One topic per transaction: a batch handler is given one topic's records, as before."""
        if len(batches) < 2:
            return False
        async with self._processing:
            assignment = consumer.assignment()
            pending = {
                tp: unapplied
                for tp, records in batches.items()
                if tp in assignment and (unapplied := self._unapplied(tp, records))
            }
            if len(pending) < 2:
                return False
            try:
                async with self._connection() as conn, conn.transaction():
                    applied = await self._apply_together(conn, pending)
            except (_Separate, _NotRaw):
                return False
            except TRANSIENT_ERRORS:
                return False  # the partitions one at a time meet it again and hold where it bites
            except Exception as exc:
                log.info("together_failed", consumer=self.name, partitions=len(pending), error=repr(exc))
                return False
            raw = self._raw_batch_handler is not None
            self._count(applied, events=sum(map(len, pending.values())) if raw else None)
            for tp, records in pending.items():
                self._applied_up_to(consumer, tp, records[-1].offset + 1)
            if self._commit_due():
                await self._flush(consumer)
        return True

    async def _apply_together(self, conn: Connection, pending: dict[TopicPartition, list[ConsumerRecord]]) -> list[str]:
        """The records of one topic's partitions applied in `conn`'s transaction, as `_apply_raw` or `_apply_batch`
        would apply each partition's; raises _Separate (or _NotRaw) for anything those would answer other than by
        applying every record."""
        if self._raw_batch_handler is not None:
            return await self._raw_in(conn, pending)
        [topic] = {tp.topic for tp in pending}
        parts = {tp.partition: records for tp, records in pending.items()}
        entered = self._begin is None or await self._begin(conn)
        read = {p: [self._read(record) for record in records] for p, records in parts.items()}
        if any(isinstance(item, str) for items in read.values() for item in items):
            raise _Separate  # a dead letter: sent from the partition's own batch
        checked = {(p, i) for p, items in read.items() for i, item in enumerate(items) if item is not None}
        if await check_batches(conn, self.name, topic, parts, checked):
            raise _Separate
        envelopes = [item for items in read.values() for item in items if not (item is None or isinstance(item, str))]
        handler = self._handler if entered else _ignore
        batch: list[Envelope] | None = [] if self._batch_handler is not None and entered else None
        applied: list[str] = []
        fresh = await self._claim(conn, [envelope.event_id for envelope in envelopes])
        for index, envelope in enumerate(envelopes):
            if envelope.event_id in fresh:
                fresh.discard(envelope.event_id)  # the same event twice: applied once
                if batch is None:
                    await self._handle(conn, handler, index, envelope)
                else:
                    batch.append(envelope)
                applied.append(envelope.type)
        if batch:
            await self._handle_batch(conn, batch)
        await self._save_positions(conn, {tp: records[-1].offset + 1 for tp, records in pending.items()})
        return applied

    def _unapplied(self, tp: TopicPartition, records: list[ConsumerRecord]) -> list[ConsumerRecord]:
        """The records at or above what this process applied on the partition. Those below were fetched again after a
        seek (a rebalance gave the partition back while a batch fetched before ran): their effects are there, and
        their dead letters were sent."""
        applied = self._applied.get(tp)
        if applied is not None and records and records[0].offset < applied:
            return [record for record in records if record.offset >= applied]
        return records

    async def _process(
        self, consumer: AIOKafkaConsumer, tp: TopicPartition, records: list[ConsumerRecord], producer: Any
    ) -> None:
        """Applies and commits the batch, or holds the partition at the event that failed."""
        records = self._unapplied(tp, records)
        if not records:
            return
        failure = await self._try(tp, records, producer)
        if failure is None:
            await self._commit(consumer, tp, records[-1].offset + 1)
            return
        index, error, counted = failure
        if index > 0:
            # The events before the failing one are applied and committed on their own.
            before = await self._try(tp, records[:index], producer)
            if before is None:
                await self._commit(consumer, tp, records[index].offset)
            else:
                index, error, counted = 0, before[1], before[2]
        self._hold(consumer, tp, records[index], error, counted=counted)

    async def _try(
        self, tp: TopicPartition, records: list[ConsumerRecord], producer: Any
    ) -> tuple[int, BaseException, bool] | None:
        """None when the records were applied; else the failing record's index, the error, and whether it counts
        toward a stall (not when the database or the broker was away)."""
        try:
            await self._apply(tp, records, producer)
        except HandlerFailed as failed:
            return failed.index, failed.error, True
        except TRANSIENT_ERRORS as exc:
            return 0, exc, False
        except Exception as exc:  # the runner's own work failed (inbox, position, DLQ): held and retried all the same
            return 0, exc, True
        return None

    async def _commit(self, consumer: AIOKafkaConsumer, tp: TopicPartition, next_offset: int) -> None:
        self._applied_up_to(consumer, tp, next_offset)
        if self._commit_due():
            await self._flush(consumer)

    def _applied_up_to(self, consumer: AIOKafkaConsumer, tp: TopicPartition, next_offset: int) -> None:
        """The partition's batch is applied and its transaction committed: Kafka's commit follows with the next
        flush."""
        self._applied[tp] = next_offset
        self._measure_lag(consumer, tp, next_offset)
        self._release(tp, next_offset)
        self._dead_letters_sent = {
            (topic, partition, offset)
            for topic, partition, offset in self._dead_letters_sent
            if (topic, partition) != (tp.topic, tp.partition) or offset >= next_offset
        }

    def _commit_due(self) -> bool:
        return asyncio.get_running_loop().time() - self._committed_at >= self._commit_interval

    async def _flush(self, consumer: AIOKafkaConsumer) -> None:
        """Commits to Kafka, in one request, the applied offset of every assigned partition whose last successful
        commit differs: what a failed commit, a crash between the database's commit and Kafka's, or an assignment
        left behind is committed again, so the group's offset does not stay behind when no new record comes."""
        assignment = consumer.assignment()
        offsets = {
            tp: offset for tp, offset in self._applied.items() if tp in assignment and self._committed.get(tp) != offset
        }
        if not offsets:
            return
        self._committed_at = asyncio.get_running_loop().time()
        try:
            await consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError) as exc:
            # The partition moved in a rebalance (before the commit, or during it); its new owner redelivers from the
            # last committed offset and the inbox drops repeats. A partition this member keeps is committed again.
            log.warning("commit_failed", consumer=self.name, offsets=str(offsets), error=repr(exc))
            return
        self._committed.update(offsets)

    def _hold(
        self,
        consumer: AIOKafkaConsumer,
        tp: TopicPartition,
        record: ConsumerRecord,
        error: BaseException,
        *,
        counted: bool,
    ) -> None:
        """Seek back to the failed event and pause the partition until its retry is due."""
        if tp not in consumer.assignment():
            # Revoked while its batch was applied: the new owner starts from the last committed offset, the failed
            # event included, so there is nothing to hold here.
            log.warning("event_retry_left_to_new_owner", consumer=self.name, partition=str(tp), error=repr(error))
            return
        now = asyncio.get_running_loop().time()
        held = self._held.get(tp)
        if held is None or held.offset != record.offset:
            held = self._held[tp] = Held(offset=record.offset, since=now)
        held.attempts += 1
        held.failures += int(counted)
        # A database or broker away is retried at least every 5 s, as the relay does; a failing handler backs off more.
        ceiling = (
            self._settings.consumer_max_backoff_seconds
            if counted
            else min(5.0, self._settings.consumer_max_backoff_seconds)
        )
        delay = min(0.2 * 2 ** min(held.attempts - 1, 16), ceiling)
        held.retry_at = now + delay
        consumer.seek(tp, record.offset)
        consumer.pause(tp)
        CONSUMER_RETRIES.labels(self.name).inc()
        where = {"consumer": self.name, "topic": tp.topic, "partition": tp.partition, "offset": record.offset}
        persists = held.failures >= self._settings.consumer_retry_attempts or (
            held.failures > 0 and now - held.since >= self._settings.consumer_retry_seconds
        )
        if persists and not held.stalled:
            held.stalled = True
            CONSUMER_STALLED.labels(self.name, tp.topic, str(tp.partition)).set(1)
            log.error("consumer_stalled", **where, attempts=held.attempts, error=repr(error), retry_in=delay)
        else:
            log.warning("event_retrying", **where, attempts=held.attempts, error=repr(error), retry_in=delay)

    def _release(self, tp: TopicPartition, next_offset: int) -> None:
        held = self._held.get(tp)
        if held is not None and next_offset > held.offset:
            del self._held[tp]
            if held.stalled:
                CONSUMER_STALLED.labels(self.name, tp.topic, str(tp.partition)).set(0)
                log.info("consumer_recovered", consumer=self.name, topic=tp.topic, partition=tp.partition)

    def _resume_due(self, consumer: AIOKafkaConsumer) -> None:
        now = asyncio.get_running_loop().time()
        paused = consumer.paused()
        for tp, held in self._held.items():
            if held.retry_at <= now and tp in paused:
                consumer.resume(tp)

    def _forget_holds(self, keep: set[TopicPartition]) -> None:
        for tp in [tp for tp in self._held if tp not in keep]:
            if self._held.pop(tp).stalled:
                CONSUMER_STALLED.labels(self.name, tp.topic, str(tp.partition)).set(0)

    def _measure_lag(self, consumer: AIOKafkaConsumer, tp: TopicPartition, next_offset: int) -> None:
        if tp not in consumer.assignment():  # revoked while its batch was applied: its new owner measures it
            return
        highwater = consumer.highwater(tp)
        if highwater is not None:
            CONSUMER_LAG.labels(self.name, tp.topic, str(tp.partition)).set(max(highwater - next_offset, 0))

    async def _apply(self, tp: TopicPartition, records: list[ConsumerRecord], producer: Any) -> None:
        """Applies the batch in one transaction with its inbox rows and the partition's position.

        First as a whole: the inbox rows claimed in one statement, no savepoint per event. When a handler refuses an
        event (a contract error), that transaction is rolled back and the batch applied again one event at a time,
        each in a savepoint with its inbox row, so the refused event alone goes to the DLQ and has no inbox row.
        """
        if self._raw_batch_handler is not None and await self._apply_raw(tp, records):
            return
        read = [self._read(record) for record in records]
        try:
            applied = await self._apply_batch(tp, records, read, producer, one_at_a_time=False)
        except _Isolate:
            applied = await self._apply_batch(tp, records, read, producer, one_at_a_time=True)
        self._count(applied)

    def _count(self, applied: list[str], *, events: int | None = None) -> None:
        """`applied`: the types of the events applied, for the metric; `events`: how many count as applied, when not
        those (the raw path counts every record it applied, repeats included)."""
        self.applied += len(applied) if events is None else events
        for event_type, count in Counter(applied).items():
            EVENTS_CONSUMED.labels(self.name, event_type).inc(count)

    async def _apply_raw(self, tp: TopicPartition, records: list[ConsumerRecord]) -> bool:
        """The batch through the raw handler, with the partition's position, in one transaction; False when it is not
        for that path (nothing of it committed)."""
        try:
            async with self._connection() as conn, conn.transaction():
                applied = await self._raw_in(conn, {tp: records})
        except _NotRaw:
            return False
        except TRANSIENT_ERRORS:
            raise
        except Exception as exc:  # e.g. a header SQL could not read: the envelope way says which record and why
            log.warning("raw_batch_failed", consumer=self.name, records=len(records), error=repr(exc))
            return False
        self._count(applied, events=len(records))
        return True

    async def _raw_in(self, conn: Connection, pending: dict[TopicPartition, list[ConsumerRecord]]) -> list[str]:
        """The records of one topic's partitions through the raw handler, with their positions, in `conn`'s
        transaction: the types applied; raises _NotRaw when they are not for that path."""
        assert self._raw_batch_handler is not None
        [topic] = {tp.topic for tp in pending}
        parts = {tp.partition: records for tp, records in pending.items()}
        entered = self._begin is None or await self._begin(conn)
        checked = {(p, i) for p, got in parts.items() for i, record in enumerate(got) if self._applies(record)}
        if await check_batches(conn, self.name, topic, parts, checked):
            raise _NotRaw  # the envelope way sends the records that break a chain to the DLQ
        records = [record for got in parts.values() for record in got]
        applied = await self._raw_batch_handler(conn, topic, records) if entered else []
        if applied is None:
            raise _NotRaw
        await self._save_positions(conn, {tp: got[-1].offset + 1 for tp, got in pending.items()})
        return applied

    def _applies(self, record: ConsumerRecord) -> bool:
        """Whether this consumer applies records of the record's type (by its header)."""
        return self._handles is None or ce_type(list(record.headers or ())) in self._handles

    def _read(self, record: ConsumerRecord) -> Envelope | str | None:
        """The record's event to apply, or the reason it goes to the DLQ, or None when this consumer ignores it."""
        headers = list(record.headers or ())
        event_type = ce_type(headers)
        # Most events of a topic are not this consumer's: the type header says so before the value is read.
        if (
            self._decode is from_record
            and event_type is not None
            and self._handles is not None
            and event_type not in self._handles
        ):
            if not self._topic_owner_publishes(record.topic, event_type):
                return f"event type {event_type} does not belong to {record.topic}: its owner does not publish it"
            return None
        try:
            envelope = self._decode(record.value, headers)
        except CONTRACT_ERRORS as exc:
            return dead_letter_reason(exc)
        if not self._topic_owner_publishes(record.topic, envelope.type):
            return f"event type {envelope.type} does not belong to {record.topic}: its owner does not publish it"
        if self._handles is not None and envelope.type not in self._handles:
            return None
        return envelope

    async def _apply_batch(
        self,
        tp: TopicPartition,
        records: list[ConsumerRecord],
        read: list[Envelope | str | None],
        producer: Any,
        *,
        one_at_a_time: bool,
    ) -> list[str]:
        """The types of the events applied (not repeats, not dead letters), once the transaction has committed."""
        applied: list[str] = []
        if (
            not one_at_a_time
            and self._begin is None
            and all(item is None for item in read)
            and not any(chained(record) for record in records)
        ):
            # Nothing of this consumer's in the batch: its position alone, one statement, no transaction around it.
            async with self._connection() as conn:
                await self._save_positions(conn, {tp: records[-1].offset + 1})
            return applied
        async with self._connection() as conn, conn.transaction():
            entered = self._begin is None or await self._begin(conn)
            read = await self._check_chain(conn, tp, records, read)
            handler = self._handler if entered else _ignore
            batch: list[Envelope] | None = [] if self._batch_handler is not None and entered else None
            fresh: set[UUID] = set()
            if not one_at_a_time:
                # (an envelope is what is neither a reason nor None: isinstance on a pydantic class is slow)
                fresh = await self._claim(
                    conn, [item.event_id for item in read if item is not None and not isinstance(item, str)]
                )
            for index, (record, item) in enumerate(zip(records, read, strict=True)):
                if isinstance(item, str):
                    await self._dead_letter(producer, record, item)
                elif item is None:
                    continue
                elif one_at_a_time:
                    if await self._apply_alone(conn, handler, index, record, item, producer):
                        applied.append(item.type)
                elif item.event_id in fresh:
                    fresh.discard(item.event_id)  # the same event twice in one batch: applied once
                    if batch is None:
                        await self._handle(conn, handler, index, item)
                    else:
                        batch.append(item)
                    applied.append(item.type)
            if batch and not one_at_a_time:
                await self._handle_batch(conn, batch)
            await self._save_positions(conn, {tp: records[-1].offset + 1})
        return applied

    async def _check_chain(
        self, conn: Connection, tp: TopicPartition, records: list[ConsumerRecord], read: list[Envelope | str | None]
    ) -> list[Envelope | str | None]:
        """`read` with each record that breaks its stream's chain replaced by the reason (shared/audit/continuity.py):
        it goes to the DLQ instead of being applied. The content of the events this consumer applies is checked."""
        breaks = await check_batch(
            conn, self.name, tp.topic, records, lambda i: read[i] is not None and not isinstance(read[i], str)
        )
        if not breaks:
            return read
        for index, reason in breaks.items():
            record = records[index]
            if (record.topic, record.partition, record.offset) not in self.chain_breaks:
                self.chain_breaks.add((record.topic, record.partition, record.offset))
                CHAIN_BREAKS.labels(self.name, record.topic).inc()
                log.error("chain_break", consumer=self.name, topic=record.topic, offset=record.offset, reason=reason)
        return [breaks.get(index, item) for index, item in enumerate(read)]

    async def _seek_to_stored(self, consumer: AIOKafkaConsumer, assigned: set[TopicPartition]) -> None:
        """Each assigned partition from the position stored in this service's database with the effects, not from the
        group's offset in Kafka: they differ after a restore of the database from a backup, and then the events since
        the backup are applied again (the restored inbox has no row for them; an erasure since is erased again), and
        a partition the restored database never read starts from its first record. Normally they are equal, or the
        database is ahead of a commit a crash lost (fewer redeliveries)."""
        if not assigned:
            return
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                """select topic, partition, "offset" from consumer_positions
                    where consumer = $1 and topic = any($2::text[])""",
                self.name,
                list({tp.topic for tp in assigned}),
            )
        stored = {TopicPartition(r["topic"], r["partition"]): r["offset"] for r in rows}
        for tp in assigned:
            if tp in stored:
                consumer.seek(tp, stored[tp])
                self._applied[tp] = max(self._applied.get(tp, 0), stored[tp])
            else:
                self._applied.pop(tp, None)
            # the group's offset follows with the next flush: a crash between the database's commit and Kafka's left
            # it behind, and with no new record on the partition nothing else would move it (lag for ever)
            self._committed.pop(tp, None)
        # The partitions never read, in one request: one at a time, each waited for the fetch in flight (the broker
        # holds an empty one 500 ms), so a first start on 3 partitions took 1.1-1.6 s to read, each more half a second.
        if unread := [tp for tp in assigned if tp not in stored]:
            await consumer.seek_to_beginning(*unread)
        log.info(
            "partitions_assigned",
            consumer=self.name,
            partitions=len(assigned),
            from_stored=sum(1 for tp in assigned if tp in stored),
        )

    async def _save_positions(self, conn: Connection, positions: dict[TopicPartition, int]) -> None:
        await conn.execute(
            """insert into consumer_positions (consumer, topic, partition, "offset")
               select $1, p.topic, p.partition, p.offset
                 from unnest($2::text[], $3::integer[], $4::bigint[]) as p (topic, partition, "offset")
               on conflict (consumer, topic, partition)
               do update set "offset" = excluded."offset", updated_at = now()""",
            self.name,
            [tp.topic for tp in positions],
            [tp.partition for tp in positions],
            list(positions.values()),
        )

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator["PoolConnectionProxy[asyncpg.Record]"]:
        """The connection this consumer applies its batches on: borrowed from the pool once and kept while batches
        apply, so that a batch does not borrow and return one each time. Whatever a batch raises gives it back to the
        pool (which closes a broken one); the next batch borrows another. `_run_consumer` gives it back when the
        consumer stops. One the database closed while it was kept (a restart) is let go first: asyncpg has handed it
        back to the pool already."""
        if self._conn is not None and not _usable(self._conn):
            await self._give_back_connection()
        if self._conn is None:
            self._conn = await self._pool.acquire()
        try:
            yield self._conn
        except BaseException:
            await self._give_back_connection()
            raise

    async def _give_back_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # a broken connection is the pool's to close
                await self._pool.release(conn)

    async def _claim(self, conn: Connection, event_ids: list[UUID]) -> set[UUID]:
        """Inbox rows for the batch's events in one statement: the ids not seen before, to be applied."""
        if not event_ids:
            return set()
        rows = await conn.fetch(
            """insert into inbox (consumer, event_id) select $1, unnest($2::uuid[])
               on conflict do nothing returning event_id""",
            self.name,
            event_ids,
        )
        return {row["event_id"] for row in rows}

    async def _handle(self, conn: Connection, handler: Handler, index: int, envelope: Envelope) -> None:
        """Runs the handler in the batch's transaction; a refusal makes the batch go one event at a time."""
        with _handling(envelope, index):
            try:
                await handler(conn, envelope)
            except CONTRACT_ERRORS as exc:
                raise _Isolate from exc

    async def _handle_batch(self, conn: Connection, batch: list[Envelope]) -> None:
        """Runs the batch handler in the batch's transaction; anything but a transient error makes the batch go one
        event at a time, where the per-event handler finds the event at fault."""
        assert self._batch_handler is not None
        try:
            await self._batch_handler(conn, batch)
        except TRANSIENT_ERRORS:
            raise
        except CONTRACT_ERRORS as exc:
            raise _Isolate from exc
        except Exception as exc:  # a fault: the per-event handler finds the event it holds at (or applies them all)
            log.warning("batch_handler_failed", consumer=self.name, events=len(batch), error=repr(exc))
            raise _Isolate from exc

    async def _apply_alone(
        self, conn: Connection, handler: Handler, index: int, record: ConsumerRecord, envelope: Envelope, producer: Any
    ) -> bool:
        """Applies one event in a savepoint with its inbox row; True when it was applied (not a repeat, not refused)."""
        with _handling(envelope, index):
            try:
                async with conn.transaction():
                    fresh = await conn.fetchval(
                        "insert into inbox (consumer, event_id) values ($1, $2) on conflict do nothing returning true",
                        self.name,
                        envelope.event_id,
                    )
                    if fresh:
                        await handler(conn, envelope)
                return bool(fresh)
            except CONTRACT_ERRORS as exc:  # the handler says this event can never be applied
                await self._dead_letter(producer, record, dead_letter_reason(exc))
                return False

    def _topic_owner_publishes(self, topic: str, event_type: str) -> bool:
        """Whether the service that owns the topic publishes this type (a topic outside the system has no rule)."""
        allowed = TOPIC_EVENTS.get(topic.removeprefix(self._settings.topic_prefix))
        return allowed is None or event_type in allowed

    async def _dead_letter(self, producer: Any, record: ConsumerRecord, reason: str) -> None:
        coordinates = (record.topic, record.partition, record.offset)
        if coordinates in self._dead_letters_sent:
            return
        headers = [
            *(record.headers or ()),
            ("dlq_reason", reason.encode()),
            ("dlq_consumer", self.group_id.encode()),
            ("dlq_topic", record.topic.encode()),
            ("dlq_partition", str(record.partition).encode()),
            ("dlq_offset", str(record.offset).encode()),
        ]
        await (await producer.send(dlq_topic(record.topic), value=record.value, key=record.key, headers=headers))
        self._dead_letters_sent.add(coordinates)
        self.dead_lettered += 1
        DLQ_MESSAGES.labels(self.name, record.topic).inc()
        log.warning("dead_lettered", consumer=self.name, topic=record.topic, offset=record.offset, reason=reason)

    async def end_offsets(self) -> dict[tuple[str, int], int]:
        """The log-end offset of each partition assigned to this consumer now."""
        consumer = self._consumer
        if consumer is None:
            return {}
        assignment = list(consumer.assignment())
        if not assignment:
            return {}
        ends = await consumer.end_offsets(assignment)
        return {(tp.topic, tp.partition): offset for tp, offset in ends.items()}
