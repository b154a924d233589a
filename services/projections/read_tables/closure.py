"""Closure rates (完成率): how many reported problems are closed (销号), on schedule (未超期) or overdue (超期).

Honest by construction: a case counts as closed only while its last state-changing event is a
passed verification (Closed); a reopened case is open again. As-of figures come from the state
history (case_history.py), so a figure for a past date stays the same however many events follow.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import asyncpg

from services.projections import labels
from services.projections.filters import CaseFilters, Figure, GroupBy, PeriodUnit, day_start
from services.projections.read_tables import changes
from services.projections.read_tables.facts import BATCH
from services.projections.read_tables.sql import Params, where
from shared.contracts.codes import CaseStatus
from shared.db import Connection

# ---- the write side: the problem's own record (its state history: case_history.py) ----

# What a problem is (written by its report or its case's opening); the rest of an issues row is its state now.
PROBLEM_COLUMNS = "issue_id, origin, source, township, domain, batch, title, description, external_ref, reported_at"
# The state columns issues copies from case_history's row in force.
STATE_COLUMNS = (
    "status",
    "unit",
    "leader_name",
    "leader_post",
    "problem",
    "task",
    "measures",
    "deadline",
    "closed_at",
    "reopened_count",
    "missed_count",
)


async def issues_reported(conn: Connection) -> None:
    """受理, from the batch's facts: the problem's own record wins over what the case repeats of it (the first report
    of an issue counts)."""
    await conn.execute(
        f"""insert into issues ({PROBLEM_COLUMNS})
            select distinct on (payload ->> 'issue_id') payload ->> 'issue_id', 'intake', payload ->> 'source',
                   payload ->> 'township', payload ->> 'domain', payload ->> 'batch', payload ->> 'title',
                   payload ->> 'description', payload ->> 'external_ref', occurred_at
              from {BATCH} where type = 'IssueReported'
             order by payload ->> 'issue_id', stream_version, occurred_at, event_id
            on conflict (issue_id) do update
               set origin = 'intake', source = excluded.source, township = excluded.township,
                   domain = excluded.domain, batch = excluded.batch, title = excluded.title,
                   description = excluded.description, external_ref = excluded.external_ref,
                   reported_at = excluded.reported_at
             where issues.origin <> 'intake'"""
    )


async def cases_opened(conn: Connection) -> None:
    """Cases opened without their report on intake.events (yet), from the batch's facts: their own copy of the
    problem's attributes."""
    await conn.execute(
        f"""insert into issues ({PROBLEM_COLUMNS})
            select stream_id, 'cases', payload ->> 'source', payload ->> 'township', payload ->> 'domain',
                   payload ->> 'batch', payload ->> 'title', null, payload ->> 'external_ref',
                   (payload ->> 'reported_at')::timestamptz
              from {BATCH} where type = 'CaseOpened'
            on conflict do nothing"""
    )


async def current_states(conn: Connection, issue_ids: list[str]) -> None:
    """The state now beside each problem (issues' state columns): a copy of the case_history row in force, for the
    problems a batch touched (reported, opened, or an event of their case), in one statement after the batch's
    history is written. A problem reported after its case's events arrived gets its state here too."""
    await conn.execute(
        f"""update issues i
               set {", ".join(f"{column} = h.{column}" for column in STATE_COLUMNS)},
                   first_state_at = (select f.valid_from from case_history f where f.issue_id = i.issue_id
                                      order by f.seq limit 1)
              from case_history h
             where h.issue_id = i.issue_id and h.valid_to is null and i.issue_id = any($1::text[])""",
        issue_ids,
    )


# ---- the read side ----


@dataclass(frozen=True)
class Moment:
    """When the figures are taken: `as_of` (exact, from the history) or, without it, now (the latest state)."""

    as_of: datetime | None
    now: datetime

    @property
    def at(self) -> datetime:
        return self.as_of or self.now


