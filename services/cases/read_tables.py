"""The read tables of cases: the case list (案件台账) and the deadline rows the poller claims.

Both are a function of the case's folded state and are written in the transaction of
the append that changed it, so they never disagree with the stream.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.cases.domain import Case
from shared.contracts.codes import CLOSURE_PROCEDURE_STATUSES, CaseStatus
from shared.db import Connection

# The channel a case's opening is announced on (its payload: the case id), for readers waiting for it (openings.py).
OPENED_CHANNEL = "case_opened"


# The cases' rows in the list and their deadline rows in one statement, one array element per case ($16: the case has
# a deadline row to keep, else any is deleted), and the wake-up of a reader waiting for a case to be opened
# (`openings.py`: NOTIFY when the case is at version 1; PostgreSQL delivers it at commit, never for a rolled-back
# opening). The same statement for one case (a command) and for a consumer's batch of openings.
_SAVE = """
with given as (
    select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                         $8::text[], $9::text[], $10::text[], $11::timestamptz[], $12::boolean[], $13::integer[],
                         $14::integer[], $15::timestamptz[], $16::boolean[], $17::boolean[], $18::boolean[])
        as g (case_id, status, source, title, township, domain, batch, unit, leader_name, leader_post, deadline,
              deadline_missed, times_missed, version, reported_at, keeps_deadline, held, warned)
), listed as (
    insert into cases (case_id, status, source, title, township, domain, batch, unit, leader_name,
                       leader_post, deadline, deadline_missed, times_missed, version, reported_at)
    select case_id, status, source, title, township, domain, batch, unit, leader_name,
           leader_post, deadline, deadline_missed, times_missed, version, reported_at
      from given
    on conflict (case_id) do update set
        status = excluded.status, unit = excluded.unit, leader_name = excluded.leader_name,
        leader_post = excluded.leader_post, deadline = excluded.deadline,
        deadline_missed = excluded.deadline_missed, times_missed = excluded.times_missed,
        version = excluded.version, updated_at = now()
     -- Never back in time: a save that decided nothing folds the stream it read, which a command committed since
     -- may have passed (a redelivered report's opening beside the case's 交办); the newer rows stay, deadline too.
     where cases.version <= excluded.version
    returning case_id
), dropped as (
    delete from case_deadlines d using given g
     where d.case_id = g.case_id and not g.keeps_deadline and g.case_id in (select case_id from listed)
    returning d.case_id
), kept as (
    -- The moments stay as first marked while the deadline is the same one; a new deadline clears them.
    insert into case_deadlines (case_id, deadline, held, warned_at, missed_at)
    select case_id, deadline, held, case when warned then now() end, case when deadline_missed then now() end
      from given where keeps_deadline and case_id in (select case_id from listed)
    on conflict (case_id) do update set
        deadline = excluded.deadline,
        held = excluded.held,
        warned_at = case when excluded.warned_at is not null then coalesce(case_deadlines.warned_at, now()) end,
        missed_at = case when excluded.missed_at is not null then coalesce(case_deadlines.missed_at, now()) end,
        updated_at = now()
    returning case_id
)
select (select count(*) from listed) + (select count(*) from dropped) + (select count(*) from kept) as written,
       (select count(*) from (select pg_notify($19, case_id) from given where version = 1) as woken) as woken
"""


async def save(conn: Connection, case: Case) -> None:
    """The case's row in the list and its deadline row, as the case's state after the command says: one round trip."""
    await save_many(conn, [case])


async def save_many(conn: Connection, cases: Sequence[Case]) -> None:
    """The rows of several cases (distinct ones), each as its state says: one round trip for all."""
    columns: list[list[object]] = [[] for _ in range(18)]
    for case in cases:
        a = case.assignment
        keeps_deadline = case.deadline is not None and case.status not in (CaseStatus.REPORTED, CaseStatus.CLOSED)
        row = (
            case.case_id,
            case.status.value,
            case.source.value,
            case.title,
            case.township,
            case.domain.value,
            case.batch,
            a.unit if a else None,
            a.leader.name if a else None,
            a.leader.post if a else None,
            case.deadline,
            case.deadline_missed,
            case.times_missed,
            case.version,
            case.reported_at,
            keeps_deadline,
            # held while the unit waits for 验收 or the closure procedure (销号工作规程): no miss, no poll of it
            case.status is CaseStatus.CLOSURE_REQUESTED or case.status in CLOSURE_PROCEDURE_STATUSES,
            case.deadline_warned,
        )
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    await conn.execute(_SAVE, *columns, OPENED_CHANNEL)


@dataclass(frozen=True)
class CaseFilter:
    """What the list's caller asked for; `assigned_to` is the caller's scope (shared.scope), not a query."""

    status: CaseStatus | None = None
    unit: str | None = None
    township: str | None = None
    overdue: bool | None = None
    assigned_to: str | None = None


# Overdue (超期) as in domain.is_overdue: the current deadline was missed, or passed while still rectifying.
_OVERDUE = """(status <> 'closed' and deadline is not null
               and (deadline_missed or (status = 'assigned' and deadline <= $5)))"""
_MATCHING = f"""from cases
     where ($1::text is null or status = $1)
       and ($2::text is null or unit = $2)
       and ($3::text is null or township = $3)
       and ($4::boolean is null or $4 = {_OVERDUE})
       and ($6::text is null or unit = $6)"""


async def list_cases(
    conn: Connection, where: CaseFilter, now: datetime, *, page: int, page_size: int
) -> tuple[int, list[asyncpg.Record]]:
    """One page of the list, newest report first, and how many cases match in all."""
    status = where.status.value if where.status else None
    args = (status, where.unit, where.township, where.overdue, now, where.assigned_to)
    total = await conn.fetchval(f"select count(*) {_MATCHING}", *args)
    rows = await conn.fetch(
        f"select *, {_OVERDUE} as overdue {_MATCHING} order by reported_at desc, case_id limit $7 offset $8",
        *args,
        page_size,
        (page - 1) * page_size,
    )
    return int(total), list(rows)


async def case_row(conn: Connection, case_id: str, *, lock: bool = False) -> asyncpg.Record | None:
    """The case's status and current unit (None: no such case); with `lock`, held until the transaction ends, as a
    command on the case holds it (its append updates this row)."""
    lock_clause = " for update" if lock else ""
    return await conn.fetchrow(f"select status, unit from cases where case_id = $1{lock_clause}", case_id)
