"""The state history of a case, folded from its facts: honest closure, exact intervals, order does not matter."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.projections.domain import Fact, extend, history
from shared.contracts import cases
from shared.contracts.base import Event
from shared.contracts.codes import CaseStatus, Domain, Source

T0 = datetime(2025, 3, 1, 8, tzinfo=UTC)
LEADER = cases.AssignedLeader(name="王建国", post="副县长", liaison=None)
EVIDENCE = [cases.Evidence(description="照片", file_name="a.jpg", sha256="b" * 64)]


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def facts(*events: Event, start: int = 1) -> list[Fact]:
    return [Fact(version, at(version), event) for version, event in enumerate(events, start=start)]


OPENED = cases.CaseOpened(
    case_id="c1", source=Source.MEDIA, title="t", township="城关镇", domain=Domain.AIR, reported_at=T0
)
ASSIGNED = cases.Assigned(problem="扬尘", task="覆盖", unit="城管局", leader=LEADER, deadline=at(100), measures="约谈")
REQUESTED = cases.ClosureRequested(summary="已覆盖", evidence=EVIDENCE)
CLOSED = cases.Closed(verifier="督察办", unit="城管局")
LOOP = (OPENED, ASSIGNED, REQUESTED, CLOSED)


def test_a_case_is_closed_only_by_a_passed_verification() -> None:
    states = [i.state.status for i in history(facts(*LOOP))]
    assert states == [CaseStatus.REPORTED, CaseStatus.ASSIGNED, CaseStatus.CLOSURE_REQUESTED, CaseStatus.CLOSED]
    assert history(facts(*LOOP))[-1].state.closed_at == at(4)


def test_a_rejected_closure_puts_the_case_back_in_progress() -> None:
    rejected = cases.ClosureRejected(verifier="督察办", reason="不到位", unit="城管局")
    last = history(facts(OPENED, ASSIGNED, REQUESTED, rejected))[-1].state
    assert last.status is CaseStatus.ASSIGNED and last.closed_at is None


def test_a_reopened_case_is_no_longer_closed_and_has_its_new_deadline() -> None:
    reopened = cases.Reopened(reason="反弹", new_deadline=at(500), unit="城管局")
    last = history(facts(*LOOP, reopened))[-1].state
    assert last.status is CaseStatus.ASSIGNED
    assert (last.closed_at, last.deadline, last.reopened_count) == (None, at(500), 1)


def test_the_deadline_follows_supervision_extension_and_reassignment() -> None:
    supervised = cases.Supervised(note="加快", new_deadline=at(50))
    extended = cases.DeadlineExtended(previous_deadline=at(50), new_deadline=at(80), reason="雨季", approved_by="县长")
    reassigned = cases.Reassigned(
        problem="扬尘",
        task="覆盖",
        unit="住建局",
        leader=LEADER,
        deadline=at(90),
        measures="约谈",
        previous_unit="城管局",
    )
    deadlines = [
        (i.state.deadline, i.state.unit) for i in history(facts(OPENED, ASSIGNED, supervised, extended, reassigned))
    ]
    assert deadlines[1:] == [(at(100), "城管局"), (at(50), "城管局"), (at(80), "城管局"), (at(90), "住建局")]


def test_missed_deadlines_are_counted_without_changing_the_status() -> None:
    missed = cases.DeadlineMissed(deadline=at(100), late_seconds=1, unit="城管局", leader=LEADER, missed_count=1)
    last = history(facts(OPENED, ASSIGNED, missed))[-1].state
    assert (last.status, last.missed_count) == (CaseStatus.ASSIGNED, 1)


def test_each_interval_ends_where_the_next_begins_even_when_a_clock_stepped_back() -> None:
    steps = facts(*LOOP)
    steps[2] = Fact(3, at(1), REQUESTED)  # recorded earlier than the event before it
    intervals = history(steps)
    assert [i.valid_from for i in intervals] == [at(1), at(2), at(2), at(4)]
    assert [i.valid_to for i in intervals] == [at(2), at(2), at(4), None]


@given(st.permutations(list(range(4))), st.lists(st.integers(0, 3), max_size=6))
def test_the_history_is_the_same_whatever_the_order_and_repeats_of_the_facts(
    order: list[int], repeats: list[int]
) -> None:
    loop = facts(*LOOP)
    shuffled = [loop[i] for i in order] + [loop[i] for i in repeats]
    assert history(shuffled) == history(loop)


@given(st.integers(0, 4))
def test_a_history_extended_by_the_rest_of_the_stream_is_the_history_of_the_whole_stream(cut: int) -> None:
    loop = facts(*LOOP, cases.Reopened(reason="反弹", new_deadline=at(500), unit="城管局"))
    kept = history(loop[:cut])
    extended = extend(kept[-1] if kept else None, loop[cut:])
    whole = history(loop)
    assert [*kept[:-1], *([replace(kept[-1], valid_to=extended[0].valid_from)] if kept else []), *extended] == whole
