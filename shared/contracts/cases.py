"""Events on `cases.events`: the rectification case (整改案件) from 交办 to 销号.

The case id is the issue id; every event below is in that one stream, which is the
case's audit trail.

Schema versions: 交办 (Assigned) and 重新交办 (Reassigned) are at version 2, whose 包案领导 says how the unit
reaches the leader for the case (`AssignedLeader.liaison`). Their version-1 shapes stay below (`AssignedV1`,
`ReassignedV1`), as they were recorded, to describe the messages already stored and on the topic; `UPCASTERS`
reads a version-1 payload as version 2.
"""

import re
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, AwareDatetime, Field

from shared.contracts.base import Contract, Event, Readable, Upcaster
from shared.contracts.codes import CLOSURE_STEP_STATUS, CaseStatus, ClosureStep, Domain, Source


class Leader(Contract):
    """包案领导: the leader answerable for the case, by name and post (as the deadline events name them)."""

    name: Annotated[str, Field(min_length=1, max_length=50), Readable]
    post: Annotated[str, Field(min_length=1, max_length=100), Readable]


# Seven digits or more, however spaced or hyphenated (full-width ones too): a telephone number, not an office.
_PHONE_NUMBER = re.compile(r"\d(?:[\s\-－—.()（）+]*\d){6,}")


def _no_phone_number(value: str) -> str:
    if _PHONE_NUMBER.search(value):
        raise ValueError("不能填写电话号码（事件永久保存、无法删除）；请填写办公室或联络人，例如“县政府办公室督查科”")
    return value


# 联络渠道: the office or liaison through which the unit reaches the leader for the case; never a phone number.
Liaison = Annotated[str, Field(min_length=1, max_length=100), Readable, AfterValidator(_no_phone_number)]


class AssignedLeader(Leader):
    """包案领导 as 交办 names the leader (since schema version 2): name, post, and 联络渠道.

    `liaison` is the office or liaison (联络人) through which the responsible unit reaches the leader for the case,
    e.g. "县政府办公室督查科". It is never a personal phone number, nor any phone number: events are never erased
    (the case's audit trail, hash-chained), so a number put in one could never be taken back; `Liaison` refuses
    seven digits or more. It is null when no liaison was given, and in every 交办 recorded before version 2.
    The key is required in a version-2 payload (null or text): a version-1 payload, which lacks it, cannot pass
    for version 2 and is read through the upcaster.
    """

    liaison: Liaison | None

    def named(self) -> Leader:
        """The leader as the deadline events name them (name and post): those events keep their version 1."""
        return Leader(name=self.name, post=self.post)


class Evidence(Contract):
    """佐证材料 or a progress photo: what it shows, the file's name, the SHA-256 of a file uploaded to the case."""

    description: Annotated[str, Field(min_length=1, max_length=500), Readable]
    file_name: Annotated[str, Field(min_length=1, max_length=255), Readable]
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class CaseOpened(Event):
    """A reported problem became a rectification case."""

    label: ClassVar[str] = "立案"

    case_id: str
    source: Source
    title: str
    township: str
    domain: Domain
    batch: str | None = None
    external_ref: str | None = None
    reported_at: AwareDatetime


# ---------------------------------------------------------------- 交办 at schema version 1


class AssignedV1(Event):
    """交办 at schema version 1, as recorded: the leader by name and post only.

    Never changes: it is the shape of the version-1 messages stored and on the topic. It describes them (the
    AsyncAPI document) and is not decoded: they are read as Assigned through `leader_gains_liaison`. Assigned is
    this shape with version 2's change, so the change is written once and the versions cannot drift apart.
    """

    schema_version: ClassVar[int] = 1
    label: ClassVar[str] = "交办"

    problem: str
    task: str
    unit: str
    leader: Leader
    deadline: AwareDatetime
    measures: str
    deadline_working_days: int | None = None

    @classmethod
    def event_type(cls) -> str:
        return "Assigned"


class ReassignedV1(Event):
    """重新交办 at schema version 1, as recorded: the leader by name and post only (see AssignedV1)."""

    schema_version: ClassVar[int] = 1
    label: ClassVar[str] = "重新交办"

    problem: str
    task: str
    unit: str
    leader: Leader
    deadline: AwareDatetime
    measures: str
    previous_unit: str
    reason: str | None = None
    deadline_working_days: int | None = None

    @classmethod
    def event_type(cls) -> str:
        return "Reassigned"


