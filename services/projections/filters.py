"""The query parameters the figures share: which cases (筛选条件), as of when (截至), grouped how (分组)."""

from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator

from shared.clock import SHANGHAI
from shared.contracts.codes import CaseStatus, Domain, Source

# The days a query may name: wide enough for any county record, narrow enough for every clock and database.
FIRST_DAY = date(1949, 10, 1)
LAST_DAY = date(2999, 12, 31)
# Query text PostgreSQL can hold (no NUL characters).
TEXT = r"^[^\x00]*$"


def _as_of(value: Any) -> Any:
    """A date means the end of that day in the county (Asia/Shanghai); a date-time without zone is county time."""
    if isinstance(value, str):
        text = value.strip()
        value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text.replace("Z", "+00:00"))
    day = value.date() if isinstance(value, datetime) else value
    if isinstance(day, date) and not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"as_of 须在 {FIRST_DAY} 与 {LAST_DAY} 之间")
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=SHANGHAI)
    if isinstance(value, date):
        return datetime.combine(value, time.max, tzinfo=SHANGHAI)
    return value


AsOf = Annotated[
    datetime,
    BeforeValidator(_as_of),
    Field(
        description="截至：the figures as they stood then. A date is the end of that day (Asia/Shanghai); "
        "a date-time without zone is Asia/Shanghai. Absent: now.",
        examples=["2025-06-30", "2025-06-30T18:00:00+08:00"],
    ),
]


def day_start(day: date) -> datetime:
    """The first instant of a county day."""
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


class Figure(StrEnum):
    """The figures of a closure-rate row, each a list of cases to drill down to."""

    ALL = "all"  # 总数
    CLOSED = "closed"  # 已销号
    OPEN = "open"  # 未销号
    ON_SCHEDULE = "on_schedule"  # 未超期
    OVERDUE = "overdue"  # 超期
    REOPENED = "reopened"  # 回头看发现反弹（曾被重新打开）


class GroupBy(StrEnum):
    source = "source"
    batch = "batch"
    township = "township"
    unit = "unit"
    domain = "domain"
    period = "period"
    # 整改状态 at the moment asked: the closure procedure's (待公示, 公示中, 待审签, 待复核, 待销号) each on its own
    status = "status"


class PeriodUnit(StrEnum):
    month = "month"
    quarter = "quarter"
    year = "year"


class TallyGroupBy(StrEnum):
    unit = "unit"
    kind = "kind"
    year = "year"


class CaseSelection(BaseModel):
    """Which cases (整改案件), by what they are."""

    model_config = ConfigDict(populate_by_name=True)

    source: Source | None = Field(default=None, description="问题来源")
    batch: str | None = Field(
        default=None, max_length=100, pattern=TEXT, description="督察批次; empty: cases without a batch"
    )
    township: str | None = Field(default=None, max_length=100, pattern=TEXT, description="乡镇")
    unit: str | None = Field(
        default=None,
        max_length=100,
        pattern=TEXT,
        description="责任单位 at the moment asked; empty: cases not yet assigned",
    )
    domain: Domain | None = Field(default=None, description="问题领域")
    status: CaseStatus | None = Field(default=None, description="整改状态 at the moment asked")

    def query(self) -> dict[str, str]:
        """These filters as query parameters, for drill-down links."""
        values = self.model_dump(by_alias=True, exclude_none=True)
        return {name: value.isoformat() if isinstance(value, date) else str(value) for name, value in values.items()}


class DateRange(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date | None = Field(
        default=None, alias="from", ge=FIRST_DAY, le=LAST_DAY, description="on or after this date (Asia/Shanghai)"
    )
    to: date | None = Field(
        default=None, ge=FIRST_DAY, le=LAST_DAY, description="on or before this date (Asia/Shanghai)"
    )

    @field_validator("to")
    @classmethod
    def _in_order(cls, to: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("from_")
        if start and to and start > to:
            raise ValueError("to 不能早于 from（日期范围的终点早于起点）")
        return to


class CaseFilters(CaseSelection, DateRange):
    """Which cases a figure counts: by what they are, reported when (受理日期 from/to), as of when."""

    as_of: AsOf | None = None


Limit = Annotated[int, Query(ge=1, le=10_000, description="at most this many items")]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000, description="skip this many items")]


class YearFilter(BaseModel):
    """The calendar year in the county (Asia/Shanghai), and as of when."""

    year: int | None = Field(default=None, ge=2000, le=2100, description="统计年度; absent: every year")
    as_of: AsOf | None = None


def period_key(moment: datetime, unit: PeriodUnit) -> str:
    local = moment.astimezone(SHANGHAI)
    match unit:
        case PeriodUnit.month:
            return f"{local.year:04d}-{local.month:02d}"
        case PeriodUnit.quarter:
            return f"{local.year:04d}-Q{(local.month - 1) // 3 + 1}"
        case PeriodUnit.year:
            return f"{local.year:04d}"


def period_bounds(key: str) -> tuple[date, date]:
    """First and last day of a period key (2025-06, 2025-Q2, 2025)."""
    year = int(key[:4])
    if len(key) == 4:
        return date(year, 1, 1), date(year, 12, 31)
    if key[5] == "Q":
        first_month = (int(key[6]) - 1) * 3 + 1
        start = date(year, first_month, 1)
        months = 3
    else:
        start = date(year, int(key[5:7]), 1)
        months = 1
    next_month = start.month - 1 + months
    end = date(year + next_month // 12, next_month % 12 + 1, 1) - timedelta(days=1)
    return start, end
