"""The rectification case (整改案件): its state, how events fold into it, and the rules. Pure: no I/O, no clock.

交办 → 督办 → 反馈 → 销号: a case is reported, assigned with the 五定, supervised, reports
progress, asks for closure with evidence and, once a verification passes, goes through the
closure procedure its source takes (销号工作规程: 公示, 审签, 复核, as fixed at 验收) before
销号 and 报备; a source with no steps is closed by the verification itself. A closed case can
only be reopened (回头看). The current deadline misses at most once.
"""

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from services.cases.commands import (
    ApplyReview,
    Assign,
    Close,
    Command,
    CompleteNotice,
    DeadlineSpec,
    ExtendDeadline,
    FileClosure,
    MarkConfidential,
    MarkDeadlineMissed,
    OpenCase,
    ReceiveObjection,
    Reopen,
    ReportProgress,
    RequestClosure,
    RequestReview,
    SignOff,
    StartNotice,
    Supervise,
    Uploaded,
    Verify,
    WarnDeadline,
)
from shared.aggregate import Decider
from shared.clock import shown
from shared.contracts import Event
from shared.contracts.cases import (
    Assigned,
    AssignedLeader,
    CaseOpened,
    Closed,
    ClosureFiled,
    ClosureRejected,
    ClosureRequested,
    DeadlineApproaching,
    DeadlineExtended,
    DeadlineMissed,
    Evidence,
    MarkedConfidential,
    NoticeCompleted,
    NoticeStarted,
    ObjectionReceived,
    ProgressReported,
    Reassigned,
    Reopened,
    ReviewPassed,
    ReviewRejected,
    ReviewRequested,
    SignedOff,
    Supervised,
    VerificationPassed,
    status_after,
)
from shared.contracts.codes import (
    CASE_STATUS_LABELS,
    CLOSURE_PROCEDURE_STATUSES,
    CaseStatus,
    ClosureStep,
    Domain,
    Source,
)
from shared.errors import Forbidden, InvalidCommand, RuleViolation
from shared.workdays import working_days_deadline


@dataclass(frozen=True)
class Assignment:
    """The 五定 of the current 交办: problem, task, unit, leader and measures (the deadline moves on its own)."""

    problem: str
    task: str
    unit: str
    leader: AssignedLeader
    measures: str


@dataclass(frozen=True)
class ClosureRequest:
    """The last 申请销号: what was done and the evidence."""

    summary: str
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Procedure:
    """销号程序 under way: the steps fixed at 验收 and how far the case is through them."""

    steps: tuple[ClosureStep, ...]
    remaining: tuple[ClosureStep, ...]
    notice: NoticeStarted | None = None
    signoff: SignedOff | None = None
    review_requested: ReviewRequested | None = None
    review_passed: ReviewPassed | None = None


@dataclass(frozen=True)
class Case:
    case_id: str
    source: Source
    title: str
    township: str
    domain: Domain
    reported_at: datetime
    batch: str | None = None
    external_ref: str | None = None
    status: CaseStatus = CaseStatus.REPORTED
    assignment: Assignment | None = None
    deadline: datetime | None = None
    deadline_working_days: int | None = None
    # Both flags belong to the current deadline: a new deadline clears them.
    deadline_warned: bool = False
    deadline_missed: bool = False
    times_missed: int = 0
    closure: ClosureRequest | None = None
    progress: ProgressReported | None = None
    verification: Closed | ClosureRejected | VerificationPassed | None = None
    procedure: Procedure | None = None
    objection: ObjectionReceived | None = None  # the last 公示异议, until the next 验收
    last_review_rejection: ReviewRejected | None = None
    filed: ClosureFiled | None = None  # 报备 of the current 销号
    supervisions: int = 0
    extensions: int = 0
    reopenings: int = 0
    confidential: MarkedConfidential | None = None  # the latest 不予公开 / 恢复公开; None: never marked (public)
    version: int = 0


# ---------------------------------------------------------------- evolve


def evolve(state: Case | None, event: Event) -> Case:
    if state is None:
        if not isinstance(event, CaseOpened):
            raise ValueError(f"a case stream must start with CaseOpened, not {event.event_type()}")
        return Case(
            case_id=event.case_id,
            source=event.source,
            title=event.title,
            township=event.township,
            domain=event.domain,
            reported_at=event.reported_at,
            batch=event.batch,
            external_ref=event.external_ref,
            status=_status_after(event, None),
            version=1,
        )
    return replace(_apply(state, event), status=_status_after(event, state.status), version=state.version + 1)


