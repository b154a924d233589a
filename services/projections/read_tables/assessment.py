"""The facts of the unit assessment (绩效考核), counted in SQL; scored in scoring.py.

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

The case's part is kept on write (`record`, table assessment_facts: one row per fact, with what a moment needs to
finish it: the time a missed deadline's lateness ended, the case's previous failed verification), so a read counts
the year's rows per unit and kind (`ranking`) and lists one unit's (`unit_facts`) instead of folding every case's
events again. Objections are matched at the read: which event types are objections is the policy's.
"""

from datetime import date, datetime

import asyncpg

from services.projections import scoring
from services.projections.assessment import AssessmentPolicy, Kind
from services.projections.filters import day_start
from services.projections.read_tables.accountability import ESCALATION_KINDS
from services.projections.read_tables.sql import Params
from services.projections.scoring import Fact, Score, Tally
from shared.db import Connection

# The case events after a missed deadline that end its days late (a request, closure or a new deadline).
_ENDING = ("ClosureRequested", "Closed", "DeadlineExtended", "Reassigned", "Reopened")
_CASE_TYPES = ("DeadlineMissed", "ClosureRejected", *_ENDING)

# The escalations' kinds are the assessment's own (warning, summons, criticism_notice, discipline_referral).
assert set(ESCALATION_KINDS.values()) <= {kind.value for kind in Kind}


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The first instant of the county year and of the next."""
    return day_start(date(year, 1, 1)), day_start(date(year + 1, 1, 1))


# ---- on write: each touched case's facts, from all its events (in stream order, as its service appended them) ----


# A fact's count in assessment_counts: its year, unit, kind, and its days late once they stop running (-1 before).
_COUNTED = f"""extract(year from occurred_at at time zone 'Asia/Shanghai')::int, unit, kind,
    case when kind <> '{Kind.OVERDUE_CASE.value}' then 0
         when ended_at is null then -1
         else greatest(0, floor(extract(epoch from ended_at - deadline) / 86400))::int end"""


# What `record` writes.
TABLES = ("assessment_facts", "assessment_counts")


async def record(conn: Connection, case_ids: list[str]) -> None:
    """The cases' assessment facts replaced by those of their facts now, and assessment_counts by the difference;
    after the batch's case_history is written (an on-time closure reads the deadline in force at its request).
    Whatever the order the events came in, a case's rows end up those of its whole stream."""
    await _counted(conn, "", "delete from assessment_facts where case_id = any($1::text[])", -1, case_ids)
    await _counted(conn, _EVENTS_OF_CASES, _FACTS_OF_CASES, 1, case_ids, list(_CASE_TYPES))
    await conn.execute("delete from assessment_counts where facts = 0")


async def _counted(conn: Connection, ctes: str, change: str, sign: int, *values: object) -> None:
    """`change` (rows of assessment_facts deleted or inserted) and its count, `sign` each, in one statement."""
    await conn.execute(
        f"""with {ctes} changed as ({change} returning *)
            insert into assessment_counts as c (year, unit, kind, days_late, facts)
            select {_COUNTED}, {sign} * count(*) from changed group by 1, 2, 3, 4
            on conflict (year, unit, kind, days_late) do update set facts = c.facts + excluded.facts""",
        *values,
    )


_ENDING_LIST = ", ".join(f"'{t}'" for t in _ENDING)
# The facts of the cases ($1) of these types ($2), each with what its fact needs.
_EVENTS_OF_CASES = f"""ev as (
                select event_id, type, stream_id, stream_version, occurred_at, payload ->> 'unit' as unit,
                       (payload ->> 'deadline')::timestamptz as deadline
                  from facts
                 where topic = 'cases' and stream_id = any($1::text[]) and type = any($2::text[])
            ), cases as (
                -- the case events in stream order, each with what came after (missed deadlines) or before (closures)
                select event_id, type, stream_id, occurred_at, unit, deadline,
                       min(case when type in ({_ENDING_LIST}) then occurred_at end) over (
                           partition by stream_id order by stream_version
                           rows between 1 following and unbounded following) as ended_at,
                       max(case when type = 'ClosureRequested' then stream_version end) over (
                           partition by stream_id order by stream_version) as request_version,
                       max(case when type = 'ClosureRequested' then occurred_at end) over (
                           partition by stream_id order by stream_version) as requested_at
                  from ev
            ), rejections as (
                -- each failed verification with the case's one before it (in time, then event id)
                select event_id, stream_id, occurred_at, unit,
                       max(occurred_at) over (
                           partition by stream_id order by occurred_at, event_id
                           rows between unbounded preceding and 1 preceding) as previous_rejection_at
                  from ev where type = 'ClosureRejected'
            ),"""
