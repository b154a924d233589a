"""Routes of the Word documents (.docx): the work report (工作汇报) and a case's assignment letter (交办函).

Each reads its figures in one snapshot of the read models (the same queries as the JSON routes, so the document's
numbers are the JSON's), gives the connection back, and writes the document in a worker thread (documents/), never
on the event loop; the bytes (some 100–200 KB) are streamed to the client with a zh-CN file name.
"""

import asyncio
from collections.abc import Iterator
from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse

from services.projections import labels, report
from services.projections.api.closure import trend_periods, trend_points
from services.projections.deps import DepsDep
from services.projections.documents import charts
from services.projections.documents.assignment_letter import AssignmentLetter, render_assignment_letter
from services.projections.documents.work_summary import WorkReport, render_work_summary
from services.projections.filters import TEXT, CaseFilters, PeriodUnit, YearFilter
from services.projections.read_tables import letters
from services.projections.read_tables.closure import Counts
from services.projections.readside import View, read
from shared.auth import STAFF, require
from shared.clock import SHANGHAI, now
from shared.errors import NotFound, RuleViolation
from shared.scope import COUNTY_READERS, ScopeDep

router = APIRouter(tags=["documents"])

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CHUNK_BYTES = 64 * 1024
DOCX_RESPONSE = {200: {"content": {DOCX: {}}, "description": "Word 文档 (.docx)"}}


@router.get(
    "/v1/reports/work-summary.docx",
    response_class=StreamingResponse,
    responses=DOCX_RESPONSE,  # type: ignore[arg-type]
    dependencies=[require(*COUNTY_READERS)],
    summary="工作汇报 as a Word document: the text, its tables and charts",
)
async def work_summary_docx(deps: DepsDep, filters: Annotated[YearFilter, Query()]) -> StreamingResponse:
    """The same figures as `GET /v1/reports/work-summary` for the same year and as_of (the same access: every staff
    role but the responsible units), with the tables behind the text (exact amounts in 元) and two charts: closure
    by source, and the figures at each month's end of the year (to as_of)."""
    moment_now = now()
    year = filters.year or (filters.as_of or moment_now).astimezone(SHANGHAI).year

    async def query(view: View) -> WorkReport:
        summary = await report.gather(view.conn, deps.assessment, year=year, as_of=filters.as_of, now=moment_now)
        last = min(date(year, 12, 31), summary.at.astimezone(SHANGHAI).date())
        months = trend_periods(date(year, 1, 1), last, PeriodUnit.month, refuse_beyond=False)
        points = await trend_points(view.conn, CaseFilters(), months, PeriodUnit.month, summary.at, assigned_to=None)
        # the trend's points, as GET /v1/stats/closure-trend answers them (reopened is not among them, nor shown)
        trend = [Counts(p.key, p.label, p.total, p.closed, p.on_schedule, p.overdue, reopened=0) for p in points]
        return WorkReport(summary=summary, paragraphs=report.paragraphs(summary), trend=trend)

    work = await read(deps, query)
    content = await asyncio.to_thread(render_work_summary, work, font=charts.find_font(deps.settings.chart_font))
    day = work.summary.at.astimezone(SHANGHAI).date().isoformat()
    return _docx(content, f"work-summary-{year}-{day}.docx", f"工作汇报-{year}年-截至{day}.docx")


@router.get(
    "/v1/cases/{issue_id}/assignment-letter.docx",
    response_class=StreamingResponse,
    responses=DOCX_RESPONSE,  # type: ignore[arg-type]
    dependencies=[require(*STAFF)],
    summary="交办函 of a case as a Word document: its current 五定",
)
async def assignment_letter_docx(
    deps: DepsDep, scope: ScopeDep, issue_id: Annotated[str, Path(min_length=1, max_length=64, pattern=TEXT)]
) -> StreamingResponse:
    """The case's 五定 as they stand (after any 重新交办, 延期 or 督办 that moved the deadline), dated the last 交办.

    Scoped as the case reads: a responsible unit gets its own cases' letters only (another's is 404, as if it did
    not exist). A case not yet assigned has no letter: 409 `not_assigned`.
    """

    async def query(view: View) -> AssignmentLetter:
        row = await letters.assignment(view.conn, issue_id)
        if row is None:
            raise NotFound("问题", issue_id)
        scope.check(row["unit"], "问题", issue_id)
        if row["unit"] is None or row["assigned_at"] is None:
            raise RuleViolation("not_assigned", f"问题 {issue_id} 尚未交办，没有交办函")
        return AssignmentLetter(
            issue_id=row["issue_id"],
            title=row["title"],
            source=labels.source(row["source"]),
            township=row["township"],
            problem=row["problem"],
            task=row["task"],
            unit=row["unit"],
            leader_name=row["leader_name"],
            leader_post=row["leader_post"],
            liaison=row["liaison"],
            deadline=row["deadline"],
            measures=row["measures"],
            issued_at=row["assigned_at"],
        )

    letter = await read(deps, query)
    content = await asyncio.to_thread(render_assignment_letter, letter)
    return _docx(content, f"assignment-letter-{_ascii(issue_id)}.docx", f"交办函-{issue_id}.docx")


def _ascii(name: str) -> str:
    """The file name for clients that ignore filename*: what is not plain ASCII letters and digits becomes -."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "-" for c in name)


def _docx(content: bytes, ascii_name: str, name: str) -> StreamingResponse:
    headers = {
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}",
        "Content-Length": str(len(content)),
    }
    return StreamingResponse(_chunks(content), media_type=DOCX, headers=headers)


def _chunks(content: bytes) -> Iterator[bytes]:
    for start in range(0, len(content), CHUNK_BYTES):
        yield content[start : start + CHUNK_BYTES]
