"""Projections' API over a county's events read from the real broker into the real database."""

import contextlib
import io
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import openpyxl
import pytest

from bench.county import County, publish, simulate
from services.projections.ledger import HEADERS
from services.projections.main import create_app
from services.projections.read_tables.facts import TOPIC_OF
from services.projections.settings import ProjectionsSettings
from shared.clock import SHANGHAI, now
from shared.contracts import accountability as acc
from shared.contracts import enforcement
from shared.contracts.cases import Closed
from shared.contracts.codes import Domain, Source
from shared.contracts.intake import IssueReported
from shared.envelope import Envelope
from tests.conftest import SettingsFactory
from tests.integration.projections.support import caught_up
from tests.support.service import running


@dataclass
class Live:
    client: httpx.AsyncClient
    county: County
    settings: ProjectionsSettings
    at: datetime


@contextlib.asynccontextmanager
async def county_read(settings: ProjectionsSettings) -> AsyncIterator[Live]:
    """A county's events on the topics, and a projections service that has read them all."""
    at = now()
    county = simulate(seed=5, issues=60, now=at)
    await publish(settings, county.envelopes)
    async with running(create_app(settings)) as client:
        await caught_up(client, len(county.envelopes))
        yield Live(client, county, settings, at)


# The tests that only read share one county and one service; the one that publishes more has its own.
@pytest.fixture(scope="module")
async def live(module_settings: SettingsFactory) -> AsyncIterator[Live]:
    async with county_read(module_settings(ProjectionsSettings)) as live:
        yield live


@pytest.fixture
async def own_live(make_settings: SettingsFactory, topics: list[str]) -> AsyncIterator[Live]:
    async with county_read(make_settings(ProjectionsSettings)) as live:
        yield live


TOPICS = ("intake.events", "cases.events", "enforcement.events", "accountability.events")


def assert_positions_level(answer: dict[str, Any]) -> None:
    """The answer says how far each partition of the four topics is applied: here, to its end."""
    assert sorted(topic.split(".", 1)[1] for topic in answer["positions"]) == sorted(TOPICS)
    assert all(len(partitions) == 3 for partitions in answer["positions"].values())  # every partition, read or not
    partitions = [p for topic in answer["positions"].values() for p in topic.values()]
    assert partitions and all(p["lag"] == 0 and p["applied_offset"] == p["end_offset"] for p in partitions)
    assert answer["read_model"]["generation"] >= 1


async def test_closure_rates_of_every_grouping_add_up_and_link_to_exactly_their_cases(live: Live) -> None:
    for group_by in ("source", "batch", "township", "unit", "domain", "period"):
        answer = (await live.client.get("/v1/stats/closure-rates", params={"group_by": group_by})).json()
        assert_positions_level(answer)
        assert answer["totals"]["total"] == len(live.county.issues)
        assert sum(r["total"] for r in answer["rows"]) == len(live.county.issues)
        for row in answer["rows"]:
            assert row["closed"] + row["on_schedule"] + row["overdue"] == row["total"]
            assert row["label"]
        row = answer["rows"][0]
        for figure, link in row["cases"].items():
            listed = (await live.client.get(link)).json()
            expected = row["total"] if figure == "all" else row["open"] if figure == "open" else row[figure]
            assert listed["total"] == len(listed["items"]) == expected, (group_by, figure, link)

    by_source = (await live.client.get("/v1/stats/closure-rates", params={"group_by": "source"})).json()
    truth = live.county.figures(live.at, "source")
    assert {
        r["key"]: {k: r[k] for k in ("total", "closed", "on_schedule", "overdue", "reopened")}
        for r in by_source["rows"]
    } == truth
    central = next(r for r in by_source["rows"] if r["key"] == "central_inspection")
    assert central["label"] == "中央环保督察"
    assert central["rate"] == round(central["closed"] / central["total"], 4)


