"""The issue aggregate (问题线索): decide and evolve, without I/O."""

import pytest

from services.intake.commands import LinkDuplicate, Report, ReportIssue
from services.intake.domain import Issue, decide, evolve, title_from
from shared.aggregate import fold
from shared.contracts.codes import Domain, Source
from shared.contracts.intake import Channel, DuplicateReportLinked, DuplicateRule, IssueReported
from shared.errors import RuleViolation

REPORT = Report(
    source=Source.HOTLINE_12369,
    channel=Channel.HOTLINE_OPERATOR,
    title="河道非法采砂",
    description="夜间采砂",
    township="城关镇",
    domain=Domain.QUARRYING_SAND,
    external_ref="12369-001",
)


def reported() -> Issue:
    [event] = decide(ReportIssue(issue_id="i-1", report_id="r-1", report=REPORT), None)
    return evolve(None, event)


def test_a_new_report_becomes_issue_reported_with_its_channel() -> None:
    [event] = decide(ReportIssue(issue_id="i-1", report_id="r-1", report=REPORT), None)
    assert isinstance(event, IssueReported)
    assert (event.channel, event.report_id, event.external_ref) == (Channel.HOTLINE_OPERATOR, "r-1", "12369-001")


def test_an_issue_cannot_be_reported_twice() -> None:
    with pytest.raises(RuleViolation) as caught:
        decide(ReportIssue(issue_id="i-1", report_id="r-2", report=REPORT), reported())
    assert caught.value.code == "already_reported"


def test_a_repeat_report_is_linked_and_counted() -> None:
    command = LinkDuplicate(
        issue_id="i-1", report_id="r-2", report=REPORT, rule=DuplicateRule.SAME_PLACE, distance_m=40
    )
    [event] = decide(command, reported())
    assert isinstance(event, DuplicateReportLinked)
    assert (event.issue_id, event.channel, event.rule, event.distance_m) == (
        "i-1",
        Channel.HOTLINE_OPERATOR,
        DuplicateRule.SAME_PLACE,
        40,
    )
    assert evolve(reported(), event).repeat_reports == 1


def test_linking_the_same_report_again_adds_nothing() -> None:
    command = LinkDuplicate(issue_id="i-1", report_id="r-2", report=REPORT, rule=DuplicateRule.SAME_PLACE)
    state = fold(evolve, reported(), decide(command, reported()))
    assert decide(command, state) == []


def test_a_repeat_report_of_an_unknown_issue_is_refused() -> None:
    with pytest.raises(RuleViolation):
        decide(LinkDuplicate(issue_id="nope", report_id="r", report=REPORT, rule=DuplicateRule.SAME_PLACE), None)


def test_without_a_title_the_first_sentence_of_the_problem_stands_in() -> None:
    assert title_from("河道内有采砂船夜间作业。河岸被挖空") == "河道内有采砂船夜间作业"
    assert len(title_from("很" * 100)) == 30
