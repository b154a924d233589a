"""The case_history table (整改状态历史): always the fold of each case's facts (`domain.py`).

An event that extends a case's stream by one, the usual case, appends one interval to the history
kept so far. Any other arrival (a gap, an earlier version late, a repeat) folds the case's facts
again from scratch. Both give the same rows; the interleaving tests hold them to that.
"""

from datetime import datetime
from typing import Any

import asyncpg

from services.projections.domain import CaseState, Fact, Interval, extend, history
from services.projections.read_tables.facts import payload_of
from services.projections.read_tables.sql import rows_json
from shared.contracts.base import Event
from shared.contracts.cases import Leader
from shared.contracts.codes import CaseStatus
from shared.db import Connection
from shared.envelope import Envelope

COLUMNS = (
    "issue_id, seq, stream_version, valid_from, valid_to, status, unit, leader_name, leader_post, problem, task, "
    "measures, deadline, closed_at, reopened_count, missed_count"
)


def _row(issue_id: str, interval: Interval) -> dict[str, Any]:
    state = interval.state
    return {
        "issue_id": issue_id,
        "seq": interval.seq,
        "stream_version": interval.stream_version,
        "valid_from": interval.valid_from,
        "valid_to": interval.valid_to,
        "status": state.status.value,
        "unit": state.unit,
        "leader_name": state.leader.name if state.leader else None,
        "leader_post": state.leader.post if state.leader else None,
        "problem": state.problem,
        "task": state.task,
        "measures": state.measures,
        "deadline": state.deadline,
        "closed_at": state.closed_at,
        "reopened_count": state.reopened_count,
        "missed_count": state.missed_count,
    }


def _last(row: asyncpg.Record) -> Interval:
    leader = Leader(name=row["leader_name"], post=row["leader_post"]) if row["leader_name"] else None
    state = CaseState(
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
    return Interval(row["seq"], row["stream_version"], row["valid_from"], None, state)


def _extends(last: Interval | None, versions: list[int]) -> bool:
    """Whether the versions continue the history kept so far without a gap (seq = stream_version on the last row
    means it holds versions 1..that one)."""
    start = 0 if last is None else last.stream_version
    return (last is None or last.seq == last.stream_version) and versions == list(
        range(start + 1, start + 1 + len(versions))
    )


async def case_events(conn: Connection, events: list[tuple[Envelope, Event]]) -> None:
    """The events of cases' streams in a batch (each recorded as a fact just before), in a few statements."""
    new: dict[str, list[Fact]] = {}
    for envelope, event in events:
        new.setdefault(envelope.stream_id, []).append(Fact(envelope.stream_version, envelope.occurred_at, event))
    lasts = {
        row["issue_id"]: _last(row)
        for row in await conn.fetch(
            f"""select distinct on (issue_id) {COLUMNS} from case_history where issue_id = any($1::text[])
                 order by issue_id, seq desc""",
            list(new),
        )
    }
    rows: list[dict[str, Any]] = []
    ended: list[tuple[str, int, datetime]] = []
    refold: list[str] = []
    for issue_id, facts in new.items():
        last = lasts.get(issue_id)
        if not _extends(last, sorted(fact.stream_version for fact in facts)):
            refold.append(issue_id)
            continue
        intervals = extend(last, facts)
        if last is not None:
            ended.append((issue_id, last.seq, intervals[0].valid_from))
        rows.extend(_row(issue_id, interval) for interval in intervals)
    if refold:
        rows.extend(await _refold(conn, refold))
    if ended:
        # The interval before ends where the batch's first one begins.
        issue_ids, seqs, ends = zip(*ended, strict=True)
        await conn.execute(
            """update case_history h set valid_to = e.valid_to
                 from unnest($1::text[], $2::integer[], $3::timestamptz[]) as e(issue_id, seq, valid_to)
                where h.issue_id = e.issue_id and h.seq = e.seq""",
            list(issue_ids),
            list(seqs),
            list(ends),
        )
    if rows:
        await conn.execute(
            "insert into case_history select * from jsonb_populate_recordset(null::case_history, $1::text::jsonb)",
            rows_json(rows),
        )


async def _refold(conn: Connection, issue_ids: list[str]) -> list[dict[str, Any]]:
    """A gap, an earlier version late: these cases' histories are folded again from all their facts."""
    facts: dict[str, list[Fact]] = {issue_id: [] for issue_id in issue_ids}
    for r in await conn.fetch(
        """select stream_id, stream_version, occurred_at, type, payload from facts
            where topic = 'cases' and stream_id = any($1::text[])""",
        issue_ids,
    ):
        facts[r["stream_id"]].append(Fact(r["stream_version"], r["occurred_at"], payload_of(r["type"], r["payload"])))
    await conn.execute("delete from case_history where issue_id = any($1::text[])", issue_ids)
    return [_row(issue_id, interval) for issue_id, of_case in facts.items() for interval in history(of_case)]
