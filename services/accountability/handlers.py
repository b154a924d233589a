"""Load → fold → decide → append, with the service's tables kept in the same transaction.

| what comes in                                  | handler        | stream              |
| ---------------------------------------------- | -------------- | ------------------- |
| DeadlineMissed / ClosureRejected / Reopened    | `count_step`   | `unit:<unit>`       |
| POST /v1/measures                              | `change_measure` | `measure:<id>`    |
| POST /v1/measures/{id}/revoke                  | `change_measure` | `measure:<id>`    |
"""

import asyncpg

from services.accountability import tables
from services.accountability.domain import ladder, measures
from services.accountability.policy import Policy, Trigger
from shared.aggregate import Decided, execute, fold
from shared.contracts.cases import ClosureRejected, DeadlineMissed, Reopened
from shared.envelope import Envelope
from shared.eventstore import EventStore, Metadata

# The actor of escalations: the policy decided them, not a person.
SYSTEM_ACTOR = "accountability-policy"


async def count_step(conn: asyncpg.Connection, store: EventStore, policy: Policy, trigger: Envelope) -> list[Envelope]:
    """Counts a cases failure on its (unit, case) ladder and appends the escalation it reaches, if any.

    Idempotent on the trigger's event id on its own, besides the consumer's inbox. A
    ConcurrencyConflict on the unit's stream (another case of the same unit escalated
    at the same moment) rolls everything back; the consumer runner retries it.
    """
    failure = trigger.payload
    assert isinstance(failure, DeadlineMissed | ClosureRejected | Reopened)
    step = ladder.step_of(
        Trigger(trigger.type),
        event_id=str(trigger.event_id),
        case_id=trigger.stream_id,  # a case's events are in the stream named by the case id
        unit=failure.unit,
        occurred_at=trigger.occurred_at,
        policy=policy,
    )
    async with conn.transaction():
        await tables.lock_pair(conn, step.unit, step.case_id)
        state = fold(ladder.evolve, ladder.Ladder(), await tables.steps_of(conn, step.unit, step.case_id))
        if state.has_counted(step.trigger_event_id):
            return []
        events = ladder.decide(step, state, policy)
        stream = ladder.unit_stream(step.unit)
        meta = Metadata(
            actor=SYSTEM_ACTOR, correlation_id=trigger.correlation_id, causation_id=str(trigger.event_id)
        )
        appended = await store.append(conn, stream, events, await store.version(conn, stream), meta)
        await tables.insert_step(conn, step, appended[0].event_id if appended else None)
    return appended


async def change_measure(
    conn: asyncpg.Connection,
    store: EventStore,
    command: measures.ImposeMeasure | measures.RevokeMeasure,
    meta: Metadata,
) -> Decided[measures.Measure | None]:
    """Imposes or revokes a measure; the read table changes in the same transaction as the append."""
    async with conn.transaction():
        decided = await execute(
            conn,
            store,
            measures.measure_stream(command.measure_id),
            command,
            decide=measures.decide,
            evolve=measures.evolve,
            initial=None,
            meta=meta,
        )
        for envelope in decided.events:
            await tables.project_measure(conn, envelope)
    return decided
