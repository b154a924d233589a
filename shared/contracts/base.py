"""Base classes of the event contracts.

A payload class's name is its event type on the wire; `schema_version` says which
shape of the payload it is. A new field is optional or has a default; a breaking
change is a new schema_version with an upcaster in `shared.contracts.UPCASTERS`.
"""

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class Contract(BaseModel):
    """A value that crosses a service boundary: immutable, and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Event(Contract):
    """The payload of a domain event (past tense: something that happened)."""

    schema_version: ClassVar[int] = 1

    @classmethod
    def event_type(cls) -> str:
        return cls.__name__
