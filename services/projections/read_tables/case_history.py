"""The case_history table (整改状态历史): always the fold of each case's facts (`domain.py`).

An event that extends a case's stream by one, the usual case, appends one interval to the history
kept so far. Any other arrival (a gap, an earlier version late, a repeat) folds the case's facts
again from scratch. Both give the same rows; the interleaving tests hold them to that.
"""

from collections.abc import Sequence
from typing import Any

import asyncpg

from services.projections.domain import CaseState, Fact, Interval, evolve, history
from services.projections.read_tables.facts import payload_of
from shared.contracts.base import Event
from shared.contracts.cases import Leader
from shared.contracts.codes import CaseStatus
from shared.db import Connection
from shared.envelope import Envelope

COLUMNS = (
    "issue_id, seq, stream_version, valid_from, valid_to, status, unit, leader_name, leader_post, problem, task, "
    "measures, deadline, closed_at, reopened_count, missed_count"
)
PLACEHOLDERS = ", ".join(f"${n}" for n in range(1, 17))


def _row(issue_id: str, interval: Interval) -> tuple[Any, ...]:
    state = interval.state
    return (
        issue_id,
        interval.seq,
        interval.stream_version,
        interval.valid_from,
        interval.valid_to,
        state.status.value,
        state.unit,
        state.leader.name if state.leader else None,
        state.leader.post if state.leader else None,
        state.problem,
        state.task,
        state.measures,
        state.deadline,
        state.closed_at,
        state.reopened_count,
        state.missed_count,
    )


def _state(row: asyncpg.Record) -> CaseState:
    leader = Leader(name=row["leader_name"], post=row["leader_post"]) if row["leader_name"] else None
    return CaseState(
        status=CaseStatus(row["status"]),
        unit=row["unit"],
        leader=leader,
        problem=row["problem"],
        task=row["task"],
        measures=row["measures"],
        deadline=row["deadline"],
        closed_at=row["closed_at"],
        reopened_count=row["reopened_count"],
        missed_count=row["missed_count"],
    )


async def on_case_event(conn: Connection, envelope: Envelope, event: Event) -> None:
    """Any event of a case's stream (recorded as a fact just before)."""
    issue_id, version = envelope.stream_id, envelope.stream_version
    last = await conn.fetchrow(
        f"select {COLUMNS} from case_history where issue_id = $1 order by seq desc limit 1", issue_id
    )
    # seq = stream_version on the last row means the history holds versions 1..that one, without a gap.
    contiguous = (last is None and version == 1) or (
        last is not None and last["seq"] == last["stream_version"] == version - 1
    )
    if contiguous:
        await _append(conn, issue_id, last, Fact(version, envelope.occurred_at, event))
    else:
        await _refold(conn, issue_id)


async def _append(conn: Connection, issue_id: str, last: asyncpg.Record | None, fact: Fact) -> None:
    if last is None:
        await conn.executemany(
            f"insert into case_history ({COLUMNS}) values ({PLACEHOLDERS})",
            [_row(issue_id, interval) for interval in history([fact])],
        )
        return
    # The same step history() takes: the interval starts no earlier than the one before it.
    valid_from = max(last["valid_from"], fact.occurred_at)
    interval = Interval(
        seq=last["seq"] + 1,
        stream_version=fact.stream_version,
        valid_from=valid_from,
        valid_to=None,
        state=evolve(_state(last), fact),
    )
    # One statement: the interval before ends where the new one begins.
    await conn.execute(
        f"""with ended as (update case_history set valid_to = $4 where issue_id = $1 and seq = $17)
            insert into case_history ({COLUMNS}) values ({PLACEHOLDERS})""",
        *_row(issue_id, interval),
        last["seq"],
    )


async def _refold(conn: Connection, issue_id: str) -> None:
    rows: Sequence[asyncpg.Record] = await conn.fetch(
        "select stream_version, occurred_at, type, payload from facts where topic = 'cases' and stream_id = $1",
        issue_id,
    )
    intervals = history(Fact(r["stream_version"], r["occurred_at"], payload_of(r["type"], r["payload"])) for r in rows)
    await conn.execute("delete from case_history where issue_id = $1", issue_id)
    await conn.executemany(
        f"insert into case_history ({COLUMNS}) values ({PLACEHOLDERS})", [_row(issue_id, i) for i in intervals]
    )
