"""Base classes of the event contracts.

A payload class's name is its event type on the wire; `schema_version` says which
shape of the payload it is. A new field is optional or has a default; a breaking
change is a new schema_version with an upcaster in `shared.contracts.UPCASTERS`.
"""

import unicodedata
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints


class Contract(BaseModel):
    """A value that crosses a service boundary: immutable, and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Event(Contract):
    """The payload of a domain event (past tense: something that happened)."""

    schema_version: ClassVar[int] = 1

    @classmethod
    def event_type(cls) -> str:
        return cls.__name__


def _readable(value: str) -> str:
    """Refuses control characters (other than line breaks and tabs) and lone surrogates: they are never text."""
    for char in value:
        if unicodedata.category(char) in ("Cc", "Cs") and char not in "\n\r\t":
            raise ValueError("不能包含控制字符")
    return value


def Text(max_length: int, min_length: int = 1) -> Any:  # noqa: N802 - used as a type
    """Text typed by a person: trimmed, not empty, of bounded length, with no control characters."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(_readable),
    ]
