"""The load's reading of a 409: only the case shows whether a command whose answer was lost went through."""

import pytest

from bench import samples
from drill.load import took

ASSIGNED = {"assignment": {"unit": samples.UNIT}, "closure_request": None, "verification": None}


def test_an_assignment_to_the_loads_unit_is_taken() -> None:
    assert took("assign", ASSIGNED)


@pytest.mark.parametrize(
    "case",
    [
        {"assignment": None, "closure_request": None, "verification": None},
        {"assignment": {"unit": "另一个单位"}, "closure_request": None, "verification": None},
    ],
)
def test_a_case_moved_by_something_else_is_not_taken(case: dict[str, object]) -> None:
    assert not took("assign", case)


def test_closure_steps_are_taken_only_when_the_case_shows_them() -> None:
    assert not took("request-closure", ASSIGNED)
    assert not took("verify", ASSIGNED)
    requested = {**ASSIGNED, "closure_request": {"summary": "已按要求整改完毕"}}
    assert took("request-closure", requested)
    assert not took("verify", requested)
    assert took("verify", {**requested, "verification": {"passed": True}})


def test_a_command_the_load_never_sends_is_an_error() -> None:
    with pytest.raises(ValueError):
        took("reopen", ASSIGNED)