def _status_after(event: Event, before: CaseStatus | None) -> CaseStatus:
    """The status comes from the contracts (shared.contracts.cases.STATUS_AFTER), the one place it is written."""
    status = status_after(event, before)
    if status is None:
        raise ValueError(f"a case's status after {event.event_type()} is not known")
    return status


def _new_deadline(state: Case, deadline: datetime, working_days: int | None = None) -> Case:
    return replace(
        state, deadline=deadline, deadline_working_days=working_days, deadline_warned=False, deadline_missed=False
    )


def _apply(state: Case, event: Event) -> Case:
    """What an event changes besides the status."""
    match event:
        case Assigned() | Reassigned():
            assignment = Assignment(event.problem, event.task, event.unit, event.leader, event.measures)
            assigned = replace(state, assignment=assignment)
            return _new_deadline(assigned, event.deadline, event.deadline_working_days)
        case Supervised():
            supervised = replace(state, supervisions=state.supervisions + 1)
            if event.new_deadline is None:
                return supervised
            return _new_deadline(supervised, event.new_deadline, event.deadline_working_days)
        case ProgressReported():
            return replace(state, progress=event)
        case DeadlineExtended():
            extended = replace(state, extensions=state.extensions + 1)
            return _new_deadline(extended, event.new_deadline, event.deadline_working_days)
        case ClosureRequested():
            closure = ClosureRequest(event.summary, tuple(event.evidence))
            return replace(state, closure=closure)
        case Closed():
            # 销号 after the procedure keeps its verification (VerificationPassed) and the steps taken
            verification = state.verification if state.procedure is not None else event
            return replace(state, verification=verification, filed=None)
        case ClosureRejected():
            return replace(state, verification=event, procedure=None, objection=None)
        case VerificationPassed():
            steps = tuple(event.steps)
            return replace(state, verification=event, procedure=Procedure(steps, steps), objection=None)
        case NoticeStarted():
            return _step(state, notice=event)
        case ObjectionReceived():
            # back to 验收 with the objection attached; a passed verification starts the steps again
            return replace(state, objection=event, procedure=None, verification=None)
        case NoticeCompleted() | SignedOff() | ReviewPassed():
            done = {NoticeCompleted: "notice", SignedOff: "signoff", ReviewPassed: "review_passed"}[type(event)]
            changes: dict[str, object] = {"remaining": tuple(event.remaining)}
            if done != "notice":
                changes[done] = event
            return _step(state, **changes)
        case ReviewRequested():
            return _step(state, review_requested=event)
        case ReviewRejected():
            rejected = replace(state, procedure=None, verification=None, last_review_rejection=event)
            return _new_deadline(rejected, event.new_deadline, event.deadline_working_days)
        case ClosureFiled():
            return replace(state, filed=event)
        case MarkedConfidential():
            return replace(state, confidential=event)
        case Reopened():
            # the earlier closure and its verification stay in the history, not in the case being rectified again
            reopened = replace(
                state, reopenings=state.reopenings + 1, closure=None, verification=None, procedure=None, filed=None
            )
            return _new_deadline(reopened, event.new_deadline, event.deadline_working_days)
        case DeadlineApproaching():
            return replace(state, deadline_warned=True)
        case DeadlineMissed():
            return replace(state, deadline_missed=True, times_missed=state.times_missed + 1)
        case CaseOpened():
            return state  # a repeated opening adds nothing (and decide opens a case only once)
    raise ValueError(f"a case cannot apply {event.event_type()}")


def _step(state: Case, **changes: object) -> Case:
    if state.procedure is None:
        raise ValueError("a step of the closure procedure before 验收 passed")
    return replace(state, procedure=replace(state.procedure, **changes))  # type: ignore[arg-type]


def is_overdue(state: Case, now: datetime) -> bool:
    """超期: the current deadline was missed, or has passed while the unit is still rectifying."""
    if state.status is CaseStatus.CLOSED or state.deadline is None:
        return False
    return state.deadline_missed or (state.status is CaseStatus.ASSIGNED and state.deadline <= now)


