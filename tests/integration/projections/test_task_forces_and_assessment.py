"""专项整治组 and 绩效考核 through projections' API: a county of four cases built by hand, read from the real broker
into the real database, its figures per task force and per unit now and as of a past date, and the drill-downs.

The objection (公示异议) is a fact written by hand into the active read models, as the closure procedure's events
will be: type "ObjectionReceived" on the case, then the case's failed verification upholds it."""

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from bench.county import publish
from services.projections import generations
from services.projections.main import create_app
from services.projections.settings import ProjectionsSettings
from shared.auth import Role
from shared.clock import SHANGHAI
from shared.contracts import accountability as acc
from shared.contracts import cases
from shared.contracts.base import Event
from shared.contracts.cases import AssignedLeader, Evidence
from shared.contracts.codes import Domain, Source
from shared.db import create_pool
from shared.envelope import Envelope
from tests.conftest import SettingsFactory
from tests.integration.projections.support import caught_up
from tests.support.issuer import issue_token
from tests.support.service import running

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
INDUSTRY, RESOURCES = "县工业和信息化局", "县自然资源局"
PAST = (T0 + timedelta(days=9)).date().isoformat()  # 截至 3月11日: before any deadline passed
EVIDENCE = [Evidence(description="整改照片", file_name="a.jpg", sha256="0" * 64)]


class Stream:
    """One stream's events in order, each a day offset from T0."""

    def __init__(self, stream_id: str, out: list[Envelope]) -> None:
        self.stream_id, self.out, self.version = stream_id, out, 0

    def __call__(self, day: float, event: Event) -> str:
        self.version += 1
        event_id = uuid.uuid4()
        self.out.append(
            Envelope(
                event_id=event_id,
                type=event.event_type(),
                schema_version=event.schema_version,
                stream_id=self.stream_id,
                stream_version=self.version,
                occurred_at=T0 + timedelta(days=day),
                correlation_id=self.stream_id,
                actor="test",
                payload=event,
            )
        )
        return str(event_id)


def case(out: list[Envelope], case_id: str, domain: Domain, unit: str, deadline: datetime) -> Stream:
    emit = Stream(case_id, out)
    emit(
        0,
        cases.CaseOpened(
            case_id=case_id, source=Source.MAILBOX, title=case_id, township="城关镇", domain=domain, reported_at=T0
        ),
    )
    emit(
        0.1,
        cases.Assigned(
            problem="问题",
            task="整改",
            unit=unit,
            measures="奖惩",
            deadline=deadline,
            leader=AssignedLeader(name="李某", post="副县长", liaison=None),
        ),
    )
    return emit


