"""Events of other services that cases reacts to: a reported problem becomes a case (立案)."""

from collections.abc import Awaitable, Callable

import asyncpg

from services.cases import handlers
from services.cases.commands import OpenCase
from shared.consumer import ConsumerRunner
from shared.contracts.intake import IssueReported
from shared.envelope import Envelope
from shared.eventstore import EventStore, Metadata
from shared.service import Platform

ACTOR = "system:intake"


async def on_issue_reported(conn: asyncpg.Connection, store: EventStore, envelope: Envelope) -> None:
    """The case id is the issue id; a report seen again (even under another event id) opens nothing more."""
    event = envelope.payload
    assert isinstance(event, IssueReported)
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
    await handlers.run(conn, store, event.issue_id, command, meta)


# Which handler runs for which event type: the one place to look.
HANDLERS: dict[str, Callable[[asyncpg.Connection, EventStore, Envelope], Awaitable[None]]] = {
    "IssueReported": on_issue_reported,
}


def consumers(platform: Platform) -> list[ConsumerRunner]:
    settings = platform.settings

    async def apply(conn: asyncpg.Connection, envelope: Envelope) -> None:
        await HANDLERS[envelope.type](conn, platform.store, envelope)

    return [
        ConsumerRunner(
            settings,
            platform.pool,
            name="cases",
            topics=[settings.topic("intake.events")],
            handler=apply,
            handles=HANDLERS.keys(),
        )
    ]
