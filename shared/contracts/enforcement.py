"""Events on `enforcement.events`: the environmental enforcement case (环境执法案件).

Money is integer fen (分) on the wire, never a float: 1 yuan = 100 fen.
"""

from datetime import date
from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, Field

from shared.contracts.base import Contract, Event


class Enterprise(Contract):
    """The polluting enterprise; `credit_code` is its 18-character unified social credit code."""

    name: str = Field(min_length=1, max_length=200)
    credit_code: str = Field(pattern=r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
    address: str = Field(min_length=1, max_length=300)


class PenaltyBasis(StrEnum):
    """What a penalty rests on."""

    FINE = "fine"  # 罚款
    DAILY_CONTINUOUS = "daily_continuous"  # 按日连续处罚


class EnforcementCaseOpened(Event):
    """立案: a case against an enterprise."""

    label: ClassVar[str] = "执法立案"

    case_id: str
    enterprise: Enterprise
    violation: str
    legal_basis: str = Field(description="law and article, e.g. 《环境保护法》第六十三条")
    officer: str
    issue_id: str | None = Field(default=None, description="the rectification case it came from, if any")


class PenaltyIssued(Event):
    """行政处罚: a fine, or one round of the daily continuous penalty."""

    label: ClassVar[str] = "行政处罚"

    penalty_id: str
    amount_fen: int = Field(gt=0)
    basis: PenaltyBasis
    decision_no: str = Field(description="行政处罚决定书文号")
    due_date: date | None = None
    period_start: date | None = Field(default=None, description="daily penalty: first day counted")
    period_end: date | None = Field(default=None, description="daily penalty: last day counted")
    days: int | None = Field(default=None, gt=0, description="daily penalty: number of days")
    daily_amount_fen: int | None = Field(default=None, gt=0)
    order_id: str | None = Field(default=None, description="daily penalty: the rectification order not complied with")
    original_penalty_id: str | None = Field(
        default=None, description="daily penalty: the fine whose amount is charged per day (原处罚决定)"
    )


class PenaltyPaid(Event):
    """罚款缴纳."""

    label: ClassVar[str] = "罚款缴纳"

    penalty_id: str
    amount_fen: int = Field(gt=0)
    paid_on: date


class RectificationOrdered(Event):
    """责令改正: an order to correct the violation by a deadline."""

    label: ClassVar[str] = "责令改正"

    order_id: str
    requirements: str
    served_on: date
    deadline: AwareDatetime


class ReinspectionDone(Event):
    """复查: did the enterprise comply with the order?"""

    label: ClassVar[str] = "复查"

    order_id: str
    inspected_on: date
    complied: bool
    note: str | None = None


class ProductionStopOrdered(Event):
    """责令停产整治: ends the daily continuous penalty."""

    label: ClassVar[str] = "责令停产整治"

    ordered_on: date
    note: str | None = None


class Person(Contract):
    name: str = Field(min_length=1, max_length=50)


class DetainedPerson(Person):
    days: int = Field(gt=0, le=20)


class DetentionOrdered(Event):
    """行政拘留, executed by public security."""

    label: ClassVar[str] = "行政拘留"

    persons: list[DetainedPerson] = Field(min_length=1)
    police_unit: str


class CriminalMeasuresTaken(Event):
    """采取刑事强制措施."""

    label: ClassVar[str] = "采取刑事强制措施"

    persons: list[Person] = Field(min_length=1)
    measure: str
    police_unit: str


class ReferredForProsecution(Event):
    """移送起诉."""

    label: ClassVar[str] = "移送起诉"

    persons: list[Person] = Field(min_length=1)
    procuratorate: str


class EnforcementCaseClosed(Event):
    """结案."""

    label: ClassVar[str] = "执法结案"

    outcome: str


EVENTS: tuple[type[Event], ...] = (
    EnforcementCaseOpened,
    PenaltyIssued,
    PenaltyPaid,
    RectificationOrdered,
    ReinspectionDone,
    ProductionStopOrdered,
    DetentionOrdered,
    CriminalMeasuresTaken,
    ReferredForProsecution,
    EnforcementCaseClosed,
)
