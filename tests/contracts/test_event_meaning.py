"""What each event means to a person is written once, in the contracts: its label and, for a case event, its status."""

from datetime import UTC, datetime

import pytest

from shared.contracts import EVENT_TYPES, Event, label_of
from shared.contracts.base import has_control_characters
from shared.contracts.cases import EVENTS as CASE_EVENTS
from shared.contracts.cases import STATUS_AFTER, Closed, ClosureRejected, DeadlineMissed, Leader, status_after
from shared.contracts.codes import CaseStatus
from shared.contracts.province import ProvinceAssignment

EVERY_EVENT: list[type[Event]] = sorted({*EVENT_TYPES.values(), ProvinceAssignment}, key=lambda cls: cls.event_type())


@pytest.mark.parametrize("event", EVERY_EVENT, ids=lambda cls: cls.event_type())
def test_every_event_type_sets_its_own_zh_cn_label(event: type[Event]) -> None:
    own = next((vars(cls)["label"] for cls in event.__mro__ if "label" in vars(cls)), None)
    assert "label" in vars(event), f"{event.event_type()} has no label of its own (inherits {own!r})"
    assert event.label.strip() and not has_control_characters(event.label)
    assert any("\u4e00" <= char <= "\u9fff" for char in event.label), f"{event.event_type()}: label is not zh-CN"


def test_no_two_event_types_share_a_label() -> None:
    labels = [cls.label for cls in EVERY_EVENT]
    assert len(labels) == len(set(labels))


@pytest.mark.parametrize("event", CASE_EVENTS, ids=lambda cls: cls.event_type())
def test_every_case_event_has_a_status_rule(event: type[Event]) -> None:
    assert event in STATUS_AFTER, f"{event.event_type()}: no rule for the status after it"


def test_only_a_passed_verification_closes_and_the_rest_keep_or_reopen() -> None:
    assert [cls for cls, status in STATUS_AFTER.items() if status is CaseStatus.CLOSED] == [Closed]
    assert STATUS_AFTER[ClosureRejected] is CaseStatus.ASSIGNED
    assert STATUS_AFTER[DeadlineMissed] is None


def test_an_event_that_keeps_the_status_keeps_whatever_it_was() -> None:
    missed = DeadlineMissed(
        deadline=datetime(2026, 6, 1, tzinfo=UTC),
        late_seconds=60,
        unit="县水利局",
        leader=Leader(name="王强", post="副局长"),
        missed_count=1,
    )
    assert status_after(missed, CaseStatus.CLOSURE_REQUESTED) is CaseStatus.CLOSURE_REQUESTED
    assert status_after(missed, None) is None


def test_an_unknown_type_is_shown_as_it_is() -> None:
    assert label_of("Assigned") == "交办"
    assert label_of("SomethingNew") == "SomethingNew"
