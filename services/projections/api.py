"""Routes of projections' figures (统计): closure rates, the accountability tally, enforcement figures.

Each figure links to the list of what it counts; every answer says up to which offset of each
topic partition it includes events (`positions`) and which generation of the read models answered.
"""

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.projections import accountability_tally as tally
from services.projections import closure, enforcement_figures, labels, present
from services.projections.closure import Moment
from services.projections.filters import (
    TEXT,
    CaseFilters,
    CaseSelection,
    DateRange,
    Figure,
    GroupBy,
    PeriodUnit,
    YearFilter,
    day_start,
    period_bounds,
    period_key,
)
from services.projections.readside import View, read
from services.projections.schemas import (
    AccountabilityTally,
    CaseList,
    ClosureRates,
    ClosureTrend,
    EnforcementCaseItem,
    EnforcementCases,
    EnforcementStats,
    Generation,
    ReadModels,
    RepeatOffender,
    TallyItems,
    TallyRow,
    TrendPoint,
    YearRow,
)
from shared.auth import STAFF, require
from shared.clock import now, shown
from shared.errors import InvalidCommand
from shared.service import Platform, PlatformDep

# Figures are for every staff role (viewers and leaders above all); the public has the report form only.
router = APIRouter(prefix="/v1/stats", tags=["stats"], dependencies=[require(*STAFF)])
read_models_router = APIRouter(prefix="/v1/read-models", tags=["read models"], dependencies=[require(*STAFF)])

Limit = Annotated[int, Query(ge=1, le=10_000, description="at most this many items")]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000, description="skip this many items")]
MAX_TREND_POINTS = 240


async def positions(platform: Platform) -> dict[str, Any]:
    """Up to which offset each partition is applied in the active read models, and the lag behind the log end."""

    async def query(view: View) -> dict[str, Any]:
        return await view.positions()

    return await read(platform, query)


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
    platform: PlatformDep,
    filters: Annotated[CaseFilters, Query()],
    group_by: GroupBy = GroupBy.source,
    period_unit: Annotated[PeriodUnit, Query(description="for group_by=period")] = PeriodUnit.month,
) -> ClosureRates:
    """Total, closed (销号), on schedule (未超期), overdue (超期), reopened and the rate, per group."""
    moment = Moment(filters.as_of, now())

    async def query(view: View) -> ClosureRates:
        rows = await closure.rates(view.conn, filters, moment, group_by, period_unit)
        return await view.answer(
            ClosureRates,
            group_by=group_by,
            period_unit=period_unit,
            as_of=present.when(filters.as_of),
            filters=filters.query(),
            rows=[present.rate_row(r, _group_query(filters, group_by, r.key)) for r in rows],
            totals=present.rate_row(closure.total(rows), filters.query()),
        )

    return await read(platform, query)


