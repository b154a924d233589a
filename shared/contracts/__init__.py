"""Event contracts of every topic, and the one registry that names them.

Services import each other only through this package.
"""

from collections.abc import Callable
from typing import Any

from shared.contracts import accountability, cases, enforcement, intake, province
from shared.contracts.base import Contract, Event

EVENT_TYPES: dict[str, type[Event]] = {
    cls.event_type(): cls
    for cls in (*intake.EVENTS, *cases.EVENTS, *enforcement.EVENTS, *accountability.EVENTS, *province.EVENTS)
}


def label_of(event_type: str) -> str:
    """What a person reads for an event type (zh-CN); a type this code does not know is shown as it is."""
    known = EVENT_TYPES.get(event_type)
    return known.label if known is not None else event_type


Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

# (type, schema_version) -> function turning that payload into the next version's shape.
UPCASTERS: dict[tuple[str, int], Upcaster] = {}

__all__ = ["EVENT_TYPES", "UPCASTERS", "Contract", "Event", "Upcaster", "label_of"]