async def test_figures_as_of_a_date_stay_exactly_the_same_after_later_events(own_live: Live) -> None:
    as_of = (own_live.at - timedelta(days=120)).astimezone(SHANGHAI).date().isoformat()
    params = {"group_by": "township", "as_of": as_of}
    before = (await own_live.client.get("/v1/stats/closure-rates", params=params)).json()
    cases_before = (await own_live.client.get("/v1/stats/closure-rates/cases", params={"as_of": as_of})).json()

    open_case = next(i for i in own_live.county.issues if i.standing_at(own_live.at) != "closed" and len(i.steps) > 2)
    report = IssueReported(
        issue_id="late-1",
        source=Source.MEDIA,
        title="新曝光问题",
        description="媒体曝光",
        township="城关镇",
        domain=Domain.AIR,
    )
    case_events = [
        e for e in own_live.county.envelopes if e.stream_id == open_case.issue_id and TOPIC_OF[e.type] == "cases"
    ]
    later = [
        Envelope.wrap(report, stream_id="late-1", stream_version=1, actor="public", correlation_id="late-1"),
        Envelope.wrap(
            Closed(verifier="县督察办", unit="城管局"),
            stream_id=open_case.issue_id,
            stream_version=max(e.stream_version for e in case_events) + 1,
            actor="inspection_office",
            correlation_id="close-late",
        ),
    ]
    await publish(own_live.settings, later)
    await caught_up(own_live.client, len(own_live.county.envelopes) + len(later))

    after = (await own_live.client.get("/v1/stats/closure-rates", params=params)).json()
    assert after["rows"] == before["rows"] and after["as_of"] == before["as_of"]
    assert (await own_live.client.get("/v1/stats/closure-rates/cases", params={"as_of": as_of})).json()["items"] == (
        cases_before["items"]
    )
    current = (await own_live.client.get("/v1/stats/closure-rates", params={"group_by": "township"})).json()
    assert current["totals"]["total"] == len(own_live.county.issues) + 1
    timeline = (await own_live.client.get(f"/v1/cases/{open_case.issue_id}/timeline")).json()
    assert timeline["events"][-1]["type"] == "Closed"


async def test_the_work_summary_states_the_same_figures_as_the_stats_endpoints(live: Live) -> None:
    year = live.at.astimezone(SHANGHAI).year - 1
    as_of = f"{year}-12-31"
    summary = (await live.client.get("/v1/reports/work-summary", params={"year": year, "as_of": as_of})).json()
    assert_positions_level(summary)
    rates = (await live.client.get("/v1/stats/closure-rates", params={"group_by": "source", "as_of": as_of})).json()
    figures = (await live.client.get("/v1/stats/enforcement", params={"year": year, "as_of": as_of})).json()
    tally = (await live.client.get("/v1/stats/accountability", params={"year": year, "as_of": as_of})).json()

    assert summary["closure"]["all"] == rates["totals"]
    assert summary["closure"]["by_source"] == rates["rows"]
    assert summary["enforcement"] == {
        **figures["totals"],
        "fines_issued_wan_yuan": summary["enforcement"]["fines_issued_wan_yuan"],
    }
    assert Decimal(summary["enforcement"]["fines_issued_wan_yuan"]) == (
        Decimal(figures["totals"]["fines_issued_yuan"]) / 10000
    ).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert summary["accountability"] == tally["totals"]
    # 绩效考核: the ranking the stats endpoint gives; 专项整治组: every case in one row, the same totals
    ranking = (await live.client.get("/v1/stats/assessment", params={"year": year, "as_of": as_of})).json()
    assert summary["assessment"] == ranking["rows"] and len(ranking["rows"]) > 1
    forces = (await live.client.get("/v1/stats/task-forces", params={"as_of": as_of})).json()
    assert forces["totals"] == rates["totals"] and len(forces["rows"]) == 7
    assert sum(r["overdue"] for r in forces["rows"]) == rates["totals"]["overdue"]

    text = summary["text"]
    central = next(r for r in rates["rows"] if r["key"] == "central_inspection")
    provincial = next(r for r in rates["rows"] if r["key"] == "provincial_inspection")
    assert f"截至{year}年12月31日，全县共受理各类生态环境问题{rates['totals']['total']}个" in text
    assert (
        f"历次中央环保督察共反馈我县问题{central['total']}个，已销号{central['closed']}个，"
        f"完成率{central['rate_percent']}%。"
    ) in text
    assert (
        f"历次省级环保督察共反馈我县问题{provincial['total']}个，已销号{provincial['closed']}个，"
        f"完成率{provincial['rate_percent']}%。"
    ) in text
    e, a = figures["totals"], tally["totals"]
    assert (
        f"立案查处环境违法行为{e['cases_filed']}起，处罚{summary['enforcement']['fines_issued_wan_yuan']}万元，"
        f"行政拘留{e['persons_detained']}人"
    ) in text
    assert (
        f"给予{a['criticism_notice_units']}个单位通报批评，约谈主要负责人{a['summons']}人次，"
        f"提醒谈话{a['warning_talk']}人次"
    ) in text
    assert (
        f"批评教育{a['criticism_education']}人、书面检查{a['written_self_criticism']}人、"
        f"诫勉谈话{a['admonishment_talk']}人、约谈提醒{a['reminder_talk']}人"
    ) in text
    assert e["cases_filed"] > 0 and central["total"] > 0


