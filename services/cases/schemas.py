"""What the cases API reads and answers: request bodies, and the case as people read it.

Labels are zh-CN; moments are shown in Asia/Shanghai.
"""

from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from services.cases.closure_policy import ClosurePolicy
from services.cases.commands import (
    Assign,
    Close,
    Command,
    CompleteNotice,
    DeadlineSpec,
    ExtendDeadline,
    FileClosure,
    MarkConfidential,
    Reopen,
    ReportProgress,
    RequestClosure,
    RequestReview,
    SignOff,
    StartNotice,
    Supervise,
    Uploaded,
    Verify,
)
from services.cases.domain import Case, is_confidential, is_overdue
from shared.clock import SHANGHAI, shown
from shared.contracts import Event
from shared.contracts.base import Moment, Note, Readable, ShortText
from shared.contracts.cases import AssignedLeader, ClosureRejected, Evidence, Leader, Liaison
from shared.contracts.codes import (
    CASE_STATUS_LABELS,
    CLOSURE_STEP_LABELS,
    DOMAIN_LABELS,
    SOURCE_LABELS,
    CaseStatus,
    ClosureStep,
    Domain,
    Source,
)
from shared.envelope import Envelope
from shared.workdays import working_days_deadline

# 不予公开 / 恢复公开's reason: trimmed, 1–500 characters, as MarkedConfidential records it.
ConfidentialityReason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), Readable]
WorkingDays = Annotated[int, Field(ge=1, le=365, description="工作日数，跳过法定节假日、计入调休上班日")]


# ---------------------------------------------------------------- requests


class LeaderIn(AssignedLeader):
    """包案领导 as 交办 names the leader; 联络渠道 may be left out (a case can be assigned before the leader's office
    says who will liaise, and the deadline events name the leader without it): it is then recorded as null."""

    liaison: Liaison | None = Field(
        default=None, description="联络渠道：单位联系包案领导所经的办公室或联络人；不填电话号码（事件永久保存）"
    )

    def recorded(self) -> AssignedLeader:
        return AssignedLeader(name=self.name, post=self.post, liaison=self.liaison)


class AssignIn(BaseModel):
    """交办 with the 五定; the deadline as `deadline` or `deadline_working_days`."""

    problem: Note = Field(description="具体问题")
    task: Note = Field(description="整改目标与措施")
    unit: ShortText = Field(description="责任单位")
    leader: LeaderIn = Field(description="包案领导")
    deadline: Moment | None = Field(default=None, description="整改时限")
    deadline_working_days: WorkingDays | None = None
    measures: Note = Field(description="奖惩措施")
    reason: Note | None = Field(default=None, description="重新交办的原因")

    def command(self, actor: str, now: datetime) -> Command:
        return Assign(
            problem=self.problem,
            task=self.task,
            unit=self.unit,
            leader=self.leader.recorded(),
            deadline=DeadlineSpec(at=self.deadline, working_days=self.deadline_working_days),
            measures=self.measures,
            reason=self.reason,
            now=now,
        )


class NewDeadlineIn(BaseModel):
    new_deadline: Moment | None = None
    new_deadline_working_days: WorkingDays | None = None

    def deadline_spec(self) -> DeadlineSpec:
        return DeadlineSpec(at=self.new_deadline, working_days=self.new_deadline_working_days)


class SuperviseIn(NewDeadlineIn):
    """督办函: a note, perhaps a letter number, perhaps an earlier deadline."""

    note: Note
    letter_no: ShortText | None = None

    def command(self, actor: str, now: datetime) -> Command:
        spec = self.deadline_spec()
        given = spec.at is not None or spec.working_days is not None
        return Supervise(note=self.note, letter_no=self.letter_no, new_deadline=spec if given else None, now=now)


# How many photos one 进展反馈 may name.
MAX_PROGRESS_PHOTOS = 20


class ProgressIn(BaseModel):
    note: Note
    percent: int | None = Field(default=None, ge=0, le=100)
    photos: list[Evidence] = Field(
        default_factory=list,
        max_length=MAX_PROGRESS_PHOTOS,
        description="现场照片：先上传到本案件（POST /v1/cases/{case_id}/evidence），再按 sha256 引用",
    )

    def files(self) -> list[Evidence]:
        return self.photos

    def command(self, actor: str, now: datetime, uploaded: Uploaded) -> Command:
        return ReportProgress(
            note=self.note, percent=self.percent, photos=tuple(self.photos), uploaded=uploaded, now=now
        )


