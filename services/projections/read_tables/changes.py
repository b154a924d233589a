"""The figures as changes (状态变化): what each problem adds to the closure figures, and from when.

A problem counts in `total` from its report; in `closed` / `reopened` / `overdue` while a state of its case that is
so is in force (overdue from the instant its deadline passes). Each of those stretches is a +1 where it begins and
a -1 where it ends, so the figures as of T are the sums of the changes at or before T: exactly what the history
gives (closure.state_sql as of T; tests/integration/projections/test_read_queries.py holds them equal at every
instant a figure changes). `state_changes` keeps each problem's changes, `daily_changes` their sums per county day
and source, `township_daily_changes` per county day and township: the figures as of a moment read days × groups rows,
less that day's changes after the moment. All three are kept on write, one statement per batch (`record`).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from services.projections.filters import CaseFilters, day_start
from services.projections.read_tables.sql import Params
from shared.clock import SHANGHAI
from shared.db import Connection

FIGURES = ("total", "closed", "overdue", "reopened")

# The changes of the problems $1, from their issues row and case_history: the trend's stretches (each state from when
# it counts to the next; reported without a case until its first state), a +1 where each begins and a -1 where it
# ends, the same for overdue from the deadline, added up per instant (a state's end and the next one's start cancel).
_CHANGES = """
    with selected as (
        select issue_id, source, township, reported_at, first_state_at from issues where issue_id = any($1::text[])
    ), stretches as (
        select s.issue_id, s.source, s.township, greatest(h.valid_from, s.reported_at) as since, h.valid_to as until,
               (h.status = 'closed')::int as closed, h.deadline, (h.reopened_count > 0)::int as reopened
          from selected s join case_history h on h.issue_id = s.issue_id
         where h.valid_to is null or h.valid_to > s.reported_at
        union all
        select issue_id, source, township, reported_at, first_state_at, 0, null, 0 from selected
    ), counted as (
        select *, case when closed = 0 and deadline is not null
                       then greatest(since, deadline + interval '1 microsecond') end as overdue_since
          from stretches where until is null or until > since
    ), each as (
        select issue_id, source, township, since as at, 1 as total, closed, 0 as overdue, reopened from counted
        union all
        select issue_id, source, township, until, -1, -closed, 0, -reopened from counted where until is not null
        union all
        select issue_id, source, township, overdue_since, 0, 0, 1, 0 from counted
         where overdue_since is not null and (until is null or overdue_since < until)
        union all
        select issue_id, source, township, until, 0, 0, -1, 0 from counted
         where overdue_since is not null and overdue_since < until
    )
    select issue_id, at, source, township, sum(total)::int as total, sum(closed)::int as closed,
           sum(overdue)::int as overdue, sum(reopened)::int as reopened
      from each group by issue_id, at, source, township
    having sum(total) <> 0 or sum(closed) <> 0 or sum(overdue) <> 0 or sum(reopened) <> 0"""


@dataclass(frozen=True)
class Grouping:
    """A dimension the changes are added up by per day: its column (in issues, state_changes and filters) and the
    table of its days."""

    column: str
    daily: str


SOURCE = Grouping("source", "daily_changes")
TOWNSHIP = Grouping("township", "township_daily_changes")
GROUPINGS = (SOURCE, TOWNSHIP)
# What `record` writes.
TABLES = ("state_changes", *(g.daily for g in GROUPINGS))


def _difference(grouping: Grouping) -> str:
    """The CTEs adding the batch's difference (`d`: old changes negated, new ones) to a grouping's days, returning the
    rows the batch brought back to zero."""
    g, table = grouping.column, grouping.daily
    return f"""{g}_difference as (
                select (at at time zone 'Asia/Shanghai')::date as day, {g} as key, sum(total) as total,
                       sum(closed) as closed, sum(overdue) as overdue, sum(reopened) as reopened
                  from d group by 1, 2
            ), {g}_added as (
                insert into {table} select * from {g}_difference
                 where total <> 0 or closed <> 0 or overdue <> 0 or reopened <> 0
                on conflict (day, {g}) do update
                   set total = {table}.total + excluded.total, closed = {table}.closed + excluded.closed,
                       overdue = {table}.overdue + excluded.overdue, reopened = {table}.reopened + excluded.reopened
                returning day, {g} as key, total, closed, overdue, reopened
            )"""


async def record(conn: Connection, issue_ids: list[str]) -> None:
    """The problems' changes replaced by those of their rows now, and the difference added to the days' of each
    grouping; one statement, after the batch's issues, case_history and state columns are written.

    A day whose changes come to nothing has no row, however the events were batched: a rebuild that sees a +1 and its
    -1 in one batch never writes that day's row, so a day the live consumer brought back to zero is deleted (a second
    statement, only then)."""
    # the days each grouping's difference brought back to zero, tagged by the grouping's number
    zeroed = " union all ".join(
        f"select {n} as grouping, day, key from {g.column}_added"
        " where total = 0 and closed = 0 and overdue = 0 and reopened = 0"
        for n, g in enumerate(GROUPINGS)
    )
    emptied = await conn.fetch(
        f"""with old as (
                delete from state_changes where issue_id = any($1::text[])
                returning at, source, township, -total as total, -closed as closed, -overdue as overdue,
                          -reopened as reopened
            ), new as (
                insert into state_changes (issue_id, at, source, township, total, closed, overdue, reopened) {_CHANGES}
                returning at, source, township, total, closed, overdue, reopened
            ), d as (
                select * from old union all select * from new
            ), {", ".join(_difference(g) for g in GROUPINGS)}
            {zeroed}""",
        issue_ids,
    )
    for n, grouping in enumerate(GROUPINGS):
        zeros = [r for r in emptied if r["grouping"] == n]
        if zeros:
            await conn.execute(
                f"""delete from {grouping.daily} d using unnest($1::date[], $2::text[]) as e(day, key)
                     where d.day = e.day and d.{grouping.column} = e.key
                       and d.total = 0 and d.closed = 0 and d.overdue = 0 and d.reopened = 0""",
                [r["day"] for r in zeros],
                [r["key"] for r in zeros],
            )


def grouping(filters: CaseFilters, assigned_to: str | None, group_by: str | None = None) -> Grouping | None:
    """The grouping whose days answer these figures (every case, or one source's or township's, grouped by it or
    not at all), or None: the other filters, a unit's scope and other groupings read the cases."""
    others = (filters.domain, filters.batch, filters.unit, filters.status, filters.from_, filters.to)
    if assigned_to is not None or any(value is not None for value in others):
        return None
    filtered = [g for g in GROUPINGS if getattr(filters, g.column) is not None]
    for candidate in GROUPINGS:
        if group_by in (None, candidate.column) and filtered in ([], [candidate]):
            return candidate
    return None


