"""Typed access to the payloads of envelopes read back in tests."""

from collections.abc import Iterable
from typing import TypeVar

from shared.contracts import Event
from shared.envelope import Envelope

E = TypeVar("E", bound=Event)


def payload(envelope: Envelope, kind: type[E]) -> E:
    """The envelope's payload, which must be a `kind`."""
    assert isinstance(envelope.payload, kind), f"{envelope.type} carries a {type(envelope.payload).__name__}"
    return envelope.payload


def payloads(envelopes: Iterable[Envelope], kind: type[E]) -> list[E]:
    return [payload(e, kind) for e in envelopes]