class Assigned(AssignedV1):
    """交办 with the 五定: problem, target task, responsible unit, leader, deadline, reward and penalty.

    Schema version 2: version 1 (AssignedV1) with the one change, the leader with 联络渠道 (AssignedLeader).
    """

    schema_version: ClassVar[int] = 2
    label: ClassVar[str] = "交办"

    leader: AssignedLeader


class Reassigned(ReassignedV1):
    """交办 again while open: the new 五定 replace the old ones, which stay in the history.

    Schema version 2, as Assigned: version 1 (ReassignedV1) with the leader with 联络渠道.
    """

    schema_version: ClassVar[int] = 2
    label: ClassVar[str] = "重新交办"

    leader: AssignedLeader


class Supervised(Event):
    """督办: a supervision letter, perhaps bringing the deadline forward."""

    label: ClassVar[str] = "督办"

    note: str
    letter_no: str | None = None
    new_deadline: AwareDatetime | None = None
    deadline_working_days: int | None = Field(default=None, description="new_deadline counted as 工作日 from then")


class ProgressReported(Event):
    """反馈: the unit reports progress."""

    label: ClassVar[str] = "进展反馈"

    note: str
    percent: int | None = Field(default=None, ge=0, le=100)
    photos: list[Evidence] = Field(
        default_factory=list, description="现场照片: files uploaded to the case; empty in events recorded before"
    )


class DeadlineExtended(Event):
    """延期: a later deadline, with the reason and who approved it."""

    label: ClassVar[str] = "延期"

    previous_deadline: AwareDatetime
    new_deadline: AwareDatetime
    reason: str
    approved_by: str
    deadline_working_days: int | None = Field(default=None, description="new_deadline counted as 工作日 from then")


class ClosureRequested(Event):
    """申请销号: what was done, with evidence."""

    label: ClassVar[str] = "申请销号"

    summary: str
    evidence: list[Evidence] = Field(min_length=1)


class Closed(Event):
    """销号: verification passed (a source with no closure steps), or every step of the closure procedure done."""

    label: ClassVar[str] = "销号"

    verifier: str
    note: str | None = None
    unit: str


class ClosureRejected(Event):
    """验收不通过: the case is back in progress."""

    label: ClassVar[str] = "验收不通过"

    verifier: str
    reason: str
    unit: str


class Reopened(Event):
    """回头看 found the problem back: the case is open again with a new deadline."""

    label: ClassVar[str] = "回头看重新打开"

    reason: str
    new_deadline: AwareDatetime
    unit: str
    deadline_working_days: int | None = Field(default=None, description="new_deadline counted as 工作日 from then")


class DeadlineApproaching(Event):
    """整改时限临近: a reminder before the breach."""

    label: ClassVar[str] = "整改时限临近"

    deadline: AwareDatetime
    remaining_seconds: int
    unit: str
    leader: Leader


class DeadlineMissed(Event):
    """超期: the deadline passed and the case was not closed. Once per deadline."""

    label: ClassVar[str] = "超期"

    deadline: AwareDatetime
    late_seconds: int
    unit: str
    leader: Leader
    missed_count: int = Field(ge=1, description="how many deadlines of this case have been missed so far")


# ---------------------------------------------------------------- 交办函: the letters, in their own stream per year


def letter_stream(year: int) -> str:
    """The year's 交办函 stream `assignment-letters:<year>`: its version is the letter's sequence number."""
    return f"assignment-letters:{year}"


class AssignmentLetterIssued(Event):
    """交办函: the letter of one 交办 (or 重新交办), numbered per year, e.g. 交办函〔2026〕12号.

    Not in a case's stream: in the year's stream (`letter_stream`), appended in the transaction of the case's
    Assigned or Reassigned, so the stream's version is `seq`: unique and without gaps per year, whatever the number
    of writers (the events table's key refuses a second letter at one version). It repeats the 五定 as the letter
    states them, so the letter reads the same after a later 重新交办.
    """

    label: ClassVar[str] = "交办函"

    letter_no: str
    year: int = Field(ge=2000, le=2999)
    seq: int = Field(ge=1)
    case_id: str
    assignment_event_id: str = Field(description="the Assigned or Reassigned event the letter states")
    reassigned: bool
    problem: str
    task: str
    unit: str
    leader: AssignedLeader
    deadline: AwareDatetime
    measures: str


# ---------------------------------------------------------------- the closure procedure (销号工作规程)
#
# After 验收 passes, a case goes through the steps its source required at that moment (VerificationPassed.steps,
# fixed then from the county's policy, so that a later policy change does not alter a case in flight and a replay
# gives the same state), in order, each its own event; then 销号 (Closed) and 报备 (ClosureFiled). Every event that
# ends a step says which steps remain, so the status after it is known from the event alone (`status_after`).