# Every assessment fact of the cases, from _EVENTS_OF_CASES.
_FACTS_OF_CASES = f"""insert into assessment_facts (event_id, case_id, unit, kind, occurred_at, deadline, ended_at,
                                          previous_rejection_at)
            select * from (
                select event_id, stream_id, unit, '{Kind.OVERDUE_CASE.value}', occurred_at, deadline, ended_at,
                       null::timestamptz
                  from cases where type = 'DeadlineMissed'
                union all
                select event_id, stream_id, unit, '{Kind.CLOSURE_REJECTED.value}', occurred_at, null, null,
                       previous_rejection_at
                  from rejections
                union all
                select c.event_id, c.stream_id, c.unit, '{Kind.ON_TIME_CLOSURE.value}', c.occurred_at, null, null, null
                  from cases c
                  left join case_history h on h.issue_id = c.stream_id and h.stream_version = c.request_version
                 where c.type = 'Closed' and c.request_version is not null
                   and (h.deadline is null or c.requested_at <= h.deadline)
            ) f (event_id, case_id, unit, kind, occurred_at, deadline, ended_at, previous_rejection_at)
             where coalesce(unit, '') <> ''"""


# ---- on read ----


def scored_sql(p: Params, policy: AssessmentPolicy, *, year: int, at: datetime, unit: str | None = None) -> str:
    """Every scored fact of the year up to `at` (event_id, unit, kind, case_ids, occurred_at, days_late), of every
    unit or of `unit`, its values in `p`."""
    start, end = year_bounds(year)
    at_ = p(at)
    when = f"occurred_at >= {p(start)} and occurred_at < {p(end)} and occurred_at <= {at_}"
    of_unit = f" and unit = {p(unit)}" if unit is not None else ""
    return f"""with objections as (
                select coalesce(payload ->> 'case_id', stream_id) as case_id, occurred_at
                  from facts where type = any({p(list(policy.objection_types))}::text[]) and occurred_at <= {at_}
            )
            select event_id::text, unit,
                   case when kind = '{Kind.CLOSURE_REJECTED.value}' and exists (
                            select 1 from objections o
                             where o.case_id = f.case_id and o.occurred_at <= f.occurred_at
                               and (f.previous_rejection_at is null or o.occurred_at >= f.previous_rejection_at))
                        then '{Kind.OBJECTION_UPHELD.value}' else kind end as kind,
                   array[case_id] as case_ids, occurred_at,
                   greatest(0, floor(extract(epoch from least(coalesce(ended_at, {at_}), {at_}) - deadline)
                                     / 86400))::int as days_late
              from assessment_facts f where {when}{of_unit}
            union all
            select event_id::text, unit, kind, case_ids, occurred_at, 0
              from escalations where {when}{of_unit} and unit <> ''"""


async def unit_facts_page(
    conn: Connection, policy: AssessmentPolicy, *, year: int, at: datetime, unit: str, limit: int, offset: int
) -> tuple[int, list[Fact]]:
    """A page of the unit's scored facts, in the order `scoring.score` lists their items (the deductions by time,
    then the bonus), and how many there are: a busy unit's drill-down is thousands of items, read a page at a time."""
    p = Params()
    scored = scored_sql(p, policy, year=year, at=at, unit=unit)
    scored_values = list(p.values)
    rows = await conn.fetch(
        f"""select s.*, count(*) over () as total from ({scored}) s
             order by s.kind = '{Kind.ON_TIME_CLOSURE.value}', s.occurred_at, s.event_id, s.kind
             limit {p(limit)} offset {p(offset)}""",
        *p.values,
    )
    total = rows[0]["total"] if rows else await _count(conn, scored, scored_values)
    return total, _facts(rows)


