"""Events of other services that enforcement reacts to: the status of rectification cases (整改案件).

An enforcement case opened from an issue shows how that issue's rectification stands. Only
the events that change the status are read (shared.contracts.cases.STATUS_CHANGING); each
carries the stream version it was appended at, and a row only moves forward, so a
redelivered or late event changes nothing.
"""

from datetime import datetime

from services.enforcement.deps import Deps
from shared.consumer import ConsumerRunner, Dispatch, On, PoisonMessage
from shared.contracts import Event
from shared.contracts.cases import STATUS_CHANGING, status_after
from shared.db import Connection
from shared.envelope import Envelope

# The rows of several issues (distinct ones), one array element each; a row only moves forward.
_SAVE_STATUSES = """
insert into rectification_cases (issue_id, status, stream_version, event_type, occurred_at)
select * from unnest($1::text[], $2::text[], $3::integer[], $4::text[], $5::timestamptz[])
on conflict (issue_id) do update
   set status = excluded.status, stream_version = excluded.stream_version,
       event_type = excluded.event_type, occurred_at = excluded.occurred_at, updated_at = now()
 where rectification_cases.stream_version < excluded.stream_version
"""


async def save_statuses(conn: Connection, envelopes: list[Envelope]) -> None:
    """The status each event leaves its issue in, the latest of each issue only; one statement for all.

    The case stream's id is the issue id (see shared.contracts.cases)."""
    latest: dict[str, tuple[str, str, int, str, datetime]] = {}
    for envelope in envelopes:
        status = status_after(envelope.payload, None)
        if status is None:  # an event that keeps the status has nothing to write
            continue
        known = latest.get(envelope.stream_id)
        if known is None or known[2] < envelope.stream_version:
            latest[envelope.stream_id] = (
                envelope.stream_id,
                status.value,
                envelope.stream_version,
                envelope.type,
                envelope.occurred_at,
            )
    if latest:
        await conn.execute(_SAVE_STATUSES, *(list(column) for column in zip(*latest.values(), strict=True)))


async def on_status_changed(conn: Connection, envelope: Envelope, event: Event) -> None:
    await save_statuses(conn, [envelope])


async def on_status_changes(conn: Connection, envelopes: list[Envelope]) -> None:
    """A batch at once, with the effects of `on_status_changed` on each in turn."""
    for envelope in envelopes:
        expected = _CLASSES.get(envelope.type)
        if expected is None or not isinstance(envelope.payload, expected):
            raise PoisonMessage(f"{envelope.type} carries a {type(envelope.payload).__name__}")
    await save_statuses(conn, envelopes)


_CLASSES = {event.event_type(): event for event in STATUS_CHANGING}
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
            batch_handler=on_status_changes,
            gather_ms=deps.settings.background_gather_ms,
        )
    ]
