"""The documents of the work (交办函, 联合督查, 督查通报, 集体约谈会, 工作会议), read from the facts.

Each document is one event (a round: its opening, findings and closing), recorded once by its event id like every
fact, so its count and its content need no table of their own: they are read by type and time
(`facts_type_occurred_at_idx`, read_indexes.sql). A document's year is the one it states: a letter's and a
bulletin's their own `year` (the year of the 交办 or of the issue, 北京时间), a meeting's the year it was held, a
round's the year it was opened. "As of" a moment counts what had been recorded by then.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import asyncpg

from services.projections.read_tables.sql import Params, where
from shared.contracts.accountability import (
    BulletinIssued,
    FindingRecorded,
    RoundClosed,
    RoundOpened,
    SummonsMeetingHeld,
    WorkMeetingHeld,
)
from shared.contracts.cases import AssignmentLetterIssued
from shared.db import Connection


class DocumentKind(StrEnum):
    """The kinds of document a list can name (the path's words)."""

    ASSIGNMENT_LETTERS = "assignment-letters"  # 交办函
    ROUNDS = "rounds"  # 联合督查 (their openings)
    FINDINGS = "findings"  # 督查发现
    BULLETINS = "bulletins"  # 督查通报
    SUMMONS_MEETINGS = "summons-meetings"  # 集体约谈会
    MEETINGS = "meetings"  # 工作会议


TYPE_OF: dict[DocumentKind, str] = {
    DocumentKind.ASSIGNMENT_LETTERS: AssignmentLetterIssued.event_type(),
    DocumentKind.ROUNDS: RoundOpened.event_type(),
    DocumentKind.FINDINGS: FindingRecorded.event_type(),
    DocumentKind.BULLETINS: BulletinIssued.event_type(),
    DocumentKind.SUMMONS_MEETINGS: SummonsMeetingHeld.event_type(),
    DocumentKind.MEETINGS: WorkMeetingHeld.event_type(),
}

# The year a document states (see the module's docstring).
_YEAR = f"""case
    when type in ('{AssignmentLetterIssued.event_type()}', '{BulletinIssued.event_type()}')
        then (payload ->> 'year')::integer
    when type in ('{SummonsMeetingHeld.event_type()}', '{WorkMeetingHeld.event_type()}')
        then extract(year from (payload ->> 'held_on')::date)::integer
    else extract(year from occurred_at at time zone 'Asia/Shanghai')::integer end"""

# The order a document's list is in: a numbered document by its number, the others by their date.
_ORDER = f"""case when type in ('{AssignmentLetterIssued.event_type()}', '{BulletinIssued.event_type()}')
    then lpad(payload ->> 'year', 4, '0') || lpad(coalesce(payload ->> 'seq', payload ->> 'number'), 9, '0')
    else coalesce(payload ->> 'held_on', to_char(occurred_at at time zone 'Asia/Shanghai', 'YYYY-MM-DD')) end"""


_SUMMONS = SummonsMeetingHeld.event_type()


@dataclass(frozen=True)
class Counts:
    """How many documents of each kind a year has (as of a moment), and the meetings by kind."""

    assignment_letters: int
    rounds: int
    findings: int
    bulletins: int
    summons_meetings: int
    units_summoned: int  # 约谈单位: units summoned, counted once per meeting
    meetings: dict[str, int]  # MeetingKind value → count


def _conditions(p: Params, types: list[str], *, year: int | None, as_of: datetime | None) -> list[str]:
    conditions = [f"type = any({p(types)}::text[])"]
    if as_of is not None:
        conditions.append(f"occurred_at <= {p(as_of)}")
    if year is not None:
        conditions.append(f"({_YEAR}) = {p(year)}")
    return conditions


async def counts(conn: Connection, *, year: int | None, as_of: datetime | None) -> Counts:
    p = Params()
    rows = await conn.fetch(
        f"""select type, coalesce(payload ->> 'kind', '') as kind, count(*) as n,
                   coalesce(sum(jsonb_array_length(payload -> 'units')) filter (where type = '{_SUMMONS}'), 0)
                       as units
              from facts where {where(_conditions(p, list(TYPE_OF.values()), year=year, as_of=as_of))}
             group by type, kind""",
        *p.values,
    )
    by_type: dict[str, int] = {}
    meetings: dict[str, int] = {}
    units_summoned = 0
    for row in rows:
        by_type[row["type"]] = by_type.get(row["type"], 0) + row["n"]
        if row["type"] == WorkMeetingHeld.event_type():
            meetings[row["kind"]] = row["n"]
        units_summoned += int(row["units"])
    return Counts(
        assignment_letters=by_type.get(TYPE_OF[DocumentKind.ASSIGNMENT_LETTERS], 0),
        rounds=by_type.get(TYPE_OF[DocumentKind.ROUNDS], 0),
        findings=by_type.get(TYPE_OF[DocumentKind.FINDINGS], 0),
        bulletins=by_type.get(TYPE_OF[DocumentKind.BULLETINS], 0),
        summons_meetings=by_type.get(TYPE_OF[DocumentKind.SUMMONS_MEETINGS], 0),
        units_summoned=units_summoned,
        meetings=meetings,
    )


_COLUMNS = "event_id, type, stream_id, stream_version, occurred_at, actor, payload"


async def listed(
    conn: Connection,
    kind: DocumentKind,
    *,
    year: int | None,
    as_of: datetime | None,
    limit: int,
    offset: int,
    case_id: str | None = None,
    unit: str | None = None,
) -> tuple[int, list[asyncpg.Record]]:
    """One kind's documents, oldest (or lowest numbered) first, a page at a time, and how many there are.

    `unit`: only those addressed to it (a 交办函's unit), for a responsible unit's reads."""
    p = Params()
    conditions = _conditions(p, [TYPE_OF[kind]], year=year, as_of=as_of)
    if case_id is not None:
        conditions.append(f"issue_ids @> array[{p(case_id)}]::text[]")
    if unit is not None:
        conditions.append(f"payload ->> 'unit' = {p(unit)}")
    selected = f"from facts where {where(conditions)}"
    total = await conn.fetchval(f"select count(*) {selected}", *p.values)
    rows = await conn.fetch(
        f"select {_COLUMNS} {selected} order by {_ORDER}, occurred_at, event_id limit {p(limit)} offset {p(offset)}",
        *p.values,
    )
    return int(total), rows


async def letter(conn: Connection, letter_no: str) -> asyncpg.Record | None:
    """The 交办函 of that number (交办函〔2026〕12号)."""
    row: asyncpg.Record | None = await conn.fetchrow(
        f"select {_COLUMNS} from facts where type = $1 and payload ->> 'letter_no' = $2 limit 1",
        AssignmentLetterIssued.event_type(),
        letter_no,
    )
    return row


async def bulletin(conn: Connection, year: int, number: int) -> asyncpg.Record | None:
    """The year's bulletin 第N期."""
    row: asyncpg.Record | None = await conn.fetchrow(
        f"select {_COLUMNS} from facts where topic = 'accountability' and stream_id = $1 and stream_version = $2",
        f"bulletins:{year}",
        number,
    )
    return row


async def round_events(conn: Connection, stream_ids: list[str]) -> list[asyncpg.Record]:
    """The rounds' events (opening, findings, closing), in stream order."""
    return list(
        await conn.fetch(
            f"""select {_COLUMNS} from facts
                 where topic = 'accountability' and stream_id = any($1::text[]) and type = any($2::text[])
                 order by stream_id, stream_version""",
            stream_ids,
            [RoundOpened.event_type(), FindingRecorded.event_type(), RoundClosed.event_type()],
        )
    )
