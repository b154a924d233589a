"""The group's offset converges to what the consumer applied: a commit Kafka refused is made again with the next flush,
and one that succeeded is not sent again. The broker's side of it is tested in
tests/integration/test_consumer_failures.py; here, the runner's bookkeeping alone."""

from typing import Any

from aiokafka import TopicPartition
from aiokafka.errors import CommitFailedError

from shared.consumer import ConsumerRunner
from shared.settings import ServiceSettings

TP = TopicPartition("intake.events", 0)
OTHER = TopicPartition("intake.events", 1)


class Member:
    """What `ConsumerRunner._flush` asks of aiokafka's consumer: its assignment, and commit (refused `refusals`
    times, as Kafka refuses a commit during a rebalance)."""

    def __init__(self, assigned: set[TopicPartition], refusals: int = 0) -> None:
        self.assigned = assigned
        self.refusals = refusals
        self.commits: list[dict[TopicPartition, int]] = []

    def assignment(self) -> set[TopicPartition]:
        return self.assigned

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(dict(offsets))
        if self.refusals:
            self.refusals -= 1
            raise CommitFailedError("rebalance in progress")


def runner() -> ConsumerRunner:
    pool: Any = None  # _flush does not touch the database
    return ConsumerRunner(ServiceSettings(kafka_password="unused"), pool, name="c", topics=["t"], handler=_ignore)


async def _ignore(conn: Any, envelope: Any) -> None:
    return None


async def test_a_refused_commit_is_made_again_with_the_next_flush_and_a_successful_one_is_not_repeated() -> None:
    consumer = runner()
    member = Member({TP}, refusals=1)
    consumer._applied[TP] = 7
    await consumer._flush(member)
    await consumer._flush(member)
    await consumer._flush(member)
    assert member.commits == [{TP: 7}, {TP: 7}]


async def test_only_assigned_partitions_are_committed() -> None:
    consumer = runner()
    member = Member({TP})
    consumer._applied.update({TP: 3, OTHER: 9})  # OTHER moved to another member
    await consumer._flush(member)
    consumer._applied[TP] = 5
    await consumer._flush(member)
    assert member.commits == [{TP: 3}, {TP: 5}]
