"""The provincial platform: its 交办 come in as CloudEvents, the case's progress goes back as CloudEvents."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from services.intake.settings import IntakeSettings
from shared.contracts.cases import Assigned, AssignedLeader, CaseOpened, Closed, ClosureRequested, Evidence
from shared.contracts.codes import Domain, Source
from shared.contracts.province import ASSIGNMENT_TYPE
from tests.integration.intake.conftest import eventually, problem, produce, produce_events, report_of
from tests.support.kafka import read_topic, wait_for_events

ASSIGNMENT = {
    "reference": "SJ-2026-0107",
    "batch": "2026年第6批",
    "problem": "某砖厂无组织排放粉尘。周边村民反映强烈",
    "township": "城关镇",
    "domain": "砖瓦窑",
    "address": "城关镇南岗村",
    "lat": 30.2,
    "lon": 114.4,
}


def binary(data: dict[str, Any], event_id: str) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    headers = {
        "ce_specversion": "1.0",
        "ce_id": event_id,
        "ce_source": "/province/eco-platform",
        "ce_type": ASSIGNMENT_TYPE,
        "ce_time": "2026-06-30T09:00:00+08:00",
        "content-type": "application/json",
    }
    return (
        data["reference"].encode(),
        json.dumps(data, ensure_ascii=False).encode(),
        [(k, v.encode()) for k, v in headers.items()],
    )


def structured(data: dict[str, Any], event_id: str) -> tuple[bytes | None, bytes, list[tuple[str, bytes]]]:
    event = {
        "specversion": "1.0",
        "id": event_id,
        "source": "/province/eco-platform",
        "type": ASSIGNMENT_TYPE,
        "datacontenttype": "application/json",
        "data": data,
    }
    return None, json.dumps(event, ensure_ascii=False).encode(), [("content-type", b"application/cloudevents+json")]


async def test_assignments_in_either_mode_become_issues_from_the_province_keeping_its_reference(
    client: httpx.AsyncClient, settings: IntakeSettings, db: Any
) -> None:
    other = {
        **ASSIGNMENT,
        "reference": "SJ-2026-0108",
        "township": "河口镇",
        "domain": "water",
        "address": None,
        "lat": None,
        "lon": None,
        "title": "河口镇排污口",
    }
    await produce(
        settings.broker,
        settings.topic("province.inbound"),
        [binary(ASSIGNMENT, "evt-1"), structured(other, "evt-2"), binary(ASSIGNMENT, "evt-1")],
    )
    events = await wait_for_events(settings.broker, settings.own_topic, 2)
    by_ref = {report_of(e).external_ref: e for e in events}
    assert set(by_ref) == {"SJ-2026-0107", "SJ-2026-0108"}
    first = report_of(by_ref["SJ-2026-0107"])
    assert (first.source, first.channel, first.batch, first.domain) == (
        "province_platform",
        "province_platform",
        "2026年第6批",
        Domain.BRICK_TILE,
    )
    assert first.title == "某砖厂无组织排放粉尘"
    assert report_of(by_ref["SJ-2026-0108"]).title == "河口镇排污口"
    assert by_ref["SJ-2026-0107"].actor == "province:/province/eco-platform"
    links = await db.fetch("select reference, issue_id from province_links order by reference")
    assert [(r["reference"], r["issue_id"]) for r in links] == [
        ("SJ-2026-0107", by_ref["SJ-2026-0107"].stream_id),
        ("SJ-2026-0108", by_ref["SJ-2026-0108"].stream_id),
    ]
    assert await db.fetchval("select count(*) from events where type = 'IssueReported'") == 2


async def test_poison_goes_to_the_dead_letter_topic_and_the_next_assignment_still_arrives(
    client: httpx.AsyncClient, settings: IntakeSettings
) -> None:
    poison = binary({**ASSIGNMENT, "domain": "火星污染"}, "evt-bad")
    wrong_type = (
        None,
        b"{}",
        [("ce_specversion", b"1.0"), ("ce_id", b"x"), ("ce_source", b"/p"), ("ce_type", b"cn.other")],
    )
    await produce(
        settings.broker,
        settings.topic("province.inbound"),
        [poison, wrong_type, (None, b"not json", []), binary(ASSIGNMENT, "evt-good")],
    )
    [event] = await wait_for_events(settings.broker, settings.own_topic, 1)
    assert report_of(event).external_ref == "SJ-2026-0107"
    dlq = await read_topic(settings.broker, settings.topic("province.inbound.dlq"))
    assert len(dlq) == 3
    reasons = sorted(dict(r.headers)["dlq_reason"].decode() for r in dlq)
    assert reasons[0].startswith("invalid province assignment: domain:") and "火星污染" not in reasons[0]
    assert reasons[1] == "unknown province event type 'cn.other'"
    assert reasons[2].startswith("value is not JSON")


def cloudevent(record: Any) -> tuple[dict[str, str], dict[str, Any]]:
    """What the province's platform sees: CloudEvents attributes from the headers, data from the value."""
    return {k: v.decode() for k, v in record.headers}, json.loads(record.value)


