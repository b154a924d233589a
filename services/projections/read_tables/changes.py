"""The figures as changes (状态变化): what each problem adds to the closure figures, and from when.

A problem counts in `total` from its report; in `closed` / `reopened` / `overdue` while a state of its case that is
so is in force (overdue from the instant its deadline passes). Each of those stretches is a +1 where it begins and
a -1 where it ends, so the figures as of T are the sums of the changes at or before T: exactly what the history
gives (closure.state_sql as of T; tests/integration/projections/test_read_queries.py holds them equal at every
instant a figure changes). `state_changes` keeps each problem's changes, `daily_changes` their sums per county day
and source: the figures as of the end of a day read days × sources rows, and as of an instant within a day that
day's changes up to it are added. Both are kept on write, one statement per batch (`record`).
"""

from bisect import bisect_left
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
        select issue_id, source, reported_at, first_state_at from issues where issue_id = any($1::text[])
    ), stretches as (
        select s.issue_id, s.source, greatest(h.valid_from, s.reported_at) as since, h.valid_to as until,
               (h.status = 'closed')::int as closed, h.deadline, (h.reopened_count > 0)::int as reopened
          from selected s join case_history h on h.issue_id = s.issue_id
         where h.valid_to is null or h.valid_to > s.reported_at
        union all
        select issue_id, source, reported_at, first_state_at, 0, null, 0 from selected
    ), counted as (
        select *, case when closed = 0 and deadline is not null
                       then greatest(since, deadline + interval '1 microsecond') end as overdue_since
          from stretches where until is null or until > since
    ), each as (
        select issue_id, source, since as at, 1 as total, closed, 0 as overdue, reopened from counted
        union all
        select issue_id, source, until, -1, -closed, 0, -reopened from counted where until is not null
        union all
        select issue_id, source, overdue_since, 0, 0, 1, 0 from counted
         where overdue_since is not null and (until is null or overdue_since < until)
        union all
        select issue_id, source, until, 0, 0, -1, 0 from counted
         where overdue_since is not null and overdue_since < until
    )
    select issue_id, at, source, sum(total)::int as total, sum(closed)::int as closed, sum(overdue)::int as overdue,
           sum(reopened)::int as reopened
      from each group by issue_id, at, source
    having sum(total) <> 0 or sum(closed) <> 0 or sum(overdue) <> 0 or sum(reopened) <> 0"""


async def record(conn: Connection, issue_ids: list[str]) -> None:
    """The problems' changes replaced by those of their rows now, and the difference added to the days'; one statement,
    after the batch's issues, case_history and state columns are written.

    A day whose changes come to nothing has no row, however the events were batched: a rebuild that sees a +1 and its
    -1 in one batch never writes that day's row, so a day the live consumer brought back to zero is deleted (a second
    statement, only then)."""
    emptied = await conn.fetch(
        f"""with old as (
                delete from state_changes where issue_id = any($1::text[])
                returning at, source, -total as total, -closed as closed, -overdue as overdue, -reopened as reopened
            ), new as (
                insert into state_changes (issue_id, at, source, total, closed, overdue, reopened) {_CHANGES}
                returning at, source, total, closed, overdue, reopened
            ), difference as (
                select (at at time zone 'Asia/Shanghai')::date as day, source, sum(total) as total,
                       sum(closed) as closed, sum(overdue) as overdue, sum(reopened) as reopened
                  from (select * from old union all select * from new) d
                 group by 1, 2
            ), added as (
                insert into daily_changes select * from difference
                 where total <> 0 or closed <> 0 or overdue <> 0 or reopened <> 0
                on conflict (day, source) do update
                   set total = daily_changes.total + excluded.total, closed = daily_changes.closed + excluded.closed,
                       overdue = daily_changes.overdue + excluded.overdue,
                       reopened = daily_changes.reopened + excluded.reopened
                returning day, source, total, closed, overdue, reopened
            )
            select day, source from added where total = 0 and closed = 0 and overdue = 0 and reopened = 0""",
        issue_ids,
    )
    if emptied:
        await conn.execute(
            """delete from daily_changes d using unnest($1::date[], $2::text[]) as e(day, source)
                where d.day = e.day and d.source = e.source
                  and d.total = 0 and d.closed = 0 and d.overdue = 0 and d.reopened = 0""",
            [r["day"] for r in emptied],
            [r["source"] for r in emptied],
        )


def answers(filters: CaseFilters, assigned_to: str | None) -> bool:
    """Whether the changes answer these figures: every case, or one source's (they are kept per source only)."""
    others = (filters.township, filters.domain, filters.batch, filters.unit, filters.from_, filters.to)
    return assigned_to is None and all(value is None for value in others)


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


def _source(filters: CaseFilters, p: Params) -> str:
    return "true" if filters.source is None else f"source = {p(str(filters.source))}"


async def by_source(conn: Connection, filters: CaseFilters, at: datetime) -> dict[str, Sums]:
    """The figures as of `at` per source (only the filter's source, if it has one): the days up to `at`'s own, less
    that day's changes after `at` (now: the deadlines still to pass today, a handful however busy the day was)."""
    p = Params()
    source = _source(filters, p)
    day = _day(at)
    rows = await conn.fetch(
        f"""select source, sum(total)::bigint as total, sum(closed)::bigint as closed,
                   sum(overdue)::bigint as overdue, sum(reopened)::bigint as reopened
              from (select source, total, closed, overdue, reopened from daily_changes
                     where day <= {p(day)} and {source}
                    union all
                    select source, -total, -closed, -overdue, -reopened from state_changes
                     where at > {p(at)} and at < {p(day_start(day + timedelta(days=1)))} and {source}) c
             group by source""",
        *p.values,
    )
    return {r["source"]: Sums(*(r[name] for name in FIGURES)) for r in rows if r["total"]}


async def at_moments(conn: Connection, filters: CaseFilters, moments: list[datetime]) -> list[Sums]:
    """The figures as of each moment (ascending), every source added up (or the filter's one)."""
    p = Params()
    source = _source(filters, p)
    rows = await conn.fetch(
        f"""select day, sum(total)::bigint, sum(closed)::bigint, sum(overdue)::bigint, sum(reopened)::bigint
              from daily_changes where day <= {p(_day(moments[-1]))} and {source} group by day order by day""",
        *p.values,
    )
    days = [r[0] for r in rows]
    running: list[tuple[int, ...]] = [(0, 0, 0, 0)]  # running[k]: the days before days[k] added up
    for r in rows:
        running.append(_add(running[-1], tuple(r[1:])))
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
                      left join state_changes c on c.at > m.moment and c.at < m.until and {_source(filters, q)}
                     group by m.moment""",
                *q.values,
            )
        }
    sums = []
    for moment in moments:
        through_day = running[bisect_left(days, _day(moment) + timedelta(days=1))]
        later = after.get(moment, (0, 0, 0, 0))
        sums.append(Sums(*(x - y for x, y in zip(through_day, later, strict=True))))
    return sums


def _day_end(day: date) -> datetime:
    return day_start(day + timedelta(days=1)) - timedelta(microseconds=1)
