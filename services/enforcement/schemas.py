"""Every request and response of the enforcement API, and how a case or a list row becomes a response.

Requests: JSON bodies whose numbers stay exact decimals (`ExactDecimalRoute`), money in yuan.
Responses: cases, histories, lists and enterprise records in people's terms; money is shown
twice, yuan as an exact decimal string and integer fen.
"""

import json
from collections.abc import Callable, Coroutine
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import asyncpg
from fastapi import Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, PlainValidator, StrictBool, StrictInt, WithJsonSchema
from pydantic_core import PydanticCustomError

from services.enforcement.domain import EnforcementCase, Order, Penalty, Totals
from shared.clock import SHANGHAI, now, shown
from shared.contracts import label_of
from shared.contracts.base import Moment, Note, PersonName, Readable, ShortText
from shared.contracts.codes import CASE_STATUS_LABELS, CaseStatus
from shared.contracts.enforcement import (
    CriminalMeasuresTaken,
    DetentionOrdered,
    Enterprise,
    PenaltyBasis,
    ReferredForProsecution,
)
from shared.contracts.money import fen_to_yuan
from shared.envelope import Envelope


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


# The rules on the amount itself (positive, to the fen) are the domain's: see domain.money.yuan_to_fen.
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


# What the API accepts.


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EnterpriseIn(Body):
    name: Annotated[str, Readable] = Field(min_length=1, max_length=200, description="企业名称")
    credit_code: Annotated[str, Readable] = Field(
        min_length=1, max_length=40, description="统一社会信用代码（18位，GB 32100-2015）"
    )
    address: Annotated[str, Readable] = Field(min_length=1, max_length=300, description="企业地址")


class CaseIn(Body):
    """立案."""

    enterprise: EnterpriseIn
    violation: Note = Field(description="违法行为")
    legal_basis: Annotated[str, Readable] = Field(
        min_length=1, max_length=300, description="法律依据，例如《环境保护法》第六十三条"
    )
    officer: ShortText = Field(description="承办执法人员")
    issue_id: Annotated[str, Readable] | None = Field(
        default=None, max_length=64, description="来源整改案件（问题编号）"
    )


class PenaltyIn(Body):
    """行政处罚（罚款）."""

    amount: Yuan = Field(description="罚款金额（元）")
    decision_no: ShortText = Field(description="行政处罚决定书文号")
    due_date: date = Field(description="缴纳期限")


class PaymentIn(Body):
    """罚款缴纳."""

    penalty_id: ShortText
    amount: Yuan = Field(description="缴纳金额（元）")
    paid_on: date


class RectificationOrderIn(Body):
    """责令改正."""

    requirements: Note = Field(description="改正要求")
    served_on: date = Field(description="送达日期")
    deadline: Moment = Field(description="改正期限")


class ReinspectionIn(Body):
    """复查. When `complied` is false the service computes the daily continuous penalty (按日连续处罚)."""

    order_id: ShortText
    inspected_on: date
    complied: StrictBool
    note: Annotated[str, Readable] | None = Field(default=None, max_length=2000)
    decision_no: Annotated[str, Readable] | None = Field(
        default=None, max_length=100, description="认定拒不改正时：按日连续处罚决定书文号"
    )
    due_date: date | None = Field(default=None, description="认定拒不改正时：该次罚款的缴纳期限")


class ProductionStopIn(Body):
    """责令停产整治."""

    ordered_on: date
    note: Annotated[str, Readable] | None = Field(default=None, max_length=2000)


class DetaineeIn(Body):
    name: PersonName
    days: StrictInt = Field(description="拘留天数")


class DetentionIn(Body):
    """行政拘留."""

    persons: list[DetaineeIn] = Field(max_length=100)
    police_unit: ShortText = Field(description="执行拘留的公安机关")


class PersonIn(Body):
    name: PersonName


class CriminalMeasuresIn(Body):
    """采取刑事强制措施."""

    persons: list[PersonIn] = Field(max_length=100)
    measure: ShortText = Field(description="措施，例如刑事拘留")
    police_unit: ShortText


class ReferralIn(Body):
    """移送起诉."""

    persons: list[PersonIn] = Field(max_length=100)
    procuratorate: ShortText = Field(description="人民检察院")


class CloseIn(Body):
    """结案."""

    outcome: Note = Field(description="结案结果")


# What the API answers.


CASE_STATUS = {"open": "办理中", "closed": "已结案"}
BASIS_LABELS = {PenaltyBasis.FINE: "罚款", PenaltyBasis.DAILY_CONTINUOUS: "按日连续处罚"}


