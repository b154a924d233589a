"""The facts: every event of the four topics, recorded once by its event id.

Every other read model is derived from facts only, so the order in which the topics are
read never changes a figure. The `issue_ids` of a fact are those its own payload names;
links that need another event (an enforcement case's later events, a revocation) are
resolved when read.
"""

from typing import Any

from services.projections.read_tables.sql import array_literal
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


async def record(conn: Connection, envelopes: list[Envelope]) -> list[Envelope]:
    """Records the events in one statement; the ones recorded now, in their order (a repeat changes nothing: an event
    id, or a stream's version, already recorded)."""
    if not envelopes:
        return []
    recorded = await conn.fetch(
        """insert into facts (event_id, topic, type, schema_version, stream_id, stream_version, occurred_at, actor,
                              correlation_id, payload, issue_ids)
           select e.event_id, e.topic, e.type, e.schema_version, e.stream_id, e.stream_version, e.occurred_at,
                  e.actor, e.correlation_id, e.payload::jsonb, e.issue_ids::text[]
             from unnest($1::uuid[], $2::text[], $3::text[], $4::integer[], $5::text[], $6::integer[],
                         $7::timestamptz[], $8::text[], $9::text[], $10::text[], $11::text[])
                  as e (event_id, topic, type, schema_version, stream_id, stream_version, occurred_at, actor,
                        correlation_id, payload, issue_ids)
           on conflict do nothing
           returning event_id""",
        [e.event_id for e in envelopes],
        [TOPIC_OF[e.type] for e in envelopes],
        [e.type for e in envelopes],
        [e.schema_version for e in envelopes],
        [e.stream_id for e in envelopes],
        [e.stream_version for e in envelopes],
        [e.occurred_at for e in envelopes],
        [e.actor for e in envelopes],
        [e.correlation_id for e in envelopes],
        [e.payload.model_dump_json() for e in envelopes],
        [array_literal(issue_ids(e)) for e in envelopes],
    )
    fresh = {row["event_id"] for row in recorded}
    applied = []
    for envelope in envelopes:
        if envelope.event_id in fresh:
            fresh.discard(envelope.event_id)  # the same event twice in one batch: recorded once
            applied.append(envelope)
    return applied


def payload_of(event_type: str, payload: dict[str, Any]) -> Event:
    """A recorded payload read back as its contract (stored as this code's schema version)."""
    return EVENT_TYPES[event_type].model_validate(payload)