_KINDS = {kind.value: kind for kind in Kind}


def _facts(rows: list[asyncpg.Record]) -> list[Fact]:
    """`scored_sql`'s rows as facts, read by position (thousands at a busy unit)."""
    return [Fact(r[1], _KINDS[r[2]], r[0], tuple(r[3]), r[4], r[5]) for r in rows]


async def _count(conn: Connection, scored: str, values: list[object]) -> int:
    """How many facts there are when a page is past the end (an offset beyond the last: no row carries the total)."""
    return int(await conn.fetchval(f"select count(*) from ({scored}) s", *values))


async def unit_facts(conn: Connection, policy: AssessmentPolicy, *, year: int, at: datetime, unit: str) -> list[Fact]:
    """The unit's scored facts of the year up to `at`, all of them (`unit_score`: a score with every item)."""
    p = Params()
    return _facts(await conn.fetch(scored_sql(p, policy, year=year, at=at, unit=unit), *p.values))


def _upheld_sql(p: Params, policy: AssessmentPolicy, *, start: str, end: str, at: str) -> str:
    """The CTEs `objections` and `upheld` (unit, facts): per unit, the year's failed verifications up to `at` that an
    objection upheld (one after the case's previous failed verification and by this one)."""
    return f"""objections as (
                select coalesce(payload ->> 'case_id', stream_id) as case_id, occurred_at
                  from facts where type = any({p(list(policy.objection_types))}::text[]) and occurred_at <= {at}
            ), upheld as (
                select f.unit, count(distinct f.event_id) as facts
                  from objections o join assessment_facts f on f.case_id = o.case_id
                 where f.kind = '{Kind.CLOSURE_REJECTED.value}' and f.occurred_at >= {start} and f.occurred_at < {end}
                   and f.occurred_at <= {at} and o.occurred_at <= f.occurred_at
                   and (f.previous_rejection_at is null or o.occurred_at >= f.previous_rejection_at)
                 group by f.unit
            )"""


# The upheld failed verifications moved from their kind to 公示异议成立 (rows of a tally's `counted`).
_MOVED = f"""select unit, '{Kind.OBJECTION_UPHELD.value}', 0, facts from upheld
            union all
            select unit, '{Kind.CLOSURE_REJECTED.value}', 0, -facts from upheld"""


async def tallies(conn: Connection, policy: AssessmentPolicy, *, year: int, at: datetime) -> list[Tally]:
    """Every unit's scored facts of the year up to `at` counted per kind (the missed deadlines' capped days too): the
    year's assessment_facts and escalations up to then, grouped by unit, kind and days late."""
    start, end = year_bounds(year)
    p = Params()
    at_, start_, end_ = p(at), p(start), p(end)
    when = f"occurred_at >= {start_} and occurred_at < {end_} and occurred_at <= {at_}"
    late = f"greatest(0, floor(extract(epoch from least(coalesce(ended_at, {at_}), {at_}) - deadline) / 86400))::int"
    counted = f"""with {_upheld_sql(p, policy, start=start_, end=end_, at=at_)}
            select unit, kind, days_late, count(*) as facts
              from (select unit, kind, case when kind = '{Kind.OVERDUE_CASE.value}' then {late} else 0 end as days_late
                      from assessment_facts where {when}) f
             group by 1, 2, 3
            union all
            {_MOVED}
            union all
            select unit, kind, 0, count(*) from escalations where {when} and unit <> '' group by 1, 2"""
    return await _tallies(conn, p, counted, policy)


