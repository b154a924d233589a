"""What the enforcement API accepts: request bodies, and JSON whose numbers stay exact decimals."""

import json
from collections.abc import Callable, Coroutine
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, PlainValidator, StrictBool, StrictInt, WithJsonSchema
from pydantic_core import PydanticCustomError

from shared.contracts.base import Moment
from shared.contracts.base import Text as readable_text


class _ExactJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            # A JSON number such as 0.1 stays the decimal that was written, never a binary float.
            self._json = json.loads(await self.body(), parse_float=Decimal)
        return self._json


class ExactDecimalRoute(APIRoute):
    """Routes whose JSON bodies are read with exact decimals (FastAPI's custom request class pattern)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def exact(request: Request) -> Response:
            return await handler(_ExactJsonRequest(request.scope, request.receive))

        return exact


def _yuan(value: Any) -> Decimal:
    """An amount of yuan as written: a string ("50000.00") or a JSON number (50000.5); never a float."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            pass
    raise PydanticCustomError("yuan", '金额须为以元为单位的精确数字，例如 "50000.00" 或 50000.5')


# The rules on the amount itself (positive, to the fen) are the domain's: see money.yuan_to_fen.
Yuan = Annotated[
    Decimal,
    PlainValidator(_yuan),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string", "pattern": r"^\d+(\.\d{1,2})?$"}, {"type": "number", "multipleOf": 0.01}],
            "examples": ["50000.00"],
        }
    ),
]
Text = readable_text(2000)
Name = readable_text(50)
Ref = readable_text(100)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EnterpriseIn(Body):
    name: str = Field(min_length=1, max_length=200, description="企业名称")
    credit_code: str = Field(min_length=1, max_length=40, description="统一社会信用代码（18位，GB 32100-2015）")
    address: str = Field(min_length=1, max_length=300, description="企业地址")


class CaseIn(Body):
    """立案."""

    enterprise: EnterpriseIn
    violation: Text = Field(description="违法行为")
    legal_basis: str = Field(min_length=1, max_length=300, description="法律依据，例如《环境保护法》第六十三条")
    officer: Ref = Field(description="承办执法人员")
    issue_id: str | None = Field(default=None, max_length=64, description="来源整改案件（问题编号）")


class PenaltyIn(Body):
    """行政处罚（罚款）."""

    amount: Yuan = Field(description="罚款金额（元）")
    decision_no: Ref = Field(description="行政处罚决定书文号")
    due_date: date = Field(description="缴纳期限")


class PaymentIn(Body):
    """罚款缴纳."""

    penalty_id: Ref
    amount: Yuan = Field(description="缴纳金额（元）")
    paid_on: date


class RectificationOrderIn(Body):
    """责令改正."""

    requirements: Text = Field(description="改正要求")
    served_on: date = Field(description="送达日期")
    deadline: Moment = Field(description="改正期限")


class ReinspectionIn(Body):
    """复查. When `complied` is false the service computes the daily continuous penalty (按日连续处罚)."""

    order_id: Ref
    inspected_on: date
    complied: StrictBool
    note: str | None = Field(default=None, max_length=2000)
    decision_no: str | None = Field(default=None, max_length=100, description="认定拒不改正时：按日连续处罚决定书文号")
    due_date: date | None = Field(default=None, description="认定拒不改正时：该次罚款的缴纳期限")


class ProductionStopIn(Body):
    """责令停产整治."""

    ordered_on: date
    note: str | None = Field(default=None, max_length=2000)


class DetaineeIn(Body):
    name: Name
    days: StrictInt = Field(description="拘留天数")


class DetentionIn(Body):
    """行政拘留."""

    persons: list[DetaineeIn] = Field(max_length=100)
    police_unit: Ref = Field(description="执行拘留的公安机关")


class PersonIn(Body):
    name: Name


class CriminalMeasuresIn(Body):
    """采取刑事强制措施."""

    persons: list[PersonIn] = Field(max_length=100)
    measure: Ref = Field(description="措施，例如刑事拘留")
    police_unit: Ref


class ReferralIn(Body):
    """移送起诉."""

    persons: list[PersonIn] = Field(max_length=100)
    procuratorate: Ref = Field(description="人民检察院")


class CloseIn(Body):
    """结案."""

    outcome: Text = Field(description="结案结果")
