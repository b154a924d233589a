"""Typed access to the payloads of envelopes read back in tests."""

from collections.abc import Iterable
from typing import TypeVar

from shared.contracts import Event
from shared.contracts.codes import Domain, Source
from shared.contracts.intake import IssueReported
from shared.envelope import Envelope

E = TypeVar("E", bound=Event)


def payload(envelope: Envelope, kind: type[E]) -> E:
    """The envelope's payload, which must be a `kind`."""
    assert isinstance(envelope.payload, kind), f"{envelope.type} carries a {type(envelope.payload).__name__}"
    return envelope.payload


def payloads(envelopes: Iterable[Envelope], kind: type[E]) -> list[E]:
    return [payload(e, kind) for e in envelopes]


def reported(issue_id: str, title: str = "河道非法采砂", description: str = "有人夜间采砂") -> IssueReported:
    """An issue reported on the hotline: the event the platform's tests append."""
    return IssueReported(
        issue_id=issue_id,
        source=Source.HOTLINE_12369,
        title=title,
        description=description,
        township="城关镇",
        domain=Domain.QUARRYING_SAND,
    )