def state_sql(
    filters: CaseFilters,
    moment: Moment,
    p: Params,
    *,
    key_sql: str = "''",
    assigned_to: str | None = None,
    figure: Figure | None = None,
    domains: list[str] | None = None,
) -> str:
    """Every case the filters select, with its state and standing at the moment, and a grouping key.

    `assigned_to` is the caller's scope (shared.scope), not a filter: only the cases assigned to that unit
    now (whatever the moment asked), for a responsible unit's token. `figure`: only the cases of that figure
    (IN_FORCE_SQL's condition, which says the same as FIGURE_SQL's on the standing). `domains`: only the cases of
    these domains (a task force's, task_forces.py).
    """
    at = p(moment.at)
    if moment.as_of is None:
        # now: the state beside each problem (issues' state columns), one row per case and no join
        h = "i"
        cases_sql = "issues i"
        conditions = []
    else:
        # as of a moment: the state in force then, from the history
        h = "h"
        cases_sql = f"""issues i left join case_history h on h.issue_id = i.issue_id
                          and h.valid_from <= {at} and (h.valid_to is null or h.valid_to > {at})"""
        conditions = [f"i.reported_at <= {at}"]
    conditions += issue_conditions(filters, p, assigned_to=assigned_to)
    if domains is not None:
        conditions.append(f"i.domain = any({p(domains)}::text[])")
    if filters.unit is not None:
        conditions.append(unit_condition(filters.unit, p, h))
    if filters.status is not None:
        conditions.append(status_condition(filters.status, p, h))
    if figure is not None and figure in IN_FORCE_SQL:
        # the figure's condition on the state in force (not on the standing computed from it): the planner
        # estimates it and can start from the states
        conditions.append(IN_FORCE_SQL[figure].format(at=at, h=h))
    return f"""
        select {key_sql.format(h=h)} as key, i.issue_id, i.source, i.township, i.domain, i.batch, i.title,
               i.description, i.external_ref, i.reported_at, coalesce({h}.status, 'reported') as status, {h}.unit,
               {h}.leader_name, {h}.leader_post, {h}.problem, {h}.task, {h}.measures, {h}.deadline, {h}.closed_at,
               coalesce({h}.reopened_count, 0) as reopened_count, coalesce({h}.missed_count, 0) as missed_count,
               case when {h}.status = 'closed' then 'closed'
                    when {h}.deadline < {at} then 'overdue'
                    else 'on_schedule' end as standing
          from {cases_sql}
         where {where(conditions)}"""


def issue_conditions(filters: CaseFilters, p: Params, *, assigned_to: str | None) -> list[str]:
    """The filters on what a case is (`i`, issues), whatever its state: all of them but the unit."""
    conditions = []
    if assigned_to is not None:
        conditions.append(f"i.unit = {p(assigned_to)}")  # the unit now (issues' state columns)
    for column in ("source", "township", "domain"):
        value = getattr(filters, column)
        if value is not None:
            conditions.append(f"i.{column} = {p(str(value))}")
    if filters.batch is not None:
        conditions.append(f"i.batch = {p(filters.batch)}" if filters.batch else "i.batch is null")
    if filters.from_ is not None:
        conditions.append(f"i.reported_at >= {p(day_start(filters.from_))}")
    if filters.to is not None:
        conditions.append(f"i.reported_at < {p(day_start(filters.to + timedelta(days=1)))}")
    return conditions


def status_condition(status: CaseStatus, p: Params, h: str = "h") -> str:
    """整改状态 at the moment (`h`: the state in force, or `i` now); a case not opened yet is 待交办."""
    return f"coalesce({h}.status, 'reported') = {p(status.value)}"


def unit_condition(unit: str, p: Params, h: str = "h") -> str:
    """责任单位 at the moment (`h`: the state in force, or `i` now); empty: not yet assigned."""
    return f"{h}.unit = {p(unit)}" if unit else f"{h}.unit is null"


FIGURE_SQL: dict[Figure, str] = {
    Figure.ALL: "true",
    Figure.CLOSED: "standing = 'closed'",
    Figure.OPEN: "standing <> 'closed'",
    Figure.ON_SCHEDULE: "standing = 'on_schedule'",
    Figure.OVERDUE: "standing = 'overdue'",
    Figure.REOPENED: "reopened_count > 0",
}

