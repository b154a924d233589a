"""The rectification case (整改案件): its state, how events fold into it, and the rules. Pure: no I/O, no clock.

交办 → 督办 → 反馈 → 销号: a case is reported, assigned with the 五定, supervised, reports
progress, asks for closure with evidence and is closed once a verification passes. A
closed case can only be reopened (回头看). The current deadline misses at most once.
"""

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from services.cases.commands import (
    Assign,
    Command,
    DeadlineSpec,
    ExtendDeadline,
    MarkDeadlineMissed,
    OpenCase,
    Reopen,
    ReportProgress,
    RequestClosure,
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
    ClosureRejected,
    ClosureRequested,
    DeadlineApproaching,
    DeadlineExtended,
    DeadlineMissed,
    Evidence,
    ProgressReported,
    Reassigned,
    Reopened,
    Supervised,
    status_after,
)
from shared.contracts.codes import CaseStatus, Domain, Source
from shared.errors import InvalidCommand, RuleViolation
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
    verification: Closed | ClosureRejected | None = None
    supervisions: int = 0
    extensions: int = 0
    reopenings: int = 0
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
        case Closed() | ClosureRejected():
            return replace(state, verification=event)
        case Reopened():
            # the earlier closure and its verification stay in the history, not in the case being rectified again
            reopened = replace(state, reopenings=state.reopenings + 1, closure=None, verification=None)
            return _new_deadline(reopened, event.new_deadline, event.deadline_working_days)
        case DeadlineApproaching():
            return replace(state, deadline_warned=True)
        case DeadlineMissed():
            return replace(state, deadline_missed=True, times_missed=state.times_missed + 1)
        case CaseOpened():
            return state  # a repeated opening adds nothing (and decide opens a case only once)
    raise ValueError(f"a case cannot apply {event.event_type()}")


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
    raise TypeError(f"unknown command {command!r}")


def _refusal(kind: type, status: CaseStatus) -> RuleViolation:
    """The rule a command of `kind` broke, most specific first."""
    if kind is Reopen:
        return RuleViolation("not_closed", "只有已销号的案件才能“回头看”重新打开")
    if status is CaseStatus.CLOSED:
        return RuleViolation("case_closed", "案件已销号，不能再办理；如问题反弹，请通过“回头看”重新打开")
    if kind is Verify:
        return RuleViolation("no_pending_closure", "没有待验收的销号申请；请整改单位先申请销号")
    if status is CaseStatus.CLOSURE_REQUESTED:
        return RuleViolation("closure_pending", "案件已申请销号、正在等待验收；请先验收（通过或不通过）再办理")
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
        return [Closed(verifier=command.verifier, note=command.note, unit=_unit(state))]
    if not command.note:
        raise InvalidCommand("note", "验收不通过时须写明原因")
    return [ClosureRejected(verifier=command.verifier, reason=command.note, unit=_unit(state))]


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
