"""The figures per special task force (专项整治组): closure rates, overdue cases and escalations.

A task force's cases are those of its domains (task_forces.py); the closure figures are the figures by domain
(closure.rates, now or as of a moment) added up per task force, so they equal the closure rates' by construction.
An escalation counts for every task force one of its cases belongs to (once each), as the cases are now.
"""

import asyncpg

from services.projections.filters import CaseFilters, GroupBy
from services.projections.read_tables import closure
from services.projections.read_tables.closure import Counts, Moment
from services.projections.read_tables.sql import Params, where
from services.projections.task_forces import TaskForces
from shared.db import Connection

ESCALATION_KINDS = ("warning", "summons", "criticism_notice", "discipline_referral")


async def rates(
    conn: Connection, forces: TaskForces, filters: CaseFilters, moment: Moment, *, assigned_to: str | None = None
) -> list[Counts]:
    """One row per task force in the file's order, then 其他 (every row, with zeros where no case is)."""
    by_domain = await closure.rates(conn, filters, moment, GroupBy.domain, assigned_to=assigned_to)
    rows: dict[str, list[Counts]] = {code: [] for code in forces.codes()}
    for counts in by_domain:
        rows[forces.of_domain(counts.key)].append(counts)
    return [
        Counts(
            key=code,
            label=forces.name(code),
            total=sum(c.total for c in group),
            closed=sum(c.closed for c in group),
            on_schedule=sum(c.on_schedule for c in group),
            overdue=sum(c.overdue for c in group),
            reopened=sum(c.reopened for c in group),
        )
        for code, group in rows.items()
    ]


def _escalations_sql(forces: TaskForces, filters: CaseFilters, p: Params, *, assigned_to: str | None) -> str:
    """Each escalation (up to `as_of`) once per task force of its cases that the filters select (what the cases are;
    `unit`: the escalated unit): (task_force, escalation columns)."""
    domains, codes = forces.mapping()
    conditions = closure.issue_conditions(filters, p, assigned_to=None)
    if filters.as_of is not None:
        conditions.append(f"e.occurred_at <= {p(filters.as_of)}")
    for unit in (filters.unit, assigned_to):
        if unit is not None:
            conditions.append(f"e.unit = {p(unit)}")
    return f"""
        select distinct on (m.task_force, e.event_id) m.task_force, e.event_id, e.kind, e.unit, e.case_ids,
               e.summons_date, e.occurred_at
          from escalations e
          join issues i on i.issue_id = any(e.case_ids)
          join unnest({p(domains)}::text[], {p(codes)}::text[]) as m(domain, task_force) on m.domain = i.domain
         where {where(conditions)}"""


async def escalations(
    conn: Connection, forces: TaskForces, filters: CaseFilters, *, assigned_to: str | None = None
) -> dict[str, dict[str, int]]:
    """How many escalations of each kind per task force (督办问责: 预警, 约谈, 通报批评, 移交纪委监委)."""
    p = Params()
    selected = _escalations_sql(forces, filters, p, assigned_to=assigned_to)
    rows = await conn.fetch(f"select task_force, kind, count(*) as n from ({selected}) s group by 1, 2", *p.values)
    out = {code: dict.fromkeys(ESCALATION_KINDS, 0) for code in forces.codes()}
    for r in rows:
        out[r["task_force"]][r["kind"]] = r["n"]
    return out


async def escalation_items(
    conn: Connection,
    forces: TaskForces,
    code: str,
    filters: CaseFilters,
    *,
    kind: str | None,
    limit: int,
    offset: int,
    assigned_to: str | None = None,
) -> tuple[int, list[asyncpg.Record]]:
    """A page of a task force's escalations in time order, and how many there are."""
    p = Params()
    selected = f"select * from ({_escalations_sql(forces, filters, p, assigned_to=assigned_to)}) s"
    selected += f" where task_force = {p(code)}" + ("" if kind is None else f" and kind = {p(kind)}")
    total: int = await conn.fetchval(f"select count(*) from ({selected}) c", *p.values)
    rows = await conn.fetch(f"{selected} order by occurred_at, event_id limit {p(limit)} offset {p(offset)}", *p.values)
    return total, rows