@router.get("/closure-rates/cases", response_model=CaseList, summary="The cases behind a closure-rate figure")
async def closure_rate_cases(
    platform: PlatformDep,
    filters: Annotated[CaseFilters, Query()],
    figure: Figure = Figure.ALL,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> CaseList:
    """Takes the same filters as /closure-rates (a row's group is one more filter) and the figure to list."""
    return await case_list(platform, filters, figure, limit=limit, offset=offset)


async def case_list(
    platform: Platform, filters: CaseFilters, figure: Figure, *, limit: int, offset: int, overdue_first: bool = False
) -> CaseList:
    moment = Moment(filters.as_of, now())

    async def query(view: View) -> CaseList:
        total, rows = await closure.cases(
            view.conn, filters, moment, figure, limit=limit, offset=offset, overdue_first=overdue_first
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

    return await read(platform, query)


@router.get("/closure-trend", response_model=ClosureTrend, summary="Closed and open cases over time")
async def closure_trend(
    platform: PlatformDep,
    selection: Annotated[CaseSelection, Query()],
    period: Annotated[DateRange, Query()],
    interval: PeriodUnit = PeriodUnit.month,
) -> ClosureTrend:
    """The figures as of the end of each period from `from` (default: the first report) to `to` (default: today)."""
    moment_now = now()
    filters = CaseFilters(**selection.model_dump())

    async def query(view: View) -> ClosureTrend:
        first = await view.conn.fetchval("select min(reported_at) from issues")
        start = period.from_ or (first.date() if first else moment_now.date())
        end = period.to or moment_now.date()
        keys: list[str] = []
        day = start
        while day <= end:
            key = period_key(day_start(day), interval)
            keys.append(key)
            day = period_bounds(key)[1] + timedelta(days=1)
            if len(keys) > MAX_TREND_POINTS:
                raise InvalidCommand("from", f"时间范围过长：最多{MAX_TREND_POINTS}个统计周期，请缩小范围或加大周期")
        points = []
        for key in keys:
            as_of = min(day_start(period_bounds(key)[1] + timedelta(days=1)) - timedelta(microseconds=1), moment_now)
            counts = (await closure.rates(view.conn, filters, Moment(as_of, moment_now), None))[0]
            row = present.rate_row(counts, {**filters.query(), "as_of": as_of.isoformat()})
            points.append(
                TrendPoint(
                    key=key,
                    label=labels.period(key),
                    as_of=present.when(as_of) or "",
                    **row.model_dump(exclude={"key", "label"}),
                )
            )
        return await view.answer(
            ClosureTrend,
            interval=interval,
            filters=filters.query(),
            points=points,
        )

    return await read(platform, query)


def _tally_label(group_by: tally.TallyGroupBy, key: str) -> str:
    match group_by:
        case tally.TallyGroupBy.kind:
            return tally.KIND_LABELS.get(key, key)
        case tally.TallyGroupBy.year:
            return f"{key}年"
        case _:
            return key


@router.get("/accountability", response_model=AccountabilityTally, summary="问责统计 by unit, measure kind, year")
async def accountability(
    platform: PlatformDep,
    filters: Annotated[YearFilter, Query()],
    group_by: tally.TallyGroupBy = tally.TallyGroupBy.unit,
) -> AccountabilityTally:
    """Warnings, summons (人次), criticism notices, person measures…; revoked measures subtracted."""

    async def query(view: View) -> AccountabilityTally:
        rows = await tally.tally(view.conn, group_by, year=filters.year, as_of=filters.as_of)
        totals = (await tally.tally(view.conn, None, year=filters.year, as_of=filters.as_of))[0][1]
        base = present.query_of(year=filters.year, as_of=filters.as_of)
        return await view.answer(
            AccountabilityTally,
            group_by=group_by,
            year=filters.year,
            as_of=present.when(filters.as_of),
            rows=[
                TallyRow(
                    key=key,
                    label=_tally_label(group_by, key),
                    figures=present.tally_figures(figures),
                    items=present.link(
                        "/v1/stats/accountability/items",
                        {**base, "year": key} if group_by is tally.TallyGroupBy.year else {**base, group_by.value: key},
                    ),
                )
                for key, figures in rows
            ],
            totals=present.tally_figures(totals),
        )

    return await read(platform, query)


@router.get("/accountability/items", response_model=TallyItems, summary="The escalations and measures behind a tally")
async def accountability_items(
    platform: PlatformDep,
    filters: Annotated[YearFilter, Query()],
    unit: Annotated[str | None, Query(max_length=100, pattern=TEXT)] = None,
    kind: Annotated[str | None, Query(max_length=50, description=f"one of: {', '.join(tally.KIND_LABELS)}")] = None,
    include_revoked: bool = False,
) -> TallyItems:
    if kind is not None and kind not in tally.KIND_LABELS:
        raise InvalidCommand("kind", f"未知的问责类别：{kind}（可选：{'、'.join(tally.KIND_LABELS)}）")

    async def query(view: View) -> TallyItems:
        rows = await tally.items(
            view.conn, year=filters.year, as_of=filters.as_of, unit=unit, kind=kind, include_revoked=include_revoked
        )
        return await view.answer(
            TallyItems,
            year=filters.year,
            as_of=present.when(filters.as_of),
            items=[present.tally_item(r) for r in rows],
        )

    return await read(platform, query)


@router.get("/enforcement", response_model=EnforcementStats, summary="执法统计 by year")
async def enforcement(platform: PlatformDep, filters: Annotated[YearFilter, Query()]) -> EnforcementStats:
    """Cases filed, fines issued and paid (yuan, exact), daily penalties, detentions, referrals; repeat offenders."""

    async def query(view: View) -> EnforcementStats:
        per_case = await enforcement_figures.per_case_year(view.conn, year=filters.year, as_of=filters.as_of)
        years = sorted({year for _, year in per_case})
        base = present.query_of(as_of=filters.as_of)
        offenders = await enforcement_figures.repeat_offenders(view.conn, year=filters.year, as_of=filters.as_of)
        return await view.answer(
            EnforcementStats,
            year=filters.year,
            as_of=present.when(filters.as_of),
            totals=present.enforcement_figures(enforcement_figures.add(list(per_case.values()))),
            rows=[
                YearRow(
                    key=str(year),
                    label=f"{year}年",
                    figures=present.enforcement_figures(
                        enforcement_figures.add([f for (_, y), f in per_case.items() if y == year])
                    ),
                    cases=present.link("/v1/stats/enforcement/cases", {**base, "year": str(year)}),
                )
                for year in years
            ],
            repeat_offenders=[
                RepeatOffender(
                    credit_code=r["credit_code"],
                    enterprise_name=r["enterprise_name"],
                    cases=r["cases"],
                    case_ids=list(r["case_ids"]),
                    link=present.link(
                        "/v1/stats/enforcement/cases",
                        {**present.query_of(year=filters.year, as_of=filters.as_of), "credit_code": r["credit_code"]},
                    ),
                )
                for r in offenders
            ],
        )

    return await read(platform, query)


@router.get("/enforcement/cases", response_model=EnforcementCases, summary="The enforcement cases behind the figures")
async def enforcement_cases(
    platform: PlatformDep,
    filters: Annotated[YearFilter, Query()],
    credit_code: Annotated[
        str | None, Query(max_length=18, pattern=TEXT, description="统一社会信用代码: one enterprise")
    ] = None,
) -> EnforcementCases:
    """Each case with its figures in the year (a case with figures in two years appears once per year)."""

    async def query(view: View) -> EnforcementCases:
        case_ids = None
        if credit_code is not None:
            case_ids = [
                r["case_id"]
                for r in await view.conn.fetch(
                    "select distinct case_id from enforcement_cases where credit_code = $1", credit_code
                )
            ]
        per_case = await enforcement_figures.per_case_year(
            view.conn, year=filters.year, as_of=filters.as_of, case_ids=case_ids
        )
        details = await enforcement_figures.case_details(view.conn, sorted({case for case, _ in per_case}))
        items = []
        for (case_id, year), figures in sorted(per_case.items(), key=lambda item: (item[0][1], item[0][0])):
            filed = details.get(case_id)
            items.append(
                EnforcementCaseItem(
                    case_id=case_id,
                    year=year,
                    enterprise_name=filed["enterprise_name"] if filed else None,
                    credit_code=filed["credit_code"] if filed else None,
                    violation=filed["violation"] if filed else None,
                    issue_id=filed["issue_id"] if filed else None,
                    opened_at=present.when(filed["occurred_at"]) if filed else None,
                    figures=present.enforcement_figures(figures),
                    timeline=f"/v1/cases/{filed['issue_id']}/timeline" if filed and filed["issue_id"] else None,
                )
            )
        return await view.answer(
            EnforcementCases,
            year=filters.year,
            as_of=present.when(filters.as_of),
            credit_code=credit_code,
            items=items,
        )

    return await read(platform, query)


@read_models_router.get("", response_model=ReadModels, summary="Generations of the read models and their positions")
async def read_models(platform: PlatformDep) -> ReadModels:
    """Which generation answers, what rebuilds replayed (events, seconds), and how far the active one has applied."""

    async def query(view: View) -> ReadModels:
        rows = await view.conn.fetch("select * from public.read_model_generations order by generation")
        return await view.answer(
            ReadModels,
            generations=[
                Generation(
                    generation=r["generation"],
                    status=r["status"],
                    consumer=r["consumer"],
                    created_at=shown(r["created_at"]),
                    activated_at=present.when(r["activated_at"]),
                    retired_at=present.when(r["retired_at"]),
                    replayed_events=r["replayed_events"],
                    replay_seconds=r["replay_seconds"],
                )
                for r in rows
            ],
        )

    return await read(platform, query)
