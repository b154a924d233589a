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
    return replace(_record(state, fact), status=status)


def _record(state: CaseState, fact: Fact) -> CaseState:
    """What the event records besides the status: the 五定, the deadline, when it closed, the counts."""
    match fact.event:
        case Assigned() | Reassigned() as e:
            return replace(
                state,
                unit=e.unit,
                leader=e.leader,
                problem=e.problem,
                task=e.task,
                measures=e.measures,
                deadline=e.deadline,
            )
        case Supervised(new_deadline=new_deadline) if new_deadline is not None:
            return replace(state, deadline=new_deadline)
        case DeadlineExtended(new_deadline=new_deadline):
            return replace(state, deadline=new_deadline)
        case Closed(unit=unit):
            return replace(state, closed_at=fact.occurred_at, unit=state.unit or unit)
        case ClosureRejected(unit=unit):
            return replace(state, unit=state.unit or unit)
        case Reopened(new_deadline=new_deadline, unit=unit):
            return replace(
                state, closed_at=None, deadline=new_deadline, unit=unit, reopened_count=state.reopened_count + 1
            )
        case DeadlineMissed(unit=unit, leader=leader):
            return replace(
                state, missed_count=state.missed_count + 1, unit=state.unit or unit, leader=state.leader or leader
            )
        case DeadlineApproaching(unit=unit, leader=leader):
            return replace(state, unit=state.unit or unit, leader=state.leader or leader)
        case _:
            return state


def history(facts: Iterable[Fact]) -> list[Interval]:
    """The intervals of the case's state, one per event, in stream order."""
    by_version = {fact.stream_version: fact for fact in facts}
    intervals: list[Interval] = []
    state = CaseState()
    valid_from: datetime | None = None
    for seq, version in enumerate(sorted(by_version), start=1):
        fact = by_version[version]
        state = evolve(state, fact)
        # Stream order is the truth; a clock that stepped back must not make an interval run backwards.
        valid_from = fact.occurred_at if valid_from is None else max(valid_from, fact.occurred_at)
        if intervals:
            intervals[-1] = replace(intervals[-1], valid_to=valid_from)
        intervals.append(Interval(seq=seq, stream_version=version, valid_from=valid_from, valid_to=None, state=state))
    return intervals
