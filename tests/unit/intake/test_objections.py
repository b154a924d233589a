"""公示异议 as intake takes it: the request's checks and the event it records (pure, no I/O)."""

import uuid

import pytest
from pydantic import ValidationError

from services.intake.commands import FileObjection
from services.intake.objections import objection_filed
from services.intake.schemas import ObjectionIn
from shared.field_messages import chinese


def refusal(body: dict[str, object]) -> tuple[str, str]:
    with pytest.raises(ValidationError) as refused:
        ObjectionIn.model_validate(body)
    errors = refused.value.errors()
    assert len(errors) == 1, errors
    return ".".join(str(p) for p in errors[0]["loc"]), chinese(errors[0])


def test_a_case_id_is_taken_in_any_spelling_of_a_uuid_and_the_text_trimmed() -> None:
    case = uuid.uuid4()
    objection = ObjectionIn.model_validate({"case_id": f" {str(case).upper()} ", "text": "\n 整改不实，仍有排污 \n"})
    assert (objection.case_id, objection.text) == (str(case), "整改不实，仍有排污")


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"case_id": "12345", "text": "整改不实，仍有排污"}, "case_id", "问题编号格式不正确"),
        ({"case_id": "", "text": "整改不实，仍有排污"}, "case_id", "问题编号格式不正确"),
        ({"case_id": str(uuid.uuid4()), "text": " 不实 "}, "text", "5"),
        ({"case_id": str(uuid.uuid4()), "text": "实" * 1001}, "text", "1000"),
        ({"case_id": str(uuid.uuid4()), "text": "整改不实\x07仍有排污"}, "text", "控制字符"),
    ],
)
def test_a_malformed_objection_is_refused_in_chinese_naming_its_field(
    body: dict[str, object], field: str, says: str
) -> None:
    where, message = refusal(body)
    assert where == field and says in message, message


def test_the_event_masks_numbers_typed_into_the_text_and_is_received_now_with_its_zone() -> None:
    command = FileObjection(
        objection_id=str(uuid.uuid4()), case_id=str(uuid.uuid4()), text="我电话13912345678，整改没做"
    )
    event = objection_filed(command)
    assert event.text == "我电话【手机号码已隐去】，整改没做"
    assert (event.objection_id, event.case_id) == (command.objection_id, command.case_id)
    assert event.received_at.utcoffset() is not None
