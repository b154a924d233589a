"""Routes of the Word documents (.docx): the work report (工作汇报), the assignment letters (交办函, a case's latest
or one by its number) and the supervision bulletins (督查通报 第N期).

Each reads its figures in one snapshot of the read models (the same queries as the JSON routes, so the document's
numbers are the JSON's), gives the connection back, and writes the document in a worker thread (documents/), never
on the event loop; the bytes (some 100–200 KB) are streamed to the client with a zh-CN file name.
"""

import asyncio
from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse

from services.projections import labels, report
from services.projections.api.closure import trend_periods, trend_points
from services.projections.deps import Deps, DepsDep
from services.projections.documents import charts
from services.projections.documents.assignment_letter import AssignmentLetter, render_assignment_letter
from services.projections.documents.bulletin import Bulletin, of_issued, render_bulletin
from services.projections.documents.work_summary import TaskForceFigures, WorkReport, render_work_summary
from services.projections.filters import TEXT, CaseFilters, PeriodUnit, YearFilter
from services.projections.read_tables import documents as document_facts
from services.projections.read_tables import letters, task_forces
from services.projections.read_tables.closure import Counts, Moment
from services.projections.readside import View, read
from services.projections.task_forces import OTHER
from shared.auth import STAFF, require
from shared.clock import SHANGHAI, now
from shared.contracts.accountability import BulletinIssued
from shared.contracts.cases import AssignmentLetterIssued
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
    role but the responsible units), with the tables behind the text (exact amounts in 元) and three charts: closure
    by source, the figures at each month's end of the year (to as_of), and closure by task force (the figures of
    `GET /v1/stats/task-forces` for the same as_of)."""
    moment_now = now()
    year = filters.year or (filters.as_of or moment_now).astimezone(SHANGHAI).year

    async def query(view: View) -> WorkReport:
        summary = await report.gather(view.conn, deps.assessment, year=year, as_of=filters.as_of, now=moment_now)
        last = min(date(year, 12, 31), summary.at.astimezone(SHANGHAI).date())
        months = trend_periods(date(year, 1, 1), last, PeriodUnit.month, refuse_beyond=False)
        points = await trend_points(view.conn, CaseFilters(), months, PeriodUnit.month, summary.at, assigned_to=None)
        # the trend's points, as GET /v1/stats/closure-trend answers them (reopened is not among them, nor shown)
        trend = [Counts(p.key, p.label, p.total, p.closed, p.on_schedule, p.overdue, reopened=0) for p in points]
        return WorkReport(
            summary=summary,
            paragraphs=report.paragraphs(summary),
            trend=trend,
            task_forces=await _task_forces(view, deps, filters.as_of, moment_now),
        )

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
    not exist). A case not yet assigned has no letter: 409 `not_assigned`. The number is that of the case's latest
    letter (AssignmentLetterIssued); a case assigned before letters were numbered prints a blank for the office.
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
            number=row["letter_no"],
        )

    letter = await read(deps, query)
    content = await asyncio.to_thread(render_assignment_letter, letter)
    return _docx(content, f"assignment-letter-{_ascii(issue_id)}.docx", f"交办函-{issue_id}.docx")


@router.get(
    "/v1/documents/assignment-letters/{letter_no}.docx",
    response_class=StreamingResponse,
    responses=DOCX_RESPONSE,  # type: ignore[arg-type]
    dependencies=[require(*STAFF)],
    summary="交办函 by its number as a Word document: the 五定 as issued",
)
async def numbered_letter_docx(
    deps: DepsDep, scope: ScopeDep, letter_no: Annotated[str, Path(min_length=1, max_length=64, pattern=TEXT)]
) -> StreamingResponse:
    """The letter as it was issued (its 五定 then, dated the 交办), e.g. 交办函〔2026〕12号 (URL-encoded); the case's
    title, source and township as the case reads now. Scoped as `GET /v1/documents/assignment-letters/{letter_no}`:
    a responsible unit reads the letters addressed to it only (another's is 404)."""

    async def query(view: View) -> AssignmentLetter:
        row = await document_facts.letter(view.conn, letter_no)
        if row is None:
            raise NotFound("交办函", letter_no)
        issued = AssignmentLetterIssued.model_validate(row["payload"])
        scope.check(issued.unit, "交办函", letter_no)
        case = await letters.assignment(view.conn, issued.case_id)
        if case is None:  # a letter is appended with its case's 交办: the case is there unless the read model lags
            raise NotFound("问题", issued.case_id)
        return AssignmentLetter(
            issue_id=issued.case_id,
            title=case["title"],
            source=labels.source(case["source"]),
            township=case["township"],
            problem=issued.problem,
            task=issued.task,
            unit=issued.unit,
            leader_name=issued.leader.name,
            leader_post=issued.leader.post,
            liaison=issued.leader.liaison,
            deadline=issued.deadline,
            measures=issued.measures,
            issued_at=row["occurred_at"],
            number=issued.letter_no,
        )

    letter = await read(deps, query)
    content = await asyncio.to_thread(render_assignment_letter, letter)
    ascii_name = f"assignment-letter-{letter.issued_at.astimezone(SHANGHAI).year}-{_ascii(letter_no)}.docx"
    return _docx(content, ascii_name, f"{letter_no}.docx")


@router.get(
    "/v1/documents/bulletins/{year}/{number}.docx",
    response_class=StreamingResponse,
    responses=DOCX_RESPONSE,  # type: ignore[arg-type]
    dependencies=[require(*COUNTY_READERS)],
    summary="督查通报 第N期 as a Word document, as it was issued",
)
async def bulletin_docx(
    deps: DepsDep, year: Annotated[int, Path(ge=2000, le=2999)], number: Annotated[int, Path(ge=1, le=100_000)]
) -> StreamingResponse:
    """The bulletin as BulletinIssued recorded it (its overdue cases and units then, its text as issued). The same
    access as `GET /v1/documents/bulletins/{year}/{number}`: county-wide roles only (it names every unit's cases)."""

    async def query(view: View) -> Bulletin:
        row = await document_facts.bulletin(view.conn, year, number)
        if row is None:
            raise NotFound("督查通报", f"{year}年第{number}期")
        return of_issued(BulletinIssued.model_validate(row["payload"]), row["occurred_at"])

    bulletin = await read(deps, query)
    content = await asyncio.to_thread(render_bulletin, bulletin)
    return _docx(content, f"bulletin-{year}-{number}.docx", f"督查通报-{year}年第{number}期.docx")


async def _task_forces(view: View, deps: Deps, as_of: datetime | None, moment_now: datetime) -> list[TaskForceFigures]:
    """Each task force's row as `GET /v1/stats/task-forces?as_of=…` answers it (county-wide), then 其他."""
    forces, filters = deps.task_forces, CaseFilters(as_of=as_of)
    rows = await task_forces.rates(view.conn, forces, filters, Moment(as_of, moment_now))
    escalations = await task_forces.escalations(view.conn, forces, filters)
    out = []
    for counts in rows:
        force = None if counts.key == OTHER else forces.by_code(counts.key)
        out.append(
            TaskForceFigures(
                counts=counts,
                leader=f"{force.leader_name}（{force.leader_post}）" if force else None,
                lead_department=force.lead_department if force else None,
                escalations=sum(escalations[counts.key].values()),
            )
        )
    return out


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