async def test_enforcement_figures_are_exact_yuan_per_year_with_repeat_offenders(live: Live) -> None:
    answer = (await live.client.get("/v1/stats/enforcement")).json()
    assert_positions_level(answer)
    issued = sum(e.amount_fen for e in live.county.payloads(enforcement.PenaltyIssued))
    paid = sum(e.amount_fen for e in live.county.payloads(enforcement.PenaltyPaid))
    assert answer["totals"]["fines_issued_yuan"] == str((Decimal(issued) / 100).quantize(Decimal("0.01")))
    assert answer["totals"]["fines_paid_yuan"] == str((Decimal(paid) / 100).quantize(Decimal("0.01")))
    assert sum(Decimal(r["figures"]["fines_issued_yuan"]) for r in answer["rows"]) == Decimal(issued) / 100
    filed = Counter(e.enterprise.credit_code for e in live.county.payloads(enforcement.EnforcementCaseOpened))
    assert {o["credit_code"]: o["cases"] for o in answer["repeat_offenders"]} == {
        code: n for code, n in filed.items() if n >= 2
    }
    for row in answer["rows"]:
        listed = (await live.client.get(row["cases"])).json()
        assert sum(i["figures"]["cases_filed"] for i in listed["items"]) == row["figures"]["cases_filed"]
        assert sum(Decimal(i["figures"]["fines_issued_yuan"]) for i in listed["items"]) == Decimal(
            row["figures"]["fines_issued_yuan"]
        )
    offender = answer["repeat_offenders"][0]
    assert len((await live.client.get(offender["link"])).json()["items"]) >= offender["cases"]


async def test_the_accountability_tally_subtracts_revoked_measures_and_lists_what_it_counts(live: Live) -> None:
    by_kind = (await live.client.get("/v1/stats/accountability", params={"group_by": "kind"})).json()
    assert_positions_level(by_kind)
    revoked = {e.measure_id for e in live.county.payloads(acc.MeasureRevoked)}
    imposed = live.county.payloads(acc.MeasureImposed)
    assert revoked, "the county should revoke some measures"
    assert by_kind["totals"]["revoked_measures"] == len(revoked)
    kept = Counter(e.measure.value for e in imposed if e.measure_id not in revoked)
    assert by_kind["totals"]["admonishment_talk"] == kept["admonishment_talk"]
    assert by_kind["totals"]["summons"] == len(live.county.of_type(acc.SummonsIssued))
    labels = {r["key"]: r["label"] for r in by_kind["rows"]}
    assert (
        labels.get("warning_talk", "提醒谈话") == "提醒谈话" and labels.get("reminder_talk", "约谈提醒") == "约谈提醒"
    )
    for row in by_kind["rows"]:
        items = (await live.client.get(row["items"])).json()["items"]
        counted = row["figures"][
            {
                "warning": "warnings",
                "criticism_notice": "criticism_notices",
                "discipline_referral": "discipline_referrals",
            }.get(row["key"], row["key"])
        ]
        assert len(items) == counted and all(not i["revoked"] for i in items)

    by_unit = (await live.client.get("/v1/stats/accountability", params={"group_by": "unit"})).json()
    assert sum(r["figures"]["warnings"] for r in by_unit["rows"]) == by_unit["totals"]["warnings"]
    by_year = (await live.client.get("/v1/stats/accountability", params={"group_by": "year"})).json()
    assert sum(r["figures"]["summons"] for r in by_year["rows"]) == by_year["totals"]["summons"]


