"""督查通报 (supervision bulletin): 第N期, the period's overdue cases and the units that performed poorly.

The bulletin's data is plain (`Bulletin`): the event that issues a bulletin names its number, period, cases and units,
and is mapped onto these dataclasses; this module only writes the document.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from docx.shared import Cm

from services.projections.documents import writing
from services.projections.documents.assignment_letter import ISSUER, day_text, deadline_text
from shared.contracts.accountability import BulletinIssued

TITLE = "督查通报"
OVERDUE_HEADER = ("序号", "问题编号", "问题", "责任单位", "整改时限", "超期天数")
UNITS_HEADER = ("序号", "单位", "问题数", "已销号", "完成率(%)", "超期", "通报事由")
# The columns' widths, adding up to the text's width (15.6 cm): the text columns wide, the numbers narrow.
OVERDUE_WIDTHS = tuple(Cm(w) for w in (1.2, 2.4, 4.2, 3.4, 2.8, 1.6))
UNITS_WIDTHS = tuple(Cm(w) for w in (1.2, 3.6, 1.6, 1.6, 1.8, 1.4, 4.4))


@dataclass(frozen=True)
class OverdueCase:
    """A case past its deadline at the bulletin's date (超期未整改问题)."""

    issue_id: str
    title: str
    unit: str
    deadline: datetime | None  # None: as the bulletin recorded it, a case without one (printed as —)
    days_overdue: int


@dataclass(frozen=True)
class PoorUnit:
    """A unit the bulletin names for poor performance (推进不力单位), with its figures and why."""

    unit: str
    cases: int
    closed: int
    rate_percent: str
    overdue: int
    reason: str


@dataclass(frozen=True)
class Bulletin:
    """督查通报 第N期 of a period: its overdue cases and the units it names."""

    number: int  # 第N期
    year: int
    period_start: date
    period_end: date
    issued_at: datetime
    overdue: Sequence[OverdueCase]
    units: Sequence[PoorUnit]
    text: str | None = None  # the body as the office issued it (edited from the draft); None: written from the figures


def period_text(start: date, end: date) -> str:
    return f"{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日"


def overdue_rows(bulletin: Bulletin) -> list[list[str]]:
    return [
        [str(i), c.issue_id, c.title, c.unit, deadline_text(c.deadline) if c.deadline else "—", str(c.days_overdue)]
        for i, c in enumerate(bulletin.overdue, start=1)
    ]


def unit_rows(bulletin: Bulletin) -> list[list[str]]:
    return [
        [str(i), u.unit, str(u.cases), str(u.closed), u.rate_percent, str(u.overdue), u.reason]
        for i, u in enumerate(bulletin.units, start=1)
    ]


def body(bulletin: Bulletin) -> str:
    """The bulletin's opening paragraph written from its figures (when the office gave no text of its own)."""
    units = "、".join(u.unit for u in bulletin.units)
    return (
        f"{period_text(bulletin.period_start, bulletin.period_end)}，县生态环境问题整改工作领导小组办公室对全县问题整改"
        f"情况进行了督查。截至{day_text(bulletin.issued_at)}，尚有{len(bulletin.overdue)}个问题超过整改时限未完成整改"
        + (f"；{units}等{len(bulletin.units)}个单位整改工作推进不力，现予通报。" if bulletin.units else "，现予通报。")
    )


def render_bulletin(bulletin: Bulletin) -> bytes:
    """The .docx of one 督查通报."""
    document = writing.new_document(f"{TITLE}（{bulletin.year}年第{bulletin.number}期）")
    writing.title(document, TITLE)
    writing.centred(document, f"{bulletin.year}年第{bulletin.number}期")
    writing.centred(document, ISSUER)
    writing.centred(document, day_text(bulletin.issued_at))
    writing.text(document, bulletin.text or body(bulletin))
    writing.heading(document, "一、超期未完成整改的问题")
    if bulletin.overdue:
        writing.table(
            document, "表1 超期未完成整改问题清单", OVERDUE_HEADER, overdue_rows(bulletin), widths=OVERDUE_WIDTHS
        )
    else:
        writing.text(document, "本期无超期未完成整改的问题。")
    writing.heading(document, "二、整改工作推进不力的单位")
    if bulletin.units:
        writing.table(document, "表2 整改工作推进不力单位", UNITS_HEADER, unit_rows(bulletin), widths=UNITS_WIDTHS)
    else:
        writing.text(document, "本期无通报的单位。")
    writing.heading(document, "三、工作要求")
    writing.text(
        document,
        "被通报的单位要切实提高认识，主要负责人亲自研究部署，逐项制定整改措施，明确责任人和完成时限，"
        "于本通报印发之日起5个工作日内将整改情况书面报送县生态环境问题整改工作领导小组办公室。"
        "对整改不力、再次超期的，将依照规定启动约谈和问责程序。",
    )
    writing.right(document, ISSUER)
    writing.right(document, day_text(bulletin.issued_at))
    return writing.saved(document)


def of_issued(issued: BulletinIssued, issued_at: datetime) -> Bulletin:
    """The document of a bulletin as BulletinIssued recorded it (its figures then, its text as the office issued it).

    The event names no reason per unit: a unit is named for its overdue cases (projections' rule for 整改不力, see
    services/projections/bulletin.py), so the reason states them.
    """
    return Bulletin(
        number=issued.number,
        year=issued.year,
        period_start=issued.period_from,
        period_end=issued.period_to,
        issued_at=issued_at,
        overdue=[OverdueCase(o.issue_id, o.title, o.unit or "—", o.deadline, o.days_overdue) for o in issued.overdue],
        units=[
            PoorUnit(u.unit, u.total, u.closed, u.rate_percent, u.overdue, f"{u.overdue}个问题超期未完成整改")
            for u in issued.units
        ],
        text=issued.text or None,
    )
