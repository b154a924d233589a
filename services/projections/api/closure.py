"""Closure rates (完成率) and the closure trend: the figures, and the cases behind each of them."""

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from services.projections import labels, present
from services.projections.deps import Deps, DepsDep
from services.projections.filters import (
    CaseFilters,
    CaseSelection,
    DateRange,
    Figure,
    GroupBy,
    Limit,
    Offset,
    PeriodUnit,
    day_start,
    period_bounds,
    period_key,
)
from services.projections.read_tables import closure
from services.projections.read_tables.closure import Moment
from services.projections.readside import View, read
from services.projections.schemas import CaseList, ClosureRates, ClosureTrend, TrendPoint
from shared.auth import STAFF, require
from shared.clock import SHANGHAI, now
from shared.db import Connection
from shared.errors import InvalidCommand
from shared.scope import ScopeDep

# Figures are for every staff role (viewers and leaders above all); the public has the report form only.
# A responsible unit's figures count its own cases only (shared.scope): a row of another unit, none.
router = APIRouter(prefix="/v1/stats", tags=["stats"], dependencies=[require(*STAFF)])

# Each point of the trend is a query of its own: five years by month, fifteen by quarter.
MAX_TREND_POINTS = 60
PERIOD_NAMES = {PeriodUnit.month: "按月", PeriodUnit.quarter: "按季度", PeriodUnit.year: "按年"}


def _group_query(filters: CaseFilters, group_by: GroupBy, key: str) -> dict[str, str]:
    """The filters that select one row's cases: the request's, narrowed to the row's group."""
    query = filters.query()
    if group_by is not GroupBy.period:
        return {**query, group_by.value: key}
    start, end = period_bounds(key)
    query["from"] = max(start, filters.from_ or start).isoformat()
    query["to"] = min(end, filters.to or end).isoformat()
    return query


@router.get("/closure-rates", response_model=ClosureRates, summary="完成率 by source, batch, township, unit, …")
async def closure_rates(
    deps: DepsDep,
    scope: ScopeDep,
    filters: Annotated[CaseFilters, Query()],
    group_by: GroupBy = GroupBy.source,
    period_unit: Annotated[PeriodUnit, Query(description="for group_by=period")] = PeriodUnit.month,
) -> ClosureRates:
    """Total, closed (销号), on schedule (未超期), overdue (超期), reopened and the rate, per group."""
    moment = Moment(filters.as_of, now())

    async def query(view: View) -> ClosureRates:
        rows = await closure.rates(view.conn, filters, moment, group_by, period_unit, assigned_to=scope.unit)
        return await view.answer(
            ClosureRates,
            group_by=group_by,
            period_unit=period_unit,
            as_of=present.when(filters.as_of),
            filters=filters.query(),
            rows=[present.rate_row(r, _group_query(filters, group_by, r.key)) for r in rows],
            totals=present.rate_row(closure.total(rows), filters.query()),
        )

    return await read(deps, query)