async def tallies_now(conn: Connection, policy: AssessmentPolicy, *, year: int, now: datetime) -> list[Tally]:
    """`tallies` as of now, from the counts kept on write: the year's counts per unit, kind and days late, the missed
    deadlines still running (their days to now), the failed verifications an objection upheld moved to their kind;
    the escalations are counted there too (accountability.escalations)."""
    start, end = year_bounds(year)
    p = Params()
    year_, now_, start_, end_ = p(year), p(now), p(start), p(end)
    counted = f"""with {_upheld_sql(p, policy, start=start_, end=end_, at=now_)}
            select unit, kind, days_late, facts from assessment_counts where year = {year_} and days_late >= 0
            union all
            select unit, kind, greatest(0, floor(extract(epoch from {now_} - deadline) / 86400))::int, 1
              from assessment_facts
             where ended_at is null and kind = '{Kind.OVERDUE_CASE.value}'
               and occurred_at >= {start_} and occurred_at < {end_} and occurred_at <= {now_}
            union all
            {_MOVED}"""
    return await _tallies(conn, p, counted, policy)


async def _tallies(conn: Connection, p: Params, counted: str, policy: AssessmentPolicy) -> list[Tally]:
    """The tallies of `counted` (unit, kind, days_late, facts: how many facts of that kind were that late)."""
    capped = f"least(days_late, {p(policy.overdue_days_cap)})"
    rows = await conn.fetch(
        f"""select unit, kind, sum(facts)::int as n, coalesce(sum({capped} * facts), 0)::int as days,
                   coalesce(sum(facts) filter (where {capped} > 0), 0)::int as late
              from ({counted}) c group by unit, kind having sum(facts) <> 0""",
        *p.values,
    )
    per_unit: dict[str, Tally] = {}
    for r in rows:
        kept = per_unit.get(r["unit"], Tally(r["unit"], {}))
        counts = {**kept.counts, Kind(r["kind"]): r["n"]}
        if r["kind"] == Kind.OVERDUE_CASE.value:
            kept = Tally(kept.unit, counts, r["days"], r["late"])
        else:
            kept = Tally(kept.unit, counts, kept.overdue_days, kept.overdue_late)
        per_unit[r["unit"]] = kept
    return list(per_unit.values())


async def units(conn: Connection, *, year: int, at: datetime) -> list[str]:
    """The responsible units assessed for the year: every unit that held a case during it (up to `at`). The few
    units are found by skipping through case_history_unit_idx, then each is asked for one state in the year."""
    start, end = year_bounds(year)
    p = Params()
    until, since = f"least({p(end)}::timestamptz, {p(at)}::timestamptz)", p(start)
    return [
        r["unit"]
        for r in await conn.fetch(
            f"""with recursive named (unit) as (
                    (select unit from case_history where unit > '' order by unit limit 1)
                    union all
                    select (select h.unit from case_history h where h.unit > n.unit order by h.unit limit 1)
                      from named n where n.unit is not null
                )
                select unit from named n
                 where exists (select 1 from case_history h where h.unit = n.unit and h.valid_to > {since}
                                  and h.valid_from < {until})
                    or exists (select 1 from case_history h where h.unit = n.unit and h.valid_to is null
                                  and h.valid_from < {until})""",
            *p.values,
        )
    ]


async def ranking(
    conn: Connection, policy: AssessmentPolicy, *, year: int, as_of: datetime | None, now: datetime
) -> list[tuple[int, Score]]:
    """排名: every assessed unit's score for the year as of `as_of` (from the facts) or now (from the counts kept on
    write), the highest first, with its rank (no items)."""
    if as_of is None:
        counted = await tallies_now(conn, policy, year=year, now=now)
    else:
        counted = await tallies(conn, policy, year=year, at=as_of)
    ranked = scoring.scores_of(await units(conn, year=year, at=as_of or now), counted, policy)
    return list(zip(scoring.ranks(ranked), ranked, strict=True))


async def unit_score(
    conn: Connection, policy: AssessmentPolicy, *, year: int, as_of: datetime | None, now: datetime, unit: str
) -> tuple[int, Score] | None:
    """The unit's rank in the ranking and its score with every item behind it; None if it is not assessed."""
    ranked = await ranking(conn, policy, year=year, as_of=as_of, now=now)
    rank = next((rank for rank, s in ranked if s.unit == unit), None)
    if rank is None:
        return None
    return rank, scoring.score(unit, await unit_facts(conn, policy, year=year, at=as_of or now, unit=unit), policy)
