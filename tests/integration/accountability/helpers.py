"""What the accountability tests share: the service in this process, cases events as the cases service puts them
on Kafka, and waiting."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import httpx
from aiokafka import AIOKafkaProducer

from services.accountability import handlers
from services.accountability.deps import Deps
from services.accountability.main import create_app
from services.accountability.settings import AccountabilitySettings
from shared.clock import now
from shared.contracts.base import Event
from shared.contracts.cases import ClosureRejected, DeadlineMissed, Leader, Reopened
from shared.db import Connection
from shared.envelope import Envelope, to_record
from shared.settings import ServiceSettings
from tests.support.service import serving

Record = tuple[bytes, bytes, list[tuple[str, bytes]]]

LEADER = Leader(name="李四", post="副镇长")


@contextlib.asynccontextmanager
async def started(settings: AccountabilitySettings) -> AsyncIterator[tuple[Deps, httpx.AsyncClient]]:
    """The service in this process with a client for its routes, and its dependencies as its routes get them."""
    async with serving(create_app(settings)) as (client, state):
        yield state["deps"], client


async def count(conn: Connection, deps: Deps, trigger: Envelope) -> list[Envelope]:
    """Counts a cases failure as the escalation consumer does, without Kafka and its inbox."""
    failure = trigger.payload
    assert isinstance(failure, DeadlineMissed | ClosureRejected | Reopened)
    return await handlers.count_step(conn, deps.store, deps.policy, trigger, failure)


def missed(unit: str, missed_count: int = 1) -> DeadlineMissed:
    return DeadlineMissed(
        deadline=now() - timedelta(seconds=5), late_seconds=5, unit=unit, leader=LEADER, missed_count=missed_count
    )


def rejected(unit: str) -> ClosureRejected:
    return ClosureRejected(verifier="县生态环境局", reason="现场仍有堆砂", unit=unit)


def reopened(unit: str) -> Reopened:
    return Reopened(reason="回头看发现反弹", new_deadline=now() + timedelta(days=10), unit=unit)


def cases_envelope(event: Event, *, case_id: str, version: int) -> Envelope:
    """An event of a case's stream (the case id is the stream id), as the cases service stores it."""
    return Envelope.wrap(
        event, stream_id=case_id, stream_version=version, actor="cases-deadlines", correlation_id=case_id
    )


def record(envelope: Envelope) -> Record:
    return to_record(envelope, source="/county/cases")


async def produce(settings: ServiceSettings, records: list[Record]) -> None:
    """Puts the records on the test's cases topic, in order."""
    producer = AIOKafkaProducer(**settings.broker.client_options(), enable_idempotence=True)
    await producer.start()
    try:
        for key, value, headers in records:
            await producer.send_and_wait(settings.topic("cases.events"), value=value, key=key, headers=headers)
    finally:
        await producer.stop()


async def eventually(condition: Callable[[], Awaitable[bool]], what: str, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, f"not reached in {timeout}s: {what}"
        await asyncio.sleep(0.1)
