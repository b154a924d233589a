"""Where an assigned partition starts: at the position stored with the effects, else at its beginning, and the
partitions never read are sought in one request. aiokafka sends a seek's offset request only when no fetch is in
flight to the broker, which holds an empty fetch 500 ms: sought one at a time, a first start on 3 partitions took
1.1-1.6 s before it read anything (and a service stopped meanwhile waited for it), each partition more half a second."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiokafka import TopicPartition

from shared.consumer import ConsumerRunner
from shared.settings import ServiceSettings

READ = TopicPartition("cases.events", 0)
UNREAD = [TopicPartition("cases.events", 1), TopicPartition("cases.events", 2)]


class Database:
    """The pool `_seek_to_stored` reads consumer_positions from: one row, partition 0 read up to offset 12."""

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator["Database"]:
        yield self

    async def fetch(self, query: str, *args: Any) -> list[dict[str, Any]]:
        return [{"topic": READ.topic, "partition": READ.partition, "offset": 12}]


class Member:
    """aiokafka's consumer as `_seek_to_stored` uses it: seek (at once) and seek_to_beginning (a request)."""

    def __init__(self) -> None:
        self.sought: dict[TopicPartition, int] = {}
        self.to_beginning: list[tuple[TopicPartition, ...]] = []

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.sought[tp] = offset

    async def seek_to_beginning(self, *partitions: TopicPartition) -> bool:
        self.to_beginning.append(partitions)
        return True


async def _ignore(conn: Any, envelope: Any) -> None:
    return None


async def test_a_stored_partition_resumes_there_and_the_unread_ones_seek_their_beginning_in_one_request() -> None:
    pool: Any = Database()
    consumer = ConsumerRunner(
        ServiceSettings(kafka_password="unused"), pool, name="c", topics=["cases.events"], handler=_ignore
    )
    member = Member()
    await consumer._seek_to_stored(member, {READ, *UNREAD})
    assert member.sought == {READ: 12}
    assert [set(request) for request in member.to_beginning] == [set(UNREAD)]
    assert consumer._applied == {READ: 12}