class ExtendIn(NewDeadlineIn):
    reason: Note
    approved_by: ShortText = Field(description="批准人")

    def command(self, actor: str, now: datetime) -> Command:
        return ExtendDeadline(
            new_deadline=self.deadline_spec(), reason=self.reason, approved_by=self.approved_by, now=now
        )


class ClosureIn(BaseModel):
    summary: Note = Field(description="整改完成情况")
    evidence: list[Evidence] = Field(
        min_length=1,
        max_length=100,
        description="佐证材料：先上传到本案件（POST /v1/cases/{case_id}/evidence），再按 sha256 引用",
    )

    def files(self) -> list[Evidence]:
        return self.evidence

    def command(self, actor: str, now: datetime, uploaded: Uploaded) -> Command:
        return RequestClosure(summary=self.summary, evidence=tuple(self.evidence), uploaded=uploaded, now=now)


class VerifyIn(BaseModel):
    passed: bool
    note: Note | None = Field(default=None, description="验收意见；不通过时必填")
    verifier: ShortText | None = Field(default=None, description="验收人；不填则为操作人")

    def command(self, actor: str, now: datetime, policy: ClosurePolicy) -> Command:
        return Verify(
            verifier=self.verifier or actor, passed=self.passed, note=self.note, now=now, procedure=policy.steps
        )


# ---------------------------------------------------------------- the closure procedure (销号工作规程)


class StartNoticeIn(BaseModel):
    """公示: what the public page shows; the 公示期 is the policy's."""

    summary: Note = Field(description="公示内容：问题及整改结果摘要（不含举报人信息）")

    def command(self, actor: str, now: datetime, policy: ClosurePolicy) -> Command:
        return StartNotice(
            summary=self.summary,
            ends=policy.notice_ends(now),
            days=policy.notice_days,
            day_kind=policy.day_kind.value,
            now=now,
        )


class CompleteNoticeIn(BaseModel):
    def command(self, actor: str, now: datetime) -> Command:
        return CompleteNotice(now=now)


class SignOffIn(BaseModel):
    opinion: Note | None = Field(default=None, description="审签意见")

    def command(self, actor: str, now: datetime) -> Command:
        return SignOff(leader=actor, opinion=self.opinion, now=now)


class RequestReviewIn(BaseModel):
    note: Note | None = Field(default=None, description="提请复核说明")

    def command(self, actor: str, now: datetime) -> Command:
        return RequestReview(note=self.note, now=now)


class CloseIn(BaseModel):
    note: Note | None = Field(default=None, description="销号意见")

    def command(self, actor: str, now: datetime) -> Command:
        return Close(note=self.note, now=now)


class FileClosureIn(BaseModel):
    note: Note | None = Field(default=None, description="报备说明")

    def command(self, actor: str, now: datetime, policy: ClosurePolicy) -> Command:
        return FileClosure(filed_to=policy.filed_to, note=self.note, now=now)


class ReopenIn(NewDeadlineIn):
    reason: Note

    def command(self, actor: str, now: datetime) -> Command:
        return Reopen(reason=self.reason, new_deadline=self.deadline_spec(), now=now)


class ConfidentialityIn(BaseModel):
    """不予公开 (confidential: true) or 恢复公开 (false), with the reason (1–500 characters, kept in the history)."""

    confidential: bool
    reason: ConfidentialityReason = Field(description="不予公开或恢复公开的理由")

    def command(self, actor: str, now: datetime, by_unit: bool) -> Command:
        return MarkConfidential(confidential=self.confidential, reason=self.reason, by_unit=by_unit, now=now)


# ---------------------------------------------------------------- answers


class CommandOut(BaseModel):
    case_id: str
    version: int
    status: CaseStatus
    status_label: str
    events: list[str]


class AssignmentOut(BaseModel):
    problem: str
    task: str
    unit: str
    leader: AssignedLeader
    measures: str


class ProgressOut(BaseModel):
    note: str
    percent: int | None
    photos: list[Evidence]


class ClosureOut(BaseModel):
    summary: str
    evidence: list[Evidence]


