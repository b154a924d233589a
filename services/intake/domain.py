"""The reported problem (问题线索) as it enters the county: pure decisions, no I/O."""

from dataclasses import dataclass

from shared.contracts.codes import Domain, Source
from shared.contracts.intake import IssueReported, Location
from shared.errors import RuleViolation


@dataclass(frozen=True)
class ReportIssue:
    """Command: record a newly reported problem."""

    issue_id: str
    source: Source
    title: str
    description: str
    township: str
    domain: Domain
    location: Location | None = None
    batch: str | None = None
    external_ref: str | None = None


@dataclass(frozen=True)
class Issue:
    issue_id: str
    report: IssueReported


def decide(command: ReportIssue, state: Issue | None) -> list[IssueReported]:
    if state is not None:
        raise RuleViolation("already_reported", f"问题 {command.issue_id} 已登记，不能重复登记")
    return [
        IssueReported(
            issue_id=command.issue_id,
            source=command.source,
            title=command.title,
            description=command.description,
            township=command.township,
            domain=command.domain,
            location=command.location,
            batch=command.batch,
            external_ref=command.external_ref,
        )
    ]


def evolve(state: Issue | None, event: IssueReported) -> Issue:
    return Issue(issue_id=event.issue_id, report=event)
