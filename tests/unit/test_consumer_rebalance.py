"""A partition that moved to another member of the group while its batch was applied is left to its new owner."""

import asyncio
from typing import Any

from aiokafka import TopicPartition
from aiokafka.errors import CommitFailedError

from shared.consumer import ConsumerRunner
from shared.settings import ServiceSettings


class MovedAway:
    """What aiokafka's consumer does with a partition no longer assigned to it: asserts, or fails the commit."""

    def __init__(self) -> None:
        self.commits: list[dict[TopicPartition, int]] = []

    def assignment(self) -> set[TopicPartition]:
        return set()

    def highwater(self, tp: TopicPartition) -> int:
        raise AssertionError("Partition is not assigned")

    def seek(self, tp: TopicPartition, offset: int) -> None:
        raise AssertionError("Partition is not assigned")

    def pause(self, *tps: TopicPartition) -> None:
        raise AssertionError("Partition is not assigned")

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(offsets)
        raise CommitFailedError("rebalanced")


def runner() -> ConsumerRunner:
    async def handler(conn: Any, envelope: Any) -> None:
        return None

    settings = ServiceSettings(kafka_password="not-used-here")
    return ConsumerRunner(settings, None, name="test", topics=["t"], handler=handler)  # type: ignore[arg-type]


def test_a_batch_committed_after_its_partition_moved_does_not_stop_the_consumer() -> None:
    consumer = MovedAway()
    tp = TopicPartition("t", 0)

    asyncio.run(runner()._commit(consumer, tp, 5))

    assert consumer.commits == [{tp: 5}]  # tried, refused by the group, and left to the new owner


def test_a_failure_on_a_partition_that_moved_is_not_held() -> None:
    consumer = MovedAway()
    tp = TopicPartition("t", 0)
    record: Any = type("Record", (), {"offset": 3})()
    run = runner()

    async def hold() -> None:
        run._hold(consumer, tp, record, RuntimeError("refused"), counted=True)

    asyncio.run(hold())

    assert run._held == {}