# The figures' conditions on the state in force (`{h}`: the history's row, or issues' own state now), equivalent to
# FIGURE_SQL's on the standing: a case without a state (reported only) is in none of these figures.
IN_FORCE_SQL: dict[Figure, str] = {
    Figure.CLOSED: "{h}.status = 'closed'",
    Figure.OVERDUE: "{h}.status <> 'closed' and {h}.deadline < {at}",
    Figure.REOPENED: "{h}.reopened_count > 0",
}

PERIOD_SQL: dict[PeriodUnit, str] = {
    PeriodUnit.month: "to_char(i.reported_at at time zone 'Asia/Shanghai', 'YYYY-MM')",
    PeriodUnit.quarter: "to_char(i.reported_at at time zone 'Asia/Shanghai', 'YYYY-\"Q\"Q')",
    PeriodUnit.year: "to_char(i.reported_at at time zone 'Asia/Shanghai', 'YYYY')",
}

GROUP_SQL: dict[GroupBy, str] = {
    GroupBy.source: "i.source",
    GroupBy.batch: "coalesce(i.batch, '')",
    GroupBy.township: "i.township",
    GroupBy.unit: "coalesce({h}.unit, '')",
    GroupBy.domain: "i.domain",
    GroupBy.status: "coalesce({h}.status, 'reported')",
}


@dataclass(frozen=True)
class Counts:
    """The figures of one group of cases."""

    key: str
    label: str
    total: int
    closed: int
    on_schedule: int
    overdue: int
    reopened: int

    @property
    def open(self) -> int:
        return self.total - self.closed

    @property
    def rate(self) -> float:
        return round(self.closed / self.total, 4) if self.total else 0.0

    @property
    def rate_percent(self) -> str:
        """完成率 in percent with one decimal, rounded half up: what a report prints."""
        if not self.total:
            return "0.0"
        return str((Decimal(self.closed) * 100 / Decimal(self.total)).quantize(Decimal("0.1"), ROUND_HALF_UP))


async def rates(
    conn: Connection,
    filters: CaseFilters,
    moment: Moment,
    group_by: GroupBy | None,
    period_unit: PeriodUnit = PeriodUnit.month,
    *,
    assigned_to: str | None = None,
    summaries: bool = True,
) -> list[Counts]:
    """The figures per group (or one row, key "", without grouping). By source or by township or in all (or of one
    source or township), now or as of a past moment, from the changes kept on write (changes.py: days × groups rows,
    however many cases); `summaries=False`: from the cases' states (now) or the history (as of), what they are
    checked against."""
    grouping = changes.grouping(filters, assigned_to, group_by) if summaries else None
    if grouping is not None:
        return _from_changes(await changes.by_group(conn, grouping, filters, moment.at), grouping, group_by)
    p = Params()
    if group_by is None:
        key_sql = "''"
    elif group_by is GroupBy.period:
        key_sql = PERIOD_SQL[period_unit]
    else:
        key_sql = GROUP_SQL[group_by]
    state = state_sql(filters, moment, p, key_sql=key_sql, assigned_to=assigned_to)
    order = "key" if group_by is GroupBy.period else "total desc, key"
    rows = await conn.fetch(
        f"""select key, count(*) as total,
                   count(*) filter (where {FIGURE_SQL[Figure.CLOSED]}) as closed,
                   count(*) filter (where {FIGURE_SQL[Figure.ON_SCHEDULE]}) as on_schedule,
                   count(*) filter (where {FIGURE_SQL[Figure.OVERDUE]}) as overdue,
                   count(*) filter (where {FIGURE_SQL[Figure.REOPENED]}) as reopened
              from ({state}) s group by key order by {order}""",
        *p.values,
    )
    if group_by is None and not rows:
        return [Counts(key="", label="合计", total=0, closed=0, on_schedule=0, overdue=0, reopened=0)]
    return [
        Counts(
            key=r["key"],
            label=labels.group_key(group_by.value, r["key"]) if group_by else "合计",
            total=r["total"],
            closed=r["closed"],
            on_schedule=r["on_schedule"],
            overdue=r["overdue"],
            reopened=r["reopened"],
        )
        for r in rows
    ]


