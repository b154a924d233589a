"""Events on `accountability.events`: escalations of units and measures against units and officials.

Escalations live in the unit's stream (`unit:<unit>`); measures in their own stream (`measure:<id>`).
"""

from datetime import date
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from shared.contracts.base import Contract, Event
from shared.contracts.codes import MeasureKind


class Escalation(Event):
    """What every rung of the ladder records: the unit, the cases and the events that caused it."""

    unit: str
    case_ids: list[str] = Field(min_length=1)
    trigger_event_ids: list[str] = Field(min_length=1)
    level: float = Field(description="the unit's count on the ladder after this trigger")


class WarningIssued(Escalation):
    """通报预警 to the unit."""

    label: ClassVar[str] = "通报预警"


class SummonsIssued(Escalation):
    """约谈督办: the unit's principal leader is summoned."""

    label: ClassVar[str] = "约谈督办"

    summons_date: date


class CriticismNoticeIssued(Escalation):
    """通报批评 of the unit."""

    label: ClassVar[str] = "通报批评"


class DisciplineReferralMade(Escalation):
    """移交纪委监委."""

    label: ClassVar[str] = "移交纪委监委"


class TargetKind(StrEnum):
    UNIT = "unit"
    PERSON = "person"


class Target(Contract):
    """Who a measure is imposed on: a unit, or a person (name, post, unit)."""

    kind: TargetKind
    unit: str = Field(min_length=1, max_length=100)
    name: str | None = Field(default=None, max_length=50)
    post: str | None = Field(default=None, max_length=100)


class Authority(StrEnum):
    """Who imposed a measure (问责机关): the discipline commission, or the 督察办 (criticism notices only)."""

    DISCIPLINE = "discipline"  # 纪委监委
    INSPECTION_OFFICE = "inspection_office"  # 督察办


class MeasureImposed(Event):
    """问责措施."""

    label: ClassVar[str] = "问责"

    measure_id: str
    target: Target
    measure: MeasureKind
    reason: str = Field(min_length=1)
    case_ids: list[str] = Field(default_factory=list)
    imposed_by: str
    authority: Authority | None = Field(
        default=None,
        description="问责机关; absent on measures recorded before it was kept, which are the discipline commission's",
    )


class MeasureRevoked(Event):
    """撤销: corrects a mistake without rewriting history."""

    label: ClassVar[str] = "撤销问责"

    measure_id: str
    reason: str = Field(min_length=1)


EVENTS: tuple[type[Event], ...] = (
    WarningIssued,
    SummonsIssued,
    CriticismNoticeIssued,
    DisciplineReferralMade,
    MeasureImposed,
    MeasureRevoked,
)
