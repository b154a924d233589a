"""Routes of the documents projections writes: the work report (工作汇报) and the ledger (整改台账).

The ledger is bounded: at most LEDGER_MAX_ROWS cases a workbook, `limit`/`offset` for the rest (the answer's
`X-Total-Count` says how many cases the filters select, its `Link: rel="next"` where the next part starts,
pinned to the same 截至 so that the parts add up). The rows are read in one snapshot, the database connection is
given back, and the workbook is written in a worker thread (never on the event loop, which keeps answering
the dashboard meanwhile) into a temporary file that is streamed to the client in chunks.
"""

import asyncio
import tempfile
from collections.abc import Iterator, Sequence
from typing import IO, Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from services.projections import ledger, present, report
from services.projections.api.assessment import assessment_row
from services.projections.deps import DepsDep
from services.projections.filters import CaseFilters, Figure, Offset, YearFilter
from services.projections.read_tables import closure
from services.projections.read_tables.closure import Moment
from services.projections.readside import View, read
from services.projections.schemas import (
    ProcedureCount,
    WorkSummaryClosure,
    WorkSummaryDocuments,
    WorkSummaryEnforcement,
    WorkSummaryOut,
)
from shared.audit.reads import Reader, reader, record
from shared.auth import current_principal, require
from shared.clock import SHANGHAI, now, shown
from shared.contracts.audit import LedgerExported
from shared.contracts.codes import CASE_STATUS_LABELS
from shared.scope import COUNTY_READERS

# The county's documents (全县工作汇报, 全县整改台账): every staff role but the responsible units (shared.scope).
router = APIRouter(tags=["reports"], dependencies=[require(*COUNTY_READERS)])

LEDGER_PATH = "/v1/exports/ledger.xlsx"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A workbook of 5,000 cases takes a few seconds to write and about 0.5 MB; a county has fewer.
LEDGER_MAX_ROWS = 5_000
LedgerLimit = Annotated[
    int, Query(ge=1, le=LEDGER_MAX_ROWS, description=f"at most this many cases in the workbook (≤ {LEDGER_MAX_ROWS})")
]
SPOOL_BYTES = 4 * 1024 * 1024  # a workbook larger than this goes to a temporary file on disk
CHUNK_BYTES = 64 * 1024


@router.get("/v1/reports/work-summary", response_model=WorkSummaryOut, summary="工作汇报: the figures, and the text")
async def work_summary(deps: DepsDep, filters: Annotated[YearFilter, Query()]) -> WorkSummaryOut:
    """Each number equals the stats endpoints' for the same as_of and year (year defaults to as_of's year)."""
    moment_now = now()
    year = filters.year or (filters.as_of or moment_now).astimezone(SHANGHAI).year

    async def query(view: View) -> WorkSummaryOut:
        summary = await report.gather(view.conn, deps.assessment, year=year, as_of=filters.as_of, now=moment_now)
        base = present.query_of(as_of=filters.as_of)
        sentences = report.paragraphs(summary)
        return await view.answer(
            WorkSummaryOut,
            year=year,
            as_of=shown(summary.at),
            closure=WorkSummaryClosure(
                all=present.rate_row(summary.overall, base),
                by_source=[present.rate_row(c, {**base, "source": c.key}) for c in summary.by_source.values()],
                in_procedure=[
                    ProcedureCount(status=status.value, label=CASE_STATUS_LABELS[status], count=count)
                    for status, count in summary.in_procedure.items()
                ],
            ),
            enforcement=WorkSummaryEnforcement(
                **present.enforcement_figures(summary.enforcement).model_dump(),
                fines_issued_wan_yuan=present.wan_yuan(summary.enforcement.fines_issued_fen),
            ),
            accountability=present.tally_figures(summary.accountability),
            assessment=[
                assessment_row(rank, score, year=year, as_of=filters.as_of) for rank, score in summary.assessment
            ],
            documents=WorkSummaryDocuments(
                **{k: v for k, v in summary.documents.__dict__.items() if k != "meetings"},
                meetings=present.meeting_counts(summary.documents.meetings),
            ),
            enforcement_years=present.enforcement_years(summary.enforcement_years),
            paragraphs=sentences,
            text="\n".join(sentences),
        )

    return await read(deps, query)


