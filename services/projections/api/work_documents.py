"""The documents of the work (工作文书): their counts, their lists and contents, and a bulletin's draft.

交办函 (from cases.events), 联合督查, 督查通报, 集体约谈会 and 工作会议 (from accountability.events), each read from
its events (read_tables/documents.py). County-wide roles only: a bulletin or a meeting names other units' cases.
"""

from datetime import date
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Path, Query

from services.projections import bulletin
from services.projections.deps import Deps, DepsDep
from services.projections.filters import TEXT, Limit, Offset, YearFilter
from services.projections.read_tables import documents
from services.projections.read_tables.documents import DocumentKind
from services.projections.readside import View, read
from services.projections.schemas import (
    BulletinDraft,
    DocumentAnswer,
    DocumentCounts,
    DocumentItem,
    DocumentList,
    MeetingCount,
    RoundList,
    RoundOut,
)
from shared.auth import STAFF, require
from shared.clock import now, shown
from shared.contracts import label_of
from shared.contracts.codes import MEETING_LABELS
from shared.errors import InvalidCommand, NotFound
from shared.scope import COUNTY_READERS, ScopeDep

router = APIRouter(tags=["documents"], dependencies=[require(*COUNTY_READERS)])
# 交办函 are read by the unit they are addressed to as well (its own only: another's is 404, as if it did not exist).
letters_router = APIRouter(tags=["documents"], dependencies=[require(*STAFF)])
CaseId = Annotated[str | None, Query(min_length=1, max_length=64, pattern=TEXT, description="交办函 of one case")]


def item(row: asyncpg.Record) -> DocumentItem:
    payload: dict[str, Any] = row["payload"]
    return DocumentItem(
        event_id=str(row["event_id"]),
        type=row["type"],
        label=label_of(row["type"]),
        stream_id=row["stream_id"],
        version=row["stream_version"],
        occurred_at=shown(row["occurred_at"]),
        actor=row["actor"],
        content=payload,
    )


@router.get(
    "/v1/stats/documents", response_model=DocumentCounts, summary="工作文书统计: 交办函, 督查, 通报, 约谈会, 会议"
)
async def document_counts(deps: DepsDep, filters: Annotated[YearFilter, Query()]) -> DocumentCounts:
    async def query(view: View) -> DocumentCounts:
        c = await documents.counts(view.conn, year=filters.year, as_of=filters.as_of)
        meetings = [
            MeetingCount(kind=kind.value, label=label, count=c.meetings.get(kind.value, 0))
            for kind, label in MEETING_LABELS.items()
        ]
        return await view.answer(
            DocumentCounts,
            year=filters.year,
            as_of=shown(filters.as_of) if filters.as_of else None,
            assignment_letters=c.assignment_letters,
            rounds=c.rounds,
            findings=c.findings,
            bulletins=c.bulletins,
            summons_meetings=c.summons_meetings,
            units_summoned=c.units_summoned,
            meetings=meetings,
            meetings_total=sum(m.count for m in meetings),
        )

    return await read(deps, query)


@router.get("/v1/documents/rounds", response_model=RoundList, summary="联合督查: each round with its findings")
async def rounds(
    deps: DepsDep, filters: Annotated[YearFilter, Query()], limit: Limit = 100, offset: Offset = 0
) -> RoundList:
    async def query(view: View) -> RoundList:
        total, openings = await documents.listed(
            view.conn, DocumentKind.ROUNDS, year=filters.year, as_of=filters.as_of, limit=limit, offset=offset
        )
        events = await documents.round_events(view.conn, [r["stream_id"] for r in openings])
        if filters.as_of is not None:
            events = [e for e in events if e["occurred_at"] <= filters.as_of]
        out = []
        for opening in openings:
            mine = [item(e) for e in events if e["stream_id"] == opening["stream_id"]]
            out.append(
                RoundOut(
                    round_id=opening["payload"]["round_id"],
                    opened=item(opening),
                    findings=[e for e in mine if e.type == "FindingRecorded"],
                    closed=next((e for e in mine if e.type == "RoundClosed"), None),
                )
            )
        return await view.answer(RoundList, year=filters.year, total=total, items=out)

    return await read(deps, query)


