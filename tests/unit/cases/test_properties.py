"""Random command sequences against decide/evolve: the invariants of the case hold whatever people do."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce

from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from services.cases import domain
from services.cases.commands import (
    Command,
    DeadlineSpec,
    ExtendDeadline,
    MarkDeadlineMissed,
    Reopen,
    ReportProgress,
    RequestClosure,
    Supervise,
    WarnDeadline,
)
from shared.contracts import Event
from shared.contracts.cases import (
    Assigned,
    Closed,
    ClosureRequested,
    DeadlineApproaching,
    DeadlineExtended,
    DeadlineMissed,
    Reassigned,
    Reopened,
    Supervised,
)
from shared.contracts.codes import CaseStatus
from shared.errors import InvalidCommand, RuleViolation
from tests.unit.cases.builders import EVIDENCE, NOW, UPLOADED, assign, open_case, verify

# Weighted towards the commands that move a case along, so that sequences reach closure and reopening often.
KINDS = [
    "open",
    "supervise",
    "progress",
    *["assign", "extend", "reopen", "warn", "miss"] * 2,
    *["request", "verify"] * 3,
]


@dataclass(frozen=True)
class Step:
    advance: int  # seconds the clock moves before the command
    kind: str
    offset: int  # seconds from now (or from the current deadline) of any deadline the command gives
    flag: bool  # passed / with evidence / with a deadline, depending on the kind


steps = st.builds(
    Step,
    advance=st.integers(0, 6 * 86400),
    kind=st.sampled_from(KINDS),
    offset=st.integers(-2 * 86400, 20 * 86400),
    flag=st.integers(0, 4).map(bool),  # mostly true: with evidence, passed, with a deadline
)


def command_for(step: Step, now: datetime, state: domain.Case | None) -> Command:
    later = DeadlineSpec(at=now + timedelta(seconds=step.offset))
    current = state.deadline if state and state.deadline else now
    match step.kind:
        case "open":
            return open_case()
        case "assign":
            return assign(deadline=later.at, now=now)
        case "supervise":
            return Supervise(note="督办", now=now, new_deadline=later if step.flag else None)
        case "progress":
            return ReportProgress(note="进展", percent=50, now=now)
        case "extend":
            return ExtendDeadline(
                new_deadline=DeadlineSpec(at=current + timedelta(seconds=step.offset)),
                reason="延期",
                approved_by="副县长",
                now=now,
            )
        case "request":
            return RequestClosure(
                summary="已整改", evidence=(EVIDENCE,) if step.flag else (), now=now, uploaded=UPLOADED
            )
        case "verify":
            return verify(passed=step.flag, now=now, note="验收意见")
        case "reopen":
            return Reopen(reason="反弹", new_deadline=later, now=now)
        case "warn":
            return WarnDeadline(deadline=current, lead=timedelta(days=3), now=now)
        case _:
            return MarkDeadlineMissed(deadline=current, now=now)


SETS_DEADLINE = (Assigned, Reassigned, DeadlineExtended, Reopened)


def deadline_periods(events: list[Event]) -> list[list[Event]]:
    """The events cut wherever a new deadline comes into force."""
    periods: list[list[Event]] = [[]]
    for event in events:
        if isinstance(event, SETS_DEADLINE) or (isinstance(event, Supervised) and event.new_deadline):
            periods.append([])
        periods[-1].append(event)
    return periods


def check_invariants(state: domain.Case, events: list[Event]) -> None:
    assert state.status in set(CaseStatus)
    assert state.version == len(events)
    assert reduce(domain.evolve, events, None) == state  # folding from scratch agrees
    if state.status is CaseStatus.CLOSED:
        last_request = max(i for i, e in enumerate(events) if isinstance(e, ClosureRequested))
        assert any(isinstance(e, Closed) for e in events[last_request + 1 :])
    for before, after in zip(events, events[1:], strict=False):
        if isinstance(before, Closed):
            assert isinstance(after, Reopened), f"{after.event_type()} after Closed"
    for period in deadline_periods(events):
        assert sum(isinstance(e, DeadlineMissed) for e in period) <= 1
        assert sum(isinstance(e, DeadlineApproaching) for e in period) <= 1
        warned_after_miss = [
            i
            for i, e in enumerate(period)
            if isinstance(e, DeadlineApproaching) and any(isinstance(m, DeadlineMissed) for m in period[:i])
        ]
        assert not warned_after_miss
    missed = [e for e in events if isinstance(e, DeadlineMissed)]
    assert state.times_missed == len(missed)
    assert [e.missed_count for e in missed] == list(range(1, len(missed) + 1))
    assert all(e.late_seconds >= 0 for e in missed)
    if state.status is not CaseStatus.REPORTED:
        assert state.deadline is not None and state.assignment is not None


def play(sequence: list[Step]) -> tuple[domain.Case, list[Event]]:
    """Runs the steps, skipping refused commands, checking the invariants after every accepted one."""
    now = NOW
    events: list[Event] = list(domain.decide(open_case(), None))
    state = reduce(domain.evolve, events, None)
    assert state is not None
    for step in sequence:
        now += timedelta(seconds=step.advance)
        command = command_for(step, now, state)
        try:
            new = domain.decide(command, state)
        except (RuleViolation, InvalidCommand):
            continue  # a refusal changes nothing
        events += new
        state = reduce(domain.evolve, new, state)
        check_invariants(state, events)
    return state, events


sequences = st.lists(steps, min_size=10, max_size=60)


@settings(max_examples=300, deadline=None)
@given(sequences)
def test_random_command_sequences_keep_the_case_consistent(sequence: list[Step]) -> None:
    play(sequence)


def test_the_random_sequences_reach_a_reopened_case_that_missed_again() -> None:
    """Guards the property above against testing only trivial histories."""

    def missed_after_reopening(sequence: list[Step]) -> bool:
        _, events = play(sequence)
        reopened = [i for i, e in enumerate(events) if isinstance(e, Reopened)]
        return bool(reopened) and any(isinstance(e, DeadlineMissed) for e in events[reopened[0] :])

    found = find(
        sequences, missed_after_reopening, settings=settings(max_examples=2000, database=None, phases=[Phase.generate])
    )
    assert missed_after_reopening(found)
