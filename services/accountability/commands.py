"""Commands of accountability: what a person (a measure) or the policy (a step on the ladder) asks for."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from services.accountability.policy import Trigger
from shared.contracts.accountability import Authority, TargetKind


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
