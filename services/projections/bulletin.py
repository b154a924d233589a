"""督查通报的草稿 (a supervision bulletin's draft): what the figures say about a period, for the 督察办 to issue.

Computed here, at the moment the office asks, from the same queries as the overdue list and the closure rates by
unit; accountability records what was issued in BulletinIssued, so a bulletin never changes afterwards.

The rule for "poorly performing" (整改不力): a unit with at least one case overdue at the period's end, the most
overdue first and, among equals, the lowest 完成率; at most POOR_UNITS of them.
"""

import math
from datetime import date, datetime

from services.projections.filters import CaseFilters, Figure, GroupBy, day_start
from services.projections.read_tables import closure
from services.projections.read_tables.closure import Counts, Moment
from shared.contracts.accountability import OverdueItem, UnitStanding
from shared.db import Connection

POOR_UNITS = 10
MAX_OVERDUE = 500


def period_end(period_to: date, now: datetime) -> datetime:
    """The end of the period's last day (北京时间), or now if the period has not ended yet."""
    end = day_start(date.fromordinal(period_to.toordinal() + 1))
    return min(end, now)


def poorly_performing(rows: list[Counts]) -> list[Counts]:
    overdue = [row for row in rows if row.overdue > 0 and row.key]
    return sorted(overdue, key=lambda row: (-row.overdue, row.closed / row.total if row.total else 0, row.key))[
        :POOR_UNITS
    ]


async def draft(
    conn: Connection, period_from: date, period_to: date, now: datetime
) -> tuple[datetime, list[OverdueItem], list[UnitStanding]]:
    at = period_end(period_to, now)
    filters = CaseFilters(as_of=at)
    moment = Moment(at, now)
    _, rows = await closure.cases(
        conn, filters, moment, Figure.OVERDUE, limit=MAX_OVERDUE, offset=0, overdue_first=True
    )
    overdue = [
        OverdueItem(
            issue_id=row["issue_id"],
            title=row["title"],
            unit=row["unit"],
            deadline=row["deadline"],
            days_overdue=max(0, math.floor((at - row["deadline"]).total_seconds() / 86400)) if row["deadline"] else 0,
        )
        for row in rows
    ]
    by_unit = await closure.rates(conn, filters, moment, GroupBy.unit)
    units = [
        UnitStanding(
            unit=row.key, total=row.total, closed=row.closed, overdue=row.overdue, rate_percent=row.rate_percent
        )
        for row in poorly_performing(by_unit)
    ]
    return at, overdue, units


def day_label(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def text(period_from: date, period_to: date, overdue: list[OverdueItem], units: list[UnitStanding]) -> str:
    """The bulletin's body (zh-CN), which the office may edit before it issues it."""
    span = f"{day_label(period_from)}至{day_label(period_to)}"
    if not overdue:
        return f"{span}，全县生态环境问题整改均在时限内推进，无超期未完成整改问题。"
    named = "；".join(f"{u.unit}超期{u.overdue}个、完成率{u.rate_percent}%" for u in units)
    return (
        f"{span}，全县共有超期未完成整改问题{len(overdue)}个。整改进度滞后的单位：{named}。"
        "请上述单位主要负责人切实履行第一责任人职责，限期完成整改并书面报告县环保督察整改工作领导小组办公室。"
    )
