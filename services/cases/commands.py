"""Commands on a rectification case (整改案件): what a person or the system asks for.

Every command carries `now`, the moment it is decided at, so that the rules stay pure.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.contracts.cases import Evidence, Leader
from shared.contracts.codes import Domain, Source


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
    leader: Leader
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


@dataclass(frozen=True)
class ReportProgress:
    """反馈."""

    note: str
    now: datetime
    percent: int | None = None


@dataclass(frozen=True)
class ExtendDeadline:
    """延期: a later deadline, approved by someone."""

    new_deadline: DeadlineSpec
    reason: str
    approved_by: str
    now: datetime


@dataclass(frozen=True)
class RequestClosure:
    """申请销号 with evidence."""

    summary: str
    evidence: tuple[Evidence, ...]
    now: datetime


@dataclass(frozen=True)
class Verify:
    """验收: passed closes the case (销号), failed sends it back to rectification."""

    verifier: str
    passed: bool
    now: datetime
    note: str | None = None


@dataclass(frozen=True)
class Reopen:
    """回头看 found the problem back."""

    reason: str
    new_deadline: DeadlineSpec
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
    | WarnDeadline
    | MarkDeadlineMissed
)
