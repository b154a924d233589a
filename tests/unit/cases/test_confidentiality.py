"""信息公开: withholding a case from the public page (不予公开) and publishing it again (恢复公开)."""

import pytest

from services.cases import domain
from services.cases.commands import MarkConfidential
from services.cases.schemas import history_entry
from shared.contracts.cases import MarkedConfidential, status_after
from shared.contracts.codes import CaseStatus
from shared.envelope import Envelope
from shared.errors import Forbidden, RuleViolation
from tests.unit.cases.builders import NOW, assign, open_case, request_closure, run, verify


def withhold(by_unit: bool = True, reason: str = "涉及未结案的刑事侦查") -> MarkConfidential:
    return MarkConfidential(confidential=True, reason=reason, by_unit=by_unit, now=NOW)


def publish(by_unit: bool = False) -> MarkConfidential:
    return MarkConfidential(confidential=False, reason="侦查终结，可以公开", by_unit=by_unit, now=NOW)


def test_a_case_never_marked_is_public() -> None:
    state, _ = run(open_case(), assign())
    assert state is not None and not domain.is_confidential(state)


def test_the_unit_withholds_its_case_with_the_reason_and_the_status_stays() -> None:
    state, events = run(open_case(), assign(), withhold())
    assert events[-1] == MarkedConfidential(confidential=True, reason="涉及未结案的刑事侦查")
    assert state is not None and domain.is_confidential(state)
    assert state.status is CaseStatus.ASSIGNED
    assert status_after(events[-1], CaseStatus.ASSIGNED) is CaseStatus.ASSIGNED


def test_the_office_publishes_a_withheld_case_again() -> None:
    state, events = run(open_case(), assign(), withhold(), publish())
    assert events[-1] == MarkedConfidential(confidential=False, reason="侦查终结，可以公开")
    assert state is not None and not domain.is_confidential(state)
    assert state.confidential == events[-1]


def test_only_the_office_may_publish_again() -> None:
    with pytest.raises(Forbidden, match="督察办"):
        run(open_case(), assign(), withhold(), publish(by_unit=True))


def test_withholding_twice_is_refused_with_already_confidential() -> None:
    with pytest.raises(RuleViolation) as refused:
        run(open_case(), assign(), withhold(), withhold(by_unit=False))
    assert refused.value.code == "already_confidential"


def test_publishing_a_public_case_is_refused_with_not_confidential() -> None:
    with pytest.raises(RuleViolation) as refused:
        run(open_case(), assign(), publish())
    assert refused.value.code == "not_confidential"


def test_the_office_may_withhold_a_case_before_it_is_assigned() -> None:
    state, _ = run(open_case(), withhold(by_unit=False))
    assert state is not None and domain.is_confidential(state) and state.status is CaseStatus.REPORTED


@pytest.mark.parametrize(
    "before",
    [(), (request_closure(),), (request_closure(), verify())],
    ids=["rectifying", "closure_requested", "closed"],
)
def test_a_case_may_be_withheld_in_any_status_after_assignment(before: tuple[object, ...]) -> None:
    state, _ = run(open_case(), assign(), *before, withhold())  # type: ignore[arg-type]
    assert state is not None and domain.is_confidential(state)


def test_a_withheld_case_goes_on_through_the_loop_and_stays_withheld() -> None:
    state, _ = run(open_case(), assign(), withhold(), request_closure(), verify())
    assert state is not None and state.status is CaseStatus.CLOSED and domain.is_confidential(state)


def test_the_case_history_says_which_way_each_mark_went_with_its_reason() -> None:
    """One event type for both: 办理记录 labelled by the type alone read 信息公开设置 twice, withheld or published."""
    _, events = run(open_case(), assign(), withhold(), publish())
    marks = [e for e in events if isinstance(e, MarkedConfidential)]
    wrapped = [
        Envelope.wrap(mark, stream_id="c-1", stream_version=n, actor="office:li", correlation_id="x", occurred_at=NOW)
        for n, mark in enumerate(marks, start=3)
    ]
    shown = [(entry.label, entry.data["reason"]) for entry in map(history_entry, wrapped)]
    assert shown == [("不予公开", "涉及未结案的刑事侦查"), ("恢复公开", "侦查终结，可以公开")]
    assert history_entry(wrapped[0]).type == "MarkedConfidential"
