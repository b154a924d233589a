"""The log-end offset of every partition of the topics projections reads, for positions and lag."""

import asyncio
import contextlib
import time

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from shared.broker import Broker

log = structlog.get_logger()

PARTITIONS_TTL = 30.0
ANSWER_WITHIN = 3.0


class LogEnds:
    """A client without a group that only asks the broker where each partition's log ends."""

    def __init__(self, broker: Broker, topics: list[str]) -> None:
        self._broker = broker
        self.topics = topics
        self._consumer: AIOKafkaConsumer | None = None
        self._admin: AIOKafkaAdminClient | None = None
        self._partitions: list[TopicPartition] = []
        self._partitions_at = 0.0
        self._lock = asyncio.Lock()
        self._ends: dict[tuple[str, int], int] | None = None
        self._ends_at = 0.0

    async def _client(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            consumer = AIOKafkaConsumer(
                **self._broker.client_options(), group_id=None, enable_auto_commit=False, request_timeout_ms=5000
            )
            await consumer.start()
            self._consumer = consumer
        return self._consumer

    async def _known_partitions(self) -> list[TopicPartition]:
        """The topics' partitions, asked again now and then (partitions can be added)."""
        if not self._partitions or time.monotonic() - self._partitions_at > PARTITIONS_TTL:
            if self._admin is None:
                admin = AIOKafkaAdminClient(**self._broker.client_options(), request_timeout_ms=5000)
                await admin.start()
                self._admin = admin
            described = await self._admin.describe_topics(self.topics)
            self._partitions = sorted(
                TopicPartition(topic["topic"], partition["partition"])
                for topic in described
                if topic["error_code"] == 0
                for partition in topic["partitions"]
            )
            self._partitions_at = time.monotonic()
        return self._partitions

    async def ends(self, *, max_age: float = 0.0) -> dict[tuple[str, int], int] | None:
        """(topic, partition) → log-end offset, asked at most `max_age` seconds ago; None if the broker is away.

        A broker that does not answer costs a request at most ANSWER_WITHIN seconds.
        """
        async with self._lock:
            if self._ends is not None and time.monotonic() - self._ends_at <= max_age:
                return self._ends
            try:
                async with asyncio.timeout(ANSWER_WITHIN):
                    partitions = await self._known_partitions()
                    consumer = await self._client()
                    offsets = await consumer.end_offsets(partitions) if partitions else {}
            except (TimeoutError, KafkaError, OSError) as exc:
                log.warning("log_ends_unavailable", error=repr(exc))
                await self.close()
                return None
            self._ends = {(tp.topic, tp.partition): offset for tp, offset in offsets.items()}
            self._ends_at = time.monotonic()
            return self._ends

    async def close(self) -> None:
        consumer, self._consumer = self._consumer, None
        admin, self._admin = self._admin, None
        self._partitions = []
        self._ends = None
        if consumer is not None:
            with contextlib.suppress(Exception):
                await consumer.stop()
        if admin is not None:
            with contextlib.suppress(Exception):
                await admin.close()
