"""The accountability tally (问责统计): escalations and measures per unit, kind or year, and the items behind them."""

from typing import Annotated

from fastapi import APIRouter, Query

from services.projections import present
from services.projections.deps import DepsDep
from services.projections.filters import TEXT, Limit, Offset, TallyGroupBy, YearFilter
from services.projections.labels import TALLY_KIND_LABELS
from services.projections.read_tables import accountability as tally
from services.projections.readside import View, read
from services.projections.schemas import AccountabilityTally, TallyItems, TallyRow
from shared.auth import STAFF, require
from shared.errors import InvalidCommand
from shared.scope import ScopeDep

router = APIRouter(prefix="/v1/stats", tags=["stats"], dependencies=[require(*STAFF)])


def _tally_label(group_by: TallyGroupBy, key: str) -> str:
    match group_by:
        case TallyGroupBy.kind:
            return TALLY_KIND_LABELS.get(key, key)
        case TallyGroupBy.year:
            return f"{key}年"
        case _:
            return key


@router.get("/accountability", response_model=AccountabilityTally, summary="问责统计 by unit, measure kind, year")
async def accountability(
    deps: DepsDep,
    scope: ScopeDep,
    filters: Annotated[YearFilter, Query()],
    group_by: TallyGroupBy = TallyGroupBy.unit,
) -> AccountabilityTally:
    """Warnings, summons (人次), criticism notices, person measures…; revoked measures subtracted."""

    async def query(view: View) -> AccountabilityTally:
        own = scope.unit  # a responsible unit's own escalations and measures only (shared.scope)
        rows = await tally.tally(view.conn, group_by, year=filters.year, as_of=filters.as_of, assigned_to=own)
        totals = (await tally.tally(view.conn, None, year=filters.year, as_of=filters.as_of, assigned_to=own))[0][1]
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
                        {**base, "year": key} if group_by is TallyGroupBy.year else {**base, group_by.value: key},
                    ),
                )
                for key, figures in rows
            ],
            totals=present.tally_figures(totals),
        )

    return await read(deps, query)


@router.get("/accountability/items", response_model=TallyItems, summary="The escalations and measures behind a tally")
async def accountability_items(
    deps: DepsDep,
    scope: ScopeDep,
    filters: Annotated[YearFilter, Query()],
    unit: Annotated[str | None, Query(max_length=100, pattern=TEXT)] = None,
    kind: Annotated[str | None, Query(max_length=50, description=f"one of: {', '.join(TALLY_KIND_LABELS)}")] = None,
    include_revoked: bool = False,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> TallyItems:
    """A page of the escalations and measures behind a tally figure, in time order, with how many there are."""
    if kind is not None and kind not in TALLY_KIND_LABELS:
        raise InvalidCommand("kind", f"未知的问责类别：{kind}（可选：{'、'.join(TALLY_KIND_LABELS)}）")

    async def query(view: View) -> TallyItems:
        total, rows = await tally.items(
            view.conn,
            year=filters.year,
            as_of=filters.as_of,
            unit=unit,
            kind=kind,
            include_revoked=include_revoked,
            limit=limit,
            offset=offset,
            assigned_to=scope.unit,
        )
        return await view.answer(
            TallyItems,
            year=filters.year,
            as_of=present.when(filters.as_of),
            total=total,
            limit=limit,
            offset=offset,
            items=[present.tally_item(r) for r in rows],
        )

    return await read(deps, query)
