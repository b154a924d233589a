"""Events on `accountability.events`: escalations of units and measures against units and officials.

Escalations live in the unit's stream (`unit:<unit>`); measures in their own stream (`measure:<id>`).
The documents of the supervision (督查): a joint inspection round in `round:<id>`, the year's bulletins in
`bulletins:<year>` (the stream's version is the bulletin's number), a collective summons meeting in
`summons-meeting:<id>`, a meeting on the work in `meeting:<id>`.
"""

from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from shared.contracts.base import Contract, Event
from shared.contracts.codes import MeasureKind, MeetingKind


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


# ---------------------------------------------------------------- 联合督查: a joint inspection round


class RoundOpened(Event):
    """联合督查 opened: a round with its member units, its lead unit and its period."""

    label: ClassVar[str] = "联合督查启动"

    round_id: str
    name: str
    member_units: list[str] = Field(min_length=1)
    lead_unit: str
    period_from: date
    period_to: date


class FindingRecorded(Event):
    """督查发现: a problem the round found, linked to the issue (整改案件) it opened through intake."""

    label: ClassVar[str] = "督查发现"

    round_id: str
    finding_id: str
    issue_id: str = Field(description="the issue reported through intake (inspection_staff) for this finding")
    note: str


class RoundClosed(Event):
    """联合督查 closed: no more findings; the summary as the office states it."""

    label: ClassVar[str] = "联合督查结束"

    round_id: str
    summary: str


# ---------------------------------------------------------------- 督查通报


class OverdueItem(Contract):
    """An overdue case as a bulletin names it, as the figures stood when it was issued."""

    issue_id: str
    title: str
    unit: str | None
    deadline: datetime | None
    days_overdue: int = Field(ge=0)


class UnitStanding(Contract):
    """A poorly performing unit as a bulletin names it: its cases, closures and overdue cases then."""

    unit: str
    total: int = Field(ge=0)
    closed: int = Field(ge=0)
    overdue: int = Field(ge=0)
    rate_percent: str = Field(description="完成率 as shown, e.g. 62.5")


class BulletinIssued(Event):
    """督查通报 第N期: issued by the 督察办 for a period; N counts the year's bulletins (the stream's version).

    The content is what projections' figures said at issue time, recorded here so the bulletin never changes.
    """

    label: ClassVar[str] = "督查通报"

    year: int = Field(ge=2000, le=2999)
    number: int = Field(ge=1)
    bulletin_no: str
    title: str
    period_from: date
    period_to: date
    overdue: list[OverdueItem]
    units: list[UnitStanding]
    text: str


# ---------------------------------------------------------------- 集体约谈会 and meetings on the work


class SummonsMeetingHeld(Event):
    """集体约谈会: the units summoned, and the cases behind it."""

    label: ClassVar[str] = "集体约谈会"

    meeting_id: str
    held_on: date
    units: list[str] = Field(min_length=1)
    case_ids: list[str] = Field(default_factory=list)
    host: str
    note: str | None = None


class WorkMeetingHeld(Event):
    """会议研究部署: 常委会, 常务会, 动员会, 推进会 or 调度会, with its decisions and the cases discussed."""

    label: ClassVar[str] = "工作会议"

    meeting_id: str
    kind: MeetingKind
    held_on: date
    title: str
    decisions: list[str]
    case_ids: list[str] = Field(default_factory=list)


EVENTS: tuple[type[Event], ...] = (
    WarningIssued,
    SummonsIssued,
    CriticismNoticeIssued,
    DisciplineReferralMade,
    MeasureImposed,
    MeasureRevoked,
    RoundOpened,
    FindingRecorded,
    RoundClosed,
    BulletinIssued,
    SummonsMeetingHeld,
    WorkMeetingHeld,
)
