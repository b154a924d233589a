"""The rectification ledger (整改台账) as an Excel workbook: one row per case, with the 五定.

Written with openpyxl as a plain .xlsx (no macros, no external links), which Excel and WPS open.
Times are written as county time (Asia/Shanghai) without zone, as spreadsheets expect.
"""

import io
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Protocol

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from services.projections import labels
from shared.clock import SHANGHAI

SHEET = "整改台账"


class Row(Protocol):
    """A case row of the closure read side (an asyncpg record, or a dict in tests): its columns by name."""

    def __getitem__(self, column: str) -> Any: ...


# (header, width, value of a case row)
COLUMNS: list[tuple[str, int, Callable[[Row], Any]]] = [
    ("问题编号", 38, lambda r: r["issue_id"]),
    ("问题来源", 14, lambda r: labels.source(r["source"])),
    ("督察批次", 22, lambda r: r["batch"] or ""),
    ("交办编号", 16, lambda r: r["external_ref"] or ""),
    ("乡镇", 12, lambda r: r["township"]),
    ("问题领域", 14, lambda r: labels.domain(r["domain"])),
    ("问题标题", 30, lambda r: r["title"]),
    ("受理日期", 12, lambda r: _day(r["reported_at"])),
    ("具体问题", 40, lambda r: r["problem"] or ""),
    ("整改目标及措施", 40, lambda r: r["task"] or ""),
    ("责任单位", 18, lambda r: r["unit"] or ""),
    ("包案领导", 18, lambda r: _leader(r)),
    ("整改时限", 17, lambda r: _local(r["deadline"])),
    ("奖惩措施", 30, lambda r: r["measures"] or ""),
    ("整改状态", 10, lambda r: labels.status(r["status"])),
    ("是否超期", 10, lambda r: labels.STANDING_LABELS[r["standing"]]),
    ("销号日期", 12, lambda r: _day(r["closed_at"])),
    ("超期次数", 10, lambda r: r["missed_count"]),
    ("反弹次数", 10, lambda r: r["reopened_count"]),
    ("重复举报", 10, lambda r: r["repeat_reports"]),
]
HEADERS = ["序号", *(header for header, _, _ in COLUMNS)]

DAY_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "yyyy-mm-dd hh:mm"


def _local(moment: datetime | None) -> datetime | None:
    return moment.astimezone(SHANGHAI).replace(tzinfo=None) if moment else None


def _day(moment: datetime | None) -> datetime | None:
    local = _local(moment)
    return local.replace(hour=0, minute=0, second=0, microsecond=0) if local else None


def _leader(row: Row) -> str:
    if not row["leader_name"]:
        return ""
    return f"{row['leader_name']}（{row['leader_post']}）" if row["leader_post"] else row["leader_name"]


def _cell(value: Any) -> Any:
    """Text as a worksheet can hold it: control characters (which Excel refuses) are dropped."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def workbook(rows: Iterable[Row], about: list[tuple[str, str]]) -> bytes:
    """The ledger of these cases; `about` says what it shows (filters, as of, generation) on a second sheet."""
    book = Workbook()
    sheet = book.worksheets[0]  # a new workbook's one sheet
    sheet.title = SHEET
    sheet.append(HEADERS)
    for number, row in enumerate(rows, start=1):
        sheet.append([number, *(_cell(value(row)) for _, _, value in COLUMNS)])
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for index, (header, width) in enumerate([("序号", 6), *((h, w) for h, w, _ in COLUMNS)], start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = width
        if header in ("整改时限",):
            for cell in sheet[letter][1:]:
                cell.number_format = TIME_FORMAT
        elif header in ("受理日期", "销号日期"):
            for cell in sheet[letter][1:]:
                cell.number_format = DAY_FORMAT
    sheet.freeze_panes = "B2"
    sheet.auto_filter.ref = sheet.dimensions
    notes = book.create_sheet("说明")
    for name, value in about:
        notes.append([name, _cell(value)])
    notes.column_dimensions["A"].width = 16
    notes.column_dimensions["B"].width = 80
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
