"""Routes of the documents projections writes: the work report (工作汇报) and the ledger (整改台账)."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Response

from services.projections import ledger, present, report
from services.projections.deps import DepsDep
from services.projections.filters import CaseFilters, Figure, YearFilter
from services.projections.read_tables import closure
from services.projections.read_tables.closure import Moment
from services.projections.readside import View, read
from services.projections.schemas import WorkSummaryClosure, WorkSummaryEnforcement, WorkSummaryOut
from shared.auth import STAFF, require
from shared.clock import SHANGHAI, now, shown

router = APIRouter(tags=["reports"], dependencies=[require(*STAFF)])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LEDGER_LIMIT = 100_000


@router.get("/v1/reports/work-summary", response_model=WorkSummaryOut, summary="工作汇报: the figures, and the text")
async def work_summary(deps: DepsDep, filters: Annotated[YearFilter, Query()]) -> WorkSummaryOut:
    """Each number equals the stats endpoints' for the same as_of and year (year defaults to as_of's year)."""
    moment_now = now()
    year = filters.year or (filters.as_of or moment_now).astimezone(SHANGHAI).year

    async def query(view: View) -> WorkSummaryOut:
        summary = await report.gather(view.conn, year=year, as_of=filters.as_of, now=moment_now)
        base = present.query_of(as_of=filters.as_of)
        sentences = report.paragraphs(summary)
        return await view.answer(
            WorkSummaryOut,
            year=year,
            as_of=shown(summary.at),
            closure=WorkSummaryClosure(
                all=present.rate_row(summary.overall, base),
                by_source=[present.rate_row(c, {**base, "source": c.key}) for c in summary.by_source.values()],
            ),
            enforcement=WorkSummaryEnforcement(
                **present.enforcement_figures(summary.enforcement).model_dump(),
                fines_issued_wan_yuan=present.wan_yuan(summary.enforcement.fines_issued_fen),
            ),
            accountability=present.tally_figures(summary.accountability),
            paragraphs=sentences,
            text="\n".join(sentences),
        )

    return await read(deps, query)


@router.get(
    "/v1/exports/ledger.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "整改台账 (.xlsx)"}},
    summary="整改台账 as an Excel workbook",
)
async def ledger_export(
    deps: DepsDep, filters: Annotated[CaseFilters, Query()], figure: Figure = Figure.ALL
) -> Response:
    """One row per case with the 五定, source, batch, township, status, closure date and times missed."""
    moment = Moment(filters.as_of, now())

    async def query(view: View) -> bytes:
        total, rows = await closure.cases(view.conn, filters, moment, figure, limit=LEDGER_LIMIT, offset=0)
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
            ("读模型版本", str(view.generation.number)),
            ("已应用位置", applied),
        ]
        return ledger.workbook(rows, about)

    content = await read(deps, query)
    day = moment.at.astimezone(SHANGHAI).date().isoformat()
    name = quote(f"整改台账-{day}.xlsx")
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename=\"ledger-{day}.xlsx\"; filename*=UTF-8''{name}"},
    )
