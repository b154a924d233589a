"""decide and evolve of the rectification case: every transition and every refusal, without I/O."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

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
from shared.clock import SHANGHAI
from shared.contracts.cases import (
    Assigned,
    CaseOpened,
    Closed,
    ClosureRejected,
    ClosureRequested,
    DeadlineApproaching,
    DeadlineExtended,
    DeadlineMissed,
    ProgressReported,
    Reassigned,
    Reopened,
    Supervised,
)
from shared.contracts.codes import CaseStatus
from shared.errors import InvalidCommand, RuleViolation
from tests.unit.cases.builders import LEADER, NOW, assign, at, open_case, request_closure, run, verify

LEAD = timedelta(days=3)


def supervise(deadline: datetime | None = None, now: datetime = NOW) -> Supervise:
    return Supervise(
        note="请加快整改",
        letter_no="督办〔2025〕12号",
        now=now,
        new_deadline=DeadlineSpec(at=deadline) if deadline else None,
    )


def extend(deadline: datetime, now: datetime = NOW) -> ExtendDeadline:
    return ExtendDeadline(
        new_deadline=DeadlineSpec(at=deadline), reason="汛期无法施工", approved_by="副县长 陈明", now=now
    )


def reopen(deadline: datetime, now: datetime = NOW) -> Reopen:
    return Reopen(reason="回头看发现夜间又有采砂", new_deadline=DeadlineSpec(at=deadline), now=now)


def progress() -> ReportProgress:
    return ReportProgress(note="已拆除两台采砂设备", percent=40, now=NOW)


def missed(deadline: datetime, now: datetime) -> MarkDeadlineMissed:
    return MarkDeadlineMissed(deadline=deadline, now=now)


def warn(deadline: datetime, now: datetime) -> WarnDeadline:
    return WarnDeadline(deadline=deadline, lead=LEAD, now=now)


def refused(code: str, *commands: Command) -> None:
    with pytest.raises(RuleViolation) as caught:
        run(*commands)
    assert caught.value.code == code
    assert caught.value.message  # a person reads it


def invalid(field: str, *commands: Command) -> None:
    with pytest.raises(InvalidCommand) as caught:
        run(*commands)
    assert caught.value.field == field


# ---------------------------------------------------------------- transitions


def test_a_reported_problem_opens_a_case_waiting_for_assignment() -> None:
    case, events = run(open_case())
    assert [type(e) for e in events] == [CaseOpened]
    assert case is not None and case.status is CaseStatus.REPORTED and case.version == 1
    assert case.title == "河道非法采砂" and case.batch == "第二轮中央环保督察"


def test_the_same_report_twice_opens_one_case() -> None:
    case, events = run(open_case(), open_case())
    assert [type(e) for e in events] == [CaseOpened]
    assert case is not None and case.version == 1


def test_assignment_records_the_five_definitions_and_the_deadline_in_utc() -> None:
    deadline = datetime(2025, 7, 1, 18, 0, tzinfo=SHANGHAI)
    case, events = run(open_case(), assign(deadline=deadline))
    assert isinstance(events[-1], Assigned)
    assert events[-1].deadline == deadline and events[-1].deadline.tzinfo == UTC
    assert case is not None and case.status is CaseStatus.ASSIGNED
    assert case.assignment == domain.Assignment(
        "河道两岸被挖空", "清理采砂设备，恢复河岸", "城关镇人民政府", LEADER, "按期完成通报表扬，逾期约谈"
    )
    assert case.deadline == deadline


def test_assigning_an_assigned_case_again_is_a_reassignment_that_names_the_previous_unit() -> None:
    case, events = run(open_case(), assign(), replace(assign(unit="县水利局"), reason="职责调整"))
    assert isinstance(events[-1], Reassigned)
    assert (events[-1].previous_unit, events[-1].unit, events[-1].reason) == ("城关镇人民政府", "县水利局", "职责调整")
    assert case is not None and case.assignment is not None and case.assignment.unit == "县水利局"
    assert [type(e) for e in events] == [CaseOpened, Assigned, Reassigned]  # the first 交办 stays in the history


def test_a_deadline_in_working_days_skips_the_national_day_holiday_and_counts_the_make_up_day() -> None:
    # Tuesday 2025-09-30: Oct 1-8 are holidays, Saturday Oct 11 is a make-up working day.
    now = datetime(2025, 9, 30, 2, 0, tzinfo=UTC)
    command = replace(assign(now=now), deadline=DeadlineSpec(working_days=3))
    case, events = run(open_case(), command)
    assert isinstance(events[-1], Assigned) and events[-1].deadline_working_days == 3
    # Oct 9 (Thu), Oct 10 (Fri), Oct 11 (Sat, 调休): end of that day in Shanghai.
    assert case is not None and case.deadline == datetime(2025, 10, 11, 15, 59, 59, tzinfo=UTC)


def test_supervision_without_a_deadline_leaves_the_deadline_alone() -> None:
    case, events = run(open_case(), assign(deadline=at(days=30)), supervise())
    assert isinstance(events[-1], Supervised) and events[-1].new_deadline is None
    assert case is not None and case.deadline == at(days=30) and case.supervisions == 1


def test_supervision_can_bring_the_deadline_forward_as_a_new_deadline() -> None:
    case, events = run(
        open_case(), assign(deadline=at(days=30)), warn(at(days=30), at(days=28)), supervise(at(days=29), at(days=28))
    )
    assert isinstance(events[-1], Supervised) and events[-1].new_deadline == at(days=29)
    assert case is not None and case.deadline == at(days=29)
    assert not case.deadline_warned  # the reminder was about the old deadline


def test_progress_is_recorded() -> None:
    case, events = run(open_case(), assign(), progress())
    assert events[-1] == ProgressReported(note="已拆除两台采砂设备", percent=40)
    assert case is not None and case.progress == events[-1] and case.status is CaseStatus.ASSIGNED


def test_an_extension_records_both_deadlines_and_who_approved_it() -> None:
    case, events = run(open_case(), assign(deadline=at(days=30)), extend(at(days=60)))
    assert events[-1] == DeadlineExtended(
        previous_deadline=at(days=30), new_deadline=at(days=60), reason="汛期无法施工", approved_by="副县长 陈明"
    )
    assert case is not None and case.deadline == at(days=60) and case.extensions == 1


def test_a_closure_request_with_evidence_waits_for_verification() -> None:
    case, events = run(open_case(), assign(), request_closure())
    assert isinstance(events[-1], ClosureRequested) and len(events[-1].evidence) == 1
    assert case is not None and case.status is CaseStatus.CLOSURE_REQUESTED
    assert case.closure is not None and case.closure.summary == "设备已清理，河岸已复绿"


def test_a_passed_verification_closes_the_case() -> None:
    case, events = run(open_case(), assign(), request_closure(), verify())
    assert events[-1] == Closed(verifier="县生态环境局 李娜", note="现场核实", unit="城关镇人民政府")
    assert case is not None and case.status is CaseStatus.CLOSED


def test_a_failed_verification_sends_the_case_back_to_rectification_with_the_reason() -> None:
    case, events = run(open_case(), assign(), request_closure(), verify(passed=False, note="河岸未复绿"))
    assert events[-1] == ClosureRejected(verifier="县生态环境局 李娜", reason="河岸未复绿", unit="城关镇人民政府")
    assert case is not None and case.status is CaseStatus.ASSIGNED
    # and the unit can ask again
    case, events = run(
        open_case(), assign(), request_closure(), verify(passed=False, note="河岸未复绿"), request_closure()
    )
    assert case is not None and case.status is CaseStatus.CLOSURE_REQUESTED


def test_a_closed_case_can_be_reopened_with_a_new_deadline() -> None:
    case, events = run(open_case(), assign(), request_closure(), verify(), reopen(at(days=20)))
    assert events[-1] == Reopened(reason="回头看发现夜间又有采砂", new_deadline=at(days=20), unit="城关镇人民政府")
    assert case is not None and case.status is CaseStatus.ASSIGNED and case.deadline == at(days=20)
    assert case.reopenings == 1 and case.closure is None and case.verification is None


def test_the_version_counts_every_event() -> None:
    case, events = run(open_case(), assign(), supervise(), progress(), request_closure(), verify())
    assert case is not None and case.version == len(events) == 6


# ---------------------------------------------------------------- deadlines


def test_a_passed_deadline_is_missed_with_how_late_the_unit_and_the_leader() -> None:
    deadline = at(days=1)
    case, events = run(open_case(), assign(deadline=deadline), missed(deadline, deadline + timedelta(seconds=90)))
    assert events[-1] == DeadlineMissed(
        deadline=deadline, late_seconds=90, unit="城关镇人民政府", leader=LEADER.named(), missed_count=1
    )
    assert case is not None and case.deadline_missed and case.times_missed == 1


def test_a_deadline_is_missed_only_once() -> None:
    deadline = at(days=1)
    _, events = run(open_case(), assign(deadline=deadline), missed(deadline, at(days=2)), missed(deadline, at(days=3)))
    assert sum(isinstance(e, DeadlineMissed) for e in events) == 1


def test_a_deadline_not_yet_passed_is_not_missed() -> None:
    deadline = at(days=1)
    _, events = run(open_case(), assign(deadline=deadline), missed(deadline, deadline - timedelta(seconds=1)))
    assert not any(isinstance(e, DeadlineMissed) for e in events)


def test_a_replaced_deadline_is_not_missed() -> None:
    old = at(days=1)
    _, events = run(open_case(), assign(deadline=old), extend(at(days=9)), missed(old, at(days=2)))
    assert not any(isinstance(e, DeadlineMissed) for e in events)


def test_a_case_closed_in_time_never_misses() -> None:
    deadline = at(days=1)
    _, events = run(open_case(), assign(deadline=deadline), request_closure(), verify(), missed(deadline, at(days=2)))
    assert not any(isinstance(e, DeadlineMissed) for e in events)


def test_a_deadline_waits_while_a_closure_request_is_pending_and_misses_if_it_is_rejected() -> None:
    deadline = at(days=1)
    _, events = run(open_case(), assign(deadline=deadline), request_closure(), missed(deadline, at(days=2)))
    assert not any(isinstance(e, DeadlineMissed) for e in events)
    _, events = run(
        open_case(),
        assign(deadline=deadline),
        request_closure(),
        verify(passed=False, now=at(days=2), note="未整改到位"),
        missed(deadline, at(days=2)),
    )
    assert isinstance(events[-1], DeadlineMissed)


def test_an_extension_after_a_miss_gives_a_new_deadline_that_can_be_missed_again() -> None:
    first, second = at(days=1), at(days=10)
    case, events = run(
        open_case(),
        assign(deadline=first),
        missed(first, at(days=2)),
        extend(second, now=at(days=2)),
        missed(second, at(days=11)),
    )
    assert [e.missed_count for e in events if isinstance(e, DeadlineMissed)] == [1, 2]
    assert case is not None and case.times_missed == 2


def test_a_reopened_case_can_miss_again() -> None:
    first, second = at(days=1), at(days=30)
    case, events = run(
        open_case(),
        assign(deadline=first),
        missed(first, at(days=2)),
        request_closure(at(days=3)),
        verify(now=at(days=3)),
        reopen(second, now=at(days=20)),
        missed(second, at(days=31)),
    )
    assert [e.deadline for e in events if isinstance(e, DeadlineMissed)] == [first, second]
    assert case is not None and case.times_missed == 2 and domain.is_overdue(case, at(days=31))


def test_a_warning_comes_once_when_less_than_the_lead_remains() -> None:
    deadline = at(days=10)
    case, events = run(
        open_case(),
        assign(deadline=deadline),
        warn(deadline, at(days=6)),  # 4 days left: too early
        warn(deadline, at(days=8)),  # 2 days left
        warn(deadline, at(days=9)),  # already warned
    )
    warnings = [e for e in events if isinstance(e, DeadlineApproaching)]
    assert warnings == [
        DeadlineApproaching(
            deadline=deadline, remaining_seconds=2 * 86400, unit="城关镇人民政府", leader=LEADER.named()
        )
    ]
    assert case is not None and case.deadline_warned


def test_no_warning_after_the_deadline_has_passed() -> None:
    deadline = at(days=1)
    _, events = run(open_case(), assign(deadline=deadline), warn(deadline, at(days=2)))
    assert not any(isinstance(e, DeadlineApproaching) for e in events)


def test_a_new_deadline_is_warned_of_again() -> None:
    first, second = at(days=2), at(days=12)
    _, events = run(
        open_case(),
        assign(deadline=first),
        warn(first, at(days=1)),
        extend(second, now=at(days=1)),
        warn(second, at(days=10)),
    )
    assert [e.deadline for e in events if isinstance(e, DeadlineApproaching)] == [first, second]


def test_overdue_means_missed_or_passed_while_rectifying() -> None:
    deadline = at(days=1)
    case, _ = run(open_case(), assign(deadline=deadline))
    assert case is not None
    assert not domain.is_overdue(case, at(hours=1))
    assert domain.is_overdue(case, at(days=2))
    pending, _ = run(open_case(), assign(deadline=deadline), request_closure())
    assert pending is not None and not domain.is_overdue(pending, at(days=2))
    reported, _ = run(open_case())
    assert reported is not None and not domain.is_overdue(reported, at(days=2))


# ---------------------------------------------------------------- refusals


def test_nothing_but_opening_is_decided_on_a_case_that_does_not_exist() -> None:
    refused("case_not_opened", assign())


def test_a_closure_request_before_assignment_is_refused() -> None:
    refused("not_assigned", open_case(), request_closure())


@pytest.mark.parametrize(
    "command", [supervise(), progress(), extend(at(days=60))], ids=["supervise", "progress", "extend"]
)
def test_supervision_progress_and_extension_before_assignment_are_refused(command: Command) -> None:
    refused("not_assigned", open_case(), command)


def test_a_verification_without_a_pending_closure_request_is_refused() -> None:
    refused("no_pending_closure", open_case(), verify())
    refused("no_pending_closure", open_case(), assign(), verify())
    refused(
        "no_pending_closure", open_case(), assign(), request_closure(), verify(passed=False, note="不合格"), verify()
    )


@pytest.mark.parametrize(
    "command",
    [assign(), supervise(), progress(), extend(at(days=60)), request_closure(), verify()],
    ids=["assign", "supervise", "progress", "extend", "request-closure", "verify"],
)
def test_a_closed_case_refuses_every_command_but_reopen(command: Command) -> None:
    refused("case_closed", open_case(), assign(), request_closure(), verify(), command)


@pytest.mark.parametrize(
    "command",
    [assign(), supervise(), progress(), extend(at(days=60)), request_closure()],
    ids=["assign", "supervise", "progress", "extend", "request-closure"],
)
def test_while_a_closure_request_is_pending_only_verification_is_allowed(command: Command) -> None:
    refused("closure_pending", open_case(), assign(), request_closure(), command)


def test_only_a_closed_case_can_be_reopened() -> None:
    refused("not_closed", open_case(), reopen(at(days=5)))
    refused("not_closed", open_case(), assign(), reopen(at(days=5)))


def test_a_deadline_must_be_later_than_now() -> None:
    invalid("deadline", open_case(), assign(deadline=NOW))
    invalid("deadline", open_case(), assign(deadline=at(hours=-1)))
    invalid("new_deadline", open_case(), assign(), request_closure(), verify(), reopen(at(hours=-1)))
    invalid("new_deadline", open_case(), assign(deadline=at(days=5)), supervise(at(hours=-1)))


def test_a_deadline_is_given_one_way_exactly() -> None:
    invalid("deadline", open_case(), replace(assign(), deadline=DeadlineSpec()))
    invalid("deadline", open_case(), replace(assign(), deadline=DeadlineSpec(at=at(days=3), working_days=3)))
    invalid("deadline_working_days", open_case(), replace(assign(), deadline=DeadlineSpec(working_days=0)))


def test_a_deadline_without_a_time_zone_is_refused() -> None:
    invalid("deadline", open_case(), assign(deadline=datetime(2025, 7, 1, 18, 0)))


def test_working_days_reaching_into_next_year_skip_its_statutory_holidays() -> None:
    # Friday 2027-02-05 is Spring Festival's Eve; the holiday runs to Wednesday 10 February.
    command = replace(assign(now=datetime(2027, 2, 4, 2, tzinfo=UTC)), deadline=DeadlineSpec(working_days=1))
    state, _ = run(open_case(), command)
    assert state is not None and state.deadline is not None
    assert state.deadline.astimezone(SHANGHAI).date() == date(2027, 2, 11)


def test_an_extension_must_be_later_than_the_current_deadline() -> None:
    refused("extension_not_later", open_case(), assign(deadline=at(days=30)), extend(at(days=30)))
    refused("extension_not_later", open_case(), assign(deadline=at(days=30)), extend(at(days=20)))


def test_an_extension_must_also_be_later_than_now() -> None:
    late = at(days=5)
    invalid("new_deadline", open_case(), assign(deadline=at(days=1)), extend(at(days=2), now=late))


def test_a_supervision_cannot_push_the_deadline_back() -> None:
    refused("supervision_deadline_not_earlier", open_case(), assign(deadline=at(days=30)), supervise(at(days=40)))


def test_a_closure_request_without_evidence_is_refused() -> None:
    invalid("evidence", open_case(), assign(), RequestClosure(summary="已整改", evidence=(), now=NOW))


def test_a_failed_verification_must_say_why() -> None:
    invalid("note", open_case(), assign(), request_closure(), verify(passed=False, note=None))


def test_a_stream_that_does_not_start_with_the_opening_is_corrupt() -> None:
    with pytest.raises(ValueError, match="CaseOpened"):
        domain.evolve(None, ProgressReported(note="x"))