async def in_statuses(conn: Connection, moment: Moment, statuses: Sequence[CaseStatus]) -> dict[CaseStatus, int]:
    """How many cases are in each of `statuses` at the moment, every source (the work report's 销号程序 counts): the
    states now, or in force then, counted without the figures a rate needs."""
    p = Params()
    wanted = p([status.value for status in statuses])
    if moment.as_of is None:
        # now: the problems' own status, by issues_status_idx (the few at the procedure's steps, not every problem)
        reported = " or i.status is null" if CaseStatus.REPORTED in statuses else ""
        query = f"""select coalesce(i.status, 'reported') as status, count(*) as n from issues i
                     where i.status = any({wanted}::text[]){reported} group by 1"""
    else:
        state = state_sql(CaseFilters(as_of=moment.as_of), moment, p)
        query = f"select status, count(*) as n from ({state}) s where status = any({wanted}::text[]) group by status"
    found = {r["status"]: int(r["n"]) for r in await conn.fetch(query, *p.values)}
    return {status: found.get(status.value, 0) for status in statuses}


def _counts(key: str, label: str, sums: changes.Sums) -> Counts:
    return Counts(
        key=key,
        label=label,
        total=sums.total,
        closed=sums.closed,
        on_schedule=sums.total - sums.closed - sums.overdue,
        overdue=sums.overdue,
        reopened=sums.reopened,
    )


def _from_changes(
    per_key: dict[str, changes.Sums], grouping: changes.Grouping, group_by: GroupBy | None
) -> list[Counts]:
    rows = [_counts(key, labels.group_key(grouping.column, key), sums) for key, sums in per_key.items()]
    if group_by is None:
        return [total(rows)]
    return sorted(rows, key=lambda row: (-row.total, row.key))


def _figure(counts: Counts, figure: Figure) -> int:
    """How many cases a row counts under a figure (FIGURE_SQL's conditions, counted)."""
    return {
        Figure.ALL: counts.total,
        Figure.CLOSED: counts.closed,
        Figure.OPEN: counts.open,
        Figure.ON_SCHEDULE: counts.on_schedule,
        Figure.OVERDUE: counts.overdue,
        Figure.REOPENED: counts.reopened,
    }[figure]


def total(rows: list[Counts]) -> Counts:
    return Counts(
        key="",
        label="合计",
        total=sum(r.total for r in rows),
        closed=sum(r.closed for r in rows),
        on_schedule=sum(r.on_schedule for r in rows),
        overdue=sum(r.overdue for r in rows),
        reopened=sum(r.reopened for r in rows),
    )


async def cases(
    conn: Connection,
    filters: CaseFilters,
    moment: Moment,
    figure: Figure,
    *,
    limit: int,
    offset: int,
    overdue_first: bool = False,
    assigned_to: str | None = None,
    summaries: bool = True,
    domains: list[str] | None = None,
) -> tuple[int, list[asyncpg.Record]]:
    """The cases behind a figure, and how many there are in all (from the changes kept on write where they answer
    it, as the figure itself: counting a page's figure from every case cost more than the page)."""
    p = Params()
    state = state_sql(filters, moment, p, assigned_to=assigned_to, figure=figure, domains=domains)
    # a figure with a condition on the state in force has it in `state` already (IN_FORCE_SQL)
    selected = f"select s.* from ({state}) s where {'true' if figure in IN_FORCE_SQL else FIGURE_SQL[figure]}"
    grouping = changes.grouping(filters, assigned_to) if summaries and domains is None else None
    if grouping is not None:
        per_key = await changes.by_group(conn, grouping, filters, moment.at)
        count = _figure(total(_from_changes(per_key, grouping, None)), figure)
    else:
        count = await conn.fetchval(f"select count(*) from ({selected}) c", *p.values)
    order = "deadline, issue_id" if overdue_first else "reported_at, issue_id"
    # the page first, then the repeats of its cases only
    page = f"{selected} order by {order} limit {p(limit)} offset {p(offset)}"
    # 重复举报: further reports of the same problem, linked to it by intake
    repeats = (
        "(select count(*) from facts f where f.topic = 'intake' and f.type = 'DuplicateReportLinked'"
        f" and f.stream_id = s.issue_id and f.occurred_at <= {p(moment.at)})"
    )
    rows = await conn.fetch(f"select s.*, {repeats} as repeat_reports from ({page}) s order by {order}", *p.values)
    return count, rows