# ---------------------------------------------------------------- decide


# Which statuses each person's command is allowed in; the system's reminders decide for themselves.
ALLOWED: dict[type, frozenset[CaseStatus]] = {
    Assign: frozenset({CaseStatus.REPORTED, CaseStatus.ASSIGNED}),
    Supervise: frozenset({CaseStatus.ASSIGNED}),
    ReportProgress: frozenset({CaseStatus.ASSIGNED}),
    ExtendDeadline: frozenset({CaseStatus.ASSIGNED}),
    RequestClosure: frozenset({CaseStatus.ASSIGNED}),
    Verify: frozenset({CaseStatus.CLOSURE_REQUESTED}),
    Reopen: frozenset({CaseStatus.CLOSED}),
    StartNotice: frozenset({CaseStatus.AWAITING_NOTICE}),
    ReceiveObjection: frozenset({CaseStatus.IN_NOTICE}),
    CompleteNotice: frozenset({CaseStatus.IN_NOTICE}),
    SignOff: frozenset({CaseStatus.AWAITING_SIGNOFF}),
    RequestReview: frozenset({CaseStatus.AWAITING_REVIEW}),
    ApplyReview: frozenset({CaseStatus.AWAITING_REVIEW}),
    Close: frozenset({CaseStatus.AWAITING_CLOSURE}),
    FileClosure: frozenset({CaseStatus.CLOSED}),
    # 信息公开: the public page lists a case from its opening, so it may be withheld in every status (before 交办
    # by 督察办 alone: a case has no responsible unit yet).
    MarkConfidential: frozenset(CaseStatus),
}


def decide(command: Command, state: Case | None) -> list[Event]:
    if isinstance(command, OpenCase):
        return [] if state is not None else [_open(command)]
    if state is None:
        raise RuleViolation("case_not_opened", "案件尚未立案，不能办理")
    match command:
        case WarnDeadline():
            return _warn(command, state)
        case MarkDeadlineMissed():
            return _miss(command, state)
    if state.status not in ALLOWED[type(command)]:
        raise _refusal(type(command), state.status)
    match command:
        case Assign():
            return _assign(command, state)
        case Supervise():
            return _supervise(command, state)
        case ReportProgress():
            return _report_progress(command)
        case ExtendDeadline():
            return _extend(command, state)
        case RequestClosure():
            return _request_closure(command)
        case Verify():
            return _verify(command, state)
        case Reopen():
            return _reopen(command, state)
        case StartNotice():
            return _start_notice(command, state)
        case ReceiveObjection():
            return [
                ObjectionReceived(objection_id=command.objection_id, text=command.text, received_at=command.received_at)
            ]
        case CompleteNotice():
            return _complete_notice(command, state)
        case SignOff():
            return [
                SignedOff(leader=command.leader, opinion=command.opinion, remaining=_after(state, ClosureStep.SIGNOFF))
            ]
        case RequestReview():
            return _request_review(command, state)
        case ApplyReview():
            return _apply_review(command, state)
        case Close():
            return [Closed(verifier=_verifier(state), note=command.note, unit=_unit(state))]
        case FileClosure():
            return _file(command, state)
        case MarkConfidential():
            return _mark_confidential(command, state)
    raise TypeError(f"unknown command {command!r}")


# What a case in each status of the procedure waits for: the code and message of a step taken out of order.
_PENDING: dict[CaseStatus, tuple[str, str]] = {
    CaseStatus.AWAITING_NOTICE: ("notice_pending", "案件待公示；请先发布公示"),
    CaseStatus.IN_NOTICE: ("notice_pending", "案件正在公示中；请待公示期满后再办理"),
    CaseStatus.AWAITING_SIGNOFF: ("signoff_pending", "案件待县领导审签；请先完成审签"),
    CaseStatus.AWAITING_REVIEW: ("review_pending", "案件待上级复核；请先完成复核"),
    CaseStatus.AWAITING_CLOSURE: ("steps_done", "销号程序各步骤已完成，案件待销号；请直接销号"),
}
_PROCEDURE_COMMANDS = (StartNotice, CompleteNotice, SignOff, RequestReview, ApplyReview, Close)


