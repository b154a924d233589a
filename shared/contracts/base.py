"""Base classes of the event contracts.

A payload class's name is its event type on the wire; `schema_version` says which
shape of the payload it is. A breaking change is a new schema_version with an upcaster
in `shared.contracts.UPCASTERS`.

A new field is a breaking change too, even an optional one: contracts forbid unknown
fields (extra="forbid"), so a reader still at the old version would refuse a payload
that carries it, as a poison record to its dead letters. A new schema_version instead
tells that reader plainly that the payload is newer than its code, and every reader
of the new code gets old payloads through the upcaster, one version at a time. The
old version's shape stays in the contracts (as `<Type>V<N>`, for the AsyncAPI
document), its recorded samples stay in tests/contracts/samples, and stored events
keep the version they were written under: upcasting happens on read, never in place
(an event's hash covers its bytes as stored). The first: Assigned and Reassigned v2.
"""

import re
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, StringConstraints


class Contract(BaseModel):
    """A value that crosses a service boundary: immutable, and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Event(Contract):
    """The payload of a domain event (past tense: something that happened).

    Each event class sets `label`, what a person reads for it (zh-CN), once, here in the contracts.
    """

    schema_version: ClassVar[int] = 1
    label: ClassVar[str]

    @classmethod
    def event_type(cls) -> str:
        return cls.__name__

    def shown_as(self) -> str:
        """What a person reads for this one event in a case's 办理记录: the label, unless the event's own fields say
        more than its type does (MarkedConfidential: 不予公开 or 恢复公开, one type for both)."""
        return self.label


# Reads a payload of one schema version as the next version's: pure, the payload given is left as it was.
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


# Unicode's categories Cc (C0 and C1 controls) and Cs (surrogates), but for line breaks and tabs: one regular
# expression scans a text in C, where a loop over its characters cost every event's validation tens of microseconds.
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def has_control_characters(value: str) -> bool:
    """Control characters (other than line breaks and tabs) and lone surrogates are never text a person typed."""
    return _CONTROL_CHARACTERS.search(value) is not None


def _readable(value: str) -> str:
    if has_control_characters(value):
        raise ValueError("不能包含控制字符")
    return value


def _plausible(moment: datetime) -> datetime:
    """A moment an official could mean: refuses year 1 and the like, which cannot even be turned into UTC."""
    if not 1949 <= moment.year <= 2999:
        raise ValueError("时间超出合理范围（1949—2999年）")
    return moment


# A date-time with its zone, within a plausible range.
Moment = Annotated[AwareDatetime, AfterValidator(_plausible)]


_READABLE = AfterValidator(_readable)
# The control-character check alone, for fields of recorded events that keep the bounds they were recorded with.
Readable = _READABLE


def _bounded(max_length: int) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


# Text typed by a person: trimmed, not empty, of bounded length, with no control characters.
# One type per kind of text, so that every field says how long such a thing may be.
Phone = Annotated[str, _bounded(30), _READABLE]
PersonName = Annotated[str, _bounded(50), _READABLE]
ShortText = Annotated[str, _bounded(100), _READABLE]  # a unit, a post, a reference number
Title = Annotated[str, _bounded(200), _READABLE]
Address = Annotated[str, _bounded(500), _READABLE]
Note = Annotated[str, _bounded(2000), _READABLE]  # a reason, a summary, an opinion
LongText = Annotated[str, _bounded(5000), _READABLE]  # a report's description
