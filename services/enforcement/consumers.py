"""Events of other services that enforcement reacts to: the status of rectification cases (整改案件).

An enforcement case opened from an issue shows how that issue's rectification stands. Only
the events that set the status are read; each carries the stream version it was appended
at, and a row only moves forward, so a redelivered or late event changes nothing.
"""

import asyncpg

from shared.consumer import ConsumerRunner
from shared.contracts.codes import CaseStatus
from shared.envelope import Envelope
from shared.service import Platform

# Which status each event of cases.events leaves the rectification case in: the one place to look.
STATUS_AFTER: dict[str, CaseStatus] = {
    "CaseOpened": CaseStatus.REPORTED,
    "Assigned": CaseStatus.ASSIGNED,
    "ClosureRequested": CaseStatus.CLOSURE_REQUESTED,
    "Closed": CaseStatus.CLOSED,
    "ClosureRejected": CaseStatus.ASSIGNED,
    "Reopened": CaseStatus.ASSIGNED,
}


async def on_status_event(conn: asyncpg.Connection, envelope: Envelope) -> None:
    """The case stream's id is the issue id (see shared.contracts.cases)."""
    await conn.execute(
        """insert into rectification_cases (issue_id, status, stream_version, event_type, occurred_at)
           values ($1, $2, $3, $4, $5)
           on conflict (issue_id) do update
              set status = excluded.status, stream_version = excluded.stream_version,
                  event_type = excluded.event_type, occurred_at = excluded.occurred_at, updated_at = now()
            where rectification_cases.stream_version < excluded.stream_version""",
        envelope.stream_id,
        STATUS_AFTER[envelope.type].value,
        envelope.stream_version,
        envelope.type,
        envelope.occurred_at,
    )


def consumers(platform: Platform) -> list[ConsumerRunner]:
    settings = platform.settings
    return [
        ConsumerRunner(
            settings,
            platform.pool,
            name="rectification-status",
            topics=[settings.topic("cases.events")],
            handler=on_status_event,
            handles=STATUS_AFTER.keys(),
        )
    ]