async def test_the_overdue_list_is_the_overdue_figure_longest_overdue_first(live: Live) -> None:
    rates = (await live.client.get("/v1/stats/closure-rates", params={"group_by": "unit"})).json()
    overdue = (await live.client.get("/v1/cases/overdue")).json()
    assert_positions_level(overdue)
    assert overdue["total"] == rates["totals"]["overdue"] == len(overdue["items"]) > 0
    deadlines = [datetime.fromisoformat(i["deadline"]) for i in overdue["items"]]
    assert deadlines == sorted(deadlines)
    assert all(
        i["standing"] == "overdue" and i["standing_label"] == "超期" and i["days_overdue"] >= 0
        for i in overdue["items"]
    )
    unit_row = next(r for r in rates["rows"] if r["overdue"])
    of_unit = (await live.client.get("/v1/cases/overdue", params={"unit": unit_row["key"]})).json()
    assert of_unit["total"] == unit_row["overdue"]


async def test_a_case_timeline_holds_its_events_from_every_topic_in_time_order(live: Live) -> None:
    enforced = {e.issue_id for e in live.county.payloads(enforcement.EnforcementCaseOpened) if e.issue_id}
    escalated = {c for e in live.county.payloads(acc.Escalation) for c in e.case_ids}
    issue_id = sorted(enforced & escalated)[0]
    answer = (await live.client.get(f"/v1/cases/{issue_id}/timeline")).json()
    assert_positions_level(answer)
    enforcement_streams = {
        e.stream_id
        for e in live.county.of_type(enforcement.EnforcementCaseOpened)
        if isinstance(e.payload, enforcement.EnforcementCaseOpened) and e.payload.issue_id == issue_id
    }
    expected = [
        e
        for e in live.county.envelopes
        if e.stream_id == issue_id
        or e.stream_id in enforcement_streams
        or issue_id in getattr(e.payload, "case_ids", [])
    ]
    assert {e["event_id"] for e in answer["events"]} >= {str(e.event_id) for e in expected}
    assert {e["topic"] for e in answer["events"]} == {"intake", "cases", "enforcement", "accountability"}
    times = [datetime.fromisoformat(e["occurred_at"]) for e in answer["events"]]
    assert times == sorted(times)
    assert answer["events"][0]["type"] == "IssueReported" and answer["events"][0]["summary"]
    assert all(e["occurred_at"].endswith("+08:00") and e["label"] for e in answer["events"])

    missing = await live.client.get("/v1/cases/no-such-issue/timeline")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


