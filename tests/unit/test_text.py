import pytest
from pydantic import BaseModel, ValidationError

from services.accountability.schemas import RevokeIn
from services.cases.schemas import ProgressIn
from shared.contracts.base import PersonName


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
