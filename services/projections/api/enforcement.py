"""Enforcement figures (执法统计) by year, repeat offenders, and the enforcement cases behind them."""

from typing import Annotated

from fastapi import APIRouter, Query

from services.projections import present, report
from services.projections.deps import DepsDep
from services.projections.filters import TEXT, AsOf, Limit, Offset, YearFilter
from services.projections.read_tables import enforcement as enforcement_figures
from services.projections.readside import View, read
from services.projections.schemas import (
    EnforcementCaseItem,
    EnforcementCases,
    EnforcementStats,
    RepeatOffender,
    YearOnYear,
    YearRow,
)
from shared.auth import require
from shared.clock import now
from shared.scope import COUNTY_READERS

# Enforcement is against enterprises, not units' cases: every staff role reads it but the responsible units.
router = APIRouter(prefix="/v1/stats", tags=["stats"], dependencies=[require(*COUNTY_READERS)])


@router.get("/enforcement", response_model=EnforcementStats, summary="执法统计 by year")
async def enforcement(deps: DepsDep, filters: Annotated[YearFilter, Query()]) -> EnforcementStats:
    """Cases filed, fines issued and paid (yuan, exact), daily penalties, detentions, referrals; repeat offenders."""

    async def query(view: View) -> EnforcementStats:
        per_year = await enforcement_figures.per_year(view.conn, year=filters.year, as_of=filters.as_of)
        years = sorted(per_year)
        base = present.query_of(as_of=filters.as_of)
        offenders = await enforcement_figures.repeat_offenders(view.conn, year=filters.year, as_of=filters.as_of)
        return await view.answer(
            EnforcementStats,
            year=filters.year,
            as_of=present.when(filters.as_of),
            totals=present.enforcement_figures(enforcement_figures.add(list(per_year.values()))),
            rows=[
                YearRow(
                    key=str(year),
                    label=f"{year}年",
                    figures=present.enforcement_figures(per_year[year]),
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

    return await read(deps, query)


@router.get("/enforcement/cases", response_model=EnforcementCases, summary="The enforcement cases behind the figures")
async def enforcement_cases(
    deps: DepsDep,
    filters: Annotated[YearFilter, Query()],
    credit_code: Annotated[
        str | None, Query(max_length=18, pattern=TEXT, description="统一社会信用代码: one enterprise")
    ] = None,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> EnforcementCases:
    """Each case with its figures in the year (a case with figures in two years appears once per year).

    A page of them, by year and case, with how many there are (`total`).
    """

    async def query(view: View) -> EnforcementCases:
        case_ids = None
        if credit_code is not None:
            case_ids = [
                r["case_id"]
                for r in await view.conn.fetch(
                    "select distinct case_id from enforcement_cases where credit_code = $1", credit_code
                )
            ]
        total, keys = await enforcement_figures.case_years(
            view.conn, year=filters.year, as_of=filters.as_of, case_ids=case_ids, limit=limit, offset=offset
        )
        on_page = sorted({case for case, _ in keys})
        per_case = await enforcement_figures.per_case_year(
            view.conn, year=filters.year, as_of=filters.as_of, case_ids=on_page
        )
        details = await enforcement_figures.case_details(view.conn, on_page)
        items = []
        for case_id, year in keys:
            figures = per_case.get((case_id, year), enforcement_figures.Figures())
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
            total=total,
            limit=limit,
            offset=offset,
            items=items,
        )

    return await read(deps, query)


@router.get(
    "/enforcement/year-on-year",
    response_model=YearOnYear,
    summary="执法统计: 本年截至今日, 上年全年, 上年同期",
)
async def enforcement_year_on_year(deps: DepsDep, as_of: Annotated[AsOf | None, Query()] = None) -> YearOnYear:
    """This year to date beside the last full year, as the county's report sets them, and the same period of last
    year (1 January to the same day), the fairer comparison; the year is as_of's (or now's), 北京时间."""

    async def query(view: View) -> YearOnYear:
        years = await report.gather_enforcement_years(view.conn, at=as_of or now(), as_of=as_of)
        return await view.answer(YearOnYear, **present.enforcement_years(years).model_dump())

    return await read(deps, query)