@router.get(
    LEDGER_PATH,
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "整改台账 (.xlsx)"}},
    summary="整改台账 as an Excel workbook",
)
async def ledger_export(
    deps: DepsDep,
    who: Annotated[Reader, reader(Depends(current_principal))],
    filters: Annotated[CaseFilters, Query()],
    figure: Figure = Figure.ALL,
    limit: LedgerLimit = LEDGER_MAX_ROWS,
    offset: Offset = 0,
) -> Response:
    """One row per case with the 五定, source, batch, township, status, closure date and times missed.

    At most `limit` cases (≤ 5000) from `offset`; `X-Total-Count` and `Link: rel="next"` tell the rest.
    Each export is an audit event (LedgerExported on audit.reads.projections, with its filters), stored before the
    workbook leaves.
    """
    moment = Moment(filters.as_of, now())

    async def query(view: View) -> tuple[int, Sequence[ledger.Row], list[tuple[str, str]]]:
        total, rows = await closure.cases(view.conn, filters, moment, figure, limit=limit, offset=offset)
        positions = await view.positions()
        applied = "；".join(
            f"{topic} {partition}:{p['applied_offset']}"
            for topic, partitions in positions.items()
            for partition, p in partitions.items()
        )
        about = [
            ("导出时间", shown(moment.now)),
            ("截至", shown(moment.at)),
            ("筛选条件", "；".join(f"{k}={v}" for k, v in filters.query().items()) or "全部"),
            ("统计口径", figure.value),
            ("案件数", str(total)),
            ("本表行", _part(offset, len(rows), total)),
            ("读模型版本", str(view.generation.number)),
            ("已应用位置", applied),
        ]
        return total, rows, about

    total, rows, about = await read(deps, query)
    exported = {**filters.query(), "as_of": moment.at.isoformat(), "figure": figure.value}
    exported.update(limit=str(limit), offset=str(offset))
    async with deps.pool.acquire() as conn:
        event = LedgerExported(role=who.role, address=who.address, filters=exported, cases=len(rows))
        await record(conn, deps.audit, who, event)
    workbook = await asyncio.to_thread(_written, rows, about, offset + 1)
    day = moment.at.astimezone(SHANGHAI).date().isoformat()
    part = f"-{offset + 1}-{offset + len(rows)}" if offset or offset + len(rows) < total else ""
    name = quote(f"整改台账-{day}{part}.xlsx")
    headers = {
        "Content-Disposition": f"attachment; filename=\"ledger-{day}{part}.xlsx\"; filename*=UTF-8''{name}",
        "Content-Length": str(workbook.seek(0, 2)),
        "X-Total-Count": str(total),
    }
    workbook.seek(0)
    if offset + len(rows) < total:
        rest = {**filters.query(), "as_of": moment.at.isoformat(), "figure": figure.value, "limit": str(limit)}
        headers["Link"] = f'<{present.link(LEDGER_PATH, {**rest, "offset": str(offset + len(rows))})}>; rel="next"'
    return StreamingResponse(
        _chunks(workbook), media_type=XLSX, headers=headers, background=BackgroundTask(workbook.close)
    )


def _part(offset: int, rows: int, total: int) -> str:
    if not rows:
        return f"无（共{total}个案件）"
    shown_rows = f"第{offset + 1}至{offset + rows}个（共{total}个案件）"
    if offset + rows < total:
        return f"{shown_rows}；其余请加 offset={offset + rows} 再导出（每次至多{LEDGER_MAX_ROWS}个）"
    return shown_rows


def _written(rows: Sequence[ledger.Row], about: list[tuple[str, str]], first_number: int) -> IO[bytes]:
    """The workbook in a temporary file (in memory while small), read from its start. Runs in a worker thread."""
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - the response closes it
    try:
        ledger.write(rows, about, out, first_number=first_number)
    except BaseException:
        out.close()
        raise
    return out


def _chunks(file: IO[bytes]) -> Iterator[bytes]:
    """The file in chunks; Starlette reads a plain iterator in its thread pool, off the event loop."""
    while chunk := file.read(CHUNK_BYTES):
        yield chunk
