"""The unit assessment (绩效考核): each unit's score for a year, the ranking, and the items behind a score."""

from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query

from services.projections import present
from services.projections.assessment import KIND_LABELS
from services.projections.deps import DepsDep
from services.projections.filters import TEXT, Limit, Offset, YearFilter
from services.projections.read_tables import assessment
from services.projections.readside import View, read
from services.projections.schemas import AssessmentItem, AssessmentItems, AssessmentRow, AssessmentStats
from services.projections.scoring import Score, items_of
from shared.auth import STAFF, require
from shared.clock import SHANGHAI, now, shown
from shared.errors import Forbidden, NotFound
from shared.scope import ScopeDep

# Every staff role; a responsible unit sees its own row (with its rank among all) and its own items only.
router = APIRouter(prefix="/v1/stats", tags=["stats"], dependencies=[require(*STAFF)])

ITEMS_PATH = "/v1/stats/assessment/items"


def _year(filters: YearFilter, moment_now: datetime) -> int:
    return filters.year or (filters.as_of or moment_now).astimezone(SHANGHAI).year


def assessment_row(rank: int, score: Score, *, year: int, as_of: datetime | None) -> AssessmentRow:
    query = {"unit": score.unit, "year": str(year), **present.query_of(as_of=as_of)}
    return AssessmentRow(
        rank=rank,
        unit=score.unit,
        score=str(score.score),
        base=str(score.base),
        deducted=str(score.deducted),
        bonus=str(score.bonus),
        deductions=sum(score.deductions.values()),
        items=f"{ITEMS_PATH}?{urlencode(query)}",
    )


@router.get("/assessment", response_model=AssessmentStats, summary="绩效考核: each unit's score and the ranking")
async def assessment_stats(deps: DepsDep, scope: ScopeDep, filters: Annotated[YearFilter, Query()]) -> AssessmentStats:
    """Every responsible unit that held a case in the year (default: as_of's, else this one), the highest score first,
    under the published formula (`policy`)."""
    moment_now = now()
    year = _year(filters, moment_now)

    async def query(view: View) -> AssessmentStats:
        ranked = await assessment.ranking(view.conn, deps.assessment, year=year, as_of=filters.as_of, now=moment_now)
        return await view.answer(
            AssessmentStats,
            year=year,
            as_of=present.when(filters.as_of),
            policy=deps.assessment.as_published(),
            rows=[
                assessment_row(rank, score, year=year, as_of=filters.as_of)
                for rank, score in ranked
                if scope.unit is None or score.unit == scope.unit
            ],
        )

    return await read(deps, query)


@router.get("/assessment/items", response_model=AssessmentItems, summary="The deductions and bonus behind a score")
async def assessment_items(
    deps: DepsDep,
    scope: ScopeDep,
    unit: Annotated[str, Query(min_length=1, max_length=100, pattern=TEXT, description="责任单位")],
    filters: Annotated[YearFilter, Query()],
    limit: Limit = 100,
    offset: Offset = 0,
) -> AssessmentItems:
    """The deduction and bonus items of the unit's score (its event, case, kind and points), a page of its scored
    facts at a time (`limit`, `offset`; a missed deadline is two items: the case and its days late), deductions by
    time first, then the bonus; `total` facts in all, `next_offset` the next page's."""
    if scope.unit is not None and unit != scope.unit:
        raise Forbidden("只能查看本单位的考核得分明细")
    moment_now = now()
    year = _year(filters, moment_now)

    async def query(view: View) -> AssessmentItems:
        ranked = await assessment.ranking(view.conn, deps.assessment, year=year, as_of=filters.as_of, now=moment_now)
        found = next(((rank, score) for rank, score in ranked if score.unit == unit), None)
        if found is None:
            raise NotFound("assessment", unit)
        rank, score = found
        at = filters.as_of or moment_now
        total, facts = await assessment.unit_facts_page(
            view.conn, deps.assessment, year=year, at=at, unit=unit, limit=limit, offset=offset
        )
        return await view.answer(
            AssessmentItems,
            year=year,
            as_of=present.when(filters.as_of),
            row=assessment_row(rank, score, year=year, as_of=filters.as_of),
            total=total,
            next_offset=offset + len(facts) if offset + len(facts) < total else None,
            items=[
                AssessmentItem(
                    event_id=item.event_id,
                    case_ids=list(item.case_ids),
                    kind=item.kind.value,
                    kind_label=KIND_LABELS[item.kind],
                    points=str(item.points),
                    detail=item.detail,
                    occurred_at=shown(item.occurred_at),
                    timeline=f"/v1/cases/{item.case_ids[0]}/timeline" if item.case_ids else None,
                )
                for item in (i for fact in facts for i in items_of(fact, deps.assessment))
            ],
        )

    return await read(deps, query)