class PenaltyOut(BaseModel):
    penalty_id: str
    basis: PenaltyBasis
    basis_label: str
    decision_no: str
    amount: Decimal
    amount_fen: int
    paid: Decimal
    paid_fen: int
    outstanding: Decimal
    outstanding_fen: int
    due_date: date | None
    overdue: bool
    period_start: date | None = None
    period_end: date | None = None
    days: int | None = None
    daily_amount: Decimal | None = None
    daily_amount_fen: int | None = None
    order_id: str | None = None
    original_penalty_id: str | None = None


class ReinspectionOut(BaseModel):
    inspected_on: date
    complied: bool
    result_label: str
    note: str | None


class OrderOut(BaseModel):
    order_id: str
    requirements: str
    served_on: date
    deadline: str
    status: str
    status_label: str
    reinspections: list[ReinspectionOut]


class RectificationCaseOut(BaseModel):
    """整改案件: the rectification case this enforcement case came from, as cases.events last told it."""

    issue_id: str
    status: CaseStatus | None
    status_label: str
    as_of: str | None


class TotalsOut(BaseModel):
    penalty_total: Decimal
    penalty_total_fen: int
    paid_total: Decimal
    paid_total_fen: int
    outstanding_total: Decimal
    outstanding_total_fen: int
    daily_penalty_rounds: int
    detained_persons: int
    criminal_measure_persons: int
    referred_persons: int


class CaseOut(BaseModel):
    case_id: str
    status: str
    status_label: str
    enterprise: Enterprise
    violation: str
    legal_basis: str
    officer: str
    issue_id: str | None
    rectification_case: RectificationCaseOut | None
    opened_at: str
    opened_by: str
    closed_at: str | None
    outcome: str | None
    penalties: list[PenaltyOut]
    rectification_orders: list[OrderOut]
    production_stopped_on: date | None
    detentions: list[DetentionOrdered]
    criminal_measures: list[CriminalMeasuresTaken]
    referrals: list[ReferredForProsecution]
    totals: TotalsOut
    version: int


class EventOut(BaseModel):
    version: int
    type: str
    label: str
    occurred_at: str
    actor: str
    correlation_id: str
    payload: dict[str, Any]


class HistoryOut(BaseModel):
    case_id: str
    events: list[EventOut]


class CommandResult(BaseModel):
    """What a command did: the events it appended and the case's version after them."""

    case_id: str
    version: int
    message: str
    events: list[EventOut]


class CaseSummaryOut(BaseModel):
    case_id: str
    enterprise_name: str
    credit_code: str
    status: str
    status_label: str
    issue_id: str | None
    rectification_status: CaseStatus | None
    opened_at: str
    closed_at: str | None
    totals: TotalsOut
    version: int


class CaseListOut(BaseModel):
    items: list[CaseSummaryOut]
    total: int
    limit: int
    offset: int


class EnterpriseRecordOut(BaseModel):
    """The enterprise's record across cases (repeat offenders: 屡查屡犯)."""

    credit_code: str
    enterprise_name: str | None
    case_count: int
    open_case_count: int
    repeat_offender: bool
    totals: TotalsOut
    cases: list[CaseSummaryOut]


def totals_out(t: Totals) -> TotalsOut:
    return TotalsOut(
        penalty_total=fen_to_yuan(t.penalty_fen),
        penalty_total_fen=t.penalty_fen,
        paid_total=fen_to_yuan(t.paid_fen),
        paid_total_fen=t.paid_fen,
        outstanding_total=fen_to_yuan(t.outstanding_fen),
        outstanding_total_fen=t.outstanding_fen,
        daily_penalty_rounds=t.daily_rounds,
        detained_persons=t.detained_persons,
        criminal_measure_persons=t.criminal_persons,
        referred_persons=t.referred_persons,
    )


def _today() -> date:
    return now().astimezone(SHANGHAI).date()


def penalty_out(p: Penalty) -> PenaltyOut:
    e = p.issued
    return PenaltyOut(
        penalty_id=e.penalty_id,
        basis=e.basis,
        basis_label=BASIS_LABELS[e.basis],
        decision_no=e.decision_no,
        amount=fen_to_yuan(e.amount_fen),
        amount_fen=e.amount_fen,
        paid=fen_to_yuan(p.paid_fen),
        paid_fen=p.paid_fen,
        outstanding=fen_to_yuan(p.outstanding_fen),
        outstanding_fen=p.outstanding_fen,
        due_date=e.due_date,
        overdue=e.due_date is not None and p.outstanding_fen > 0 and e.due_date < _today(),
        period_start=e.period_start,
        period_end=e.period_end,
        days=e.days,
        daily_amount=fen_to_yuan(e.daily_amount_fen) if e.daily_amount_fen is not None else None,
        daily_amount_fen=e.daily_amount_fen,
        order_id=e.order_id,
        original_penalty_id=e.original_penalty_id,
    )


