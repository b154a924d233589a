"""重复举报 on the real database: linked to the open issue, never a second case for one problem."""

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx

from services.intake.settings import IntakeSettings
from shared.contracts.cases import CaseOpened, Closed
from shared.contracts.codes import Domain, Source
from tests.conftest import SettingsFactory
from tests.integration.intake.conftest import eventually, problem, produce_events, report_of
from tests.support.kafka import wait_for_events

HERE = {"address": "城关镇河西村", "lat": 30.12, "lon": 114.31}
# 0.0005 degree of latitude: about 56 metres north, within the default 200 m.
NEAR = {"lat": 30.1205, "lon": 114.31}


async def report(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    answer = await client.post("/v1/reports", json={**problem(**overrides), "source": "hotline_12369"})
    assert answer.status_code == 202, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_a_report_near_an_open_issue_is_linked_and_answered_with_its_reference(
    client: httpx.AsyncClient, settings: IntakeSettings
) -> None:
    first = await report(client, location=HERE)
    second = await report(client, location=NEAR, title="又看到采砂船")
    assert second["status"] == "linked" and second["duplicate_rule"] == "same_place"
    assert second["issue_id"] == first["issue_id"] and second["distance_m"] == 56
    assert first["issue_id"] in second["message"]
    events = await wait_for_events(settings.broker, settings.own_topic, 2)
    assert [(e.type, e.stream_id, e.stream_version) for e in events] == [
        ("IssueReported", first["issue_id"], 1),
        ("DuplicateReportLinked", first["issue_id"], 2),
    ]
    linked = report_of(events[1])
    assert (linked.channel, linked.source, linked.title, linked.report_id) == (
        "api",
        "hotline_12369",
        "又看到采砂船",
        second["report_id"],
    )
    assert (await client.get(f"/v1/reports/{first['issue_id']}")).json()["repeat_reports"] == 1


async def test_a_nearby_report_of_a_different_problem_opens_its_own_issue(client: httpx.AsyncClient) -> None:
    first = await report(client, location=HERE)
    other = await report(client, location=NEAR, domain="noise", title="采砂船噪声")
    assert other["status"] == "accepted" and other["issue_id"] != first["issue_id"]


async def test_a_report_farther_than_the_configured_distance_opens_its_own_issue(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    from services.intake.main import create_app
    from tests.support.service import running

    async with running(create_app(make_settings(IntakeSettings, duplicate_distance_m=30))) as client:
        first = await report(client, location=HERE)
        other = await report(client, location=NEAR)
    assert other["status"] == "accepted" and other["issue_id"] != first["issue_id"]


async def test_a_reference_is_matched_only_within_its_channel_and_issuer(client: httpx.AsyncClient) -> None:
    batch = "批次,序号,问题,乡镇,领域\n第3批,12,砖厂粉尘,城关镇,砖瓦窑\n".encode()
    uploaded = await client.post("/v1/batches", data={"source": "central_inspection"}, files={"file": ("b.csv", batch)})
    row_issue = uploaded.json()["accepted"][0]["issue_id"]
    body = {
        **problem(township="河口镇", domain="air", location=None),
        "source": "central_inspection",
        "batch": "第3批",
        "external_ref": "12",
    }
    through_the_api = (await client.post("/v1/reports", json=body)).json()
    assert through_the_api["status"] == "accepted" and through_the_api["issue_id"] != row_issue
    resent = (await client.post("/v1/reports", json=body)).json()
    assert (resent["status"], resent["issue_id"]) == ("already_received", through_the_api["issue_id"])
    other_issuer = (await client.post("/v1/reports", json={**body, "source": "provincial_inspection"})).json()
    assert other_issuer["status"] == "accepted"
    assert other_issuer["issue_id"] not in (row_issue, through_the_api["issue_id"])
    again = await client.post("/v1/batches", data={"source": "central_inspection"}, files={"file": ("b.csv", batch)})
    assert [(r["status"], r["issue_id"]) for r in again.json()["accepted"]] == [("already_received", row_issue)]


async def test_once_its_case_is_closed_a_new_report_of_the_place_opens_a_new_issue(
    client: httpx.AsyncClient, settings: IntakeSettings, db: Any
) -> None:
    first = await report(client, location=HERE)
    opened = CaseOpened(
        case_id=first["issue_id"],
        source=Source.HOTLINE_12369,
        title="t",
        township="城关镇",
        domain=Domain.QUARRYING_SAND,
        reported_at=datetime.now(UTC),
    )
    closed = Closed(verifier="督察办", unit="城关镇人民政府")
    await produce_events(settings, "cases.events", first["issue_id"], [opened, closed])

    async def closed_here() -> bool:
        return bool(await db.fetchval("select closed from issue_index where issue_id = $1", first["issue_id"]))

    await eventually(closed_here)
    later = await report(client, location=NEAR)
    assert later["status"] == "accepted" and later["issue_id"] != first["issue_id"]


async def test_simultaneous_reports_of_one_place_open_exactly_one_issue(client: httpx.AsyncClient, db: Any) -> None:
    answers = await asyncio.gather(*(report(client, location=HERE, title=f"第{n}位群众") for n in range(6)))
    assert len({a["issue_id"] for a in answers}) == 1
    assert sorted(a["status"] for a in answers) == ["accepted"] + ["linked"] * 5
    assert await db.fetchval("select count(*) from issue_index") == 1
    assert await db.fetchval("select count(*) from events") == 6


async def test_simultaneous_resends_of_one_reference_open_one_issue_and_record_one_event(
    client: httpx.AsyncClient, db: Any
) -> None:
    """The place lock and the reference are read in one statement (read_tables.lock_place): a resend that waited on
    the lock does not see the reference committed meanwhile, fails on its key and is decided again."""
    answers = await asyncio.gather(*(report(client, batch="2026-09", external_ref="交办-7") for _ in range(6)))
    assert len({a["issue_id"] for a in answers}) == 1
    assert sorted(a["status"] for a in answers) == ["accepted"] + ["already_received"] * 5
    assert await db.fetchval("select count(*) from events") == 1
    assert await db.fetchval("select count(*) from issue_references") == 1
    assert await db.fetchval("select count(*) from reports") == 1