def next_status(remaining: list[ClosureStep]) -> CaseStatus:
    """The status a case waits in when `remaining` steps are left: the first one's, or 待销号 when none is."""
    return CLOSURE_STEP_STATUS[remaining[0]] if remaining else CaseStatus.AWAITING_CLOSURE


class VerificationPassed(Event):
    """验收通过: the case now goes through `steps` (公示, 审签, 复核 as its source requires) before 销号.

    A source whose policy has no steps is closed at once by a passed 验收 (Closed), as before this procedure."""

    label: ClassVar[str] = "验收通过"

    verifier: str
    note: str | None = None
    unit: str
    steps: list[ClosureStep] = Field(min_length=1, description="the procedure's steps, in order, fixed at 验收")

    def remaining_steps(self) -> list[ClosureStep]:
        return list(self.steps)


class NoticeStarted(Event):
    """公示: the rectification result is shown to the public from `starts` until `ends`."""

    label: ClassVar[str] = "公示"

    starts: AwareDatetime
    ends: AwareDatetime
    days: int | None = Field(ge=1, description="公示期 in `day_kind` days; null when the policy gives an exact length")
    day_kind: str = Field(description="calendar (自然日), working (工作日), or length (exact: `ends` says it)")
    summary: Annotated[str, Field(min_length=1, max_length=2000), Readable] = Field(
        description="公示内容: what the public page shows"
    )


class ObjectionReceived(Event):
    """收到公示异议: an objection during 公示 puts the case back to the 督察办 (待验收) with the objection attached.

    The 督察办 verifies again: passed starts the steps again from the first, failed sends the case back to the unit."""

    label: ClassVar[str] = "收到公示异议"

    objection_id: str
    text: str
    received_at: AwareDatetime


class NoticeCompleted(Event):
    """公示期满无异议."""

    label: ClassVar[str] = "公示期满"

    notice_ended: AwareDatetime
    remaining: list[ClosureStep] = Field(description="the steps still to take, in order")

    def remaining_steps(self) -> list[ClosureStep]:
        return list(self.remaining)


class SignedOff(Event):
    """审签: the responsible county leader signs the closure off."""

    label: ClassVar[str] = "审签"

    leader: str = Field(description="审签领导 (the signing account)")
    opinion: str | None = None
    remaining: list[ClosureStep] = Field(description="the steps still to take, in order")

    def remaining_steps(self) -> list[ClosureStep]:
        return list(self.remaining)


class ReviewRequested(Event):
    """提请复核: the closure goes to the level above (the province) for review; the case waits for its result."""

    label: ClassVar[str] = "提请复核"

    note: str | None = None
    source: Source
    title: str
    unit: str
    summary: str | None = Field(default=None, description="整改情况, as the unit reported it")


class ReviewPassed(Event):
    """复核通过 (from the province)."""

    label: ClassVar[str] = "复核通过"

    reviewer: str
    opinion: str | None = None
    remaining: list[ClosureStep] = Field(description="the steps still to take, in order")

    def remaining_steps(self) -> list[ClosureStep]:
        return list(self.remaining)


class ReviewRejected(Event):
    """复核不通过 (from the province): the case is rectified again, to a new deadline."""

    label: ClassVar[str] = "复核不通过"

    reviewer: str
    reason: str
    unit: str
    new_deadline: AwareDatetime
    deadline_working_days: int | None = Field(default=None, description="new_deadline counted as 工作日 from then")


class ClosureFiled(Event):
    """报备: the closure filed upward (to the province) after 销号."""

    label: ClassVar[str] = "销号报备"

    filed_to: str = Field(description="报备对象, e.g. 省生态环境厅")
    note: str | None = None


# ---------------------------------------------------------------- 信息公开: withholding a case from the public page


class MarkedConfidential(Event):
    """不予公开 (confidential) or 恢复公开 (not): whether the public page (信息公开) may list the case, and why.

    The latest one counts; a case never marked is public. The status does not change. Projections read
    `confidential` as true when absent (read_tables/public.py), so the field is always written."""

    label: ClassVar[str] = "信息公开设置"

    confidential: bool = Field(description="true: 不予公开; false: 恢复公开")
    reason: Annotated[str, Field(min_length=1, max_length=500), Readable]

    def shown_as(self) -> str:
        """不予公开 or 恢复公开, as the case page and the timeline name it."""
        return "不予公开" if self.confidential else "恢复公开"