def order_out(o: Order) -> OrderOut:
    return OrderOut(
        order_id=o.ordered.order_id,
        requirements=o.ordered.requirements,
        served_on=o.ordered.served_on,
        deadline=shown(o.ordered.deadline),
        status="complied" if o.complied else "pending",
        status_label="已改正" if o.complied else "待改正",
        reinspections=[
            ReinspectionOut(
                inspected_on=r.inspected_on,
                complied=r.complied,
                result_label="已改正" if r.complied else "拒不改正",
                note=r.note,
            )
            for r in o.reinspections
        ],
    )


def rectification_out(issue_id: str, row: asyncpg.Record | None) -> RectificationCaseOut:
    if row is None:
        return RectificationCaseOut(issue_id=issue_id, status=None, status_label="尚未收到整改案件信息", as_of=None)
    status = CaseStatus(row["status"])
    return RectificationCaseOut(
        issue_id=issue_id, status=status, status_label=CASE_STATUS_LABELS[status], as_of=shown(row["occurred_at"])
    )


def case_out(case: EnforcementCase, history: list[Envelope], rectification: RectificationCaseOut | None) -> CaseOut:
    opened, closed = history[0], case.closed
    status = "open" if closed is None else "closed"
    closing = next((e for e in reversed(history) if e.type == "EnforcementCaseClosed"), None)
    return CaseOut(
        case_id=case.opened.case_id,
        status=status,
        status_label=CASE_STATUS[status],
        enterprise=case.opened.enterprise,
        violation=case.opened.violation,
        legal_basis=case.opened.legal_basis,
        officer=case.opened.officer,
        issue_id=case.opened.issue_id,
        rectification_case=rectification,
        opened_at=shown(opened.occurred_at),
        opened_by=opened.actor,
        closed_at=shown(closing.occurred_at) if closing else None,
        outcome=closed.outcome if closed else None,
        penalties=[penalty_out(p) for p in case.penalties.values()],
        rectification_orders=[order_out(o) for o in case.orders.values()],
        production_stopped_on=case.production_stop.ordered_on if case.production_stop else None,
        detentions=list(case.detentions),
        criminal_measures=list(case.criminal_measures),
        referrals=list(case.referrals),
        totals=totals_out(case.totals),
        version=len(history),
    )


def event_out(e: Envelope) -> EventOut:
    return EventOut(
        version=e.stream_version,
        type=e.type,
        label=label_of(e.type),
        occurred_at=shown(e.occurred_at),
        actor=e.actor,
        correlation_id=e.correlation_id,
        payload=e.payload.model_dump(mode="json"),
    )


def row_totals(row: asyncpg.Record) -> Totals:
    return Totals(
        penalty_fen=row["penalty_fen"],
        paid_fen=row["paid_fen"],
        daily_rounds=row["daily_rounds"],
        detained_persons=row["detained_persons"],
        criminal_persons=row["criminal_persons"],
        referred_persons=row["referred_persons"],
    )


def summary_out(row: asyncpg.Record) -> CaseSummaryOut:
    status = row["rectification_status"]
    return CaseSummaryOut(
        case_id=row["case_id"],
        enterprise_name=row["enterprise_name"],
        credit_code=row["credit_code"],
        status=row["status"],
        status_label=CASE_STATUS[row["status"]],
        issue_id=row["issue_id"],
        rectification_status=CaseStatus(status) if status else None,
        opened_at=shown(row["opened_at"]),
        closed_at=shown(row["closed_at"]) if row["closed_at"] else None,
        totals=totals_out(row_totals(row)),
        version=row["version"],
    )


def enterprise_out(code: str, rows: list[asyncpg.Record]) -> EnterpriseRecordOut:
    totals = [row_totals(r) for r in rows]
    summed = Totals(*(sum(getattr(t, f) for t in totals) for f in Totals.__dataclass_fields__))
    return EnterpriseRecordOut(
        credit_code=code,
        enterprise_name=rows[-1]["enterprise_name"] if rows else None,
        case_count=len(rows),
        open_case_count=sum(1 for r in rows if r["status"] == "open"),
        repeat_offender=len(rows) > 1,
        totals=totals_out(summed),
        cases=[summary_out(r) for r in rows],
    )
