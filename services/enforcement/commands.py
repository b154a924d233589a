"""Commands to an enforcement case (环境执法案件): what a person asks for, before the rules have a say.

Each carries the raw values it was given; `domain.decide` checks them and turns them into events.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class OpenCase:
    """立案."""

    case_id: str
    enterprise_name: str
    credit_code: str
    address: str
    violation: str
    legal_basis: str
    officer: str
    issue_id: str | None = None


@dataclass(frozen=True)
class IssuePenalty:
    """行政处罚（罚款）: a fine to pay by a date."""

    case_id: str
    penalty_id: str
    amount: Decimal
    decision_no: str
    due_date: date


@dataclass(frozen=True)
class RecordPayment:
    """罚款缴纳."""

    case_id: str
    penalty_id: str
    amount: Decimal
    paid_on: date


@dataclass(frozen=True)
class OrderRectification:
    """责令改正."""

    case_id: str
    order_id: str
    requirements: str
    served_on: date
    deadline: datetime


@dataclass(frozen=True)
class Reinspect:
    """复查. When it finds the violation continuing, a round of 按日连续处罚 follows under `penalty_id`."""

    case_id: str
    order_id: str
    inspected_on: date
    complied: bool
    penalty_id: str
    note: str | None = None
    decision_no: str | None = None
    due_date: date | None = None


@dataclass(frozen=True)
class OrderProductionStop:
    """责令停产整治."""

    case_id: str
    ordered_on: date
    note: str | None = None


@dataclass(frozen=True)
class Detainee:
    name: str
    days: int


@dataclass(frozen=True)
class OrderDetention:
    """行政拘留, executed by public security."""

    case_id: str
    persons: tuple[Detainee, ...]
    police_unit: str


@dataclass(frozen=True)
class TakeCriminalMeasures:
    """采取刑事强制措施."""

    case_id: str
    persons: tuple[str, ...]
    measure: str
    police_unit: str


@dataclass(frozen=True)
class ReferForProsecution:
    """移送起诉."""

    case_id: str
    persons: tuple[str, ...]
    procuratorate: str


@dataclass(frozen=True)
class CloseCase:
    """结案."""

    case_id: str
    outcome: str


Command = (
    OpenCase
    | IssuePenalty
    | RecordPayment
    | OrderRectification
    | Reinspect
    | OrderProductionStop
    | OrderDetention
    | TakeCriminalMeasures
    | ReferForProsecution
    | CloseCase
)
