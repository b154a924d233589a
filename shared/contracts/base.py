"""Base classes of the event contracts.

A payload class's name is its event type on the wire; `schema_version` says which
shape of the payload it is. A new field is optional or has a default; a breaking
change is a new schema_version with an upcaster in `shared.contracts.UPCASTERS`.
"""

import unicodedata
from datetime import datetime
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, StringConstraints


class Contract(BaseModel):
    """A value that crosses a service boundary: immutable, and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Event(Contract):
    """The payload of a domain event (past tense: something that happened)."""

    schema_version: ClassVar[int] = 1

    @classmethod
    def event_type(cls) -> str:
        return cls.__name__


def has_control_characters(value: str) -> bool:
    """Control characters (other than line breaks and tabs) and lone surrogates are never text a person typed."""
    return any(unicodedata.category(char) in ("Cc", "Cs") and char not in "\n\r\t" for char in value)


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


def Text(max_length: int, min_length: int = 1) -> Any:  # noqa: N802 - used as a type
    """Text typed by a person: trimmed, not empty, of bounded length, with no control characters."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(_readable),
    ]