def _refusal(kind: type, status: CaseStatus) -> RuleViolation:
    """The rule a command of `kind` broke, most specific first."""
    if kind is Reopen:
        return RuleViolation("not_closed", "只有已销号的案件才能“回头看”重新打开")
    if kind is FileClosure:
        return RuleViolation("not_closed", "案件尚未销号，不能报备；请先完成销号")
    if kind in (CompleteNotice, ReceiveObjection) and status is not CaseStatus.CLOSED:
        return RuleViolation("not_in_notice", f"案件不在公示中（当前状态：{CASE_STATUS_LABELS[status]}）")
    if kind is Close and status in CLOSURE_PROCEDURE_STATUSES:
        return RuleViolation("steps_pending", f"销号程序尚未完成（当前：{CASE_STATUS_LABELS[status]}），不能销号")
    if kind in _PROCEDURE_COMMANDS and status in _PENDING:
        return RuleViolation(*_PENDING[status])
    if status in CLOSURE_PROCEDURE_STATUSES:
        label = CASE_STATUS_LABELS[status]
        return RuleViolation("closure_in_procedure", f"案件验收已通过、正在销号程序中（{label}），不能办理此项")
    if status is CaseStatus.CLOSED:
        return RuleViolation("case_closed", "案件已销号，不能再办理；如问题反弹，请通过“回头看”重新打开")
    if kind is Verify:
        return RuleViolation("no_pending_closure", "没有待验收的销号申请；请整改单位先申请销号")
    if status is CaseStatus.CLOSURE_REQUESTED:
        return RuleViolation("closure_pending", "案件已申请销号、正在等待验收；请先验收（通过或不通过）再办理")
    if kind in _PROCEDURE_COMMANDS:
        return RuleViolation("not_verified", "案件尚未验收通过，不能办理销号程序")
    if kind is RequestClosure:
        return RuleViolation("not_assigned", "案件尚未交办，不能申请销号；请先交办（五定）")
    return RuleViolation("not_assigned", "案件尚未交办；请先交办（五定）")


def _open(command: OpenCase) -> CaseOpened:
    return CaseOpened(
        case_id=command.case_id,
        source=command.source,
        title=command.title,
        township=command.township,
        domain=command.domain,
        batch=command.batch,
        external_ref=command.external_ref,
        reported_at=command.reported_at,
    )


def resolve_deadline(spec: DeadlineSpec, now: datetime, field: str) -> tuple[datetime, int | None]:
    """The deadline as a UTC moment, and the working days it was counted from (if it was)."""
    days_field = f"{field}_working_days"
    if (spec.at is None) == (spec.working_days is None):
        raise InvalidCommand(field, f"请填写整改时限：{field}（截止时间）或 {days_field}（工作日数），二者选一")
    if spec.working_days is not None:
        if spec.working_days < 1:
            raise InvalidCommand(days_field, "工作日数至少为 1")
        at = working_days_deadline(now, spec.working_days)
    else:
        assert spec.at is not None
        at = spec.at
        if at.tzinfo is None:
            raise InvalidCommand(field, "截止时间须带时区，例如 2025-10-31T18:00:00+08:00")
        if at <= now:
            raise InvalidCommand(field, f"整改时限必须晚于当前时间（{shown(now)}）")
    return at.astimezone(UTC), spec.working_days


def _unit(state: Case) -> str:
    assert state.assignment is not None, "an assigned case has its 五定"
    return state.assignment.unit


def _assign(command: Assign, state: Case) -> list[Event]:
    deadline, days = resolve_deadline(command.deadline, command.now, "deadline")
    five = {
        "problem": command.problem,
        "task": command.task,
        "unit": command.unit,
        "leader": command.leader,
        "deadline": deadline,
        "measures": command.measures,
        "deadline_working_days": days,
    }
    if state.status is CaseStatus.REPORTED:
        return [Assigned(**five)]
    return [Reassigned(**five, previous_unit=_unit(state), reason=command.reason)]


