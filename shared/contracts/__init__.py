"""Event contracts of every topic, and the one registry that names them.

Services import each other only through this package.
"""

from shared.contracts import accountability, audit, cases, enforcement, intake, province
from shared.contracts.base import Contract, Event, Upcaster

EVENT_TYPES: dict[str, type[Event]] = {
    cls.event_type(): cls
    for cls in (
        *intake.EVENTS,
        *cases.EVENTS,
        *enforcement.EVENTS,
        *accountability.EVENTS,
        *province.EVENTS,
        *province.RECORDED_INBOUND,
        *audit.EVENTS,
    )
}


# The event types each topic may carry: those of the service that owns and alone may write it (shared/kafka_access.py
# gives it the broker's ACLs). A consumer refuses any other type on the topic to the dead letters (shared/consumer.py):
# an event that claims another owner is forged or misrouted, whoever could write it.
_TOPIC_OWNERS: dict[str, tuple[type[Event], ...]] = {
    # with the province's 复核 results as intake recorded them (province.RECORDED_INBOUND)
    "intake.events": (*intake.EVENTS, *province.RECORDED_INBOUND),
    "cases.events": cases.EVENTS,
    "enforcement.events": enforcement.EVENTS,
    "accountability.events": accountability.EVENTS,
    # The province's 交办, as intake decodes its CloudEvents.
    "province.inbound": (province.ProvinceAssignment, province.ProvinceReviewed),
    # What the county reports back, and every service's signed checkpoints (shared/audit/checkpoints.py).
    "province.outbound": (*province.EVENTS, *audit.CHECKPOINTS),
    "audit.checkpoints": audit.CHECKPOINTS,
    # Reads that matter (查阅留痕): each service that records them on its own audit topic, through its outbox.
    "audit.reads.intake": audit.INTAKE_READS,
    "audit.reads.projections": audit.PROJECTIONS_READS,
}
TOPIC_EVENTS: dict[str, frozenset[str]] = {
    topic: frozenset(cls.event_type() for cls in events) for topic, events in _TOPIC_OWNERS.items()
}


def label_of(event_type: str) -> str:
    """What a person reads for an event type (zh-CN); a type this code does not know is shown as it is."""
    known = EVENT_TYPES.get(event_type)
    return known.label if known is not None else event_type


# (type, schema_version) -> function turning that payload into the next version's shape (shared.envelope applies
# them on read, one version at a time); each module beside its contracts, as cases.UPCASTERS.
UPCASTERS: dict[tuple[str, int], Upcaster] = {**cases.UPCASTERS}

__all__ = ["EVENT_TYPES", "TOPIC_EVENTS", "UPCASTERS", "Contract", "Event", "Upcaster", "label_of"]
