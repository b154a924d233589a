"""Events on `enforcement.events`."""

from shared.contracts.base import Event

EVENTS: tuple[type[Event], ...] = ()