@router.get(
    "/v1/documents/bulletin-draft", response_model=BulletinDraft, summary="督查通报草稿: 期间的超期问题和整改不力单位"
)
async def bulletin_draft(
    deps: DepsDep,
    period_from: Annotated[date, Query(alias="from")],
    period_to: Annotated[date, Query(alias="to")],
) -> BulletinDraft:
    if period_to < period_from:
        raise InvalidCommand("to", "通报期间的结束日期不能早于开始日期")

    async def query(view: View) -> BulletinDraft:
        at, overdue, units = await bulletin.draft(view.conn, period_from, period_to, now())
        return await view.answer(
            BulletinDraft,
            period_from=period_from.isoformat(),
            period_to=period_to.isoformat(),
            as_of=shown(at),
            overdue=[o.model_dump(mode="json") for o in overdue],
            units=[u.model_dump(mode="json") for u in units],
            text=bulletin.text(period_from, period_to, overdue, units),
        )

    return await read(deps, query)


@letters_router.get(
    "/v1/documents/assignment-letters/{letter_no}", response_model=DocumentAnswer, summary="交办函 by its number"
)
async def assignment_letter(
    deps: DepsDep, scope: ScopeDep, letter_no: Annotated[str, Path(min_length=1, max_length=64, pattern=TEXT)]
) -> DocumentAnswer:
    """The letter's 五定 as issued, e.g. 交办函〔2026〕12号 (URL-encoded)."""

    async def query(view: View) -> DocumentAnswer:
        row = await documents.letter(view.conn, letter_no)
        if row is None:
            raise NotFound("交办函", letter_no)
        scope.check(row["payload"].get("unit"), "交办函", letter_no)
        return await view.answer(DocumentAnswer, document=item(row))

    return await read(deps, query)


@letters_router.get("/v1/documents/assignment-letters", response_model=DocumentList, summary="交办函, by number")
async def assignment_letters(
    deps: DepsDep,
    scope: ScopeDep,
    filters: Annotated[YearFilter, Query()],
    case_id: CaseId = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> DocumentList:
    """The year's letters (`case_id`: those of one case); a responsible unit's list holds its own letters only."""
    return await _listed(deps, DocumentKind.ASSIGNMENT_LETTERS, filters, case_id, limit, offset, unit=scope.unit)


@router.get("/v1/documents/bulletins/{year}/{number}", response_model=DocumentAnswer, summary="督查通报 第N期")
async def bulletin_issued(
    deps: DepsDep, year: Annotated[int, Path(ge=2000, le=2999)], number: Annotated[int, Path(ge=1, le=100_000)]
) -> DocumentAnswer:
    async def query(view: View) -> DocumentAnswer:
        row = await documents.bulletin(view.conn, year, number)
        if row is None:
            raise NotFound("督查通报", f"{year}年第{number}期")
        return await view.answer(DocumentAnswer, document=item(row))

    return await read(deps, query)


@router.get("/v1/documents/{kind}", response_model=DocumentList, summary="工作文书 of one kind, a page at a time")
async def document_list(
    deps: DepsDep,
    kind: DocumentKind,
    filters: Annotated[YearFilter, Query()],
    case_id: CaseId = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> DocumentList:
    """交办函 by number (`case_id`: those of one case), bulletins by number, the others by date."""
    return await _listed(deps, kind, filters, case_id, limit, offset, unit=None)


async def _listed(
    deps: Deps,
    kind: DocumentKind,
    filters: YearFilter,
    case_id: str | None,
    limit: int,
    offset: int,
    *,
    unit: str | None,
) -> DocumentList:
    async def query(view: View) -> DocumentList:
        total, rows = await documents.listed(
            view.conn,
            kind,
            year=filters.year,
            as_of=filters.as_of,
            limit=limit,
            offset=offset,
            case_id=case_id,
            unit=unit,
        )
        return await view.answer(
            DocumentList, kind=kind.value, year=filters.year, total=total, items=[item(r) for r in rows]
        )

    return await read(deps, query)
