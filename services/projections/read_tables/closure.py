"""Closure rates (完成率): how many reported problems are closed (销号), on schedule (未超期) or overdue (超期).

Honest by construction: a case counts as closed only while its last state-changing event is a
passed verification (Closed); a reopened case is open again. As-of figures come from the state
history (case_history.py), so a figure for a past date stays the same however many events follow.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import asyncpg

from services.projections import labels
from services.projections.filters import CaseFilters, Figure, GroupBy, PeriodUnit, day_start
from services.projections.read_tables.sql import Params, insert_rows, rows_json, where
from shared.contracts.cases import CaseOpened
from shared.contracts.intake import IssueReported
from shared.db import Connection
from shared.envelope import Envelope

# ---- the write side: the problem's own record (its state history: case_history.py) ----


async def issues_reported(conn: Connection, events: list[tuple[Envelope, IssueReported]]) -> None:
    """受理: the problem's own record wins over what the case repeats of it (the first report of an issue counts)."""
    rows: dict[str, dict[str, object]] = {}
    for envelope, event in events:
        rows.setdefault(
            event.issue_id,
            {
                "issue_id": event.issue_id,
                "origin": "intake",
                "source": event.source.value,
                "township": event.township,
                "domain": event.domain.value,
                "batch": event.batch,
                "title": event.title,
                "description": event.description,
                "external_ref": event.external_ref,
                "reported_at": envelope.occurred_at,
            },
        )
    if rows:
        await conn.execute(
            """insert into issues select * from jsonb_populate_recordset(null::issues, $1::text::jsonb)
               on conflict (issue_id) do update
                  set origin = 'intake', source = excluded.source, township = excluded.township,
                      domain = excluded.domain, batch = excluded.batch, title = excluded.title,
                      description = excluded.description, external_ref = excluded.external_ref,
                      reported_at = excluded.reported_at
                where issues.origin <> 'intake'""",
            rows_json(list(rows.values())),
        )


async def cases_opened(conn: Connection, events: list[tuple[Envelope, CaseOpened]]) -> None:
    """Cases opened without their report on intake.events (yet): their own copy of the problem's attributes."""
    await insert_rows(
        conn,
        "issues",
        [
            {
                "issue_id": envelope.stream_id,
                "origin": "cases",
                "source": event.source.value,
                "township": event.township,
                "domain": event.domain.value,
                "batch": event.batch,
                "title": event.title,
                "external_ref": event.external_ref,
                "reported_at": event.reported_at,
            }
            for envelope, event in events
        ],
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
    filters: CaseFilters, moment: Moment, p: Params, *, key_sql: str = "''", assigned_to: str | None = None
) -> str:
    """Every case the filters select, with its state and standing at the moment, and a grouping key.

    `assigned_to` is the caller's scope (shared.scope), not a filter: only the cases assigned to that unit
    now (whatever the moment asked), for a responsible unit's token.
    """
    at = p(moment.at)
    if moment.as_of is None:
        in_force = "h.valid_to is null"
    else:
        in_force = f"h.valid_from <= {at} and (h.valid_to is null or h.valid_to > {at})"
    conditions = [] if moment.as_of is None else [f"i.reported_at <= {at}"]
    if assigned_to is not None:
        conditions.append(
            "exists (select 1 from case_history c where c.issue_id = i.issue_id and c.valid_to is null"
            f" and c.unit = {p(assigned_to)})"
        )
    for column in ("source", "township", "domain"):
        value = getattr(filters, column)
        if value is not None:
            conditions.append(f"i.{column} = {p(str(value))}")
    if filters.batch is not None:
        conditions.append(f"i.batch = {p(filters.batch)}" if filters.batch else "i.batch is null")
    if filters.unit is not None:
        conditions.append(f"h.unit = {p(filters.unit)}" if filters.unit else "h.unit is null")
    if filters.from_ is not None:
        conditions.append(f"i.reported_at >= {p(day_start(filters.from_))}")
    if filters.to is not None:
        conditions.append(f"i.reported_at < {p(day_start(filters.to + timedelta(days=1)))}")
    return f"""
        select {key_sql} as key, i.issue_id, i.source, i.township, i.domain, i.batch, i.title, i.description,
               i.external_ref, i.reported_at, coalesce(h.status, 'reported') as status, h.unit, h.leader_name,
               h.leader_post, h.problem, h.task, h.measures, h.deadline, h.closed_at,
               coalesce(h.reopened_count, 0) as reopened_count, coalesce(h.missed_count, 0) as missed_count,
               case when h.status = 'closed' then 'closed'
                    when h.deadline < {at} then 'overdue'
                    else 'on_schedule' end as standing
          from issues i
          left join case_history h on h.issue_id = i.issue_id and {in_force}
         where {where(conditions)}"""


FIGURE_SQL: dict[Figure, str] = {
    Figure.ALL: "true",
    Figure.CLOSED: "standing = 'closed'",
    Figure.OPEN: "standing <> 'closed'",
    Figure.ON_SCHEDULE: "standing = 'on_schedule'",
    Figure.OVERDUE: "standing = 'overdue'",
    Figure.REOPENED: "reopened_count > 0",
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
    GroupBy.unit: "coalesce(h.unit, '')",
    GroupBy.domain: "i.domain",
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
) -> list[Counts]:
    """The figures per group (or one row, key "", without grouping)."""
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
) -> tuple[int, list[asyncpg.Record]]:
    """The cases behind a figure, and how many there are in all."""
    p = Params()
    state = state_sql(filters, moment, p, assigned_to=assigned_to)
    # 重复举报: further reports of the same problem, linked to it by intake
    repeats = (
        "(select count(*) from facts f where f.topic = 'intake' and f.type = 'DuplicateReportLinked'"
        f" and f.stream_id = s.issue_id and f.occurred_at <= {p(moment.at)})"
    )
    selected = f"select s.*, {repeats} as repeat_reports from ({state}) s where {FIGURE_SQL[figure]}"
    count = await conn.fetchval(f"select count(*) from ({selected}) c", *p.values)
    order = "deadline, issue_id" if overdue_first else "reported_at, issue_id"
    rows = await conn.fetch(f"{selected} order by {order} limit {p(limit)} offset {p(offset)}", *p.values)
    return count, rows
