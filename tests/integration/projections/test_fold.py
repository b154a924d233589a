"""The case fold in SQL (`case_history_of`, read_models.sql) against its statement in Python (domain.py)."""

from datetime import timedelta
from typing import Any

import asyncpg

from bench.county import simulate
from services.projections.domain import Fact, Interval, history
from services.projections.read_tables import case_history
from services.projections.settings import ProjectionsSettings
from shared.clock import now
from shared.contracts import cases
from shared.envelope import Envelope
from tests.integration.projections.conftest import feed, new_generation


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


def _expected(envelopes: list[Envelope]) -> dict[str, list[dict[str, Any]]]:
    streams: dict[str, list[Fact]] = {}
    for e in envelopes:
        if isinstance(e.payload, cases.EVENTS):
            streams.setdefault(e.stream_id, []).append(Fact(e.stream_version, e.occurred_at, e.payload))
    return {issue_id: [_row(issue_id, i) for i in history(facts)] for issue_id, facts in streams.items()}


async def test_the_sql_fold_gives_what_the_domain_fold_gives_for_every_case(
    pool: asyncpg.Pool, settings: ProjectionsSettings
) -> None:
    county = simulate(seed=23, issues=120, now=now())
    envelopes = list(county.envelopes)
    # a clock that stepped back: an event stamped before the one before it keeps the interval from running backwards
    first_case = next(e for e in envelopes if isinstance(e.payload, cases.Assigned))
    envelopes = [replace_time(e, e.occurred_at - timedelta(days=3)) if e is first_case else e for e in envelopes]
    expected = _expected(envelopes)
    generation = await new_generation(pool, settings)
    await feed(pool, generation, list(reversed(envelopes)), batch=37)  # late versions first: refolds on the way
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("select set_config('search_path', $1, true)", generation.search_path)
        folded = await case_history.fold(conn, sorted(expected))
        stored = [dict(r) for r in await conn.fetch("select * from case_history order by issue_id, seq")]
    by_case: dict[str, list[dict[str, Any]]] = {}
    for row in folded:
        by_case.setdefault(str(row["issue_id"]), []).append(row)
    assert len(expected) == 120 and by_case == expected
    assert stored == [row for issue_id in sorted(expected) for row in expected[issue_id]]
    statuses = {row["status"] for rows in expected.values() for row in rows}
    assert statuses == {"reported", "assigned", "closure_requested", "closed"}
    assert any(row["reopened_count"] for rows in expected.values() for row in rows)
    assert any(row["missed_count"] for rows in expected.values() for row in rows)


def replace_time(envelope: Envelope, occurred_at: Any) -> Envelope:
    return envelope.model_copy(update={"occurred_at": occurred_at})
