"""Commands on a rectification case (整改案件): what a person or the system asks for.

Every command carries `now`, the moment it is decided at, so that the rules stay pure. A command that
names files (佐证材料, photos) carries `uploaded` for the same reason: which of them are stored for the
case, by SHA-256, with their content type, as the handler's caller looked them up (files are never
removed, so what it found stays true).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shared.contracts.cases import AssignedLeader, Evidence
from shared.contracts.codes import ClosureStep, Domain, Source


@dataclass(frozen=True)
class DeadlineSpec:
    """整改时限 as given: a moment, or a number of working days (工作日) from now; exactly one of the two."""

    at: datetime | None = None
    working_days: int | None = None


@dataclass(frozen=True)
class OpenCase:
    """立案: a reported problem becomes a case (from IssueReported)."""

    case_id: str
    source: Source
    title: str
    township: str
    domain: Domain
    reported_at: datetime
    batch: str | None = None
    external_ref: str | None = None


@dataclass(frozen=True)
class Assign:
    """交办 with the 五定; on a case already assigned it is a reassignment (重新交办)."""

    problem: str
    task: str
    unit: str
    leader: AssignedLeader
    deadline: DeadlineSpec
    measures: str
    now: datetime
    reason: str | None = None


@dataclass(frozen=True)
class Supervise:
    """督办: a supervision letter, perhaps bringing the deadline forward."""

    note: str
    now: datetime
    letter_no: str | None = None
    new_deadline: DeadlineSpec | None = None


# SHA-256 → content type of the files stored for the case, among those a command names.
Uploaded = Mapping[str, str]


@dataclass(frozen=True)
class ReportProgress:
    """反馈, perhaps with photos of the site (现场照片) uploaded to the case."""

    note: str
    now: datetime
    percent: int | None = None
    photos: tuple[Evidence, ...] = ()
    uploaded: Uploaded = field(default_factory=dict)


@dataclass(frozen=True)
class ExtendDeadline:
    """延期: a later deadline, approved by someone."""

    new_deadline: DeadlineSpec
    reason: str
    approved_by: str
    now: datetime


@dataclass(frozen=True)
class RequestClosure:
    """申请销号 with evidence: files uploaded to the case."""

    summary: str
    evidence: tuple[Evidence, ...]
    now: datetime
    uploaded: Uploaded = field(default_factory=dict)


# The steps each source takes after 验收 (closure_policy.py), as the policy says when 验收 passes.
Procedure = Mapping[Source, tuple[ClosureStep, ...]]


@dataclass(frozen=True)
class Verify:
    """验收: passed starts the closure procedure (or closes the case when its source takes no steps), failed sends
    it back to rectification."""

    verifier: str
    passed: bool
    now: datetime
    note: str | None = None
    procedure: Procedure = field(default_factory=dict)


# ---------------------------------------------------------------- the closure procedure (销号工作规程)


@dataclass(frozen=True)
class StartNotice:
    """公示: the result shown to the public until `ends` (the policy's 公示期 from now)."""

    summary: str
    ends: datetime
    days: int | None  # None: the policy gives an exact length
    day_kind: str
    now: datetime


@dataclass(frozen=True)
class ReceiveObjection:
    """System: an objection filed on the public page during 公示 (from intake's ObjectionFiled)."""

    objection_id: str
    text: str
    received_at: datetime
    now: datetime


@dataclass(frozen=True)
class CompleteNotice:
    """公示期满无异议."""

    now: datetime


@dataclass(frozen=True)
class SignOff:
    """审签 by the county leader."""

    leader: str
    now: datetime
    opinion: str | None = None


@dataclass(frozen=True)
class RequestReview:
    """提请复核 by the level above."""

    now: datetime
    note: str | None = None


@dataclass(frozen=True)
class ApplyReview:
    """System: the province's 复核 result; a rejection without a deadline gets `default_deadline`."""

    passed: bool
    reviewer: str
    now: datetime
    opinion: str | None = None
    new_deadline: datetime | None = None
    default_deadline: DeadlineSpec = field(default_factory=DeadlineSpec)


@dataclass(frozen=True)
class Close:
    """销号 once every step of the procedure is done."""

    now: datetime
    note: str | None = None


@dataclass(frozen=True)
class FileClosure:
    """报备: the closure filed upward."""

    filed_to: str
    now: datetime
    note: str | None = None


@dataclass(frozen=True)
class Reopen:
    """回头看 found the problem back."""

    reason: str
    new_deadline: DeadlineSpec
    now: datetime


@dataclass(frozen=True)
class MarkConfidential:
    """不予公开 (confidential) or 恢复公开: whether the public page may list the case, with the reason.

    `by_unit`: asked by the responsible unit (which may withhold its own case, not publish it again)."""

    confidential: bool
    reason: str
    by_unit: bool
    now: datetime


@dataclass(frozen=True)
class WarnDeadline:
    """System: remind the unit when less than `lead` remains before `deadline`."""

    deadline: datetime
    lead: timedelta
    now: datetime


@dataclass(frozen=True)
class MarkDeadlineMissed:
    """System: `deadline` has passed."""

    deadline: datetime
    now: datetime


Command = (
    OpenCase
    | Assign
    | Supervise
    | ReportProgress
    | ExtendDeadline
    | RequestClosure
    | Verify
    | Reopen
    | StartNotice
    | ReceiveObjection
    | CompleteNotice
    | SignOff
    | RequestReview
    | ApplyReview
    | Close
    | FileClosure
    | MarkConfidential
    | WarnDeadline
    | MarkDeadlineMissed
)
