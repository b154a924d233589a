"""Commands of accountability: what a person (a measure, a document of the supervision) or the policy (a step on the
ladder) asks for."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from services.accountability.policy import Trigger
from shared.contracts.accountability import Authority, OverdueItem, TargetKind, UnitStanding
from shared.contracts.codes import MeetingKind


@dataclass(frozen=True)
class Step:
    """Count one failure of a unit on a case (计入一次失职), from DeadlineMissed, ClosureRejected or Reopened."""

    trigger_event_id: str
    trigger: Trigger
    unit: str
    case_id: str
    weight: Decimal  # fixed when counted: a later policy does not rewrite the past
    occurred_at: datetime


@dataclass(frozen=True)
class ImposeMeasure:
    """Impose a measure (实施问责) on a unit or a person."""

    measure_id: str
    target_kind: TargetKind
    unit: str
    measure: str
    reason: str
    imposed_by: str
    authority: Authority  # 纪委监委 imposes every kind; 督察办 criticism notices only
    name: str | None = None
    post: str | None = None
    case_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RevokeMeasure:
    """Revoke a measure imposed by mistake (撤销)."""

    measure_id: str
    reason: str
    authority: Authority  # 纪委监委 revokes any measure; 督察办 only the criticism notices it issued


MeasureCommand = ImposeMeasure | RevokeMeasure


# ---------------------------------------------------------------- the documents of the supervision (督查), 督察办's


@dataclass(frozen=True)
class OpenRound:
    """Open a joint inspection round (启动联合督查): its member units, lead unit and period."""

    round_id: str
    name: str
    member_units: list[str]
    lead_unit: str
    period_from: date
    period_to: date


@dataclass(frozen=True)
class RecordFinding:
    """Record what a round found (督查发现), by the issue it was reported as through intake."""

    round_id: str
    finding_id: str
    issue_id: str
    note: str


@dataclass(frozen=True)
class CloseRound:
    """Close a round (结束联合督查): no finding after it."""

    round_id: str
    summary: str


RoundCommand = OpenRound | RecordFinding | CloseRound


@dataclass(frozen=True)
class IssueBulletin:
    """Issue a supervision bulletin (印发督查通报) of the year, numbered by the year's stream (第N期)."""

    year: int
    title: str
    period_from: date
    period_to: date
    overdue: list[OverdueItem]
    units: list[UnitStanding]
    text: str


@dataclass(frozen=True)
class HoldSummonsMeeting:
    """Record a collective summons meeting (集体约谈会): the units summoned, the cases behind it."""

    meeting_id: str
    held_on: date
    units: list[str]
    case_ids: list[str]
    host: str
    note: str | None = None


@dataclass(frozen=True)
class RecordWorkMeeting:
    """Record a meeting on the work (常委会, 常务会, 动员会, 推进会, 调度会): its decisions and the cases discussed."""

    meeting_id: str
    kind: MeetingKind
    held_on: date
    title: str
    decisions: list[str]
    case_ids: list[str]