def county() -> tuple[list[Envelope], dict[str, str]]:
    """Four cases, what each is scored for in the comments; the event ids of the scored events."""
    out: list[Envelope] = []
    ids: dict[str, str] = {}
    leader = cases.Leader(name="李某", post="副县长")
    # A (砖瓦, 工信局): deadline missed on day 10, closure requested on day 15 (5 days late), closed: not on time
    a = case(out, "case-a", Domain.BRICK_TILE, INDUSTRY, T0 + timedelta(days=10))
    ids["a_missed"] = a(
        10,
        cases.DeadlineMissed(
            deadline=T0 + timedelta(days=10), late_seconds=1, unit=INDUSTRY, leader=leader, missed_count=1
        ),
    )
    a(15, cases.ClosureRequested(summary="已整改", evidence=EVIDENCE))
    a(16, cases.Closed(verifier="督察办", unit=INDUSTRY))
    # B (采石制砂, 自然资源局): rejected once, then closed on a request made by the deadline: on time
    b = case(out, "case-b", Domain.QUARRYING_SAND, RESOURCES, T0 + timedelta(days=30))
    b(5, cases.ClosureRequested(summary="已整改", evidence=EVIDENCE))
    ids["b_rejected"] = b(6, cases.ClosureRejected(verifier="督察办", reason="不彻底", unit=RESOURCES))
    b(7, cases.ClosureRequested(summary="已整改", evidence=EVIDENCE))
    ids["b_closed"] = b(8, cases.Closed(verifier="督察办", unit=RESOURCES))
    # C (水污染 → 其他, 自然资源局): deadline missed on day 20, still open: its days late capped at 30
    c = case(out, "case-c", Domain.WATER, RESOURCES, T0 + timedelta(days=20))
    ids["c_missed"] = c(
        20,
        cases.DeadlineMissed(
            deadline=T0 + timedelta(days=20), late_seconds=1, unit=RESOURCES, leader=leader, missed_count=1
        ),
    )
    # D (采石制砂, 工信局): an objection (written by hand below, day 4) upheld by the rejection of day 5; rejected
    # again on day 7 without a new objection; open, deadline far ahead
    d = case(out, "case-d", Domain.QUARRYING_SAND, INDUSTRY, datetime(2099, 1, 1, tzinfo=SHANGHAI))
    d(3, cases.ClosureRequested(summary="已整改", evidence=EVIDENCE))
    ids["d_upheld"] = d(5, cases.ClosureRejected(verifier="督察办", reason="公示异议属实", unit=INDUSTRY))
    d(6, cases.ClosureRequested(summary="已整改", evidence=EVIDENCE))
    ids["d_rejected"] = d(7, cases.ClosureRejected(verifier="督察办", reason="不彻底", unit=INDUSTRY))
    # the ladder: a warning of 工信局 for A and D (two task forces), a summons of 自然资源局 for C
    ladder = Stream("unit:x", out)
    ids["warning"] = ladder(
        12,
        acc.WarningIssued(unit=INDUSTRY, case_ids=["case-a", "case-d"], trigger_event_ids=[ids["a_missed"]], level=1),
    )
    ids["summons"] = ladder(
        25,
        acc.SummonsIssued(
            unit=RESOURCES,
            case_ids=["case-c"],
            trigger_event_ids=[ids["c_missed"]],
            level=2,
            summons_date=(T0 + timedelta(days=30)).date(),
        ),
    )
    return out, ids


@dataclass
class Live:
    client: httpx.AsyncClient
    settings: ProjectionsSettings
    ids: dict[str, str]


async def write_objection(settings: ProjectionsSettings, case_id: str, day: float) -> str:
    """An "ObjectionReceived" fact on the case, written straight into the active read models."""
    event_id = uuid.uuid4()
    pool = await create_pool(settings)
    try:
        async with pool.acquire() as conn:
            generation = await generations.active(conn)
            assert generation is not None
            await conn.execute(
                f"""insert into {generation.schema}.facts (event_id, topic, type, schema_version, stream_id,
                        stream_version, occurred_at, actor, correlation_id, payload, issue_ids)
                    values ($1, 'cases', 'ObjectionReceived', 1, $2, 1000, $3, 'test', $2, $4::jsonb, array[$2])""",
                event_id,
                case_id,
                T0 + timedelta(days=day),
                json.dumps({"text": "整改不到位"}),
            )
    finally:
        await pool.close()
    return str(event_id)


@pytest.fixture
async def live(make_settings: SettingsFactory, topics: list[str]) -> AsyncIterator[Live]:
    settings = make_settings(ProjectionsSettings)
    envelopes, ids = county()
    await publish(settings, envelopes)
    async with running(create_app(settings)) as client:
        await caught_up(client, len(envelopes))
        ids["objection"] = await write_objection(settings, "case-d", 4)
        yield Live(client, settings, ids)


async def get(live: Live, path: str, **params: Any) -> Any:
    response = await live.client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def figures(row: dict[str, Any]) -> tuple[int, int, int, int]:
    return row["total"], row["closed"], row["on_schedule"], row["overdue"]


