"""The case fold in SQL (`case_history_of`, read_models.sql) against its statement in Python (domain.py)."""

import uuid
from datetime import timedelta
from typing import Any

import asyncpg

from bench.county import simulate
from services.projections.domain import Fact, Interval, history
from services.projections.read_tables import case_history, closure
from services.projections.read_tables.closure import Moment
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


async def test_the_sql_fold_follows_the_closure_procedure_as_the_domain_fold_does(
    pool: asyncpg.Pool, settings: ProjectionsSettings
) -> None:
    """Each step leaves its next step's status (待公示, 公示中, 待审签, 待复核, 待销号); an objection goes back to 验收,
    a rejected review back to 整改中 with its deadline; only 销号 closes."""
    envelopes = _procedure_stream("closure-1")
    expected = _expected(envelopes)
    generation = await new_generation(pool, settings)
    await feed(pool, generation, envelopes, batch=5)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("select set_config('search_path', $1, true)", generation.search_path)
        folded = [dict(r) for r in await case_history.fold(conn, ["closure-1"])]
    assert folded == expected["closure-1"]
    assert [row["status"] for row in folded][3:] == [
        "awaiting_notice",
        "in_notice",
        "closure_requested",  # 公示异议
        "awaiting_notice",
        "in_notice",
        "awaiting_signoff",
        "awaiting_review",
        "awaiting_review",  # 提请复核: waiting for the province
        "assigned",  # 复核不通过
        "closure_requested",
        "awaiting_signoff",  # the policy changed in between: this 验收's steps are 审签 and 复核 only
        "awaiting_review",
        "awaiting_review",
        "awaiting_closure",
        "closed",
        "closed",  # 报备 keeps it closed
    ]
    assert folded[11]["deadline"] == envelopes[11].payload.new_deadline  # type: ignore[attr-defined]
    assert [row["closed_at"] is not None for row in folded].count(True) == 2


def _procedure_stream(case_id: str) -> list[Envelope]:
    """One case through every step of the closure procedure, its events as the cases domain decides them."""
    from functools import reduce

    from services.cases import domain
    from services.cases.commands import (
        ApplyReview,
        Close,
        Command,
        CompleteNotice,
        DeadlineSpec,
        FileClosure,
        ReceiveObjection,
        RequestReview,
        SignOff,
        StartNotice,
        Verify,
    )
    from shared.contracts.codes import ClosureStep, Source
    from tests.unit.cases.builders import assign, open_case, request_closure

    t0 = now() - timedelta(days=60)
    every = {Source.CENTRAL_INSPECTION: (ClosureStep.NOTICE, ClosureStep.SIGNOFF, ClosureStep.REVIEW)}
    shorter = {Source.CENTRAL_INSPECTION: (ClosureStep.SIGNOFF, ClosureStep.REVIEW)}

    def notice(t: Any) -> StartNotice:
        return StartNotice(summary="整改已完成", ends=t + timedelta(days=7), days=7, day_kind="calendar", now=t)

    days = [t0 + timedelta(days=n) for n in range(40)]
    commands: list[Command] = [
        open_case(case_id),
        assign(now=days[0], deadline=days[0] + timedelta(days=30)),
        request_closure(days[1]),
        Verify(verifier="县督察办", passed=True, now=days[2], procedure=every),
        notice(days[2]),
        ReceiveObjection(objection_id="o-1", text="仍有采砂船停靠", received_at=days[3], now=days[3]),
        Verify(verifier="县督察办", passed=True, now=days[4], procedure=every),
        notice(days[4]),
        CompleteNotice(now=days[12]),
        SignOff(leader="leader:chen", now=days[13]),
        RequestReview(now=days[13]),
        ApplyReview(
            passed=False,
            reviewer="省生态环境厅",
            opinion="复绿不达标",
            new_deadline=days[39] + timedelta(days=30),
            default_deadline=DeadlineSpec(working_days=30),
            now=days[14],
        ),
        request_closure(days[15]),
        Verify(verifier="县督察办", passed=True, now=days[16], procedure=shorter),
        SignOff(leader="leader:chen", now=days[17]),
        RequestReview(now=days[17]),
        ApplyReview(passed=True, reviewer="省生态环境厅", now=days[18], default_deadline=DeadlineSpec(working_days=30)),
        Close(now=days[19]),
        FileClosure(filed_to="省生态环境厅", now=days[20]),
    ]
    state: domain.Case | None = None
    envelopes: list[Envelope] = []
    for n, command in enumerate(commands):
        events = domain.decide(command, state)
        state = reduce(domain.evolve, events, state)
        at = getattr(command, "now", t0) if n else t0 - timedelta(days=1)
        for event in events:
            envelopes.append(
                Envelope(
                    event_id=uuid.uuid4(),
                    type=event.event_type(),
                    schema_version=event.schema_version,
                    stream_id=case_id,
                    stream_version=len(envelopes) + 1,
                    occurred_at=at,
                    correlation_id=case_id,
                    actor="test",
                    payload=event,
                )
            )
    return envelopes


async def test_the_work_report_counts_a_case_in_its_procedure_as_open_at_its_step(
    pool: asyncpg.Pool, settings: ProjectionsSettings
) -> None:
    """公示中 is not 销号: the report's figures count the case open and name the step it is at."""
    from services.projections import report
    from services.projections.assessment import load_assessment_policy
    from shared.contracts.codes import CaseStatus

    envelopes = _procedure_stream("closure-2")
    generation = await new_generation(pool, settings)
    await feed(pool, generation, envelopes[:5], batch=5)  # 立案, 交办, 申请销号, 验收通过, 公示
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("select set_config('search_path', $1, true)", generation.search_path)
        moment = now()
        summary = await report.gather(conn, load_assessment_policy(), year=moment.year, as_of=None, now=moment)
        # the states now (the problems' own status) and in force at this moment (the history) say the same
        statuses = list(CaseStatus)
        counted_now = await closure.in_statuses(conn, Moment(None, moment), statuses)
        counted_then = await closure.in_statuses(conn, Moment(moment, moment), statuses)
    assert counted_now == counted_then and counted_now[CaseStatus.IN_NOTICE] == 1 and sum(counted_now.values()) == 1
    assert (summary.overall.total, summary.overall.closed, summary.overall.open) == (1, 0, 1)
    assert summary.in_procedure[CaseStatus.IN_NOTICE] == 1
    assert sum(summary.in_procedure.values()) == 1
    assert "正在履行销号程序的1个（公示中1个）" in report.paragraphs(summary)[0]
