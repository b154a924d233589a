"""The escalation ladder (问责升级阶梯) of a responsible unit on one case: pure decisions, no I/O.

What is counted: each DeadlineMissed, ClosureRejected and Reopened of a case is a step
of the pair (unit named in the event, case) with the weight the policy gives its kind.
The count is per pair: a unit's misses on one case do not raise its ladder on another,
and a case handed to a new unit starts that unit at zero.

What is recorded: a step that reaches a rung appends the rung's events to the unit's
stream `unit:<unit>`, carrying the case id, the ids of every step counted since the
pair's previous escalation (a 0.5 rejection that reached nothing yet is named by the
escalation it helped to reach) and the count after the step. Steps themselves are kept
as the ladder's input (`ladder_steps`), written in the same transaction.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import reduce
from typing import Any

from services.accountability.commands import Step
from services.accountability.policy import Policy, Rung, Trigger
from shared.clock import SHANGHAI
from shared.contracts.accountability import (
    CriticismNoticeIssued,
    DisciplineReferralMade,
    Escalation,
    SummonsIssued,
    WarningIssued,
)


def unit_stream(unit: str) -> str:
    return f"unit:{unit}"


@dataclass(frozen=True)
class Counted:
    """A step as it was counted: `escalated` when it reached a rung, alone or with earlier steps."""

    step: Step
    escalated: bool


@dataclass(frozen=True)
class Ladder:
    """Where one (unit, case) pair stands: its count, what it has counted, what has not escalated yet."""

    level: Decimal = Decimal(0)
    counted: frozenset[str] = frozenset()
    pending: tuple[str, ...] = ()

    def has_counted(self, trigger_event_id: str) -> bool:
        return trigger_event_id in self.counted


def step_of(trigger: Trigger, *, event_id: str, case_id: str, unit: str, occurred_at: datetime, policy: Policy) -> Step:
    return Step(
        trigger_event_id=event_id,
        trigger=trigger,
        unit=unit,
        case_id=case_id,
        weight=policy.weight(trigger),
        occurred_at=occurred_at,
    )


def decide(step: Step, ladder: Ladder, policy: Policy) -> list[Escalation]:
    """The escalation events this step causes; none for a step already counted or below the next rung."""
    if ladder.has_counted(step.trigger_event_id):
        return []
    level = ladder.level + step.weight
    rung = policy.rung_reached(ladder.level, level)
    fields: dict[str, Any] = {
        "unit": step.unit,
        "case_ids": [step.case_id],
        "trigger_event_ids": [*ladder.pending, step.trigger_event_id],
        "level": float(level),
    }
    match rung:
        case None:
            return []
        case Rung.WARNING:
            return [WarningIssued(**fields)]
        case Rung.SUMMONS:
            on = step.occurred_at.astimezone(SHANGHAI).date()
            return [SummonsIssued(**fields, summons_date=policy.summons_date(on))]
        case Rung.CRITICISM:
            return [CriticismNoticeIssued(**fields), DisciplineReferralMade(**fields)]


def evolve(ladder: Ladder, counted: Counted) -> Ladder:
    step = counted.step
    return Ladder(
        level=ladder.level + step.weight,
        counted=ladder.counted | {step.trigger_event_id},
        pending=() if counted.escalated else (*ladder.pending, step.trigger_event_id),
    )


def replay(steps: Iterable[Counted]) -> Ladder:
    """The pair's ladder from its counted steps, oldest first."""
    return reduce(evolve, steps, Ladder())