async def the_figures_per_task_force_now_and_as_of_a_past_date(live: Live) -> None:
    now = {r["key"]: r for r in (await get(live, "/v1/stats/task-forces"))["rows"]}
    assert list(now) == [
        "quarrying_sand",
        "brick_tile",
        "ready_mix_concrete",
        "livestock_aquaculture",
        "dust_construction_waste",
        "rural_living_environment",
        "other",
    ]
    assert figures(now["quarrying_sand"]) == (2, 1, 1, 0) and now["quarrying_sand"]["rate_percent"] == "50.0"
    assert figures(now["brick_tile"]) == (1, 1, 0, 0)
    assert figures(now["other"]) == (1, 0, 0, 1) and now["other"]["name"] == "其他（未归入专项）"
    assert figures(now["ready_mix_concrete"]) == (0, 0, 0, 0)
    assert now["brick_tile"]["leader"] == {"name": "李红梅", "post": "副县长"}
    assert now["brick_tile"]["lead_department"] == "县工业和信息化局"
    # one warning for cases of two task forces counts in each; the summons in 其他
    assert now["quarrying_sand"]["escalations"]["warning"] == now["brick_tile"]["escalations"]["warning"] == 1
    assert now["other"]["escalations"] == {"warning": 0, "summons": 1, "criticism_notice": 0, "discipline_referral": 0}
    # the closure figures' filters select the cases, and the escalations for them
    elsewhere = (await get(live, "/v1/stats/task-forces", source="central_inspection"))["rows"]
    assert all(r["total"] == 0 and not any(r["escalations"].values()) for r in elsewhere)
    of_unit = {r["key"]: r for r in (await get(live, "/v1/stats/task-forces", unit=RESOURCES))["rows"]}
    assert of_unit["quarrying_sand"]["total"] == 1 and of_unit["quarrying_sand"]["escalations"]["warning"] == 0
    past = {r["key"]: r for r in (await get(live, "/v1/stats/task-forces", as_of=PAST))["rows"]}
    assert figures(past["quarrying_sand"]) == (2, 1, 1, 0) and figures(past["brick_tile"]) == (1, 0, 1, 0)
    assert figures(past["other"]) == (1, 0, 1, 0) and past["other"]["escalations"]["summons"] == 0


async def a_task_forces_figures_drill_down_to_its_cases_and_escalations(live: Live) -> None:
    rows = {r["key"]: r for r in (await get(live, "/v1/stats/task-forces"))["rows"]}
    closed = (await live.client.get(rows["quarrying_sand"]["cases"]["closed"])).json()
    assert [c["issue_id"] for c in closed["items"]] == ["case-b"] and closed["total"] == 1
    every = (await live.client.get(rows["quarrying_sand"]["cases"]["all"])).json()
    assert sorted(c["issue_id"] for c in every["items"]) == ["case-b", "case-d"]
    overdue = (await live.client.get(rows["other"]["cases"]["overdue"])).json()
    assert [c["issue_id"] for c in overdue["items"]] == ["case-c"]
    past = await get(live, "/v1/stats/task-forces/cases", task_force="brick_tile", figure="closed", as_of=PAST)
    assert past["total"] == 0 and past["items"] == []
    escalations = (await live.client.get(rows["quarrying_sand"]["escalation_items"])).json()
    assert [(e["event_id"], e["kind"], e["case_ids"]) for e in escalations["items"]] == [
        (live.ids["warning"], "warning", ["case-a", "case-d"])
    ]
    unknown = await live.client.get("/v1/stats/task-forces/cases", params={"task_force": "mining"})
    assert unknown.status_code == 422 and "task_force" in unknown.text


