"""Events of other services that enforcement reacts to: the status of rectification cases (整改案件).

An enforcement case opened from an issue shows how that issue's rectification stands. Only
the events that change the status are read (shared.contracts.cases.STATUS_CHANGING); each
carries the stream version it was appended at, and a row only moves forward, so a
redelivered or late event changes nothing.
"""

from services.enforcement.deps import Deps
from shared.consumer import ConsumerRunner, Dispatch, On
from shared.contracts import Event
from shared.contracts.cases import STATUS_CHANGING, status_after
from shared.db import Connection
from shared.envelope import Envelope


async def on_status_changed(conn: Connection, envelope: Envelope, event: Event) -> None:
    """The case stream's id is the issue id (see shared.contracts.cases)."""
    status = status_after(event, None)
    if status is None:  # an event that keeps the status has nothing to write
        return
    await conn.execute(
        """insert into rectification_cases (issue_id, status, stream_version, event_type, occurred_at)
           values ($1, $2, $3, $4, $5)
           on conflict (issue_id) do update
              set status = excluded.status, stream_version = excluded.stream_version,
                  event_type = excluded.event_type, occurred_at = excluded.occurred_at, updated_at = now()
            where rectification_cases.stream_version < excluded.stream_version""",
        envelope.stream_id,
        status.value,
        envelope.stream_version,
        envelope.type,
        envelope.occurred_at,
    )


# Which handler runs for which event of cases.events.
RECTIFICATION_STATUS = Dispatch(*(On(event, on_status_changed) for event in STATUS_CHANGING))


def consumers(deps: Deps) -> list[ConsumerRunner]:
    return [
        ConsumerRunner(
            deps.settings,
            deps.pool,
            name="rectification-status",
            topics=[deps.settings.topic("cases.events")],
            handler=RECTIFICATION_STATUS,
        )
    ]
