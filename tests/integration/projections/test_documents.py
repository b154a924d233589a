"""The Word documents projections writes, opened again and checked against the JSON answers for the same figures.

A county's events are read from the real broker into the real database, as for the other answers (test_api.py).
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from bench.county import County, publish, simulate
from services.projections.documents import charts
from services.projections.documents.assignment_letter import FIVE_DEFINED
from services.projections.main import create_app
from services.projections.settings import ProjectionsSettings
from shared.auth import Role
from shared.clock import SHANGHAI, now
from shared.contracts.accountability import BulletinIssued, OverdueItem, UnitStanding
from shared.envelope import Envelope
from tests.conftest import SettingsFactory
from tests.integration.projections.support import caught_up
from tests.support.documents import PNG_SIGNATURE, opened
from tests.support.issuer import issue_token
from tests.support.service import running

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass
class Live:
    client: httpx.AsyncClient
    county: County
    settings: ProjectionsSettings
    at: datetime


@pytest.fixture
async def live(make_settings: SettingsFactory, topics: list[str]) -> AsyncIterator[Live]:
    settings = make_settings(ProjectionsSettings)
    at = now()
    county = simulate(seed=11, issues=50, now=at)
    await publish(settings, county.envelopes)
    async with running(create_app(settings)) as client:
        await caught_up(client, len(county.envelopes))
        yield Live(client, county, settings, at)


def _yuan(text: str) -> str:
    return f"{Decimal(text):,}"


def _shanghai_day(moment: str) -> str:
    day = datetime.fromisoformat(moment).astimezone(SHANGHAI)
    return f"{day.year}年{day.month}月{day.day}日"


async def test_the_work_report_document_states_the_json_figures_with_tables_and_charts(live: Live) -> None:
    year = live.at.astimezone(SHANGHAI).year - 1
    params = {"year": str(year), "as_of": f"{year}-12-31"}
    answer = await live.client.get("/v1/reports/work-summary.docx", params=params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == DOCX
    name = quote(f"工作汇报-{year}年-截至{year}-12-31.docx")
    assert answer.headers["content-disposition"] == (
        f"attachment; filename=\"work-summary-{year}-{year}-12-31.docx\"; filename*=UTF-8''{name}"
    )
    document = opened(answer.content)
    summary = (await live.client.get("/v1/reports/work-summary", params=params)).json()

    assert summary["paragraphs"] and all(p in document.paragraphs for p in summary["paragraphs"])
    assert f"处罚{summary['enforcement']['fines_issued_wan_yuan']}万元" in summary["text"]

    def closure(row: dict[str, Any]) -> list[str]:
        figures = ("total", "closed", "rate_percent", "open", "overdue", "reopened")
        return [row["label"], *(str(row[f]) for f in figures)]

    expected = [closure(r) for r in summary["closure"]["by_source"]] + [closure(summary["closure"]["all"])]
    assert document.table_after("表1 各来源问题整改情况")[1:] == expected

    trend = (
        await live.client.get(
            "/v1/stats/closure-trend", params={"interval": "month", "from": f"{year}-01-01", "to": f"{year}-12-31"}
        )
    ).json()["points"]
    assert len(trend) == 12
    assert document.table_after("表2 逐月整改进展")[1:] == [
        [p["label"], *(str(p[f]) for f in ("total", "closed", "rate_percent", "open", "overdue"))] for p in trend
    ]

    e = summary["enforcement"]
    enforcement = {k: v for k, v in document.table_after(f"表3 {year}年环境执法情况")[1:]}
    assert enforcement == {
        "立案查处（起）": str(e["cases_filed"]),
        "行政处罚决定（份）": str(e["penalties"]),
        "处罚金额（元）": _yuan(e["fines_issued_yuan"]),
        "已缴纳罚款（元）": _yuan(e["fines_paid_yuan"]),
        "按日连续处罚（次）": str(e["daily_penalty_rounds"]),
        "按日连续处罚金额（元）": _yuan(e["daily_penalty_yuan"]),
        "行政拘留（人）": str(e["persons_detained"]),
        "采取刑事强制措施（人）": str(e["persons_criminal_measures"]),
        "移送起诉（人）": str(e["persons_referred"]),
        "结案（起）": str(e["cases_closed"]),
    }
    assert e["cases_filed"] > 0 and Decimal(e["fines_issued_yuan"]) > 0  # the simulated county fined someone
    a = summary["accountability"]
    accountability = {k: v for k, v in document.table_after(f"表4 {year}年责任追究情况")[1:]}
    assert accountability["约谈主要负责人（人次）"] == str(a["summons"])
    assert accountability["通报批评（单位）"] == str(a["criticism_notice_units"])
    assert accountability["通报预警（次）"] == str(a["warnings"])
    assert accountability["诫勉谈话（人）"] == str(a["admonishment_talk"])
    ranking = document.table_after(f"表5 {year}年责任单位绩效考核排名")[1:]
    assert summary["assessment"] and [row[:5] for row in ranking] == [
        [str(r["rank"]), r["unit"], r["score"], r["deducted"], r["bonus"]] for r in summary["assessment"]
    ]

    forces = (await live.client.get("/v1/stats/task-forces", params={"as_of": f"{year}-12-31"})).json()["rows"]
    assert sum(f["total"] for f in forces) == summary["closure"]["all"]["total"]
    assert document.table_after("表6 各专项整治组整改情况")[1:] == [
        [
            f["name"],
            f"{f['leader']['name']}（{f['leader']['post']}）" if f["leader"] else "—",
            f["lead_department"] or "—",
            *(str(f[k]) for k in ("total", "closed", "rate_percent", "open", "overdue")),
            str(sum(f["escalations"].values())),
        ]
        for f in forces
    ]

    assert charts.find_font() is not None, "no CJK font: make install installs fonts-wqy-microhei"
    assert len(document.pictures) == 3 and "图3 各专项整治组整改情况" in document.paragraphs
    assert all(p.startswith(PNG_SIGNATURE) and len(p) > 10_000 for p in document.pictures)


async def test_an_assignment_letter_states_the_cases_five_definitions_to_whom_may_read_it(live: Live) -> None:
    cases = (await live.client.get("/v1/stats/closure-rates/cases", params={"limit": "1000"})).json()["items"]
    assigned = [c for c in cases if c["unit"]]
    case = assigned[0]
    answer = await live.client.get(f"/v1/cases/{case['issue_id']}/assignment-letter.docx")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == DOCX
    assert f"filename*=UTF-8''{quote('交办函-' + case['issue_id'] + '.docx')}" in answer.headers["content-disposition"]
    letter = opened(answer.content)

    timeline = (await live.client.get(f"/v1/cases/{case['issue_id']}/timeline")).json()["events"]
    last = [e for e in timeline if e["type"] in ("Assigned", "Reassigned")][-1]
    leader = f"{case['leader']['name']}（{case['leader']['post']}）"
    if liaison := last["payload"]["leader"].get("liaison"):
        leader += f"，联络渠道：{liaison}"
    deadline = datetime.fromisoformat(case["deadline"]).astimezone(SHANGHAI)
    values = [
        case["problem"],
        case["task"],
        case["unit"],
        leader,
        f"{_shanghai_day(case['deadline'])}{deadline:%H:%M}前",
        case["measures"],
    ]
    assert letter.tables[0][1:] == [list(row) for row in zip(FIVE_DEFINED, values, strict=True)]
    assert f"{case['unit']}：" in letter.paragraphs
    assert letter.paragraphs[-1] == _shanghai_day(last["occurred_at"])

    def as_unit(unit: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(live.settings, subject='联络员', role=Role.UNIT, unit=unit)}"}

    path = f"/v1/cases/{case['issue_id']}/assignment-letter.docx"
    own = await live.client.get(path, headers=as_unit(case["unit"]))
    assert own.status_code == 200 and opened(own.content).tables == letter.tables
    other = next(c["unit"] for c in assigned if c["unit"] != case["unit"])
    hidden = await live.client.get(path, headers=as_unit(other))
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "not_found"
    missing = await live.client.get("/v1/cases/no-such-issue/assignment-letter.docx")
    assert missing.status_code == 404

    unassigned = next(c for c in cases if not c["unit"])  # the simulated county (seed 11) leaves one case new
    refused = await live.client.get(f"/v1/cases/{unassigned['issue_id']}/assignment-letter.docx")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_assigned"
    assert refused.json()["error"]["message"] == f"问题 {unassigned['issue_id']} 尚未交办，没有交办函"


async def test_an_issued_bulletin_is_the_document_of_its_json_to_county_readers_only(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    settings = make_settings(ProjectionsSettings)
    at = now()
    year = at.astimezone(SHANGHAI).year
    issued = BulletinIssued(
        year=year,
        number=1,
        bulletin_no=f"{year}年第1期",
        title="督查通报",
        period_from=date(year, 1, 1),
        period_to=date(year, 1, 31),
        overdue=[
            OverdueItem(
                issue_id="ISS-1",
                title="河道采砂",
                unit="城关镇人民政府",
                deadline=at - timedelta(days=9),
                days_overdue=9,
            )
        ],
        units=[UnitStanding(unit="城关镇人民政府", total=4, closed=1, overdue=1, rate_percent="25.0")],
        text="一月份督查发现，城关镇整改滞后。",
    )
    envelope = Envelope.wrap(
        issued, stream_id=f"bulletins:{year}", stream_version=1, occurred_at=at, actor="office:li", correlation_id="c"
    )
    await publish(settings, [envelope])
    async with running(create_app(settings)) as client:
        await caught_up(client, 1)
        answer = await client.get(f"/v1/documents/bulletins/{year}/1.docx")
        assert answer.status_code == 200, answer.text
        name = quote(f"督查通报-{year}年第1期.docx")
        assert answer.headers["content-disposition"] == (
            f"attachment; filename=\"bulletin-{year}-1.docx\"; filename*=UTF-8''{name}"
        )
        content = (await client.get(f"/v1/documents/bulletins/{year}/1")).json()["document"]["content"]
        document = opened(answer.content)
        assert document.paragraphs[1] == content["bulletin_no"] and content["text"] in document.paragraphs
        overdue = content["overdue"][0]
        deadline = datetime.fromisoformat(overdue["deadline"]).astimezone(SHANGHAI)
        assert document.tables[0][1:] == [
            [
                "1",
                overdue["issue_id"],
                overdue["title"],
                overdue["unit"],
                f"{_shanghai_day(overdue['deadline'])}{deadline:%H:%M}前",
                str(overdue["days_overdue"]),
            ]
        ]
        unit = content["units"][0]
        assert document.tables[1][1][1:6] == [
            unit["unit"],
            str(unit["total"]),
            str(unit["closed"]),
            unit["rate_percent"],
            str(unit["overdue"]),
        ]
        assert (await client.get(f"/v1/documents/bulletins/{year}/2.docx")).status_code == 404
        token = issue_token(settings, subject="联络员", role=Role.UNIT, unit="城关镇人民政府")
        hidden = await client.get(
            f"/v1/documents/bulletins/{year}/1.docx", headers={"Authorization": f"Bearer {token}"}
        )
        assert hidden.status_code == 403
