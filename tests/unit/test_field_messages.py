"""A refused field's message is Chinese, built from pydantic's own error and its limits."""

import enum
from datetime import date
from decimal import Decimal
from typing import Annotated

import pytest
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from shared.field_messages import chinese


class Kind(enum.StrEnum):
    FINE = "fine"
    ORDER = "order"


class Form(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, Field(min_length=2, max_length=5)] = "标题"
    percent: Annotated[int, Field(ge=0, le=100)] = 0
    amount: Annotated[Decimal, Field(decimal_places=2)] = Decimal("1")
    items: Annotated[list[str], Field(min_length=1)] = ["a"]
    kind: Kind = Kind.FINE
    day: date = date(2026, 12, 1)
    at: AwareDatetime | None = None
    code: Annotated[str, Field(pattern=r"^\d{3}$")] = "123"
    unit: str = "城关镇人民政府"

    @field_validator("unit")
    @classmethod
    def known(cls, value: str) -> str:
        if value == "nobody":
            raise ValueError("未知的责任单位")
        if value == "english":
            raise ValueError("some internal reason")
        return value


def message(**given: object) -> str:
    with pytest.raises(ValidationError) as refused:
        Form.model_validate(given)
    (error,) = refused.value.errors()
    return chinese(error)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"title": "短"}, "至少 2 个字"),
        ({"title": "太长的一个标题"}, "最多 5 个字"),
        ({"percent": 101}, "应不大于 100"),
        ({"percent": -1}, "应不小于 0"),
        ({"percent": "很多"}, "应为整数"),
        ({"amount": "1.234"}, "最多 2 位小数"),
        ({"amount": "一千"}, "应为数字"),
        ({"items": []}, "至少 1 项"),
        ({"kind": "jail"}, "应为以下之一：'fine'、'order'"),
        ({"day": "明天"}, "日期格式不正确（例如 2026-12-01）"),
        ({"at": "2026-12-01T18:00:00"}, "须带时区（例如 +08:00）"),
        ({"code": "12a"}, "格式不正确"),
        ({"unit": "nobody"}, "未知的责任单位"),
        ({"unit": "english"}, "格式不正确"),
        ({"surprise": 1}, "不接受此字段"),
    ],
)
def test_each_refusal_reads_in_chinese_with_its_limit(given: dict[str, object], expected: str) -> None:
    assert message(**given) == expected


def test_a_missing_field_is_required_and_an_unknown_error_type_is_still_chinese() -> None:
    class Required(BaseModel):
        name: str

    with pytest.raises(ValidationError) as refused:
        Required.model_validate({})
    assert chinese(refused.value.errors()[0]) == "必填"
    assert chinese({"type": "some_future_type", "msg": "English", "ctx": {}}) == "格式不正确"
