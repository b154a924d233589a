"""Load → fold → decide → append, with the service's tables kept in the same transaction.

| what comes in                                  | handler        | stream              |
| ---------------------------------------------- | -------------- | ------------------- |
| DeadlineMissed / ClosureRejected / Reopened    | `count_step`   | `unit:<unit>`       |
| POST /v1/measures                              | `handle`       | `measure:<id>`      |
| POST /v1/measures/{id}/revoke                  | `handle`       | `measure:<id>`      |
| POST /v1/rounds, …/{id}/findings, …/{id}/close | `document`     | `round:<id>`        |
| POST /v1/bulletins                             | `document`     | `bulletins:<year>`  |
| POST /v1/summons-meetings                      | `document`     | `summons-meeting:<id>` |
| POST /v1/meetings                              | `document`     | `meeting:<id>`      |
"""

from typing import Any

from services.accountability import read_tables
from services.accountability.commands import (
    CloseRound,
    HoldSummonsMeeting,
    IssueBulletin,
    MeasureCommand,
    OpenRound,
    RecordFinding,
    RecordWorkMeeting,
    RoundCommand,
)
from services.accountability.domain import bulletins, ladder, measures, meetings, rounds, summons
from services.accountability.policy import Policy, Trigger
from shared.aggregate import Decided, Decider, execute
from shared.commands import write
from shared.contracts.cases import ClosureRejected, DeadlineMissed, Reopened
from shared.db import Connection
from shared.envelope import Envelope
from shared.eventstore import EventStore, Metadata

# The actor of escalations: the policy decided them, not a person.
SYSTEM_ACTOR = "accountability-policy"

# The failures of a responsible unit that count on its ladder (one per policy.Trigger).
Failure = DeadlineMissed | ClosureRejected | Reopened


async def count_step(
    conn: Connection, store: EventStore, policy: Policy, trigger: Envelope, failure: Failure
) -> list[Envelope]:
    """Counts a cases failure on its (unit, case) ladder and appends the escalation it reaches, if any.

    Idempotent on the trigger's event id on its own, besides the consumer's inbox. A
    ConcurrencyConflict on the unit's stream (another case of the same unit escalated
    at the same moment) rolls everything back; the consumer runner retries it.
    """
    step = ladder.step_of(
        Trigger(trigger.type),
        event_id=str(trigger.event_id),
        case_id=trigger.stream_id,  # a case's events are in the stream named by the case id
        unit=failure.unit,
        occurred_at=trigger.occurred_at,
        policy=policy,
    )
    async with conn.transaction():
        await read_tables.lock_pair(conn, step.unit, step.case_id)
        state = ladder.replay(await read_tables.steps_of(conn, step.unit, step.case_id))
        if state.has_counted(step.trigger_event_id):
            return []
        events = ladder.decide(step, state, policy)
        stream = ladder.unit_stream(step.unit)
        meta = Metadata(actor=SYSTEM_ACTOR, correlation_id=trigger.correlation_id, causation_id=str(trigger.event_id))
        appended = await store.append(conn, stream, events, await store.version(conn, stream), meta)
        await read_tables.insert_step(conn, step, appended[0].event_id if appended else None)
    return appended


async def handle(
    conn: Connection,
    store: EventStore,
    command: MeasureCommand,
    meta: Metadata,
    *,
    expected_version: int | None = None,
) -> Decided[measures.Measure | None]:
    """Imposes or revokes a measure; the read table changes in the same transaction as the append."""

    async def attempt() -> Decided[measures.Measure | None]:
        decided = await execute(
            conn,
            store,
            measures.measure_stream(command.measure_id),
            command,
            measures.decider,
            meta=meta,
            expected_version=expected_version,
        )
        for envelope in decided.events:
            await read_tables.project_measure(conn, envelope)
        return decided

    return await write(conn, attempt, expected_version=expected_version)


DocumentCommand = RoundCommand | IssueBulletin | HoldSummonsMeeting | RecordWorkMeeting


def document_stream(command: DocumentCommand) -> tuple[str, Decider[Any, Any], bool]:
    """The stream a document's command runs on, its decider, and whether the command starts a stream of its own."""
    match command:
        case IssueBulletin():
            return bulletins.bulletin_stream(command.year), bulletins.decider, False
        case HoldSummonsMeeting():
            return summons.summons_stream(command.meeting_id), summons.decider, True
        case RecordWorkMeeting():
            return meetings.meeting_stream(command.meeting_id), meetings.decider, True
        case OpenRound():
            return rounds.round_stream(command.round_id), rounds.decider, True
        case RecordFinding() | CloseRound():
            return rounds.round_stream(command.round_id), rounds.decider, False


async def document(
    conn: Connection,
    store: EventStore,
    command: DocumentCommand,
    meta: Metadata,
    *,
    expected_version: int | None = None,
) -> Decided[Any]:
    """A document of the supervision (督查): its events appended; no read table (projections reads the topic).

    A bulletin that lost the race for its number to another is decided again on the fresh stream (write's policy):
    the next number, never a shared one.
    """
    stream, decider, new = document_stream(command)

    async def attempt() -> Decided[Any]:
        return await execute(
            conn, store, stream, command, decider, meta=meta, expected_version=expected_version, new=new
        )

    return await write(conn, attempt, expected_version=expected_version)