# ---------------------------------------------------------------- upcasting


def leader_gains_liaison(data: dict[str, Any]) -> dict[str, Any]:
    """Assigned or Reassigned version 1 → 2: a version-1 交办 never asked for a 联络渠道, so its leader's is null.

    Pure: returns a new payload and leaves `data` as it was (the stored event is never rewritten; its hash covers
    the bytes as stored). A version-1 leader that already has a `liaison` was never a version-1 payload: refused.
    """
    leader = data.get("leader")
    if not isinstance(leader, dict):
        return data  # the version-2 validation refuses it, naming the field
    if "liaison" in leader:
        raise ValueError("a version-1 leader has no liaison")
    return {**data, "leader": {**leader, "liaison": None}}


# (type, schema_version) -> the function reading that version's payload as the next one's.
UPCASTERS: dict[tuple[str, int], Upcaster] = {
    ("Assigned", 1): leader_gains_liaison,
    ("Reassigned", 1): leader_gains_liaison,
}

# The earlier shapes of this topic's events, still on it: each (type, version) of them has an upcaster above.
EARLIER: tuple[type[Event], ...] = (AssignedV1, ReassignedV1)


EVENTS: tuple[type[Event], ...] = (
    CaseOpened,
    Assigned,
    Reassigned,
    Supervised,
    ProgressReported,
    DeadlineExtended,
    ClosureRequested,
    Closed,
    ClosureRejected,
    Reopened,
    DeadlineApproaching,
    DeadlineMissed,
    AssignmentLetterIssued,
    VerificationPassed,
    NoticeStarted,
    ObjectionReceived,
    NoticeCompleted,
    SignedOff,
    ReviewRequested,
    ReviewPassed,
    ReviewRejected,
    ClosureFiled,
    MarkedConfidential,
)


class AfterStep(StrEnum):
    """A status rule that depends on the event: the status of its first remaining step (`next_status`)."""

    NEXT_STEP = "next_step"


# The status a case is in after each of its events (None: as it was before; NEXT_STEP: the status of the event's
# first remaining step, 待销号 when none remains): the one place this is written.
# Only 销号 (Closed) closes; a failed verification, a rejected review and 回头看 put the case back into rectification;
# an objection during 公示 puts it back to 验收.
STATUS_AFTER: dict[type[Event], CaseStatus | AfterStep | None] = {
    CaseOpened: CaseStatus.REPORTED,
    Assigned: CaseStatus.ASSIGNED,
    Reassigned: CaseStatus.ASSIGNED,
    Supervised: None,
    ProgressReported: None,
    DeadlineExtended: None,
    ClosureRequested: CaseStatus.CLOSURE_REQUESTED,
    Closed: CaseStatus.CLOSED,
    ClosureRejected: CaseStatus.ASSIGNED,
    Reopened: CaseStatus.ASSIGNED,
    DeadlineApproaching: None,
    DeadlineMissed: None,
    AssignmentLetterIssued: None,  # not a case's event: the year's letter stream
    VerificationPassed: AfterStep.NEXT_STEP,
    NoticeStarted: CaseStatus.IN_NOTICE,
    ObjectionReceived: CaseStatus.CLOSURE_REQUESTED,
    NoticeCompleted: AfterStep.NEXT_STEP,
    SignedOff: AfterStep.NEXT_STEP,
    ReviewRequested: CaseStatus.AWAITING_REVIEW,
    ReviewPassed: AfterStep.NEXT_STEP,
    ReviewRejected: CaseStatus.ASSIGNED,
    ClosureFiled: None,
    MarkedConfidential: None,  # withholding from the public page leaves the case where it is
}

# The events whose status is their next step's, and the steps each leaves (one protocol: `remaining_steps()`).
StepEvent = VerificationPassed | NoticeCompleted | SignedOff | ReviewPassed

# The case events that change the status.
STATUS_CHANGING: tuple[type[Event], ...] = tuple(cls for cls, status in STATUS_AFTER.items() if status is not None)


def status_after(event: Event, before: CaseStatus | None) -> CaseStatus | None:
    """The case's status after `event`, given the status before it (None: not known yet)."""
    rule = STATUS_AFTER[type(event)]
    if rule is AfterStep.NEXT_STEP:
        assert isinstance(event, StepEvent), f"{event.event_type()} names no remaining steps"
        return next_status(event.remaining_steps())
    return rule or before
