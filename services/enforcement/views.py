"""What the enforcement API answers: cases, histories, lists and enterprise records, in people's terms.

Money is shown twice: yuan as an exact decimal string, and integer fen.
"""

from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg
from pydantic import BaseModel

from services.enforcement.case import EnforcementCase, Order, Penalty, Totals
from services.enforcement.money import fen_to_yuan
from shared.clock import SHANGHAI, now, shown
from shared.contracts.codes import CASE_STATUS_LABELS, CaseStatus
from shared.contracts.enforcement import (
    CriminalMeasuresTaken,
    DetentionOrdered,
    Enterprise,
    PenaltyBasis,
    ReferredForProsecution,
)
from shared.envelope import Envelope

CASE_STATUS = {"open": "办理中", "closed": "已结案"}
BASIS_LABELS = {PenaltyBasis.FINE: "罚款", PenaltyBasis.DAILY_CONTINUOUS: "按日连续处罚"}
EVENT_LABELS = {
    "EnforcementCaseOpened": "立案",
    "PenaltyIssued": "行政处罚",
    "PenaltyPaid": "罚款缴纳",
    "RectificationOrdered": "责令改正",
    "ReinspectionDone": "复查",
    "ProductionStopOrdered": "责令停产整治",
    "DetentionOrdered": "行政拘留",
    "CriminalMeasuresTaken": "采取刑事强制措施",
    "ReferredForProsecution": "移送起诉",
    "EnforcementCaseClosed": "结案",
}


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
        label=EVENT_LABELS.get(e.type, e.type),
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
