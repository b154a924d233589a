"""The closure procedure (销号工作规程) after 验收: 公示, 审签, 复核, then 销号 and 报备; each step and refusal."""

from datetime import UTC, datetime, timedelta
from functools import reduce
from pathlib import Path

import pytest

from services.cases import domain
from services.cases.closure_policy import PolicyError, load_policy
from services.cases.commands import (
    ApplyReview,
    Close,
    CompleteNotice,
    DeadlineSpec,
    FileClosure,
    ReceiveObjection,
    Reopen,
    RequestReview,
    SignOff,
    StartNotice,
    Supervise,
    Verify,
)
from services.cases.schemas import StartNoticeIn
from shared.contracts.cases import (
    Closed,
    ClosureFiled,
    NoticeCompleted,
    NoticeStarted,
    ObjectionReceived,
    ReviewPassed,
    ReviewRejected,
    ReviewRequested,
    SignedOff,
    VerificationPassed,
    status_after,
)
from shared.contracts.codes import CaseStatus, ClosureStep, Source
from shared.errors import InvalidCommand, RuleViolation
from tests.unit.cases.builders import NOW, assign, at, open_case, request_closure, run

POLICY = load_policy()
ALL = (ClosureStep.NOTICE, ClosureStep.SIGNOFF, ClosureStep.REVIEW)


def passed(now: datetime = NOW, steps: tuple[ClosureStep, ...] = ALL) -> Verify:
    return Verify(
        verifier="县生态环境局 李娜",
        passed=True,
        note="现场核实",
        now=now,
        procedure={Source.CENTRAL_INSPECTION: steps},
    )


def notice(now: datetime = NOW) -> StartNotice:
    return StartNotice(summary="河道采砂问题已整改", ends=POLICY.notice_ends(now), days=7, day_kind="calendar", now=now)


def review(
    ok: bool, now: datetime, opinion: str | None = "符合销号条件", deadline: datetime | None = None
) -> ApplyReview:
    return ApplyReview(
        passed=ok,
        reviewer="省生态环境厅",
        opinion=opinion,
        new_deadline=deadline,
        default_deadline=DeadlineSpec(working_days=30),
        now=now,
    )


AFTER_NOTICE = at(days=8)
IN_REVIEW = (
    open_case(),
    assign(),
    request_closure(),
    passed(),
    notice(),
    CompleteNotice(now=AFTER_NOTICE),
    SignOff(leader="leader:chen", now=AFTER_NOTICE),
    RequestReview(now=AFTER_NOTICE, note="请省厅复核"),
)


def refused(code: str, *commands: object) -> None:
    with pytest.raises(RuleViolation) as info:
        run(*commands)  # type: ignore[arg-type]
    assert info.value.code == code


def test_a_passed_verification_with_steps_starts_the_procedure_instead_of_closing() -> None:
    case, events = run(open_case(), assign(), request_closure(), passed())
    assert isinstance(events[-1], VerificationPassed) and events[-1].steps == list(ALL)
    assert case is not None and case.status is CaseStatus.AWAITING_NOTICE
    assert case.procedure is not None and case.procedure.remaining == ALL


def test_a_source_without_steps_closes_at_verification_as_before() -> None:
    case, events = run(open_case(), assign(), request_closure(), passed(steps=()))
    assert isinstance(events[-1], Closed) and case is not None and case.status is CaseStatus.CLOSED
    case, events = run(open_case(), assign(), request_closure(), Verify(verifier="李娜", passed=True, now=NOW))
    assert isinstance(events[-1], Closed)


def test_the_whole_procedure_in_order_ends_closed_and_filed() -> None:
    case, events = run(
        *IN_REVIEW,
        review(True, AFTER_NOTICE),
        Close(now=AFTER_NOTICE, note="同意销号"),
        FileClosure(filed_to="省生态环境厅", now=AFTER_NOTICE),
    )
    kinds = [type(e) for e in events[3:]]
    assert kinds == [
        VerificationPassed,
        NoticeStarted,
        NoticeCompleted,
        SignedOff,
        ReviewRequested,
        ReviewPassed,
        Closed,
        ClosureFiled,
    ]
    assert case is not None and case.status is CaseStatus.CLOSED and case.filed is not None


def test_each_step_leaves_the_status_of_the_next() -> None:
    statuses = []
    state = None
    _, events = run(*IN_REVIEW, review(True, AFTER_NOTICE))
    for event in events:
        state = domain.evolve(state, event)
        statuses.append(state.status)
    assert statuses[3:] == [
        CaseStatus.AWAITING_NOTICE,
        CaseStatus.IN_NOTICE,
        CaseStatus.AWAITING_SIGNOFF,
        CaseStatus.AWAITING_REVIEW,
        CaseStatus.AWAITING_REVIEW,
        CaseStatus.AWAITING_CLOSURE,
    ]


