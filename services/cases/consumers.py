"""Events of other services that cases reacts to: a reported problem becomes a case (立案)."""

from services.cases import handlers
from services.cases.commands import OpenCase
from services.cases.deps import Deps
from shared.consumer import ConsumerRunner, Dispatch, On
from shared.contracts.intake import IssueReported
from shared.db import Connection
from shared.envelope import Envelope
from shared.eventstore import Metadata

ACTOR = "system:intake"


def opening(deps: Deps) -> Dispatch:
    """Which handler runs for which event type: the one place to look."""

    async def on_issue_reported(conn: Connection, envelope: Envelope, event: IssueReported) -> None:
        """The case id is the issue id; a report seen again (even under another event id) opens nothing more."""
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
        meta = Metadata(actor=ACTOR, correlation_id=envelope.correlation_id, causation_id=str(envelope.event_id))
        await handlers.handle(conn, deps.store, event.issue_id, command, meta)

    return Dispatch(On(IssueReported, on_issue_reported))


def consumers(deps: Deps) -> list[ConsumerRunner]:
    return [
        ConsumerRunner(
            deps.settings,
            deps.pool,
            name="cases",
            topics=[deps.settings.topic("intake.events")],
            handler=opening(deps),
        )
    ]