class VerificationOut(BaseModel):
    passed: bool
    passed_label: str
    verifier: str
    note: str | None


class StepOut(BaseModel):
    step: ClosureStep
    label: str
    done: bool


class ProcedureOut(BaseModel):
    """销号程序: the steps fixed at 验收, which are done, and the 公示 and 复核 as far as they went."""

    steps: list[StepOut]
    notice_starts: str | None
    notice_ends: str | None
    notice_summary: str | None
    signed_off_by: str | None
    review_requested: bool


class ObjectionOut(BaseModel):
    objection_id: str
    text: str
    received_at: str


class CaseOut(BaseModel):
    case_id: str
    version: int
    status: CaseStatus
    status_label: str
    source: Source
    source_label: str
    title: str
    township: str
    domain: Domain
    domain_label: str
    batch: str | None
    external_ref: str | None
    reported_at: str
    assignment: AssignmentOut | None
    deadline: str | None
    deadline_working_days: int | None
    overdue: bool
    deadline_warned: bool
    times_missed: int
    progress: ProgressOut | None
    closure_request: ClosureOut | None
    verification: VerificationOut | None
    procedure: ProcedureOut | None
    objection: ObjectionOut | None = Field(description="最近一次公示异议（重新验收前）")
    filed: bool = Field(description="本次销号已报备")
    confidential: bool = Field(description="不予公开：信息公开页面不列出该案件")
    confidential_reason: str | None = Field(description="最近一次不予公开或恢复公开的理由（从未设置时为空）")
    supervisions: int
    extensions: int
    reopenings: int
    updated_at: str


def case_out(case: Case, history: list[Envelope], now: datetime) -> CaseOut:
    a, v = case.assignment, case.verification
    return CaseOut(
        case_id=case.case_id,
        version=case.version,
        status=case.status,
        status_label=CASE_STATUS_LABELS[case.status],
        source=case.source,
        source_label=SOURCE_LABELS[case.source],
        title=case.title,
        township=case.township,
        domain=case.domain,
        domain_label=DOMAIN_LABELS[case.domain],
        batch=case.batch,
        external_ref=case.external_ref,
        reported_at=shown(case.reported_at),
        assignment=AssignmentOut(problem=a.problem, task=a.task, unit=a.unit, leader=a.leader, measures=a.measures)
        if a
        else None,
        deadline=shown(case.deadline) if case.deadline else None,
        deadline_working_days=case.deadline_working_days,
        overdue=is_overdue(case, now),
        deadline_warned=case.deadline_warned,
        times_missed=case.times_missed,
        progress=ProgressOut(note=case.progress.note, percent=case.progress.percent, photos=case.progress.photos)
        if case.progress
        else None,
        closure_request=ClosureOut(summary=case.closure.summary, evidence=list(case.closure.evidence))
        if case.closure
        else None,
        verification=VerificationOut(
            passed=not isinstance(v, ClosureRejected),
            passed_label="不通过" if isinstance(v, ClosureRejected) else "通过",
            verifier=v.verifier,
            note=v.reason if isinstance(v, ClosureRejected) else v.note,
        )
        if v
        else None,
        procedure=_procedure_out(case),
        objection=ObjectionOut(
            objection_id=case.objection.objection_id,
            text=case.objection.text,
            received_at=shown(case.objection.received_at),
        )
        if case.objection
        else None,
        filed=case.filed is not None,
        confidential=is_confidential(case),
        confidential_reason=case.confidential.reason if case.confidential else None,
        supervisions=case.supervisions,
        extensions=case.extensions,
        reopenings=case.reopenings,
        updated_at=shown(history[-1].occurred_at),
    )


def _procedure_out(case: Case) -> ProcedureOut | None:
    p = case.procedure
    if p is None:
        return None
    done = len(p.steps) - len(p.remaining)
    return ProcedureOut(
        steps=[StepOut(step=s, label=CLOSURE_STEP_LABELS[s], done=n < done) for n, s in enumerate(p.steps)],
        notice_starts=shown(p.notice.starts) if p.notice else None,
        notice_ends=shown(p.notice.ends) if p.notice else None,
        notice_summary=p.notice.summary if p.notice else None,
        signed_off_by=p.signoff.leader if p.signoff else None,
        review_requested=p.review_requested is not None,
    )


