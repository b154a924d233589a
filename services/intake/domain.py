"""The reported problem (问题线索) as it enters the county: pure decisions, no I/O."""

from dataclasses import dataclass, field, replace
from typing import Any

from services.intake.commands import Command, LinkDuplicate, Report, ReportIssue
from shared.aggregate import Decider
from shared.contracts import Event
from shared.contracts.intake import DuplicateReportLinked, IssueReported
from shared.errors import RuleViolation


@dataclass(frozen=True)
class Issue:
    issue_id: str
    report: IssueReported
    repeat_reports: int = 0
    report_ids: frozenset[str] = field(default_factory=frozenset)


def title_from(problem: str) -> str:
    """When no title is given, the problem's first sentence, cut to 30 characters, stands in."""
    first = problem.replace("\n", " ").split("。")[0].strip()
    return first[:30] or problem.strip()[:30]


def decide(command: Command, state: Issue | None) -> list[Event]:
    match command:
        case ReportIssue():
            if state is not None:
                raise RuleViolation("already_reported", f"问题 {command.issue_id} 已登记，不能重复登记")
            return [_reported(command)]
        case LinkDuplicate():
            if state is None:
                raise RuleViolation("issue_unknown", f"问题 {command.issue_id} 不存在，无法并入重复举报")
            if command.report_id in state.report_ids:
                return []  # the same report linked again (a redelivery): already in the history
            return [_linked(command)]


def _described(r: Report) -> dict[str, Any]:
    """The fields a first report and a repeat report both carry."""
    return {
        "source": r.source,
        "channel": r.channel,
        "title": r.title,
        "description": r.description,
        "township": r.township,
        "domain": r.domain,
        "location": r.location,
        "batch": r.batch,
        "external_ref": r.external_ref,
        "attachments": list(r.attachments),
    }


def _reported(command: ReportIssue) -> IssueReported:
    return IssueReported(issue_id=command.issue_id, report_id=command.report_id, **_described(command.report))


def _linked(command: LinkDuplicate) -> DuplicateReportLinked:
    return DuplicateReportLinked(
        issue_id=command.issue_id,
        report_id=command.report_id,
        rule=command.rule,
        distance_m=command.distance_m,
        **_described(command.report),
    )


def evolve(state: Issue | None, event: Event) -> Issue:
    match event:
        case IssueReported():
            return Issue(
                issue_id=event.issue_id,
                report=event,
                report_ids=frozenset({event.report_id or event.issue_id}),
            )
        case DuplicateReportLinked():
            if state is None:
                raise ValueError("an issue stream must start with IssueReported")
            return replace(
                state, repeat_reports=state.repeat_reports + 1, report_ids=state.report_ids | {event.report_id}
            )
    raise ValueError(f"intake does not know how to fold {event.event_type()}")


# The reported problem as one value: what the handler runs every report through.
decider: Decider[Command, Issue | None] = Decider(decide=decide, evolve=evolve, initial=None)
