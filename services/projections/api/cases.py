"""Routes of the case lists projections keeps: the overdue list (超期清单) and case timelines (时间线)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from services.projections import timeline
from services.projections.api.closure import case_list
from services.projections.deps import DepsDep
from services.projections.filters import TEXT, CaseFilters, Figure, Limit, Offset
from services.projections.read_tables import timeline as timeline_table
from services.projections.read_tables.facts import payload_of
from services.projections.readside import View, read
from services.projections.schemas import CaseList, Timeline, TimelineEvent
from shared.audit.reads import Reader, reader, record
from shared.auth import STAFF, current_principal, require
from shared.clock import shown
from shared.contracts import label_of
from shared.contracts.audit import TimelineOpened
from shared.errors import NotFound
from shared.scope import ScopeDep

router = APIRouter(prefix="/v1/cases", tags=["cases"], dependencies=[require(*STAFF)])


@router.get("/overdue", response_model=CaseList, summary="超期清单: open cases past their deadline")
async def overdue(
    deps: DepsDep, scope: ScopeDep, filters: Annotated[CaseFilters, Query()], limit: Limit = 1000, offset: Offset = 0
) -> CaseList:
    """The longest overdue first; the same cases as the closure rates' overdue figure for the same filters."""
    return await case_list(
        deps, filters, Figure.OVERDUE, limit=limit, offset=offset, assigned_to=scope.unit, overdue_first=True
    )


@router.get("/{issue_id}/timeline", response_model=Timeline, summary="Every event of one issue, across all topics")
async def case_timeline(
    deps: DepsDep,
    scope: ScopeDep,
    who: Annotated[Reader, reader(Depends(current_principal))],
    issue_id: Annotated[str, Path(min_length=1, max_length=64, pattern=TEXT)],
) -> Timeline:
    """Intake, the case, enforcement cases filed from it, escalations and measures naming it, in time order.

    A responsible unit reads the timelines of its own cases only (another is 404, as if it did not exist),
    without enforcement's facts and without the escalations and measures of other units. Each timeline answered
    is an audit event (TimelineOpened on audit.reads.projections), stored before the answer leaves.
    """

    async def query(view: View) -> Timeline:
        if not scope.county_wide:
            scope.check(await timeline_table.current_unit(view.conn, issue_id), "问题", issue_id)
        rows = await timeline_table.events(view.conn, issue_id, seen_by=scope.unit)
        if not rows:
            raise NotFound("问题", issue_id)
        title = await view.conn.fetchval("select title from issues where issue_id = $1", issue_id)
        return await view.answer(
            Timeline,
            issue_id=issue_id,
            title=title,
            events=[
                TimelineEvent(
                    event_id=str(r["event_id"]),
                    topic=r["topic"],
                    type=r["type"],
                    label=label_of(r["type"]),
                    summary=timeline.describe(payload_of(r["type"], r["payload"])),
                    occurred_at=shown(r["occurred_at"]),
                    stream_id=r["stream_id"],
                    stream_version=r["stream_version"],
                    actor=r["actor"],
                    payload=r["payload"],
                )
                for r in rows
            ],
        )

    answer = await read(deps, query)
    async with deps.pool.acquire() as conn:
        await record(conn, deps.audit, who, TimelineOpened(role=who.role, address=who.address, issue_id=issue_id))
    return answer