async def test_the_ledger_has_a_row_per_case_with_the_five_fixed_columns_in_chinese(live: Live) -> None:
    response = await live.client.get("/v1/exports/ledger.xlsx", params={"source": "central_inspection"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book["整改台账"]
    rows: list[tuple[Any, ...]] = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    for header in (
        "具体问题",
        "整改目标及措施",
        "责任单位",
        "包案领导",
        "整改时限",
        "奖惩措施",
        "销号日期",
        "超期次数",
    ):
        assert header in rows[0]
    listed = (await live.client.get("/v1/stats/closure-rates/cases", params={"source": "central_inspection"})).json()
    assert len(rows) - 1 == listed["total"] > 0
    column = {name: index for index, name in enumerate(rows[0])}
    by_id = {row[column["问题编号"]]: row for row in rows[1:]}
    for item in listed["items"]:
        row = by_id[item["issue_id"]]
        assert row[column["问题来源"]] == "中央环保督察"
        assert row[column["乡镇"]] == item["township"]
        assert row[column["责任单位"]] == (item["unit"] or "")
        assert row[column["整改状态"]] == item["status_label"]
        assert row[column["超期次数"]] == item["times_missed"]
        if item["deadline"]:
            deadline = datetime.fromisoformat(item["deadline"]).replace(tzinfo=None, second=0, microsecond=0)
            assert row[column["整改时限"]].replace(second=0, microsecond=0) == deadline
        if item["closed_at"]:
            assert row[column["销号日期"]].date().isoformat() == item["closed_at"][:10]
    assert "读模型版本" in [r[0] for r in book["说明"].iter_rows(values_only=True)]


async def test_the_closure_trend_ends_with_todays_figures(live: Live) -> None:
    trend = (await live.client.get("/v1/stats/closure-trend", params={"interval": "quarter"})).json()
    assert_positions_level(trend)
    today = (await live.client.get("/v1/stats/closure-rates")).json()["totals"]
    last = trend["points"][-1]
    assert (last["total"], last["closed"]) == (today["total"], today["closed"])
    assert [p["total"] for p in trend["points"]] == sorted(p["total"] for p in trend["points"])
    first = trend["points"][0]
    drill = (await live.client.get(first["cases"]["closed"])).json()
    assert drill["total"] == first["closed"]


async def test_wrong_parameters_are_refused_naming_the_field(live: Live) -> None:
    cases = [
        ("/v1/stats/closure-rates", {"group_by": "colour"}, "group_by"),
        ("/v1/stats/closure-rates", {"from": "2025-02-01", "to": "2025-01-01"}, "to"),
        ("/v1/stats/closure-rates", {"as_of": "yesterday"}, "as_of"),
        ("/v1/stats/closure-rates/cases", {"figure": "lost"}, "figure"),
        ("/v1/stats/enforcement", {"year": "1900"}, "year"),
        ("/v1/stats/accountability/items", {"kind": "scolding"}, "kind"),
        ("/v1/exports/ledger.xlsx", {"source": "rumour"}, "source"),
        ("/v1/stats/closure-rates", {"township": "\x00"}, "township"),
        ("/v1/stats/closure-rates", {"from": "0001-01-01"}, "from"),
        ("/v1/stats/closure-rates", {"as_of": "9999-12-31"}, "as_of"),
        ("/v1/stats/closure-trend", {"to": "9999-12-31"}, "to"),
        ("/v1/stats/accountability/items", {"unit": "\x00"}, "unit"),
        ("/v1/stats/enforcement/cases", {"credit_code": "\x00"}, "credit_code"),
        ("/v1/cases/%00/timeline", {}, "issue_id"),
        ("/v1/cases/overdue", {"offset": str(10**20)}, "offset"),
    ]
    for path, params, field in cases:
        response = await live.client.get(path, params=params)
        assert response.status_code == 422, (path, params, response.text)
        body = response.json()["error"]
        assert body["message"]
        assert field in str(body), (path, params, body)


async def test_the_openapi_document_describes_every_route(live: Live) -> None:
    document = (await live.client.get("/openapi.json")).json()
    for path in (
        "/v1/stats/closure-rates",
        "/v1/stats/closure-rates/cases",
        "/v1/stats/closure-trend",
        "/v1/stats/accountability",
        "/v1/stats/accountability/items",
        "/v1/stats/enforcement",
        "/v1/stats/enforcement/cases",
        "/v1/cases/overdue",
        "/v1/cases/{issue_id}/timeline",
        "/v1/reports/work-summary",
        "/v1/exports/ledger.xlsx",
        "/v1/read-models",
        "/v1/stats/task-forces",
        "/v1/stats/task-forces/cases",
        "/v1/stats/task-forces/escalations",
        "/v1/stats/assessment",
        "/v1/stats/assessment/items",
    ):
        assert document["paths"][path]["get"]["summary"], path
    names = {p["name"] for p in document["paths"]["/v1/stats/closure-rates"]["get"]["parameters"]}
    assert {"group_by", "from", "to", "as_of", "source", "batch", "township", "unit", "domain"} <= names
