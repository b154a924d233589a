"""The consumer runner: applies other services' events exactly once in effect.

For each partition batch: one database transaction holds the handler's effects, an
inbox row per event (a redelivery finds it and does nothing) and the partition's
position; only after it commits is the Kafka offset committed. A poison message
(undecodable, unknown type, invalid payload, or refused by the handler) goes to
`<topic>.dlq` with the reason in its headers, and the consumer goes on.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError

from shared.contracts import Event
from shared.db import Connection
from shared.envelope import Envelope, Headers, InvalidEvent, UnknownEventType, from_record
from shared.eventstore import ConcurrencyConflict
from shared.metrics import CONSUMER_LAG, DLQ_MESSAGES, EVENTS_CONSUMED
from shared.relay import make_producer
from shared.settings import ServiceSettings

log = structlog.get_logger()

Handler = Callable[[Connection, Envelope], Awaitable[None]]
# Reads a record's value and headers into an envelope; raises InvalidEvent or UnknownEventType for poison.
Decoder = Callable[[bytes | None, Headers], Envelope]

# Failures that say nothing about the message: the batch is retried, never dead-lettered.
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


class PoisonMessage(Exception):
    """Raised by a handler for an event it can never apply: the event goes to the DLQ."""


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


def dlq_topic(topic: str) -> str:
    return f"{topic}.dlq"


class _DrainOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka has no types: its base is Any
    """Waits for the batch in hand to commit before partitions move to another member."""

    def __init__(self, lock: asyncio.Lock) -> None:
        self._lock = lock

    async def on_partitions_revoked(self, revoked: Any) -> None:
        async with self._lock:
            pass

    async def on_partitions_assigned(self, assigned: Any) -> None:
        pass


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
    ) -> None:
        """`name` is the consumer's identity (its inbox and, by default, its group); `handles` limits it to some types
        (by default, the types a Dispatch table names).

        A different `group_id` reads the topics from the beginning again, as a rebuild does.
        `decode` reads records that are not our own events, such as another platform's CloudEvents.
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
        self._stopping = asyncio.Event()
        self._processing = asyncio.Lock()
        self._consumer: AIOKafkaConsumer | None = None
        self.dead_lettered = 0
        self.applied = 0

    @property
    def group_id(self) -> str:
        return self._group_id or f"{self._settings.topic_prefix}{self._settings.service_name}.{self.name}"

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
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
            bootstrap_servers=self._settings.kafka_bootstrap_servers,
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            client_id=f"{self._settings.service_name}-{self.name}",
        )
        producer = make_producer(self._settings.kafka_bootstrap_servers)
        consumer.subscribe(self.topics, listener=_DrainOnRevoke(self._processing))
        await consumer.start()
        self._consumer = consumer
        try:
            await producer.start()
            while not self._stopping.is_set():
                batches = await consumer.getmany(timeout_ms=500, max_records=self._max_records)
                for tp, records in batches.items():
                    async with self._processing:
                        await self._apply_until_done(tp, records, producer)
                        self._measure_lag(consumer, tp, records[-1].offset + 1)
                        try:
                            await consumer.commit({tp: records[-1].offset + 1})
                        except CommitFailedError as exc:
                            # The partition moved in a rebalance; its new owner redelivers and the inbox drops repeats.
                            log.warning("commit_failed", consumer=self.name, partition=str(tp), error=repr(exc))
        finally:
            self._consumer = None
            with contextlib.suppress(Exception):
                await producer.stop()
            # Leaving the group lets the partitions move at once instead of after the session timeout.
            with contextlib.suppress(Exception):
                await consumer.stop()

    def _measure_lag(self, consumer: AIOKafkaConsumer, tp: TopicPartition, next_offset: int) -> None:
        highwater = consumer.highwater(tp)
        if highwater is not None:
            CONSUMER_LAG.labels(self.name, tp.topic, str(tp.partition)).set(max(highwater - next_offset, 0))

    async def _apply_until_done(self, tp: TopicPartition, records: list[ConsumerRecord], producer: Any) -> None:
        backoff = 0.2
        while True:
            try:
                await self._apply(tp, records, producer)
                return
            except TRANSIENT_ERRORS as exc:
                if self._stopping.is_set():
                    raise
                log.warning("batch_retrying", consumer=self.name, partition=str(tp), error=repr(exc))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _apply(self, tp: TopicPartition, records: list[ConsumerRecord], producer: Any) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            for record in records:
                await self._apply_one(conn, record, producer)
            await conn.execute(
                """insert into consumer_positions (consumer, topic, partition, "offset")
                   values ($1, $2, $3, $4)
                   on conflict (consumer, topic, partition)
                   do update set "offset" = excluded."offset", updated_at = now()""",
                self.name,
                tp.topic,
                tp.partition,
                records[-1].offset + 1,
            )

    async def _apply_one(self, conn: Connection, record: ConsumerRecord, producer: Any) -> None:
        try:
            envelope = self._decode(record.value, list(record.headers or ()))
        except (InvalidEvent, UnknownEventType) as exc:
            await self._dead_letter(producer, record, str(exc))
            return
        if self._handles is not None and envelope.type not in self._handles:
            return
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            correlation_id=envelope.correlation_id, event_id=str(envelope.event_id), event_type=envelope.type
        )
        try:
            async with conn.transaction():
                fresh = await conn.fetchval(
                    "insert into inbox (consumer, event_id) values ($1, $2) on conflict do nothing returning true",
                    self.name,
                    envelope.event_id,
                )
                if fresh:
                    await self._handler(conn, envelope)
                    self.applied += 1
                    EVENTS_CONSUMED.labels(self.name, envelope.type).inc()
        except TRANSIENT_ERRORS:
            raise
        except Exception as exc:  # a handler that cannot apply this event will never apply it
            log.error("handler_failed", consumer=self.name, error=repr(exc))
            await self._dead_letter(producer, record, f"handler error: {exc!r}")
        finally:
            structlog.contextvars.clear_contextvars()

    async def _dead_letter(self, producer: Any, record: ConsumerRecord, reason: str) -> None:
        headers = [
            *(record.headers or ()),
            ("dlq_reason", reason.encode()),
            ("dlq_consumer", self.group_id.encode()),
            ("dlq_topic", record.topic.encode()),
            ("dlq_partition", str(record.partition).encode()),
            ("dlq_offset", str(record.offset).encode()),
        ]
        await (await producer.send(dlq_topic(record.topic), value=record.value, key=record.key, headers=headers))
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
