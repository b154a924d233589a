"""The state history of a rectification case (整改状态历史), folded from the facts of its stream.

Pure: the same set of facts gives the same history, whatever order they arrived in and however
often, because the fold sorts them by stream version and drops repeats. Each event opens an
interval of the case's state, which lasts until the next event; the state as of a moment is the
interval that contains it. That makes every as-of figure exact and keeps it stable later.
The status after each event is the contracts' (`shared.contracts.cases.status_after`): only a passed
verification (Closed) closes; Reopened opens again.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from shared.contracts.base import Event
from shared.contracts.cases import (
    Assigned,
    Closed,
    ClosureRejected,
    DeadlineApproaching,
    DeadlineExtended,
    DeadlineMissed,
    Leader,
    Reassigned,
    Reopened,
    ReviewRejected,
    Supervised,
    status_after,
)
from shared.contracts.codes import CaseStatus


@dataclass(frozen=True)
class Fact:
    """One event of the case's stream as recorded: its place in the stream and when it happened."""

    stream_version: int
    occurred_at: datetime
    event: Event


@dataclass(frozen=True)
class CaseState:
    status: CaseStatus = CaseStatus.REPORTED
    unit: str | None = None
    leader: Leader | None = None
    problem: str | None = None
    task: str | None = None
    measures: str | None = None
    deadline: datetime | None = None
    closed_at: datetime | None = None
    reopened_count: int = 0
    missed_count: int = 0


@dataclass(frozen=True)
class Interval:
    """The case's state from `valid_from` until `valid_to` (None: still so)."""

    seq: int
    stream_version: int
    valid_from: datetime
    valid_to: datetime | None
    state: CaseState


def evolve(state: CaseState, fact: Fact) -> CaseState:
    """The state after one event: its status as the contracts say (`status_after`), and what the event records."""
    status = status_after(fact.event, state.status) or state.status
    return replace(state, status=status, **_record(state, fact))


def _record(state: CaseState, fact: Fact) -> dict[str, Any]:
    """What the event records besides the status: the 五定, the deadline, when it closed, the counts."""
    match fact.event:
        case Assigned() | Reassigned() as e:
            return {
                "unit": e.unit,
                "leader": e.leader,
                "problem": e.problem,
                "task": e.task,
                "measures": e.measures,
                "deadline": e.deadline,
            }
        case Supervised(new_deadline=new_deadline) if new_deadline is not None:
            return {"deadline": new_deadline}
        case DeadlineExtended(new_deadline=new_deadline):
            return {"deadline": new_deadline}
        case Closed(unit=unit):
            return {"closed_at": fact.occurred_at, "unit": state.unit or unit}
        case ClosureRejected(unit=unit):
            return {"unit": state.unit or unit}
        case ReviewRejected(new_deadline=new_deadline):
            return {"deadline": new_deadline}  # 复核不通过: rectified again, to the review's deadline
        case Reopened(new_deadline=new_deadline, unit=unit):
            return {
                "closed_at": None,
                "deadline": new_deadline,
                "unit": unit,
                "reopened_count": state.reopened_count + 1,
            }
        case DeadlineMissed(unit=unit, leader=leader):
            return {
                "missed_count": state.missed_count + 1,
                "unit": state.unit or unit,
                "leader": state.leader or leader,
            }
        case DeadlineApproaching(unit=unit, leader=leader):
            return {"unit": state.unit or unit, "leader": state.leader or leader}
        case _:
            return {}


def history(facts: Iterable[Fact]) -> list[Interval]:
    """The intervals of the case's state, one per event, in stream order."""
    return extend(None, facts)


def extend(last: Interval | None, facts: Iterable[Fact]) -> list[Interval]:
    """The intervals that follow `last` (None: the stream's start), one per event, in stream order; the first one
    begins where `last` ends (its valid_to is the first one's valid_from)."""
    by_version = {fact.stream_version: fact for fact in facts}
    intervals: list[Interval] = []
    state = last.state if last else CaseState()
    seq = last.seq if last else 0
    valid_from: datetime | None = last.valid_from if last else None
    for version in sorted(by_version):
        fact = by_version[version]
        state = evolve(state, fact)
        seq += 1
        # Stream order is the truth; a clock that stepped back must not make an interval run backwards.
        valid_from = fact.occurred_at if valid_from is None else max(valid_from, fact.occurred_at)
        if intervals:
            intervals[-1] = replace(intervals[-1], valid_to=valid_from)
        intervals.append(Interval(seq=seq, stream_version=version, valid_from=valid_from, valid_to=None, state=state))
    return intervals
