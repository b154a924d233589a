"""cases.events → the status of the rectification case an enforcement case came from."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from shared.envelope import Envelope, to_record
from tests.integration.enforcement.support import Enforcement, case_events


@pytest.fixture
async def producer(enforcement: Enforcement) -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(**enforcement.settings.broker.client_options())
    await producer.start()
    yield producer
    await producer.stop()


async def send(producer: AIOKafkaProducer, topic: str, envelope: Envelope, partition: int) -> None:
    key, value, headers = to_record(envelope, source="/county/cases")
    await producer.send_and_wait(topic, value=value, key=key, headers=headers, partition=partition)


async def consumed(enforcement: Enforcement, records: int) -> None:
    """Waits until the consumer has gone past `records` records of cases.events, applied or ignored."""
    conn = await asyncpg.connect(enforcement.settings.database_dsn)
    try:
        deadline = asyncio.get_running_loop().time() + 15
        while await conn.fetchval('select coalesce(sum("offset"), 0) from consumer_positions') < records:
            assert asyncio.get_running_loop().time() < deadline, "cases.events not consumed in time"
            await asyncio.sleep(0.1)
    finally:
        await conn.close()


async def status_of(enforcement: Enforcement, case_id: str) -> dict[str, object]:
    case = (await enforcement.client.get(f"/v1/enforcement-cases/{case_id}")).json()
    rectification: dict[str, object] = case["rectification_case"]
    return rectification


async def test_a_case_opened_from_an_issue_shows_the_rectification_status_despite_reordering_and_redelivery(
    enforcement: Enforcement, producer: AIOKafkaProducer
) -> None:
    issue_id = str(uuid.uuid4())
    case_id = await enforcement.open_case(issue_id=issue_id)
    assert await status_of(enforcement, case_id) == {
        "issue_id": issue_id,
        "status": None,
        "status_label": "尚未收到整改案件信息",
        "as_of": None,
    }

    topic = enforcement.settings.topic("cases.events")
    opened, assigned, progress, requested, closed, reopened = case_events(issue_id)
    # Across partitions nothing keeps order: 销号 arrives before 申请销号, 交办 twice, 立案 last.
    for envelope, partition in [(assigned, 0), (closed, 1), (requested, 2), (assigned, 1), (progress, 0), (opened, 2)]:
        await send(producer, topic, envelope, partition)
    await consumed(enforcement, 6)
    status = await status_of(enforcement, case_id)
    assert (status["status"], status["status_label"]) == ("closed", "已销号")

    await send(producer, topic, reopened, 0)
    await send(producer, topic, closed, 2)  # a redelivery of an older event after the newer one
    await consumed(enforcement, 8)
    status = await status_of(enforcement, case_id)
    assert (status["status"], status["status_label"]) == ("assigned", "整改中")

    listed = (await enforcement.client.get("/v1/enforcement-cases")).json()["items"]
    assert [(c["case_id"], c["rectification_status"]) for c in listed] == [(case_id, "assigned")]


async def test_a_case_without_an_issue_shows_no_rectification_case(enforcement: Enforcement) -> None:
    case_id = await enforcement.open_case()
    case = (await enforcement.client.get(f"/v1/enforcement-cases/{case_id}")).json()
    assert (case["issue_id"], case["rectification_case"]) == (None, None)
