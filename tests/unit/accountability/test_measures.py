"""Measures against units and officials: imposing, revoking, and the refusals."""

from typing import Any

import pytest

from services.accountability.commands import ImposeMeasure, RevokeMeasure
from services.accountability.domain.measures import decide, evolve
from shared.contracts.accountability import Authority, MeasureImposed, MeasureRevoked, Target, TargetKind
from shared.contracts.codes import MeasureKind
from shared.errors import Forbidden, InvalidCommand, NotFound, RuleViolation

PERSON = {"target_kind": TargetKind.PERSON, "unit": "城关镇人民政府", "name": "张三", "post": "镇长"}


def impose(**changes: Any) -> ImposeMeasure:
    fields: dict[str, Any] = {
        "measure_id": "m-1",
        **PERSON,
        "measure": "admonishment_talk",
        "reason": "河道采砂问题整改超期两次",
        "imposed_by": "county-discipline",
        "authority": Authority.DISCIPLINE,
        "case_ids": ["case-1", "case-2", "case-1"],
    }
    fields.update(changes)
    return ImposeMeasure(**fields)


def revoke(
    reason: str = "对象有误", authority: Authority = Authority.DISCIPLINE, measure_id: str = "m-1"
) -> RevokeMeasure:
    return RevokeMeasure(measure_id=measure_id, reason=reason, authority=authority)


def test_a_measure_on_a_person_names_the_person_the_post_and_the_unit() -> None:
    [event] = decide(impose(), None)
    assert event == MeasureImposed(
        measure_id="m-1",
        target=Target(kind=TargetKind.PERSON, unit="城关镇人民政府", name="张三", post="镇长"),
        measure=MeasureKind.ADMONISHMENT_TALK,
        reason="河道采砂问题整改超期两次",
        case_ids=["case-1", "case-2"],
        imposed_by="county-discipline",
        authority=Authority.DISCIPLINE,
    )


def test_a_criticism_notice_can_be_imposed_on_a_unit() -> None:
    [event] = decide(impose(target_kind=TargetKind.UNIT, name=None, post=None, measure="criticism_notice"), None)
    assert isinstance(event, MeasureImposed)
    assert event.target == Target(kind=TargetKind.UNIT, unit="城关镇人民政府")


def test_an_unknown_measure_kind_is_refused_with_the_kinds_there_are() -> None:
    with pytest.raises(InvalidCommand) as caught:
        decide(impose(measure="public_shaming"), None)
    assert caught.value.field == "measure"
    assert "public_shaming" in caught.value.message and "written_self_criticism（书面检查）" in caught.value.message


def test_a_person_measure_without_a_person_is_refused() -> None:
    with pytest.raises(InvalidCommand) as caught:
        decide(impose(target_kind=TargetKind.UNIT, name=None, post=None, measure="written_self_criticism"), None)
    assert caught.value.field == "target"
    assert "书面检查" in caught.value.message


@pytest.mark.parametrize(("missing", "field"), [("name", "target.name"), ("post", "target.post")])
def test_a_person_without_a_name_or_a_post_is_refused(missing: str, field: str) -> None:
    with pytest.raises(InvalidCommand) as caught:
        decide(impose(**{missing: "  "}), None)
    assert caught.value.field == field


def test_a_unit_target_with_a_name_is_refused() -> None:
    with pytest.raises(InvalidCommand) as caught:
        decide(impose(target_kind=TargetKind.UNIT, measure="collective_summons"), None)
    assert caught.value.field == "target"


def test_a_measure_without_a_reason_is_refused() -> None:
    with pytest.raises(InvalidCommand) as caught:
        decide(impose(reason="   "), None)
    assert caught.value.field == "reason"


def test_a_measure_is_revoked_with_a_reason() -> None:
    state = evolve(None, decide(impose(), None)[0])
    [event] = decide(revoke(), state)
    assert event == MeasureRevoked(measure_id="m-1", reason="对象有误")
    assert evolve(state, event).revoked == event


def test_revoking_twice_is_refused() -> None:
    state = evolve(None, decide(impose(), None)[0])
    state = evolve(state, decide(revoke(), state)[0])
    with pytest.raises(RuleViolation) as caught:
        decide(revoke("再次撤销"), state)
    assert caught.value.code == "measure_already_revoked"


def test_revoking_an_unknown_measure_is_not_found() -> None:
    with pytest.raises(NotFound):
        decide(revoke(measure_id="m-404"), None)


def test_revoking_without_a_reason_is_refused() -> None:
    state = evolve(None, decide(impose(), None)[0])
    with pytest.raises(InvalidCommand) as caught:
        decide(revoke(""), state)
    assert caught.value.field == "reason"


def test_a_measure_cannot_be_imposed_twice_under_one_id() -> None:
    state = evolve(None, decide(impose(), None)[0])
    with pytest.raises(RuleViolation):
        decide(impose(), state)


# 问责权限: the 督察办 issues criticism notices only, and revokes only its own.

OFFICE = Authority.INSPECTION_OFFICE
NOTICE = {"target_kind": TargetKind.UNIT, "name": None, "post": None, "measure": "criticism_notice"}


@pytest.mark.parametrize("kind", [k for k in MeasureKind if k is not MeasureKind.CRITICISM_NOTICE])
def test_the_inspection_office_may_not_impose_a_measure_other_than_a_criticism_notice(kind: MeasureKind) -> None:
    target = NOTICE if kind is MeasureKind.COLLECTIVE_SUMMONS else {}
    with pytest.raises(Forbidden) as caught:
        decide(impose(**{**target, "measure": kind.value, "authority": OFFICE}), None)
    assert "纪委监委" in caught.value.message


def test_the_inspection_office_issues_a_criticism_notice_in_its_own_name() -> None:
    [event] = decide(impose(**NOTICE, authority=OFFICE), None)
    assert isinstance(event, MeasureImposed) and event.authority is OFFICE


def test_the_inspection_office_may_not_revoke_a_measure_of_the_discipline_commission() -> None:
    for imposed in (impose(), impose(**NOTICE)):
        state = evolve(None, decide(imposed, None)[0])
        with pytest.raises(Forbidden) as caught:
            decide(revoke(authority=OFFICE), state)
        assert "纪委监委" in caught.value.message


def test_a_measure_recorded_without_its_authority_is_the_discipline_commissions() -> None:
    old = MeasureImposed(
        measure_id="m-1",
        target=Target(kind=TargetKind.UNIT, unit="城关镇人民政府"),
        measure=MeasureKind.CRITICISM_NOTICE,
        reason="通报",
        imposed_by="督察办",
    )
    with pytest.raises(Forbidden):
        decide(revoke(authority=OFFICE), evolve(None, old))
    assert decide(revoke(), evolve(None, old)) == [MeasureRevoked(measure_id="m-1", reason="对象有误")]


def test_a_criticism_notice_of_the_inspection_office_is_revoked_by_the_office_or_the_commission() -> None:
    state = evolve(None, decide(impose(**NOTICE, authority=OFFICE), None)[0])
    for authority in (OFFICE, Authority.DISCIPLINE):
        assert decide(revoke(authority=authority), state) == [MeasureRevoked(measure_id="m-1", reason="对象有误")]