async def trend(
    conn: Connection,
    filters: CaseFilters,
    moments: list[datetime],
    *,
    assigned_to: str | None = None,
    summaries: bool = True,
) -> list[Counts]:
    """The figures as of each of these moments (ascending), in one pass over the cases' histories.

    The same counts as `rates(…, Moment(moment, …), None)` at each moment, without a query per moment: each
    stretch of a case's states (from its report, or from a state's start, to the next state) counts at the
    moments it covers, from the first moment in it to the first after it (0: it has not ended); overdue from the
    first moment past its deadline. Those moments are found by width_bucket over the moments (the number of
    moments before an instant, plus one), the stretches are counted by those numbers in the database, and the
    counts are spread over the moments here.
    """
    if not moments:
        return []
    grouping = changes.grouping(filters, assigned_to) if summaries else None
    if grouping is not None:
        # every case, or a source's or township's: the changes kept on write, added up to each moment (changes.py)
        return [_counts("", "合计", sums) for sums in await changes.at_moments(conn, grouping, filters, moments)]
    p = Params()
    ats = p(moments)
    conditions = [f"i.reported_at <= {p(moments[-1])}", *issue_conditions(filters, p, assigned_to=assigned_to)]
    unit = "true" if filters.unit is None else unit_condition(filters.unit, p)
    if filters.status is not None:
        unit = f"{unit} and {status_condition(filters.status, p)}"

    def first_at(instant: str) -> str:
        """The number of the first moment at or after an instant (timestamps have microseconds)."""
        return f"width_bucket({instant} - interval '1 microsecond', {ats}::timestamptz[]) + 1"

    rows = await conn.fetch(
        f"""with selected as (
                select i.issue_id, i.reported_at from issues i where {where(conditions)}
            ), stretches as (
                -- each state of a case from when it is counted (its report) to the next state
                select greatest(h.valid_from, s.reported_at) as since, h.valid_to as until, h.status, h.unit,
                       h.deadline, h.reopened_count
                  from selected s join case_history h on h.issue_id = s.issue_id
                 where h.valid_to is null or h.valid_to > s.reported_at
                union all
                -- reported, no case yet: until its first state
                select s.reported_at, f.first_from, 'reported', null, null, 0
                  from selected s
                  left join (select issue_id, min(valid_from) as first_from from case_history group by issue_id) f
                    on f.issue_id = s.issue_id
            )
            select {first_at("since")} as since,
                   coalesce({first_at("until")}, 0) as until,
                   case when status <> 'closed' and deadline is not null
                        then {first_at("greatest(since, deadline + interval '1 microsecond')")} end as overdue,
                   status = 'closed' as closed, reopened_count > 0 as reopened, count(*)::int as cases
              from stretches h
             where (until is null or until > since) and {unit}
             group by 1, 2, 3, 4, 5""",
        *p.values,
    )
    size = len(moments) + 2  # moments 1..n; n + 1: after the last
    deltas = {name: [0] * size for name in ("total", "closed", "overdue", "reopened")}

    def count(name: str, first: int, until: int, cases: int) -> None:
        if first < until:
            deltas[name][first] += cases
            deltas[name][until] -= cases

    for r in rows:
        until = r["until"] or size - 1
        count("total", r["since"], until, r["cases"])
        if r["closed"]:
            count("closed", r["since"], until, r["cases"])
        if r["reopened"]:
            count("reopened", r["since"], until, r["cases"])
        if r["overdue"] is not None:
            count("overdue", r["overdue"], until, r["cases"])
    figures: list[Counts] = []
    running = dict.fromkeys(deltas, 0)
    for k in range(1, len(moments) + 1):
        for name, change in deltas.items():
            running[name] += change[k]
        figures.append(
            Counts(
                key="",
                label="合计",
                total=running["total"],
                closed=running["closed"],
                on_schedule=running["total"] - running["closed"] - running["overdue"],
                overdue=running["overdue"],
                reopened=running["reopened"],
            )
        )
    return figures
