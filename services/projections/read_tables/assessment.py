"""The facts of the unit assessment (绩效考核), counted in SQL over the facts and the escalations; scored in scoring.py.

A fact belongs to the year (Asia/Shanghai) of its event and counts as of `as_of` if it happened by then, so a
score for a past date stays the same whatever follows. What each fact is:

- 超期: every DeadlineMissed, the unit named in it; its days late run from its deadline to the case's next closure
  request, closure, new deadline (延期, 重新交办, 回头看) or the moment asked, in whole days.
- 验收不通过: every ClosureRejected, the unit named in it; 公示异议成立 instead when an objection to the case (an
  event of the policy's objection types; the case is its payload's case_id, else its stream) came after the case's
  previous ClosureRejected and by this one.
- 通报预警, 约谈督办, 通报批评, 移交纪委监委: the ladder's escalations of the unit (escalations).
- 按期销号: every Closed, the unit named in it, whose case's last closure request before it was made by the deadline in
  force then (or without a deadline).

One pass over the facts of these types up to the moment (no index by type: the facts are read once per request).
"""

from datetime import date, datetime

from services.projections import scoring
from services.projections.assessment import AssessmentPolicy, Kind
from services.projections.filters import day_start
from services.projections.read_tables.accountability import ESCALATION_KINDS
from services.projections.read_tables.sql import Params, where
from services.projections.scoring import Fact, Score
from shared.db import Connection

# The case events after a missed deadline that end its days late (a request, closure or a new deadline).
_ENDING = ("ClosureRequested", "Closed", "DeadlineExtended", "Reassigned", "Reopened")
_CASE_TYPES = ("DeadlineMissed", "ClosureRejected", *_ENDING)

# The escalations' kinds are the assessment's own (warning, summons, criticism_notice, discipline_referral).
assert set(ESCALATION_KINDS.values()) <= {kind.value for kind in Kind}


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The first instant of the county year and of the next."""
    return day_start(date(year, 1, 1)), day_start(date(year + 1, 1, 1))


async def facts(conn: Connection, policy: AssessmentPolicy, *, year: int, at: datetime) -> list[Fact]:
    """Every scored fact of the year up to `at`, of every unit (the ranking needs them all)."""
    p = Params()
    rows = await conn.fetch(facts_sql(p, policy, year=year, at=at), *p.values)
    return [
        Fact(
            unit=r["unit"],
            kind=Kind(r["kind"]),
            event_id=r["event_id"],
            case_ids=tuple(r["case_ids"]),
            occurred_at=r["occurred_at"],
            days_late=r["days_late"],
        )
        for r in rows
    ]


def facts_sql(p: Params, policy: AssessmentPolicy, *, year: int, at: datetime) -> str:
    """The statement of `facts` (event_id, unit, kind, case_ids, occurred_at, days_late), its values in `p`."""
    start, end = year_bounds(year)
    at_, start_, end_ = p(at), p(start), p(end)
    in_year = f"occurred_at >= {start_} and occurred_at < {end_}"
    types = p([*_CASE_TYPES, *policy.objection_types])
    ending = ", ".join(f"'{t}'" for t in _ENDING)
    # the payloads' fields read once, narrow rows for the sorts of the windows below
    return f"""with ev as materialized (
                select event_id, topic, type, stream_id, stream_version, occurred_at, payload ->> 'unit' as unit,
                       (payload ->> 'deadline')::timestamptz as deadline,
                       coalesce(payload ->> 'case_id', stream_id) as case_id
                  from facts
                 where type = any({types}::text[]) and occurred_at <= {at_}
            ), cases as (
                -- the case events in stream order, each with what came after (missed deadlines) or before (closures)
                select event_id, type, stream_id, stream_version, occurred_at, unit, deadline,
                       min(case when type in ({ending}) then occurred_at end) over (
                           partition by stream_id order by stream_version
                           rows between 1 following and unbounded following) as ended_at,
                       max(case when type = 'ClosureRequested' then stream_version end) over (
                           partition by stream_id order by stream_version) as request_version,
                       max(case when type = 'ClosureRequested' then occurred_at end) over (
                           partition by stream_id order by stream_version) as requested_at
                  from ev where topic = 'cases'
            ), verdicts as (
                -- objections and failed verifications of each case in time order (an objection first at a tie)
                select event_id, case_id, occurred_at, rejected, unit,
                       max(case when not rejected then occurred_at end) over (
                           partition by case_id order by occurred_at, rejected, event_id) as objected_at,
                       max(case when rejected then occurred_at end) over (
                           partition by case_id order by occurred_at, rejected, event_id
                           rows between unbounded preceding and 1 preceding) as previous_rejection_at
                  from (select event_id, stream_id as case_id, occurred_at, true as rejected, unit from ev
                         where topic = 'cases' and type = 'ClosureRejected'
                        union all
                        select event_id, case_id, occurred_at, false, unit
                          from ev where type <> all({p(list(_CASE_TYPES))}::text[])) o
            ), scored as (
                select event_id, unit, '{Kind.OVERDUE_CASE.value}' as kind, array[stream_id] as case_ids, occurred_at,
                       greatest(0, floor(extract(epoch from coalesce(ended_at, {at_}) - deadline) / 86400))::int
                           as days_late
                  from cases where type = 'DeadlineMissed'
                union all
                select event_id, unit,
                       case when objected_at is not null
                             and (previous_rejection_at is null or objected_at >= previous_rejection_at)
                            then '{Kind.OBJECTION_UPHELD.value}' else '{Kind.CLOSURE_REJECTED.value}' end,
                       array[case_id], occurred_at, 0
                  from verdicts where rejected
                union all
                select c.event_id, c.unit, '{Kind.ON_TIME_CLOSURE.value}', array[c.stream_id],
                       c.occurred_at, 0
                  from cases c
                  left join case_history h on h.issue_id = c.stream_id and h.stream_version = c.request_version
                 where c.type = 'Closed' and c.request_version is not null
                   and (h.deadline is null or c.requested_at <= h.deadline)
                union all
                select event_id, unit, kind, case_ids, occurred_at, 0 from escalations where occurred_at <= {at_}
            )
            select event_id::text as event_id, unit, kind, case_ids, occurred_at, days_late from scored
             where {in_year} and coalesce(unit, '') <> ''
             order by occurred_at, event_id"""


async def units(conn: Connection, *, year: int, at: datetime) -> list[str]:
    """The responsible units assessed for the year: every unit that held a case during it (up to `at`)."""
    start, end = year_bounds(year)
    p = Params()
    conditions = [
        "unit is not null and unit <> ''",
        f"valid_from < least({p(end)}::timestamptz, {p(at)}::timestamptz)",
        f"(valid_to is null or valid_to > {p(start)})",
    ]
    rows = await conn.fetch(f"select distinct unit from case_history where {where(conditions)}", *p.values)
    return [r["unit"] for r in rows]


async def ranking(conn: Connection, policy: AssessmentPolicy, *, year: int, at: datetime) -> list[tuple[int, Score]]:
    """排名: every assessed unit's score for the year as of `at`, the highest first, with its rank."""
    ranked = scoring.scores(await units(conn, year=year, at=at), await facts(conn, policy, year=year, at=at), policy)
    return list(zip(scoring.ranks(ranked), ranked, strict=True))