@router.get("/closure-rates/cases", response_model=CaseList, summary="The cases behind a closure-rate figure")
async def closure_rate_cases(
    deps: DepsDep,
    scope: ScopeDep,
    filters: Annotated[CaseFilters, Query()],
    figure: Figure = Figure.ALL,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> CaseList:
    """Takes the same filters as /closure-rates (a row's group is one more filter) and the figure to list."""
    return await case_list(deps, filters, figure, limit=limit, offset=offset, assigned_to=scope.unit)


async def case_list(
    deps: Deps,
    filters: CaseFilters,
    figure: Figure,
    *,
    limit: int,
    offset: int,
    assigned_to: str | None,
    overdue_first: bool = False,
    domains: list[str] | None = None,
) -> CaseList:
    """`assigned_to`: the caller's scope (shared.scope); a responsible unit lists only its own cases. `domains`: only
    the cases of these domains (a task force's)."""
    moment = Moment(filters.as_of, now())

    async def query(view: View) -> CaseList:
        total, rows = await closure.cases(
            view.conn,
            filters,
            moment,
            figure,
            limit=limit,
            offset=offset,
            overdue_first=overdue_first,
            assigned_to=assigned_to,
            domains=domains,
        )
        return await view.answer(
            CaseList,
            figure=figure,
            as_of=present.when(filters.as_of),
            filters=filters.query(),
            total=total,
            limit=limit,
            offset=offset,
            items=[present.case_item(r, moment.at) for r in rows],
        )

    return await read(deps, query)


@router.get("/closure-trend", response_model=ClosureTrend, summary="Closed and open cases over time")
async def closure_trend(
    deps: DepsDep,
    scope: ScopeDep,
    selection: Annotated[CaseSelection, Query()],
    period: Annotated[DateRange, Query()],
    interval: PeriodUnit = PeriodUnit.month,
) -> ClosureTrend:
    """The figures as of the end of each period from `from` to `to` (default: today), at most 60 periods.

    Without `from`: from the first report, or the last 60 periods if the history is longer. A range of
    more periods is refused (422 naming `from`): each point is a query of its own.
    """
    moment_now = now()
    filters = CaseFilters(**selection.model_dump())
    end = period.to or moment_now.astimezone(SHANGHAI).date()
    asked = None if period.from_ is None else trend_periods(period.from_, end, interval, refuse_beyond=True)

    async def query(view: View) -> ClosureTrend:
        points = await trend_points(view.conn, filters, asked, interval, moment_now, end=end, assigned_to=scope.unit)
        return await view.answer(
            ClosureTrend,
            interval=interval,
            filters=filters.query(),
            points=points,
        )

    return await read(deps, query)


async def trend_points(
    conn: Connection,
    filters: CaseFilters,
    asked: list[str] | None,
    interval: PeriodUnit,
    moment_now: datetime,
    *,
    end: date | None = None,
    assigned_to: str | None,
) -> list[TrendPoint]:
    """The trend's points: the figures as of the end of each period (`asked`, or from the first report to `end`)."""
    keys = asked
    if keys is None:
        last = end or moment_now.astimezone(SHANGHAI).date()
        first = await conn.fetchval("select min(reported_at) from issues")
        start = first.astimezone(SHANGHAI).date() if first else last
        keys = trend_periods(start, last, interval, refuse_beyond=False)
    ends = [
        min(day_start(period_bounds(key)[1] + timedelta(days=1)) - timedelta(microseconds=1), moment_now)
        for key in keys
    ]
    figures = await closure.trend(conn, filters, ends, assigned_to=assigned_to)
    points = []
    for key, as_of, counts in zip(keys, ends, figures, strict=True):
        row = present.rate_row(counts, {**filters.query(), "as_of": as_of.isoformat()})
        points.append(
            TrendPoint(
                key=key,
                label=labels.period(key),
                as_of=present.when(as_of) or "",
                **row.model_dump(exclude={"key", "label"}),
            )
        )
    return points


def trend_periods(start: date, end: date, interval: PeriodUnit, *, refuse_beyond: bool) -> list[str]:
    """The period keys from `start` to `end`: at most MAX_TREND_POINTS, the last ones, or refused beyond that."""
    keys: list[str] = []
    day = start
    while day <= end:  # at most some 12,600 months between FIRST_DAY and LAST_DAY
        key = period_key(day_start(day), interval)
        keys.append(key)
        day = period_bounds(key)[1] + timedelta(days=1)
        if refuse_beyond and len(keys) > MAX_TREND_POINTS:
            raise InvalidCommand(
                "from",
                f"时间范围过长：趋势最多{MAX_TREND_POINTS}个统计周期（{PERIOD_NAMES[interval]}），"
                f"{start.isoformat()}至{end.isoformat()}超过了；请缩小 from 与 to 之间的范围，"
                "或改用更大的周期（interval=quarter 或 year）",
            )
    return keys[-MAX_TREND_POINTS:]