def test_the_status_after_a_step_is_known_from_the_event_alone() -> None:
    """Consumers that fold without the status before (enforcement) get it from the event's remaining steps."""
    assert status_after(SignedOff(leader="x", remaining=[ClosureStep.REVIEW]), None) is CaseStatus.AWAITING_REVIEW
    assert status_after(SignedOff(leader="x", remaining=[]), None) is CaseStatus.AWAITING_CLOSURE
    first = VerificationPassed(verifier="x", unit="u", steps=[ClosureStep.SIGNOFF])
    assert status_after(first, None) is CaseStatus.AWAITING_SIGNOFF


def test_the_steps_are_fixed_at_verification_whatever_the_policy_says_later() -> None:
    case, _ = run(open_case(), assign(), request_closure(), passed(steps=(ClosureStep.SIGNOFF,)))
    assert case is not None and case.status is CaseStatus.AWAITING_SIGNOFF
    # replayed from its events, the case keeps the steps it was given
    _, events = run(open_case(), assign(), request_closure(), passed(steps=(ClosureStep.SIGNOFF,)))
    replayed = reduce(domain.evolve, events, None)
    assert (
        replayed is not None and replayed.procedure is not None and replayed.procedure.steps == (ClosureStep.SIGNOFF,)
    )


def test_the_notice_cannot_complete_before_its_end() -> None:
    refused(
        "notice_not_over", open_case(), assign(), request_closure(), passed(), notice(), CompleteNotice(now=at(days=6))
    )


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (CompleteNotice(now=AFTER_NOTICE), "not_in_notice"),
        (SignOff(leader="leader:chen", now=NOW), "notice_pending"),
        (RequestReview(now=NOW), "notice_pending"),
        (Close(now=NOW), "steps_pending"),
        (FileClosure(filed_to="省生态环境厅", now=NOW), "not_closed"),
        (Supervise(note="请加快", now=NOW), "closure_in_procedure"),
    ],
)
def test_a_step_out_of_order_is_refused_with_its_code(command: object, code: str) -> None:
    refused(code, open_case(), assign(), request_closure(), passed(), command)


def test_sign_off_and_review_wait_for_their_turn() -> None:
    base = (open_case(), assign(), request_closure(), passed(), notice(), CompleteNotice(now=AFTER_NOTICE))
    refused("signoff_pending", *base, RequestReview(now=AFTER_NOTICE))
    refused("steps_pending", *base, Close(now=AFTER_NOTICE))
    refused("review_pending", *IN_REVIEW, RequestReview(now=AFTER_NOTICE))
    refused("steps_pending", *IN_REVIEW, Close(now=AFTER_NOTICE))


def test_a_review_result_before_it_was_requested_is_refused() -> None:
    refused("review_not_requested", *IN_REVIEW[:-1], review(True, AFTER_NOTICE))


def test_a_step_before_verification_is_refused() -> None:
    refused("not_verified", open_case(), assign(), SignOff(leader="leader:chen", now=NOW))
    refused("closure_pending", open_case(), assign(), request_closure(), notice())


def test_an_objection_during_notice_puts_the_case_back_to_verification_with_it_attached() -> None:
    objection = ReceiveObjection(objection_id="o-1", text="河岸仍有采砂船停靠", received_at=at(days=2), now=at(days=2))
    case, events = run(open_case(), assign(), request_closure(), passed(), notice(), objection)
    assert isinstance(events[-1], ObjectionReceived)
    assert case is not None and case.status is CaseStatus.CLOSURE_REQUESTED
    assert case.objection is not None and case.objection.text == "河岸仍有采砂船停靠"
    assert case.procedure is None
    # verified again: the steps start again from the first
    again, _ = run(open_case(), assign(), request_closure(), passed(), notice(), objection, passed(now=at(days=3)))
    assert again is not None and again.status is CaseStatus.AWAITING_NOTICE and again.objection is None


def test_an_objection_outside_notice_is_refused() -> None:
    objection = ReceiveObjection(objection_id="o-1", text="仍有问题存在", received_at=NOW, now=NOW)
    refused("not_in_notice", open_case(), assign(), request_closure(), passed(), objection)


