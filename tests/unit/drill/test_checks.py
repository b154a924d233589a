"""The drill's checks find every kind of loss and duplicate, and pass a clean run."""

from drill.checks import (
    Finding,
    Record,
    Stored,
    Tally,
    case_streams,
    caught_up,
    consumers_caught_up,
    dead_letters,
    deadlines,
    reports_in_projections,
    reports_on_topic,
)
from drill.main import Stage, summary


def rec(stream: str, version: int, event_id: str, offset: int, type_: str = "Assigned", **payload: object) -> Record:
    return Record("p.cases.events", 0, offset, event_id, type_, stream, version, payload)


HISTORY = {"c1": [Stored("e1", 1, "CaseOpened"), Stored("e2", 2, "Assigned"), Stored("e3", 3, "DeadlineMissed")]}
TOPIC = [rec("c1", 1, "e1", 0, "CaseOpened"), rec("c1", 2, "e2", 1), rec("c1", 3, "e3", 2, "DeadlineMissed")]


def kinds(findings: list[Finding]) -> list[str]:
    return [f.kind for f in findings]


def test_a_history_published_once_in_order_passes() -> None:
    assert case_streams(HISTORY, TOPIC, Tally()) == []


def test_a_redelivered_copy_of_the_same_event_is_counted_but_is_not_a_duplicate() -> None:
    tally = Tally()
    again = [*TOPIC, rec("c1", 2, "e2", 3), rec("c1", 3, "e3", 4, "DeadlineMissed")]
    assert case_streams(HISTORY, again, tally) == []
    assert tally.counts["cases_redelivered_copies"] == 2


def test_a_stored_event_missing_from_the_topic_is_a_loss() -> None:
    assert kinds(case_streams(HISTORY, TOPIC[:2], Tally())) == ["loss"]


def test_a_case_that_never_opened_is_a_loss() -> None:
    assert kinds(case_streams({**HISTORY, "c2": None}, TOPIC, Tally())) == ["loss"]


def test_two_different_events_for_one_version_are_a_duplicate() -> None:
    doubled = [*TOPIC, rec("c1", 2, "other", 3)]
    assert sorted(kinds(case_streams(HISTORY, doubled, Tally()))) == ["duplicate", "order", "phantom"]


def test_events_out_of_stream_order_on_the_topic_are_found() -> None:
    swapped = [TOPIC[0], rec("c1", 3, "e3", 1, "DeadlineMissed"), rec("c1", 2, "e2", 2)]
    assert kinds(case_streams(HISTORY, swapped, Tally())) == ["order"]


def test_every_accepted_report_listed_once_passes_and_a_second_listing_is_a_duplicate() -> None:
    accepted = {"ref-1": "i1", "ref-2": "i2"}
    assert reports_in_projections(accepted, ["i1", "i2"], 2, Tally()) == []
    assert kinds(reports_in_projections(accepted, ["i1", "i2", "i2"], 3, Tally())) == ["duplicate"]


def test_an_accepted_report_missing_from_the_projections_is_a_loss_and_an_unknown_one_a_phantom() -> None:
    accepted = {"ref-1": "i1", "ref-2": "i2"}
    assert kinds(reports_in_projections(accepted, ["i1", "i3"], 2, Tally())) == ["loss", "phantom"]


def test_a_count_that_disagrees_with_the_list_is_found() -> None:
    assert kinds(reports_in_projections({"r": "i1"}, ["i1"], 2, Tally())) == ["duplicate"]


def test_a_report_issued_twice_on_the_intake_topic_is_a_duplicate() -> None:
    accepted = {"r": "i1"}
    once = [Record("p.intake.events", 0, 0, "e1", "IssueReported", "i1", 1)]
    assert reports_on_topic(accepted, once, Tally()) == []
    twice = [*once, Record("p.intake.events", 1, 0, "e9", "IssueReported", "i1", 1)]
    assert kinds(reports_on_topic(accepted, twice, Tally())) == ["duplicate"]


def escalation(event_id: str, offset: int, *triggers: str) -> Record:
    return Record(
        "p.accountability.events",
        0,
        offset,
        event_id,
        "WarningIssued",
        "unit:x",
        offset + 1,
        {"trigger_event_ids": list(triggers)},
    )


def test_each_missed_deadline_with_one_escalation_passes() -> None:
    assert deadlines({"c1"}, set(), HISTORY, TOPIC, [escalation("w1", 0, "e3")], Tally()) == []


def test_a_missed_deadline_escalated_twice_or_never_is_found() -> None:
    twice = [escalation("w1", 0, "e3"), escalation("w2", 1, "e3")]
    assert kinds(deadlines({"c1"}, set(), HISTORY, TOPIC, twice, Tally())) == ["duplicate"]
    assert kinds(deadlines({"c1"}, set(), HISTORY, TOPIC, [], Tally())) == ["loss"]


def test_a_late_case_without_deadline_missed_and_a_closed_case_with_one_are_found() -> None:
    quiet = {"c1": HISTORY["c1"][:2]}
    assert kinds(deadlines({"c1"}, set(), quiet, TOPIC[:2], [], Tally())) == ["loss"]
    assert kinds(deadlines(set(), {"c1"}, HISTORY, TOPIC, [escalation("w1", 0, "e3")], Tally())) == ["phantom"]


def test_projections_behind_the_log_end_are_not_caught_up() -> None:
    assert caught_up({"t": {"0": {"lag": 0}, "1": {"lag": 0}}}) == []
    assert kinds(caught_up({"t": {"0": {"lag": 2}}})) == ["lag"]


def test_the_verdict_names_the_stage_and_the_kind_of_what_was_found() -> None:
    clean = Stage("kill:cases", "kill -9 cases 并重启")
    broken = Stage(
        "kafka", "停止 Kafka", findings=["[case streams] loss: 1 cases with stored events missing from the topic"]
    )
    assert summary([clean]).startswith("演练通过")
    verdict = summary([clean, broken])
    assert verdict.startswith("演练失败") and "loss" in verdict and "停止 Kafka" in verdict


def test_a_consumer_group_behind_the_log_end_is_found() -> None:
    tally = Tally()
    assert consumers_caught_up({"p.cases.intake": {"p.intake.events[0]": 0}}, tally) == []
    stuck = consumers_caught_up({"p.accountability.escalation": {"p.cases.events[1]": 7}}, tally)
    assert kinds(stuck) == ["lag"] and "accountability.escalation" in stuck[0].detail


def test_a_message_on_a_dead_letter_topic_is_a_loss() -> None:
    assert dead_letters([], Tally()) == []
    poisoned = [Record("p.cases.events.dlq", 0, 0, "e7", "Assigned", "c1", 2)]
    assert kinds(dead_letters(poisoned, Tally())) == ["loss"]
