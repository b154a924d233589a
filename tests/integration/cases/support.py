"""What the cases tests share: producing reports, waiting for a case, the 五定 of an assignment."""

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from shared import clock
from shared.contracts.codes import Domain, Source
from shared.contracts.intake import IssueReported
from shared.envelope import Envelope, to_record
from shared.settings import ServiceSettings
from tests.support.kafka import read_events

# Evidence naming a file no one uploaded: refused by request-closure, which names only files of the case.
NOT_UPLOADED = [{"description": "整改后现场照片", "file_name": "after.jpg", "sha256": "ab" * 32}]
# The smallest file cases takes as 佐证材料: a PDF is kept as sent, so its hash is known before it is uploaded.
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def upload(
    client: httpx.AsyncClient,
    case_id: str,
    content: bytes = PDF,
    name: str = "整改报告.pdf",
    base: str = "",
    **kwargs: Any,
) -> httpx.Response:
    """POST one file to the case's evidence (at `base`, a service's URL, if the client has none), as the unit the
    case is assigned to (unless `headers` say otherwise)."""
    return await client.post(f"{base}/v1/cases/{case_id}/evidence", files={"file": (name, content)}, **kwargs)


async def evidence_for(
    client: httpx.AsyncClient, case_id: str, content: bytes = PDF, base: str = ""
) -> list[dict[str, str]]:
    """Uploads a file to the case and answers the evidence that names it, for a closure request."""
    answer = await upload(client, case_id, content, base=base)
    assert answer.status_code in (200, 201), answer.text
    stored = answer.json()
    return [{"description": "整改后现场照片", "file_name": stored["file_name"], "sha256": stored["sha256"]}]


def issue_reported(issue_id: str, **fields: Any) -> IssueReported:
    values: dict[str, Any] = {
        "issue_id": issue_id,
        "source": Source.CENTRAL_INSPECTION,
        "title": "河道非法采砂",
        "description": "夜间有采砂船作业，河岸被挖空",
        "township": "城关镇",
        "domain": Domain.QUARRYING_SAND,
        "batch": "第二轮中央环保督察",
    }
    values.update(fields)
    return IssueReported(**values)


async def produce(settings: ServiceSettings, *envelopes: Envelope) -> None:
    producer = AIOKafkaProducer(**settings.broker.client_options(), enable_idempotence=True)
    await producer.start()
    try:
        for envelope in envelopes:
            key, value, headers = to_record(envelope, source="/county/intake")
            await producer.send_and_wait(settings.topic("intake.events"), value=value, key=key, headers=headers)
    finally:
        await producer.stop()


def envelope_of(event: IssueReported) -> Envelope:
    return Envelope.wrap(event, stream_id=event.issue_id, stream_version=1, actor="public", correlation_id="corr-test")


async def report_issue(settings: ServiceSettings, **fields: Any) -> str:
    issue_id = str(fields.pop("issue_id", uuid.uuid4()))
    await produce(settings, envelope_of(issue_reported(issue_id, **fields)))
    return issue_id


async def wait_for_case(client: httpx.AsyncClient, case_id: str, timeout: float = 15.0) -> dict[str, Any]:
    """Polls until the consumer has opened the case."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        response = await client.get(f"/v1/cases/{case_id}")
        if response.status_code == 200:
            return dict(response.json())
        assert asyncio.get_running_loop().time() < deadline, f"case {case_id} not opened in time"
        await asyncio.sleep(0.1)


def five_definitions(deadline: datetime | None = None, unit: str = "城关镇人民政府", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "problem": "河道两岸被挖空",
        "task": "清理采砂设备，恢复河岸",
        "unit": unit,
        "leader": {"name": "王建国", "post": "城关镇党委书记"},
        "measures": "按期完成通报表扬，逾期约谈",
        **extra,
    }
    if deadline is not None:
        body["deadline"] = deadline.isoformat()
    elif "deadline_working_days" not in extra:
        body["deadline"] = (clock.now() + timedelta(days=30)).isoformat()
    return body


async def events_on_topic(
    settings: ServiceSettings, type_: str | None = None, case_id: str | None = None
) -> list[Envelope]:
    """The events on this test's cases topic, of one type or one case if asked, in stream order per case."""
    events = await read_events(settings.broker, settings.own_topic)
    return [e for e in events if (type_ is None or e.type == type_) and (case_id is None or e.stream_id == case_id)]


async def wait_on_topic(
    settings: ServiceSettings, count: int, type_: str | None = None, case_id: str | None = None, timeout: float = 15.0
) -> list[Envelope]:
    """Polls the cases topic until it holds `count` such events (or the time is up); returns them."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        events = await events_on_topic(settings, type_, case_id)
        if len(events) >= count or asyncio.get_running_loop().time() > deadline:
            return events
        await asyncio.sleep(0.1)


async def open_case(client: httpx.AsyncClient, settings: ServiceSettings, **fields: Any) -> str:
    """Reports a problem on Kafka and waits until cases has opened it; returns the case id."""
    case_id = await report_issue(settings, **fields)
    await wait_for_case(client, case_id)
    return case_id