def test_a_rejected_review_reopens_the_case_with_the_given_or_the_default_deadline() -> None:
    given = datetime(2025, 9, 30, 10, 0, tzinfo=UTC)
    case, events = run(*IN_REVIEW, review(False, AFTER_NOTICE, opinion="河岸复绿不达标", deadline=given))
    assert isinstance(events[-1], ReviewRejected) and events[-1].new_deadline == given
    assert case is not None and case.status is CaseStatus.ASSIGNED and case.deadline == given
    assert case.procedure is None and case.verification is None
    case, events = run(*IN_REVIEW, review(False, AFTER_NOTICE, opinion="不达标"))
    rejected = events[-1]
    assert isinstance(rejected, ReviewRejected) and rejected.deadline_working_days == 30
    assert rejected.new_deadline > AFTER_NOTICE + timedelta(days=30)


def test_a_rejected_review_needs_its_reason() -> None:
    with pytest.raises(InvalidCommand) as info:
        run(*IN_REVIEW, review(False, AFTER_NOTICE, opinion=None))
    assert info.value.field == "opinion"


def test_a_closure_is_filed_once_and_a_reopened_case_can_be_filed_again_after_its_next_closure() -> None:
    closed = (*IN_REVIEW, review(True, AFTER_NOTICE), Close(now=AFTER_NOTICE))
    filed = FileClosure(filed_to="省生态环境厅", now=AFTER_NOTICE)
    refused("already_filed", *closed, filed, filed)
    case, _ = run(*closed, filed, Reopen(reason="反弹", new_deadline=DeadlineSpec(at=at(days=60)), now=AFTER_NOTICE))
    assert case is not None and case.status is CaseStatus.ASSIGNED and case.filed is None and case.procedure is None


def test_the_default_policy_gives_inspection_problems_every_step_and_the_hotline_two() -> None:
    assert POLICY.steps_for(Source.CENTRAL_INSPECTION) == ALL
    assert POLICY.steps_for(Source.PROVINCIAL_INSPECTION) == ALL
    assert POLICY.steps_for(Source.HOTLINE_12369) == (ClosureStep.NOTICE, ClosureStep.SIGNOFF)
    assert POLICY.notice_days == 7 and POLICY.notice_ends(NOW) == NOW + timedelta(days=7)


def test_a_county_policy_file_changes_only_the_keys_it_names(tmp_path: Path) -> None:
    custom = tmp_path / "closure.toml"
    custom.write_text('[notice]\ndays = 5\nday_kind = "working"\n[steps]\nmailbox = []\n', encoding="utf-8")
    policy = load_policy(custom)
    assert policy.steps_for(Source.MAILBOX) == ()  # closes at 验收
    assert policy.steps_for(Source.CENTRAL_INSPECTION) == ALL  # as shipped
    assert (policy.notice_days, policy.day_kind.value) == (5, "working")
    # 5 working days from Monday 2 June 2025 10:00 (Shanghai): past the weekend, never before the next Monday
    assert policy.notice_ends(NOW) >= NOW + timedelta(days=6)


def test_a_demo_policy_gives_the_notice_an_exact_length_in_place_of_days(tmp_path: Path) -> None:
    custom = tmp_path / "closure.toml"
    custom.write_text('[notice]\nlength = "PT20S"\n', encoding="utf-8")
    policy = load_policy(custom)
    assert (policy.notice_days, policy.day_kind.value) == (None, "length")
    assert policy.notice_ends(NOW) == NOW + timedelta(seconds=20)
    command = StartNoticeIn(summary="已整改").command("督察办", NOW, policy)
    case, events = run(open_case(), assign(), request_closure(), passed(), command)
    assert case is not None and case.status is CaseStatus.IN_NOTICE
    assert isinstance(events[-1], NoticeStarted) and (events[-1].days, events[-1].day_kind) == (None, "length")
    assert events[-1].ends == NOW + timedelta(seconds=20)


@pytest.mark.parametrize(
    "text",
    [
        '[notice]\nlength = "PT0S"\n',
        '[notice]\nlength = "P400D"\n',
        '[notice]\nlength = "seven days"\n',
        "[notice]\nlength = 20\n",
        '[notice]\ndays = 7\nday_kind = "length"\n',
        '[steps]\nmailbox = ["notice", "approve"]\n',
        '[steps]\nmailbox = ["notice", "notice"]\n',
        "[steps]\nunknown_source = []\n",
        '[notice]\ndays = 0\nday_kind = "calendar"\n',
        "[review]\nrejected_deadline_working_days = 0\n",
    ],
)
def test_a_broken_policy_file_is_refused_naming_the_key(tmp_path: Path, text: str) -> None:
    custom = tmp_path / "closure.toml"
    custom.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError, match="closure.toml"):
        load_policy(custom)