def _supervise(command: Supervise, state: Case) -> list[Event]:
    if command.new_deadline is None:
        return [Supervised(note=command.note, letter_no=command.letter_no)]
    deadline, days = resolve_deadline(command.new_deadline, command.now, "new_deadline")
    if state.deadline is not None and deadline >= state.deadline:
        raise RuleViolation(
            "supervision_deadline_not_earlier",
            f"督办只能提前整改时限（当前时限 {shown(state.deadline)}）；推迟时限请走延期审批",
        )
    return [
        Supervised(note=command.note, letter_no=command.letter_no, new_deadline=deadline, deadline_working_days=days)
    ]


def _extend(command: ExtendDeadline, state: Case) -> list[Event]:
    assert state.deadline is not None, "an assigned case has a deadline"
    deadline, days = resolve_deadline(command.new_deadline, command.now, "new_deadline")
    if deadline <= state.deadline:
        raise RuleViolation("extension_not_later", f"延期后的时限必须晚于当前时限 {shown(state.deadline)}")
    return [
        DeadlineExtended(
            previous_deadline=state.deadline,
            new_deadline=deadline,
            reason=command.reason,
            approved_by=command.approved_by,
            deadline_working_days=days,
        )
    ]


def _report_progress(command: ReportProgress) -> list[Event]:
    _check_files(command.photos, command.uploaded, "photos", "张照片")
    for n, photo in enumerate(command.photos):
        if not command.uploaded[photo.sha256].startswith("image/"):
            raise InvalidCommand(f"photos.{n}.sha256", f"第 {n + 1} 张照片（{photo.file_name}）不是图片文件")
    return [ProgressReported(note=command.note, percent=command.percent, photos=list(command.photos))]


def _request_closure(command: RequestClosure) -> list[Event]:
    if not command.evidence:
        raise InvalidCommand("evidence", "申请销号须至少附一项佐证材料")
    _check_files(command.evidence, command.uploaded, "evidence", "项佐证材料")
    return [ClosureRequested(summary=command.summary, evidence=list(command.evidence))]


def _check_files(items: tuple[Evidence, ...], uploaded: Uploaded, field: str, what: str) -> None:
    """A command names only files uploaded to this case: a client may not claim a file it did not upload."""
    for n, item in enumerate(items):
        if item.sha256 not in uploaded:
            raise InvalidCommand(
                f"{field}.{n}.sha256",
                f"第 {n + 1} {what}（{item.file_name}）不是本案件已上传的文件，请先上传该文件再提交",
            )


def check_upload(status: CaseStatus) -> None:
    """佐证材料 and photos are uploaded while the unit rectifies (整改中), for its 反馈 or 申请销号 to name."""
    if status not in ALLOWED[RequestClosure]:
        raise _refusal(ReportProgress, status)


def _verify(command: Verify, state: Case) -> list[Event]:
    if command.passed:
        # the steps as the policy says now: fixed in the event, whatever the policy says later
        steps = command.procedure.get(state.source, ())
        if not steps:
            return [Closed(verifier=command.verifier, note=command.note, unit=_unit(state))]
        return [VerificationPassed(verifier=command.verifier, note=command.note, unit=_unit(state), steps=list(steps))]
    if not command.note:
        raise InvalidCommand("note", "验收不通过时须写明原因")
    return [ClosureRejected(verifier=command.verifier, reason=command.note, unit=_unit(state))]


def _after(state: Case, step: ClosureStep) -> list[ClosureStep]:
    """The steps left once `step`, the current one, is done."""
    assert state.procedure is not None and state.procedure.remaining[:1] == (step,), "the status says which step"
    return list(state.procedure.remaining[1:])


def _verifier(state: Case) -> str:
    v = state.verification
    return v.verifier if isinstance(v, VerificationPassed) else "督察办"


def _start_notice(command: StartNotice, state: Case) -> list[Event]:
    if command.ends <= command.now:
        raise InvalidCommand("days", "公示期须至少一天")
    return [
        NoticeStarted(
            starts=command.now, ends=command.ends, days=command.days, day_kind=command.day_kind, summary=command.summary
        )
    ]


def _complete_notice(command: CompleteNotice, state: Case) -> list[Event]:
    assert state.procedure is not None and state.procedure.notice is not None, "in notice after NoticeStarted"
    ends = state.procedure.notice.ends
    if command.now < ends:
        raise RuleViolation("notice_not_over", f"公示期至 {shown(ends)} 届满，期满后方可办理")
    return [NoticeCompleted(notice_ended=ends, remaining=_after(state, ClosureStep.NOTICE))]


