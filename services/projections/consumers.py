"""Events of the four topics → read models: the one table of which handler runs for which event.

Every event is first recorded as a fact (read_tables/facts.py); a repeat stops there. The lines of
`DERIVED` run after it, in the order given, only for a fresh event. They only insert rows keyed by
their event or derive rows from facts, so any interleaving of the topics and any number of repeats
give the same read models.
"""

import asyncpg

from services.projections.generations import Generation
from services.projections.read_tables import accountability, case_history, closure, enforcement, facts
from shared.consumer import Begin, ConsumerRunner, Dispatch, Handler, On
from shared.contracts import cases
from shared.contracts.accountability import (
    CriticismNoticeIssued,
    DisciplineReferralMade,
    MeasureImposed,
    MeasureRevoked,
    SummonsIssued,
    WarningIssued,
)
from shared.contracts.enforcement import (
    CriminalMeasuresTaken,
    DetentionOrdered,
    EnforcementCaseClosed,
    EnforcementCaseOpened,
    PenaltyIssued,
    PenaltyPaid,
    ReferredForProsecution,
)
from shared.contracts.intake import IssueReported
from shared.db import Connection
from shared.envelope import Envelope
from shared.settings import ServiceSettings

# What each event type does beyond being recorded as a fact (and so appearing on timelines).
DERIVED = Dispatch(
    On(IssueReported, closure.on_issue_reported),
    # A case's own copy of its problem first, then its state history (every event of a case's stream).
    On(cases.CaseOpened, closure.on_case_opened),
    *(On(event, case_history.on_case_event) for event in cases.EVENTS),
    On(EnforcementCaseOpened, enforcement.on_case_opened),
    On(PenaltyIssued, enforcement.on_penalty_issued),
    On(PenaltyPaid, enforcement.on_penalty_paid),
    On(DetentionOrdered, enforcement.on_action),
    On(CriminalMeasuresTaken, enforcement.on_action),
    On(ReferredForProsecution, enforcement.on_action),
    On(EnforcementCaseClosed, enforcement.on_action),
    On(WarningIssued, accountability.on_escalation),
    On(SummonsIssued, accountability.on_escalation),
    On(CriticismNoticeIssued, accountability.on_escalation),
    On(DisciplineReferralMade, accountability.on_escalation),
    On(MeasureImposed, accountability.on_measure_imposed),
    On(MeasureRevoked, accountability.on_measure_revoked),
)

# Every event of the four topics is recorded as a fact, DERIVED or not.
HANDLED: frozenset[str] = frozenset(facts.TOPIC_OF)


async def apply(conn: Connection, envelope: Envelope) -> None:
    """Applies one event to the read models on the connection's search path."""
    if await facts.record(conn, envelope):
        await DERIVED(conn, envelope)


def enter(generation: Generation) -> Begin:
    """Once per batch, in its transaction: the generation's read models on the search path; False when it was dropped.

    The share lock keeps the generation from being dropped under this batch; a dropped one ignores events.
    """

    async def enter_generation(conn: Connection) -> bool:
        live = await conn.fetchval(
            """select set_config('search_path', $2, true) from read_model_generations
                where generation = $1 and status <> 'dropped' for share""",
            generation.number,
            generation.search_path,
        )
        return live is not None

    return enter_generation


def project(generation: Generation) -> Handler:
    """The handler that applies one event to one generation's read models, inside the caller's transaction (the
    runner instead enters the generation once per batch: `runner`)."""
    entered = enter(generation)

    async def apply_to_generation(conn: Connection, envelope: Envelope) -> None:
        if await entered(conn):
            await apply(conn, envelope)

    return apply_to_generation


def runner(
    settings: ServiceSettings, pool: asyncpg.Pool, generation: Generation, *, max_records: int = 500
) -> ConsumerRunner:
    """The consumer that fills a generation: all four topics, from offset 0 for a new generation's group."""
    return ConsumerRunner(
        settings,
        pool,
        name=generation.consumer,
        topics=facts.topics(settings),
        handler=apply,
        begin=enter(generation),
        handles=HANDLED,
        max_records=max_records,
        group_id=generation.group_id,
    )
