"""The rectification ledger (整改台账) as an Excel workbook: one row per case, with the 五定.

Written with openpyxl as a plain .xlsx (no macros, no external links), which Excel and WPS open.
Times are written as county time (Asia/Shanghai) without zone, as spreadsheets expect.

Every text cell is a string cell, never a formula: titles, descriptions, townships and unit names are
typed by the public and by staff, and a title such as `=HYPERLINK(…)` must stay the words it is
(spreadsheet formula injection, OWASP "CSV Injection"). openpyxl makes a formula of any text starting
with "=" and an error of "#N/A", so each text cell's type is set to string explicitly; text starting
with a character a spreadsheet reads as a formula (= + - @, tab, CR) also gets Excel's quote prefix,
so that editing the cell in Excel or WPS keeps it text. The text itself is unchanged, but for two things
the format imposes: control characters a worksheet cannot hold are dropped, and line ends are written as
LF (XML reads a bare CR as LF anyway; writing it so makes the cell's text what every reader gets).

The workbook is written in openpyxl's write-only mode (row by row, without holding the sheet) into a
file the caller gives, and is meant to run in a worker thread: see `api/reports.py`.
"""

import io
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import IO, Any, Protocol

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from services.projections import labels
from shared.clock import SHANGHAI

SHEET = "整改台账"
NOTES = "说明"

# What a spreadsheet takes for the start of a formula (OWASP: = + - @, tab, carriage return; CR is written LF).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


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
WIDTHS = [6, *(width for _, width, _ in COLUMNS)]

DAY_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "yyyy-mm-dd hh:mm"
NUMBER_FORMATS = {"整改时限": TIME_FORMAT, "受理日期": DAY_FORMAT, "销号日期": DAY_FORMAT}


def _local(moment: datetime | None) -> datetime | None:
    return moment.astimezone(SHANGHAI).replace(tzinfo=None) if moment else None


def _day(moment: datetime | None) -> datetime | None:
    local = _local(moment)
    return local.replace(hour=0, minute=0, second=0, microsecond=0) if local else None


def _leader(row: Row) -> str:
    if not row["leader_name"]:
        return ""
    return f"{row['leader_name']}（{row['leader_post']}）" if row["leader_post"] else row["leader_name"]


def _cell(sheet: WriteOnlyWorksheet, value: Any, number_format: str | None = None) -> Cell | None:
    """A cell of the sheet: text as a string cell (never a formula), control characters Excel refuses dropped."""
    if value is None:
        return None
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value).replace("\r\n", "\n").replace("\r", "\n")
        cell = WriteOnlyCell(sheet)
        cell.value = text  # openpyxl guesses: "=…" becomes a formula, "#N/A" an error
        cell.data_type = "s"  # so the type is set after the value: always a string
        if text.startswith(FORMULA_STARTS):
            cell.quotePrefix = True  # Excel and WPS keep it text when the cell is edited
        return cell
    cell = WriteOnlyCell(sheet, value)
    if number_format:
        cell.number_format = number_format
    return cell


def write(rows: Iterable[Row], about: list[tuple[str, str]], out: IO[bytes], *, first_number: int = 1) -> None:
    """Writes the ledger of these cases to `out`; `about` says what it shows (filters, as of, …) on a second sheet.

    `first_number` is the 序号 of the first row (a later page of the ledger goes on counting).
    """
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET)
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "B2"
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    header_cells = []
    for header in HEADERS:
        cell = _cell(sheet, header)
        assert cell is not None
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        header_cells.append(cell)
    sheet.append(header_cells)
    count = 0
    for count, row in enumerate(rows, start=1):
        values = [first_number + count - 1, *(value(row) for _, _, value in COLUMNS)]
        sheet.append([_cell(sheet, v, NUMBER_FORMATS.get(h)) for h, v in zip(HEADERS, values, strict=True)])
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(HEADERS))}{count + 1}"
    notes = book.create_sheet(NOTES)
    notes.column_dimensions["A"].width = 16
    notes.column_dimensions["B"].width = 80
    for name, value in about:
        notes.append([_cell(notes, name), _cell(notes, value)])
    book.save(out)


def workbook(rows: Iterable[Row], about: list[tuple[str, str]]) -> bytes:
    """The ledger as bytes (for tests and small ledgers)."""
    out = io.BytesIO()
    write(rows, about, out)
    return out.getvalue()
