"""The facts: every event of the four topics, recorded once by its event id.

Every other read model is derived from facts only, so the order in which the topics are
read never changes a figure. The `issue_ids` of a fact are those its own payload names;
links that need another event (an enforcement case's later events, a revocation) are
resolved when read.
"""

from typing import Any

from shared.contracts import EVENT_TYPES, accountability, cases, enforcement, intake
from shared.contracts.accountability import Escalation, MeasureImposed
from shared.contracts.base import Event
from shared.contracts.enforcement import EnforcementCaseOpened
from shared.db import Connection
from shared.envelope import Envelope
from shared.settings import ServiceSettings

# The topics projections reads (settings.topic(name) gives the real name), and the short name
# each event type's facts are filed under.
TOPICS: dict[str, tuple[type[Event], ...]] = {
    "intake": intake.EVENTS,
    "cases": cases.EVENTS,
    "enforcement": enforcement.EVENTS,
    "accountability": accountability.EVENTS,
}
TOPIC_NAMES = tuple(f"{short}.events" for short in TOPICS)
TOPIC_OF: dict[str, str] = {cls.event_type(): short for short, events in TOPICS.items() for cls in events}


def topics(settings: ServiceSettings) -> list[str]:
    """The real names of the topics, with the settings' prefix."""
    return [settings.topic(name) for name in TOPIC_NAMES]


def issue_ids(envelope: Envelope) -> list[str]:
    """The issues (= rectification cases) this event names itself."""
    event = envelope.payload
    match TOPIC_OF[envelope.type]:
        case "intake" | "cases":
            return [envelope.stream_id]  # the issue's stream; the case id is the issue id
        case _ if isinstance(event, EnforcementCaseOpened):
            return [event.issue_id] if event.issue_id else []
        case _ if isinstance(event, Escalation | MeasureImposed):
            return sorted(set(event.case_ids))
        case _:
            return []


async def record(conn: Connection, envelope: Envelope) -> bool:
    """Records the event; False when it was already recorded (a repeat changes nothing)."""
    inserted = await conn.fetchval(
        """insert into facts (event_id, topic, type, schema_version, stream_id, stream_version, occurred_at,
                              actor, correlation_id, payload, issue_ids)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
           on conflict do nothing
           returning true""",
        envelope.event_id,
        TOPIC_OF[envelope.type],
        envelope.type,
        envelope.schema_version,
        envelope.stream_id,
        envelope.stream_version,
        envelope.occurred_at,
        envelope.actor,
        envelope.correlation_id,
        envelope.payload.model_dump(mode="json"),
        issue_ids(envelope),
    )
    return bool(inserted)


def payload_of(event_type: str, payload: dict[str, Any]) -> Event:
    """A recorded payload read back as its contract (stored as this code's schema version)."""
    return EVENT_TYPES[event_type].model_validate(payload)