@dataclass(frozen=True)
class Sums:
    """The figures of a group as of a moment: the changes at or before it, added up."""

    total: int
    closed: int
    overdue: int
    reopened: int


def _day(at: datetime) -> date:
    return at.astimezone(SHANGHAI).date()


def _add(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(x + y for x, y in zip(a, b, strict=True))


def _key(grouping: Grouping, filters: CaseFilters, p: Params) -> str:
    value = getattr(filters, grouping.column)
    return "true" if value is None else f"{grouping.column} = {p(str(value))}"


async def by_group(conn: Connection, grouping: Grouping, filters: CaseFilters, at: datetime) -> dict[str, Sums]:
    """The figures as of `at` per key of the grouping (only the filter's, if it has one): the days up to `at`'s own,
    less that day's changes after `at` (now: the deadlines still to pass today, a handful however busy the day was)."""
    p = Params()
    key = _key(grouping, filters, p)
    day = _day(at)
    g = grouping.column
    rows = await conn.fetch(
        f"""select {g} as key, sum(total::integer) as total, sum(closed::integer) as closed,
                   sum(overdue::integer) as overdue, sum(reopened::integer) as reopened
              from (select {g}, total, closed, overdue, reopened from {grouping.daily}
                     where day <= {p(day)} and {key}
                    union all
                    select {g}, -total, -closed, -overdue, -reopened from state_changes
                     where at > {p(at)} and at < {p(day_start(day + timedelta(days=1)))} and {key}) c
             group by {g}""",
        *p.values,
    )
    return {r["key"]: Sums(*(r[name] for name in FIGURES)) for r in rows if r["total"]}


async def at_moments(conn: Connection, grouping: Grouping, filters: CaseFilters, moments: list[datetime]) -> list[Sums]:
    """The figures as of each moment (ascending), every key of the grouping added up (or the filter's one)."""
    # the days added up in the database by the first moment's day at or after each (width_bucket over the moments'
    # days), then those few sums added up here: through[d], every day up to d
    ends = sorted({_day(m) for m in moments})
    p = Params()
    key = _key(grouping, filters, p)
    rows = await conn.fetch(
        f"""select width_bucket(day - 1, {p(ends)}::date[]) as bucket, sum(total::integer), sum(closed::integer),
                   sum(overdue::integer), sum(reopened::integer)
              from {grouping.daily} where day <= {p(ends[-1])} and {key} group by 1""",
        *p.values,
    )
    per_bucket = {r[0]: tuple(r[1:]) for r in rows}  # bucket k: the days after ends[k - 1], up to ends[k]
    through: dict[date, tuple[int, ...]] = {}
    running: tuple[int, ...] = (0, 0, 0, 0)
    for k, day in enumerate(ends):
        running = _add(running, per_bucket.get(k, (0, 0, 0, 0)))
        through[day] = running
    # within a day: the day's sum less its changes after the moment, subtracted in the database
    partial = sorted({m for m in moments if m != _day_end(_day(m))})
    after: dict[datetime, tuple[int, ...]] = {}
    if partial:
        q = Params()
        instants, until = q(partial), q([day_start(_day(m) + timedelta(days=1)) for m in partial])
        after = {
            r[0]: tuple(r[1:])
            for r in await conn.fetch(
                f"""select m.moment, coalesce(sum(total), 0)::bigint, coalesce(sum(closed), 0)::bigint,
                           coalesce(sum(overdue), 0)::bigint, coalesce(sum(reopened), 0)::bigint
                      from unnest({instants}::timestamptz[], {until}::timestamptz[]) as m(moment, until)
                      left join state_changes c on c.at > m.moment and c.at < m.until and {_key(grouping, filters, q)}
                     group by m.moment""",
                *q.values,
            )
        }
    sums = []
    for moment in moments:
        through_day = through[_day(moment)]
        later = after.get(moment, (0, 0, 0, 0))
        sums.append(Sums(*(x - y for x, y in zip(through_day, later, strict=True))))
    return sums


def _day_end(day: date) -> datetime:
    return day_start(day + timedelta(days=1)) - timedelta(microseconds=1)
