"""Commands of intake: a report as it came through one of the doors, and what to record of it (登记, 并案)."""

from dataclasses import dataclass

from shared.contracts.codes import Domain, Source
from shared.contracts.intake import Attachment, Channel, DuplicateRule, Location


@dataclass(frozen=True)
class Report:
    """What a report says, whichever door it came through."""

    source: Source
    channel: Channel
    title: str
    description: str
    township: str
    domain: Domain
    location: Location | None = None
    batch: str | None = None
    external_ref: str | None = None
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class ReportIssue:
    """Command: record a newly reported problem (登记)."""

    issue_id: str
    report_id: str
    report: Report


@dataclass(frozen=True)
class LinkDuplicate:
    """Command: record a repeat report of this issue (重复举报并案)."""

    issue_id: str
    report_id: str
    report: Report
    rule: DuplicateRule
    distance_m: int | None = None


Command = ReportIssue | LinkDuplicate


@dataclass(frozen=True)
class FileObjection:
    """Command: record an objection to a case in 公示 (公示异议), from anyone, as its own stream.

    Intake cannot see case statuses: it records the objection for any case id of the right shape, and cases decides
    what becomes of it (an objection to a case not in 公示 is not taken up there)."""

    objection_id: str
    case_id: str
    text: str