def _request_review(command: RequestReview, state: Case) -> list[Event]:
    assert state.procedure is not None
    if state.procedure.review_requested is not None:
        raise RuleViolation("review_pending", "已提请上级复核，正在等待复核结果")
    summary = state.closure.summary if state.closure else None
    return [
        ReviewRequested(note=command.note, source=state.source, title=state.title, unit=_unit(state), summary=summary)
    ]


def _apply_review(command: ApplyReview, state: Case) -> list[Event]:
    assert state.procedure is not None
    if state.procedure.review_requested is None:
        raise RuleViolation("review_not_requested", "尚未提请复核，不能登记复核结果")
    if command.passed:
        return [
            ReviewPassed(
                reviewer=command.reviewer, opinion=command.opinion, remaining=_after(state, ClosureStep.REVIEW)
            )
        ]
    if not command.opinion:
        raise InvalidCommand("opinion", "复核不通过时须写明原因")
    if command.new_deadline is not None:
        deadline, days = resolve_deadline(DeadlineSpec(at=command.new_deadline), command.now, "new_deadline")
    else:
        deadline, days = resolve_deadline(command.default_deadline, command.now, "new_deadline")
    return [
        ReviewRejected(
            reviewer=command.reviewer,
            reason=command.opinion,
            unit=_unit(state),
            new_deadline=deadline,
            deadline_working_days=days,
        )
    ]


def _file(command: FileClosure, state: Case) -> list[Event]:
    if state.filed is not None:
        raise RuleViolation("already_filed", "该次销号已报备")
    return [ClosureFiled(filed_to=command.filed_to, note=command.note)]


def is_confidential(state: Case) -> bool:
    """不予公开: the latest mark withholds the case from the public page (never marked: public)."""
    return state.confidential is not None and state.confidential.confidential


def _mark_confidential(command: MarkConfidential, state: Case) -> list[Event]:
    """不予公开 / 恢复公开. Publishing again is 督察办's alone: the unit cannot undo a withholding it may not have made.

    The same value again is refused (409), not ignored: the person sees that the case already is as asked."""
    if not command.confidential and command.by_unit:
        raise Forbidden("恢复公开须由督察办办理；责任单位只能申请不予公开")
    if command.confidential == is_confidential(state):
        if command.confidential:
            raise RuleViolation("already_confidential", "案件已设为不予公开，无需重复设置")
        raise RuleViolation("not_confidential", "案件现为公开状态，无需恢复公开")
    return [MarkedConfidential(confidential=command.confidential, reason=command.reason)]


def _reopen(command: Reopen, state: Case) -> list[Event]:
    deadline, days = resolve_deadline(command.new_deadline, command.now, "new_deadline")
    return [Reopened(reason=command.reason, new_deadline=deadline, unit=_unit(state), deadline_working_days=days)]


def _current_deadline_is(state: Case, deadline: datetime) -> bool:
    """The system's reminders concern one deadline; one that was replaced meanwhile is no longer due."""
    return state.status is CaseStatus.ASSIGNED and state.deadline == deadline and not state.deadline_missed


def _warn(command: WarnDeadline, state: Case) -> list[Event]:
    deadline = command.deadline
    if not _current_deadline_is(state, deadline) or state.deadline_warned:
        return []
    if not deadline - command.lead <= command.now < deadline:
        return []
    assert state.assignment is not None
    return [
        DeadlineApproaching(
            deadline=deadline,
            remaining_seconds=int((deadline - command.now).total_seconds()),
            unit=state.assignment.unit,
            leader=state.assignment.leader.named(),
        )
    ]


def _miss(command: MarkDeadlineMissed, state: Case) -> list[Event]:
    if not _current_deadline_is(state, command.deadline) or command.now < command.deadline:
        return []
    assert state.assignment is not None
    return [
        DeadlineMissed(
            deadline=command.deadline,
            late_seconds=int((command.now - command.deadline).total_seconds()),
            unit=state.assignment.unit,
            leader=state.assignment.leader.named(),
            missed_count=state.times_missed + 1,
        )
    ]


# The rectification case as one value: what the handler runs every command through.
decider: Decider[Command, Case | None] = Decider(decide=decide, evolve=evolve, initial=None)
