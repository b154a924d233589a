import unicodedata
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from services.accountability.schemas import RevokeIn
from services.cases.schemas import ProgressIn
from services.enforcement.schemas import EnterpriseIn, ProductionStopIn, ReinspectionIn
from shared.contracts.base import PersonName, has_control_characters


class Note(BaseModel):
    note: PersonName


def test_text_is_trimmed_and_keeps_line_breaks() -> None:
    assert Note(note="  第一行\n第二行\t ").note == "第一行\n第二行"


@pytest.mark.parametrize("value", ["a\x00b", "\x1c", "   ", "\udbba", "x" * 51])
def test_text_refuses_control_characters_lone_surrogates_blanks_and_excess(value: str) -> None:
    with pytest.raises(ValidationError):
        Note(note=value)


def test_the_services_request_bodies_use_it() -> None:
    # A NUL would otherwise reach PostgreSQL's jsonb, which refuses it with a server error.
    with pytest.raises(ValidationError):
        ProgressIn(note="已整改\x00")
    with pytest.raises(ValidationError):
        RevokeIn(reason="\x00")


def test_a_moment_outside_any_plausible_year_is_refused() -> None:
    from datetime import UTC, datetime

    from shared.contracts.base import Moment

    class Deadline(BaseModel):
        at: Moment

    assert Deadline(at=datetime(2027, 1, 1, tzinfo=UTC)).at.year == 2027
    with pytest.raises(ValidationError):
        Deadline.model_validate({"at": "0001-01-01T00:01:01+00:02"})


@pytest.mark.parametrize(
    ("model", "field", "body"),
    [
        (ProductionStopIn, "note", {"ordered_on": "2026-03-02"}),
        (ReinspectionIn, "note", {"order_id": "o-1", "inspected_on": "2026-03-02", "complied": True}),
        (ReinspectionIn, "decision_no", {"order_id": "o-1", "inspected_on": "2026-03-02", "complied": False}),
        (EnterpriseIn, "address", {"name": "某化工有限公司", "credit_code": "91330100MA27XL5X1Q"}),
    ],
)
def test_enforcement_free_text_refuses_control_characters(
    model: type[BaseModel], field: str, body: dict[str, Any]
) -> None:
    # Found by make fuzz on a real enforcement case: 责令停产整治 accepted a note with a control character (409).
    with pytest.raises(ValidationError) as refused:
        model.model_validate({**body, field: "已停产\x00"})
    assert refused.value.errors()[0]["loc"] == (field,)


def test_control_characters_are_exactly_unicodes_controls_and_surrogates_but_line_breaks_and_tabs() -> None:
    """The regular expression that finds them agrees with Unicode's categories on every code point."""
    for code in range(0x110000):
        char = chr(code)
        expected = unicodedata.category(char) in ("Cc", "Cs") and char not in "\n\r\t"
        assert has_control_characters(f"文{char}字") is expected, hex(code)
