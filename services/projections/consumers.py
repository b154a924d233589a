"""Events of other services → read models. Each handler is idempotent on its own too."""

import asyncpg

from services.projections.settings import ProjectionsSettings
from shared.consumer import ConsumerRunner
from shared.contracts.intake import IssueReported
from shared.envelope import Envelope
from shared.service import Platform


async def on_issue_reported(conn: asyncpg.Connection, envelope: Envelope) -> None:
    event = envelope.payload
    assert isinstance(event, IssueReported)
    await conn.execute(
        """insert into pj_issues (issue_id, source, township, domain, batch, title, reported_at)
           values ($1, $2, $3, $4, $5, $6, $7)
           on conflict (issue_id) do nothing""",
        event.issue_id,
        event.source.value,
        event.township,
        event.domain.value,
        event.batch,
        event.title,
        envelope.occurred_at,
    )


HANDLERS = {"IssueReported": on_issue_reported}


async def apply(conn: asyncpg.Connection, envelope: Envelope) -> None:
    await HANDLERS[envelope.type](conn, envelope)


def consumers(platform: Platform) -> list[ConsumerRunner]:
    settings = platform.settings
    assert isinstance(settings, ProjectionsSettings)
    return [
        ConsumerRunner(
            settings,
            platform.pool,
            name="read-models",
            topics=[settings.topic("intake.events")],
            handler=apply,
            handles=HANDLERS.keys(),
        )
    ]
