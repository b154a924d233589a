"""Events on `cases.events`: the rectification case (整改案件) from 交办 to 销号.

The case id is the issue id; every event below is in that one stream, which is the
case's audit trail.
"""

from typing import Annotated, ClassVar

from pydantic import AwareDatetime, Field

from shared.contracts.base import Contract, Event, Readable
from shared.contracts.codes import CaseStatus, Domain, Source


class Leader(Contract):
    """包案领导: the leader answerable for the case."""

    name: Annotated[str, Field(min_length=1, max_length=50), Readable]
    post: Annotated[str, Field(min_length=1, max_length=100), Readable]


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


class Assigned(Event):
    """交办 with the 五定: problem, target task, responsible unit, leader, deadline, reward and penalty."""

    label: ClassVar[str] = "交办"

    problem: str
    task: str
    unit: str
    leader: Leader
    deadline: AwareDatetime
    measures: str
    deadline_working_days: int | None = None


class Reassigned(Event):
    """交办 again while open: the new 五定 replace the old ones, which stay in the history."""

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
    """销号: verification passed."""

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
)


# The status a case is in after each of its events (None: as it was before): the one place this is written.
# Only a passed verification (Closed) closes; a failed one, and 回头看, put the case back into rectification.
STATUS_AFTER: dict[type[Event], CaseStatus | None] = {
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
}

# The case events that change the status.
STATUS_CHANGING: tuple[type[Event], ...] = tuple(cls for cls, status in STATUS_AFTER.items() if status is not None)


def status_after(event: Event, before: CaseStatus | None) -> CaseStatus | None:
    """The case's status after `event`, given the status before it (None: not known yet)."""
    return STATUS_AFTER[type(event)] or before
