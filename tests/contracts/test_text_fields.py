"""Text in the contracts is text a person typed: no control characters, in nested fields too (issue 12, 17)."""

import pytest
from pydantic import ValidationError

from shared.contracts.cases import Evidence, Leader

EVIDENCE = {"description": "整改后照片", "file_name": "after.jpg", "sha256": "ab" * 32}


@pytest.mark.parametrize("value", ["王\u0000", "\u001b[31m", "\udbba", "a\u007fb"])
def test_a_leader_or_evidence_with_a_control_character_is_refused(value: str) -> None:
    with pytest.raises(ValidationError):
        Leader(name=value, post="城关镇党委书记")
    with pytest.raises(ValidationError):
        Leader(name="王建国", post=value)
    for field in ("description", "file_name"):
        with pytest.raises(ValidationError):
            Evidence.model_validate(EVIDENCE | {field: value})


def test_line_breaks_and_tabs_are_text() -> None:
    assert (
        Evidence.model_validate(EVIDENCE | {"description": "整改前\n整改后\t对比"}).description
        == "整改前\n整改后\t对比"
    )
    assert Leader(name=" 王建国 ", post="书记").name == " 王建国 "  # recorded as typed: no trimming added


def test_the_refusal_says_what_is_wrong_in_chinese() -> None:
    with pytest.raises(ValidationError, match="不能包含控制字符"):
        Leader(name="王\u0000", post="书记")