async def test_every_status_change_and_the_result_go_back_to_the_province_with_its_reference(
    client: httpx.AsyncClient, settings: IntakeSettings
) -> None:
    await produce(settings.broker, settings.topic("province.inbound"), [binary(ASSIGNMENT, "evt-1")])
    [reported] = await wait_for_events(settings.broker, settings.own_topic, 1)
    issue_id = reported.stream_id
    now = datetime(2026, 7, 1, 1, 0, tzinfo=UTC)
    evidence = Evidence(description="除尘设施照片", file_name="after.jpg", sha256="b" * 64)
    await produce_events(
        settings,
        "cases.events",
        issue_id,
        [
            CaseOpened(
                case_id=issue_id,
                source=Source.PROVINCE_PLATFORM,
                title="砖厂粉尘",
                township="城关镇",
                domain=Domain.BRICK_TILE,
                reported_at=now,
                external_ref="SJ-2026-0107",
            ),
            Assigned(
                problem="粉尘",
                task="安装除尘设施",
                unit="城关镇人民政府",
                leader=AssignedLeader(name="王强", post="副镇长", liaison=None),
                deadline=now + timedelta(days=30),
                measures="逾期约谈",
            ),
            ClosureRequested(summary="已安装布袋除尘器", evidence=[evidence]),
            Closed(verifier="督察办李敏", note="现场核查合格", unit="城关镇人民政府"),
        ],
    )

    async def outbound() -> list[Any]:
        records = await read_topic(settings.broker, settings.topic("province.outbound"))
        return records if len(records) >= 5 else []

    records = await eventually(outbound)
    seen = [cloudevent(r) for r in records]
    assert [(h["ce_type"], d.get("change")) for h, d in seen] == [
        ("ProvinceStatusChanged", "opened"),
        ("ProvinceStatusChanged", "assigned"),
        ("ProvinceStatusChanged", "closure_requested"),
        ("ProvinceStatusChanged", "closed"),
        ("ProvinceResultReported", None),
    ]
    for headers, data in seen:
        assert headers["ce_specversion"] == "1.0" and headers["ce_source"] == "/county/intake"
        assert headers["content-type"] == "application/json" and headers["ce_id"]
        assert data["reference"] == "SJ-2026-0107" and data["issue_id"] == issue_id
    assert [d["status_label"] for _, d in seen[:4]] == ["待交办", "整改中", "待验收", "已销号"]
    assert seen[1][1]["unit"] == "城关镇人民政府" and seen[1][1]["deadline"] == "2026-07-31T09:00:00+08:00"
    result = seen[4][1]
    assert (result["summary"], result["verifier"], result["verification_note"]) == (
        "已安装布袋除尘器",
        "督察办李敏",
        "现场核查合格",
    )
    assert result["evidence"] == [evidence.model_dump(mode="json")]
    assert len({r.key for r in records}) == 1  # one key per issue: the province reads them in order


async def test_a_provincial_assignment_of_an_open_local_issue_is_merged_and_the_province_told_so(
    client: httpx.AsyncClient, settings: IntakeSettings
) -> None:
    local = await client.post(
        "/v1/hotline-calls",
        json={
            **problem(township="城关镇", domain="brick_tile", location={"lat": 30.2003, "lon": 114.4}),
            "line": "hotline_12369",
            "call_ref": "12369-777",
        },
    )
    issue_id = local.json()["issue_id"]
    await produce(settings.broker, settings.topic("province.inbound"), [binary(ASSIGNMENT, "evt-1")])
    events = await wait_for_events(settings.broker, settings.own_topic, 2)
    assert [(e.type, e.stream_id) for e in events] == [("IssueReported", issue_id), ("DuplicateReportLinked", issue_id)]
    linked = report_of(events[1])
    assert linked.channel == "province_platform" and linked.external_ref == "SJ-2026-0107"

    async def merged() -> list[Any]:
        return await read_topic(settings.broker, settings.topic("province.outbound"))

    [record] = await eventually(merged)
    headers, data = cloudevent(record)
    assert (headers["ce_type"], data["change"], data["reference"], data["issue_id"]) == (
        "ProvinceStatusChanged",
        "merged",
        "SJ-2026-0107",
        issue_id,
    )


async def test_the_progress_of_a_local_issue_is_not_sent_to_the_province(
    client: httpx.AsyncClient, settings: IntakeSettings, db: Any
) -> None:
    local = (await client.post("/v1/reports", json={**problem(), "source": "media"})).json()
    now = datetime.now(UTC)
    await produce_events(
        settings,
        "cases.events",
        local["issue_id"],
        [
            CaseOpened(
                case_id=local["issue_id"],
                source=Source.MEDIA,
                title="t",
                township="城关镇",
                domain=Domain.QUARRYING_SAND,
                reported_at=now,
            ),
        ],
    )

    async def followed() -> Any:
        return await db.fetchval("select case_status from issue_index where issue_id = $1", local["issue_id"])

    assert await eventually(followed) == "reported"
    assert await read_topic(settings.broker, settings.topic("province.outbound")) == []
