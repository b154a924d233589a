"""Events of the four topics → read models: the one table of which handler runs for which event.

Every event is first recorded as a fact (facts.py); a repeat stops there. The handlers after it
only insert facts keyed by their event or derive rows from facts, so any interleaving of the
topics and any number of repeats give the same read models.
"""

from collections.abc import Awaitable, Callable

import asyncpg

from services.projections import accountability_tally, closure, enforcement_figures, facts, history_store
from services.projections.generations import Generation
from shared.consumer import ConsumerRunner
from shared.envelope import Envelope
from shared.settings import ServiceSettings

Handler = Callable[[asyncpg.Connection, Envelope], Awaitable[None]]

_CASE_EVENTS: tuple[str, ...] = tuple(cls.event_type() for cls in facts.TOPICS["cases"])

# What each event type does beyond being recorded as a fact (and so appearing on timelines).
DERIVED: dict[str, tuple[Handler, ...]] = {
    "IssueReported": (closure.on_issue_reported,),
    **{event_type: (history_store.on_case_event,) for event_type in _CASE_EVENTS},
    "CaseOpened": (closure.on_case_opened, history_store.on_case_event),
    "EnforcementCaseOpened": (enforcement_figures.on_case_opened,),
    "PenaltyIssued": (enforcement_figures.on_penalty_issued,),
    "PenaltyPaid": (enforcement_figures.on_penalty_paid,),
    "DetentionOrdered": (enforcement_figures.on_action,),
    "CriminalMeasuresTaken": (enforcement_figures.on_action,),
    "ReferredForProsecution": (enforcement_figures.on_action,),
    "EnforcementCaseClosed": (enforcement_figures.on_action,),
    "WarningIssued": (accountability_tally.on_escalation,),
    "SummonsIssued": (accountability_tally.on_escalation,),
    "CriticismNoticeIssued": (accountability_tally.on_escalation,),
    "DisciplineReferralMade": (accountability_tally.on_escalation,),
    "MeasureImposed": (accountability_tally.on_measure_imposed,),
    "MeasureRevoked": (accountability_tally.on_measure_revoked,),
}

HANDLED: frozenset[str] = frozenset(facts.TOPIC_OF)


async def apply(conn: asyncpg.Connection, envelope: Envelope) -> None:
    """Applies one event to the read models on the connection's search path."""
    if not await facts.record(conn, envelope):
        return
    for handler in DERIVED.get(envelope.type, ()):
        await handler(conn, envelope)


def project(generation: Generation) -> Handler:
    """The handler that applies events to one generation's read models, inside the caller's transaction."""

    async def apply_to_generation(conn: asyncpg.Connection, envelope: Envelope) -> None:
        # The share lock keeps the generation from being dropped under this batch; a dropped one ignores events.
        live = await conn.fetchval(
            """select set_config('search_path', $2, true) from read_model_generations
                where generation = $1 and status <> 'dropped' for share""",
            generation.number,
            generation.search_path,
        )
        if live is not None:
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
        topics=[settings.topic(name) for name in facts.TOPIC_NAMES],
        handler=project(generation),
        handles=HANDLED,
        max_records=max_records,
        group_id=generation.group_id,
    )