async def each_units_score_its_rank_and_the_events_behind_every_deduction(live: Live) -> None:
    answer = await get(live, "/v1/stats/assessment", year=2026)
    assert [(r["rank"], r["unit"], r["score"], r["deducted"], r["bonus"]) for r in answer["rows"]] == [
        (1, INDUSTRY, "91.5", "8.5", "0"),
        (2, RESOURCES, "90.5", "10.0", "0.5"),
    ]
    assert answer["policy"]["base"] == "100"
    industry = (await live.client.get(answer["rows"][0]["items"])).json()
    ids = live.ids
    assert [(i["event_id"], i["case_ids"], i["kind"], i["points"]) for i in industry["items"]] == [
        (ids["d_upheld"], ["case-d"], "objection_upheld", "-3"),
        (ids["d_rejected"], ["case-d"], "closure_rejected", "-1"),
        (ids["a_missed"], ["case-a"], "overdue_case", "-2"),
        (ids["a_missed"], ["case-a"], "overdue_days", "-0.5"),
        (ids["warning"], ["case-a", "case-d"], "warning", "-2"),
    ]
    resources = await get(live, "/v1/stats/assessment/items", unit=RESOURCES, year=2026)
    assert [(i["event_id"], i["kind"], i["points"]) for i in resources["items"]] == [
        (ids["b_rejected"], "closure_rejected", "-1"),
        (ids["c_missed"], "overdue_case", "-2"),
        (ids["c_missed"], "overdue_days", "-3.0"),  # 30 days counted, however long it stays open
        (ids["summons"], "summons", "-4"),
        (ids["b_closed"], "on_time_closure", "0.5"),
    ]
    assert (resources["total"], resources["next_offset"]) == (4, None)
    # a page of facts at a time: the missed deadline's two items come together
    first = await get(live, "/v1/stats/assessment/items", unit=RESOURCES, year=2026, limit=2)
    assert [i["event_id"] for i in first["items"]] == [ids["b_rejected"], ids["c_missed"], ids["c_missed"]]
    assert (first["total"], first["next_offset"], first["row"]["score"]) == (4, 2, "90.5")
    second = await get(live, "/v1/stats/assessment/items", unit=RESOURCES, year=2026, limit=2, offset=2)
    assert [i["event_id"] for i in second["items"]] == [ids["summons"], ids["b_closed"]]
    assert second["next_offset"] is None
    beyond = await get(live, "/v1/stats/assessment/items", unit=RESOURCES, year=2026, offset=10)
    assert (beyond["items"], beyond["total"], beyond["next_offset"]) == ([], 4, None)


async def the_scores_as_of_a_past_date_count_only_what_had_happened(live: Live) -> None:
    answer = await get(live, "/v1/stats/assessment", as_of=PAST)
    assert answer["year"] == 2026
    assert [(r["rank"], r["unit"], r["score"]) for r in answer["rows"]] == [(1, RESOURCES, "99.5"), (2, INDUSTRY, "96")]
    assert (await get(live, "/v1/stats/assessment", year=2025))["rows"] == []


async def the_work_report_states_the_ranking(live: Live) -> None:
    summary = await get(live, "/v1/reports/work-summary", year=2026)
    assert [(r["rank"], r["unit"], r["score"]) for r in summary["assessment"]] == [
        (1, INDUSTRY, "91.5"),
        (2, RESOURCES, "90.5"),
    ]
    assert summary["paragraphs"][-1].startswith("2026年，对2个责任单位进行绩效考核，平均得分91.0分")


async def a_unit_sees_only_its_own_score_and_items(live: Live) -> None:
    token = issue_token(live.settings, subject="u", role=Role.UNIT, unit=RESOURCES)
    headers = {"Authorization": f"Bearer {token}"}
    own = (await live.client.get("/v1/stats/assessment", params={"year": 2026}, headers=headers)).json()
    assert [(r["rank"], r["unit"]) for r in own["rows"]] == [(2, RESOURCES)]
    other = await live.client.get("/v1/stats/assessment/items", params={"unit": INDUSTRY}, headers=headers)
    assert other.status_code == 403


async def test_task_forces_and_unit_scores_through_the_api(live: Live) -> None:
    """One county on one stack (its start is most of the time), each check a sentence of its own."""
    await the_figures_per_task_force_now_and_as_of_a_past_date(live)
    await a_task_forces_figures_drill_down_to_its_cases_and_escalations(live)
    await each_units_score_its_rank_and_the_events_behind_every_deduction(live)
    await the_scores_as_of_a_past_date_count_only_what_had_happened(live)
    await the_work_report_states_the_ranking(live)
    await a_unit_sees_only_its_own_score_and_items(live)
