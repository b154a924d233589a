"""Events of the four topics → read models: the one table of which rows each event type writes.

A batch's events are first recorded as facts (read_tables/facts.py), in one statement; a repeat stops there. For the
fresh ones, each line of `DERIVED` then writes its read table's rows for the events of its types, in one or a few
statements. The lines only insert rows keyed by their event or derive rows from facts, so any interleaving of the
topics, any cut into batches and any number of repeats give the same read models.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from services.projections.generations import Generation
from services.projections.read_tables import accountability, case_history, changes, closure, enforcement, facts
from shared.consumer import Begin, ConsumerRunner, PoisonMessage
from shared.contracts import EVENT_TYPES, cases
from shared.contracts.accountability import (
    CriticismNoticeIssued,
    DisciplineReferralMade,
    MeasureImposed,
    MeasureRevoked,
    SummonsIssued,
    WarningIssued,
)
from shared.contracts.base import Event
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


@dataclass(frozen=True)
class Derive:
    """One line of the table: the fresh events of these types in a batch go to `write`, with their payloads."""

    events: tuple[type[Event], ...]
    write: Callable[[Connection, list[tuple[Envelope, Any]]], Awaitable[None]]


# What each event type does beyond being recorded as a fact (and so appearing on timelines).
DERIVED: tuple[Derive, ...] = (
    # A problem's own record, or a case's copy of it; then each case's state history (every event of its stream).
    Derive((IssueReported,), closure.issues_reported),
    Derive((cases.CaseOpened,), closure.cases_opened),
    Derive(cases.EVENTS, case_history.case_events),
    Derive((EnforcementCaseOpened,), enforcement.cases_opened),
    Derive((PenaltyIssued,), enforcement.penalties_issued),
    Derive((PenaltyPaid,), enforcement.penalties_paid),
    Derive(
        (DetentionOrdered, CriminalMeasuresTaken, ReferredForProsecution, EnforcementCaseClosed), enforcement.actions
    ),
    Derive((WarningIssued, SummonsIssued, CriticismNoticeIssued, DisciplineReferralMade), accountability.escalations),
    Derive((MeasureImposed,), accountability.measures_imposed),
    Derive((MeasureRevoked,), accountability.measures_revoked),
)

# The lines whose events change a problem's state now (closure.current_states): its report, its case's events.
_ISSUE_LINE, _CASE_LINE = DERIVED[0], DERIVED[2]

# Every event of the four topics is recorded as a fact, DERIVED or not.
HANDLED: frozenset[str] = frozenset(facts.TOPIC_OF)


# Each event type's lines of DERIVED (CaseOpened has two: the problem's record and the case's history).
_LINES_OF: dict[str, list[Derive]] = {}
for _line in DERIVED:
    for _cls in _line.events:
        _LINES_OF.setdefault(_cls.event_type(), []).append(_line)


async def apply_batch(conn: Connection, envelopes: list[Envelope]) -> None:
    """Applies a batch of events, in the order they came, to the read models on the connection's search path.

    A payload that is not the class its type names can never be applied: it is poison (the runner then applies the
    batch one event at a time to find it).
    """
    for envelope in envelopes:
        expected = EVENT_TYPES[envelope.type]
        if type(envelope.payload) is not expected and not isinstance(envelope.payload, expected):
            raise PoisonMessage(f"{envelope.type} carries a {type(envelope.payload).__name__}")
    of_line: dict[Derive, list[tuple[Envelope, Any]]] = {line: [] for line in DERIVED}
    for envelope in await facts.record(conn, envelopes):
        for line in _LINES_OF.get(envelope.type, ()):
            of_line[line].append((envelope, envelope.payload))
    for line, events in of_line.items():
        if events:
            await line.write(conn, events)
    # the summaries kept beside the rows: each problem's state now, once its report and history are written
    touched = {_issue_of(envelope, payload) for envelope, payload in of_line[_ISSUE_LINE] + of_line[_CASE_LINE]}
    if touched:
        await closure.current_states(conn, sorted(touched))
        await changes.record(conn, sorted(touched))


def _issue_of(envelope: Envelope, payload: Any) -> str:
    return payload.issue_id if isinstance(payload, IssueReported) else envelope.stream_id


async def apply(conn: Connection, envelope: Envelope) -> None:
    """Applies one event (a batch of one: how the runner isolates a refused event)."""
    await apply_batch(conn, [envelope])


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


def project(generation: Generation) -> Callable[[Connection, list[Envelope]], Awaitable[None]]:
    """Applies a batch of events to one generation's read models, inside the caller's transaction (the runner
    instead enters the generation once per batch: `runner`)."""
    entered = enter(generation)

    async def apply_to_generation(conn: Connection, envelopes: list[Envelope]) -> None:
        if await entered(conn):
            await apply_batch(conn, envelopes)

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
        batch_handler=apply_batch,
        begin=enter(generation),
        handles=HANDLED,
        max_records=max_records,
        group_id=generation.group_id,
    )
