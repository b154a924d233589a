"""Events of other services that cases reacts to: a reported problem becomes a case (立案); an objection filed during
公示 (公示异议) puts the case back to 验收; the province's 复核 result (as intake recorded it) passes or rejects it.

An objection or a review for a case that is not waiting for one (not in 公示, no 复核 requested, or no such case) is
recorded nowhere on the case and logged: it is no poison message (the public page may race the notice's end), so it
does not go to the DLQ either.

A batch of reports is opened at once (`open_many`): the cases never seen before in one append and one write of their
read tables; a report of an issue whose case exists already goes through the one command handler, as a single report
does (`opening`), which the consumer runner also falls back to, one report at a time, when the batch fails.
"""

import structlog

from services.cases import domain, handlers, read_tables
from services.cases.commands import ApplyReview, Command, DeadlineSpec, OpenCase, ReceiveObjection
from services.cases.deps import Deps
from shared import clock
from shared.aggregate import fold
from shared.consumer import BatchHandler, ConsumerRunner, Dispatch, On, PoisonMessage
from shared.contracts.intake import IssueReported, ObjectionFiled
from shared.contracts.province import ReviewResultRecorded
from shared.db import Connection
from shared.envelope import Envelope
from shared.errors import InvalidCommand, NotFound, RuleViolation
from shared.eventstore import Metadata

log = structlog.get_logger()

ACTOR = "system:intake"


def _command(envelope: Envelope, event: IssueReported) -> tuple[OpenCase, Metadata]:
    """The case id is the issue id; the events it causes name the report as their cause."""
    command = OpenCase(
        case_id=event.issue_id,
        source=event.source,
        title=event.title,
        township=event.township,
        domain=event.domain,
        batch=event.batch,
        external_ref=event.external_ref,
        reported_at=envelope.occurred_at,
    )
    return command, Metadata(actor=ACTOR, correlation_id=envelope.correlation_id, causation_id=str(envelope.event_id))


def opening(deps: Deps) -> Dispatch:
    """Which handler runs for which event type: the one place to look."""

    async def on_issue_reported(conn: Connection, envelope: Envelope, event: IssueReported) -> None:
        """A report seen again (even under another event id) opens nothing more."""
        command, meta = _command(envelope, event)
        await handlers.handle(conn, deps.store, event.issue_id, command, meta)

    async def on_objection(conn: Connection, envelope: Envelope, event: ObjectionFiled) -> None:
        command = ReceiveObjection(
            objection_id=event.objection_id, text=event.text, received_at=event.received_at, now=clock.now()
        )
        await _apply_or_log(conn, deps, envelope, event.case_id, command, actor="system:public")

    async def on_review(conn: Connection, envelope: Envelope, event: ReviewResultRecorded) -> None:
        command = ApplyReview(
            passed=event.passed,
            reviewer=event.reviewer,
            opinion=event.opinion,
            new_deadline=event.new_deadline,
            default_deadline=DeadlineSpec(working_days=deps.closure_policy.rejected_deadline_working_days),
            now=clock.now(),
        )
        await _apply_or_log(conn, deps, envelope, event.issue_id, command, actor=envelope.actor)

    return Dispatch(
        On(IssueReported, on_issue_reported), On(ObjectionFiled, on_objection), On(ReviewResultRecorded, on_review)
    )


async def _apply_or_log(
    conn: Connection, deps: Deps, envelope: Envelope, case_id: str, command: Command, *, actor: str
) -> None:
    """The command on the case; one the case does not wait for changes nothing and is logged (see the module)."""
    meta = Metadata(actor=actor, correlation_id=envelope.correlation_id, causation_id=str(envelope.event_id))
    try:
        await handlers.handle(conn, deps.store, case_id, command, meta)
    except (NotFound, RuleViolation, InvalidCommand) as refused:
        log.info("not_applied_to_case", event_type=envelope.type, case_id=case_id, reason=str(refused))


def open_many(deps: Deps) -> BatchHandler:
    """The batch's reports, with the effects `opening` has on each in turn, in a few statements for all."""

    one_by_one = opening(deps)

    async def open_batch(conn: Connection, envelopes: list[Envelope]) -> None:
        commands: dict[str, tuple[OpenCase, Metadata]] = {}
        others: list[Envelope] = []
        for envelope in envelopes:
            event = envelope.payload
            if isinstance(event, ObjectionFiled | ReviewResultRecorded):
                others.append(envelope)  # rare: applied one by one, after the batch's openings
                continue
            if not isinstance(event, IssueReported):
                raise PoisonMessage(f"{envelope.type} carries a {type(event).__name__}")
            # A second report of the same issue in the batch opens nothing more (its case is the first's).
            commands.setdefault(event.issue_id, _command(envelope, event))
        known = {
            row["stream_id"]
            for row in await conn.fetch(
                "select distinct stream_id from events where stream_id = any($1::text[])", list(commands)
            )
        }
        for case_id in known:  # opened before: the command handler brings its read tables in line, as one would
            await handlers.handle(conn, deps.store, case_id, *commands[case_id])
        fresh = [
            (case_id, domain.decide(command, None), meta)
            for case_id, (command, meta) in commands.items()
            if case_id not in known
        ]
        if fresh:
            # Another writer opening one of them in between raises ConcurrencyConflict: the runner applies the batch
            # again.
            appended = await deps.store.append_new(conn, fresh)
            cases = [fold(domain.evolve, None, (e.payload for e in stream)) for stream in appended]
            await read_tables.save_many(conn, [case for case in cases if case is not None])
        for envelope in others:
            await one_by_one(conn, envelope)

    return open_batch


def consumers(deps: Deps) -> list[ConsumerRunner]:
    return [
        ConsumerRunner(
            deps.settings,
            deps.pool,
            name="cases",
            topics=[deps.settings.topic("intake.events")],
            handler=opening(deps),
            batch_handler=open_many(deps),
        )
    ]