class HistoryEntry(BaseModel):
    version: int
    type: str
    label: str
    actor: str
    occurred_at: str
    event_id: str
    correlation_id: str
    data: dict[str, Any]


class HistoryOut(BaseModel):
    case_id: str
    version: int
    events: list[HistoryEntry]


def _shown_values(value: Any) -> Any:
    """Every moment inside a payload in Asia/Shanghai, as the rest of the API shows it."""
    if isinstance(value, datetime):
        return shown(value)
    if isinstance(value, dict):
        return {k: _shown_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shown_values(v) for v in value]
    return value


def history_entry(envelope: Envelope) -> HistoryEntry:
    payload: Event = envelope.payload
    return HistoryEntry(
        version=envelope.stream_version,
        type=envelope.type,
        label=payload.shown_as(),
        actor=envelope.actor,
        occurred_at=shown(envelope.occurred_at),
        event_id=str(envelope.event_id),
        correlation_id=envelope.correlation_id,
        data=_shown_values(payload.model_dump(mode="python")),
    )


class CaseSummary(BaseModel):
    case_id: str
    title: str
    status: CaseStatus
    status_label: str
    township: str
    domain: Domain
    domain_label: str
    unit: str | None
    leader: Leader | None
    deadline: str | None
    overdue: bool
    times_missed: int
    version: int
    reported_at: str


def case_summary(row: Any) -> CaseSummary:
    status, domain = CaseStatus(row["status"]), Domain(row["domain"])
    return CaseSummary(
        case_id=row["case_id"],
        title=row["title"],
        status=status,
        status_label=CASE_STATUS_LABELS[status],
        township=row["township"],
        domain=domain,
        domain_label=DOMAIN_LABELS[domain],
        unit=row["unit"],
        leader=Leader(name=row["leader_name"], post=row["leader_post"]) if row["leader_name"] else None,
        deadline=shown(row["deadline"]) if row["deadline"] else None,
        overdue=row["overdue"],
        times_missed=row["times_missed"],
        version=row["version"],
        reported_at=shown(row["reported_at"]),
    )


class CaseList(BaseModel):
    page: int
    page_size: int
    total: int
    items: list[CaseSummary]


# ---------------------------------------------------------------- 佐证材料 (files uploaded to a case)


class EvidenceOut(BaseModel):
    """A file stored for the case: name it by `sha256` in a 进展反馈's photos or a 申请销号's evidence."""

    sha256: str
    file_name: str = Field(description="上传时的文件名（已清理），仅作显示")
    content_type: str
    size: int = Field(description="保存的字节数（照片为去除 EXIF/GPS 后的大小）")
    uploaded_by: str
    uploaded_at: str


def evidence_out(row: Any) -> EvidenceOut:
    return EvidenceOut(
        sha256=row["sha256"],
        file_name=row["file_name"],
        content_type=row["content_type"],
        size=row["size_bytes"],
        uploaded_by=row["uploaded_by"],
        uploaded_at=shown(row["uploaded_at"]),
    )


class EvidenceList(BaseModel):
    case_id: str
    total: int
    max_files: int = Field(description="每个案件最多可上传的文件数")
    items: list[EvidenceOut]


# ---------------------------------------------------------------- 工作日时限预览


class DeadlinePreview(BaseModel):
    """The deadline `working_days` 工作日 from now, as 交办, 督办, 延期 and 回头看 would set it now."""

    working_days: int
    counted_from: date = Field(description="起算日（北京时间的今天，不计入）")
    deadline: str = Field(description="截止时间，北京时间（+08:00）")
    deadline_utc: str = Field(description="截止时间，UTC")
    label: str = Field(description="截止时间，供显示")


_WEEKDAYS = "一二三四五六日"


def deadline_preview(now: datetime, working_days: int) -> DeadlinePreview:
    """By the function the rules use (domain.resolve_deadline), so the preview is what the command will set."""
    at = working_days_deadline(now, working_days)
    local = at.astimezone(SHANGHAI)
    return DeadlinePreview(
        working_days=working_days,
        counted_from=now.astimezone(SHANGHAI).date(),
        deadline=shown(at),
        deadline_utc=at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        label=f"{local.year}年{local.month}月{local.day}日（星期{_WEEKDAYS[local.weekday()]}）{local:%H:%M} 北京时间",
    )
