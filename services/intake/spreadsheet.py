"""Reading an uploaded table (.xlsx or .csv) without believing what it says about itself.

An .xlsx is a zip of XML parts, and both can lie: a 5 KB sheet may declare a million
columns (openpyxl then pads every row to that width), a zip member may declare 1 KB and
unpack to gigabytes, and a few bytes of XML (`<c/>`) become hundreds of bytes of Python
objects each. So before openpyxl reads anything, every part of the archive is unpacked
as a stream and scanned with expat, which allocates nothing per element, and the file is
refused (BatchFileUnreadable, 422) at the first limit it passes:

- the archive: at most MAX_PARTS members; their declared sizes and, counted as they
  unpack, their actual sizes within `max_unpacked_bytes` (an actual size above the
  declared one is refused too);
- worksheets: at most MAX_COLUMNS cells in a row, no row number beyond Excel's last, no
  more rows with values than the import takes (plus some slack), no cell over
  MAX_CELL_CHARS characters, and so a bounded number of XML elements;
- shared strings: no more than the sheets have string cells (plus some slack);
- every other XML part (styles, workbook, theme…): at most MAX_OTHER_ELEMENTS elements;
- no DOCTYPE anywhere (no entity tricks for the XML parsers that come after).

Only then does openpyxl read the first sheet, in read-only mode with its declared
dimensions reset, at most MAX_COLUMNS wide. A CSV is read row by row under the same
limits. The whole read keeps to a time budget, checked as it goes; the caller runs it in
a worker thread (services/intake/batch_file.py's reader), off the event loop.
"""

import csv
import io
import time
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.parsers import expat

from shared.body_limit import MIB

MAX_COLUMNS = 100
MAX_CELL_CHARS = 32_767  # Excel's own limit for the text of a cell
EXCEL_LAST_ROW = 1_048_576
MAX_PARTS = 500
MAX_OTHER_ELEMENTS = 50_000
# Rows with values beyond the import's limit that the scan lets through for openpyxl to count exactly
# (a row of blanks has values to the scan, none to the import).
ROW_SLACK = 100
STRING_SLACK = 1_000
_CHUNK = 64 * 1024

STRUCTURE = "文件结构异常（{what}），请在 Excel 中将其另存为 .xlsx 后再上传"


class BatchFileUnreadable(ValueError):
    """422: not a table we can read. `message` is what a person reads."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class TableLimits:
    max_rows: int  # rows of problems below the header
    max_unpacked_bytes: int = 32 * MIB
    seconds: float = 10.0
    deadline: float = field(default=0.0)

    def started(self) -> "TableLimits":
        """These limits with the clock started now."""
        return TableLimits(self.max_rows, self.max_unpacked_bytes, self.seconds, time.monotonic() + self.seconds)

    def check_time(self) -> None:
        if self.deadline and time.monotonic() > self.deadline:
            raise BatchFileUnreadable(f"文件未能在 {self.seconds:g} 秒内读完，请精简表格或分批上传")

    def too_many_rows(self) -> BatchFileUnreadable:
        return BatchFileUnreadable(f"一次最多导入 {self.max_rows} 行，本文件超过此数，请分批上传")


def table_rows(content: bytes, limits: TableLimits) -> Iterator[tuple[int, Sequence[Any]]]:
    """(row number as the user sees it, the row's values) for every row, at most MAX_COLUMNS wide."""
    if content.startswith(b"PK\x03\x04"):
        scan_archive(content, limits)
        yield from _xlsx_rows(content, limits)
    else:
        yield from _csv_rows(content, limits)


# The archive.


@dataclass
class _Tally:
    """What the scan has counted so far, across the archive's parts."""

    value_rows: int = 0
    string_cells: int = 0
    shared_strings: int = 0


def scan_archive(content: bytes, limits: TableLimits) -> None:
    """Refuses the archive at the first limit it passes (see the module's docstring); returns when it is within all."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_PARTS:
            raise BatchFileUnreadable(STRUCTURE.format(what=f"包含超过 {MAX_PARTS} 个部件"))
        if sum(m.file_size for m in members) > limits.max_unpacked_bytes:
            raise _too_big(limits)
        # Sheets first: how many string cells they have bounds the shared strings.
        members.sort(key=lambda m: (not _is_sheet(m.filename), not _is_strings(m.filename)))
        tally = _Tally()
        unpacked = 0
        for member in members:
            scan = _PartScan(member.filename, tally, limits)
            size = 0
            with archive.open(member) as stream:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    unpacked += len(chunk)
                    if size > member.file_size:
                        raise BatchFileUnreadable("文件已损坏（解压后的内容大于文件声明的大小），请重新导出后上传")
                    if unpacked > limits.max_unpacked_bytes:
                        raise _too_big(limits)
                    scan.feed(chunk)
                    limits.check_time()
            scan.close()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        # RuntimeError: an encrypted member; NotImplementedError: a compression zipfile does not know.
        raise BatchFileUnreadable("无法读取该 Excel 文件，请确认是 .xlsx 格式且未加密") from exc


def _too_big(limits: TableLimits) -> BatchFileUnreadable:
    return BatchFileUnreadable(
        f"文件解压后超过 {limits.max_unpacked_bytes / MIB:g} MB，不像一份交办表，请检查后重新导出或分批上传"
    )


def _is_sheet(name: str) -> bool:
    return name.startswith("xl/worksheets/") and name.endswith(".xml")


def _is_strings(name: str) -> bool:
    return name.lower() == "xl/sharedstrings.xml"


class _PartScan:
    """Counts one part's XML elements as it unpacks, with expat: nothing is kept per element."""

    def __init__(self, name: str, tally: _Tally, limits: TableLimits) -> None:
        self.tally = tally
        self.limits = limits
        self.kind = "sheet" if _is_sheet(name) else "strings" if _is_strings(name) else "other"
        self.elements = 0
        self.max_elements = MAX_OTHER_ELEMENTS
        if self.kind == "sheet":
            self.max_elements = (limits.max_rows + ROW_SLACK) * MAX_COLUMNS * 4
        elif self.kind == "strings":
            self.max_elements = (tally.string_cells + STRING_SLACK) * 16
        self.xml: bool | None = None  # not known before the first byte
        self.row = 0
        self.cells_in_row = 0
        self.row_has_value = False
        self.text_chars: int | None = None  # inside a <v> or <t>: the characters so far
        self.parser = expat.ParserCreate()
        self.parser.buffer_text = True
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._text
        self.parser.StartDoctypeDeclHandler = self._doctype

    def feed(self, chunk: bytes) -> None:
        if self.xml is None:
            self.xml = chunk.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")
        if not self.xml:
            return  # a picture or a printer setting: only its size counts
        try:
            self.parser.Parse(chunk, False)
        except expat.ExpatError:
            # Not well-formed (Excel's VML drawings often are not): openpyxl reads no such part, or fails on it.
            self.xml = False

    def close(self) -> None:
        if self.xml:
            try:
                self.parser.Parse(b"", True)
            except expat.ExpatError:
                self.xml = False

    def _doctype(self, *_: Any) -> None:
        raise BatchFileUnreadable(STRUCTURE.format(what="含有 DOCTYPE 声明"))

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        self.elements += 1
        if self.elements > self.max_elements:
            raise BatchFileUnreadable(STRUCTURE.format(what="内容数量超出正常范围"))
        local = name.rpartition(":")[2]
        if self.kind == "sheet":
            self._sheet_start(local, attributes)
        elif self.kind == "strings" and local == "si":
            self.tally.shared_strings += 1
            if self.tally.shared_strings > self.tally.string_cells + STRING_SLACK:
                raise BatchFileUnreadable(STRUCTURE.format(what="共享字符串多于表格中的单元格"))
            self.text_chars = 0
        elif self.kind == "strings" and local == "t" and self.text_chars is None:
            self.text_chars = 0

    def _sheet_start(self, local: str, attributes: dict[str, str]) -> None:
        if local == "row":
            number = attributes.get("r", "")
            self.row = int(number) if number.isdigit() else self.row + 1
            if self.row > EXCEL_LAST_ROW:
                raise BatchFileUnreadable("文件中的行号超出 Excel 的范围，文件可能已损坏，请重新导出后上传")
            self.cells_in_row = 0
            self.row_has_value = False
        elif local == "c":
            self.cells_in_row += 1
            if self.cells_in_row > MAX_COLUMNS:
                raise BatchFileUnreadable(f"第 {self.row} 行超过 {MAX_COLUMNS} 列，请删除多余的列后再上传")
            if attributes.get("t") == "s":
                self.tally.string_cells += 1
        elif local in ("v", "t", "is"):
            self.row_has_value = True
            if local != "is":
                self.text_chars = 0

    def _end(self, name: str) -> None:
        local = name.rpartition(":")[2]
        if self.kind == "sheet" and local == "row" and self.row_has_value:
            self.tally.value_rows += 1
            # The header and the rows of problems, with room for rows of blanks.
            if self.tally.value_rows > self.limits.max_rows + 1 + ROW_SLACK:
                raise self.limits.too_many_rows()
        if (self.kind == "sheet" and local in ("v", "t")) or (self.kind == "strings" and local == "si"):
            self.text_chars = None

    def _text(self, data: str) -> None:
        if self.text_chars is not None:
            self.text_chars += len(data)
            if self.text_chars > MAX_CELL_CHARS:
                raise BatchFileUnreadable(f"有单元格超过 {MAX_CELL_CHARS} 个字符，请检查后再上传")


# Reading the rows.


def _xlsx_rows(content: bytes, limits: TableLimits) -> Iterator[tuple[int, Sequence[Any]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True, keep_links=False)
    except BatchFileUnreadable:
        raise
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, SyntaxError) as exc:
        # SyntaxError: xml.etree's ParseError, for a part that is not XML.
        raise BatchFileUnreadable("无法读取该 Excel 文件，请确认是 .xlsx 格式且未加密") from exc
    try:
        sheet = workbook.worksheets[0]
        if isinstance(sheet, ReadOnlyWorksheet):
            sheet.reset_dimensions()  # the declared size is the file's say: count what is there
        for number, values in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
            if number % 256 == 0:
                limits.check_time()
            yield number, values
    except BatchFileUnreadable:
        raise
    except (KeyError, ValueError, SyntaxError, IndexError) as exc:
        raise BatchFileUnreadable("Excel 文件内容有误，无法读取，请重新导出后上传") from exc
    finally:
        workbook.close()


def _csv_rows(content: bytes, limits: TableLimits) -> Iterator[tuple[int, Sequence[Any]]]:
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise BatchFileUnreadable("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 .csv 后上传")
    # Excel saves CSV as UTF-8 with a BOM, or in the system code page (GBK) on Chinese Windows.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise BatchFileUnreadable("无法识别文件编码，请使用 UTF-8 或 GBK 编码的 CSV，或 .xlsx 文件")
    if "\x00" in text:
        raise BatchFileUnreadable("文件不是 .xlsx 或 .csv 表格")
    try:
        for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
            if number % 1024 == 0:
                limits.check_time()
            if len(row) > MAX_COLUMNS and any(row[MAX_COLUMNS:]):
                raise BatchFileUnreadable(f"第 {number} 行超过 {MAX_COLUMNS} 列，请删除多余的列后再上传")
            if any(len(cell) > MAX_CELL_CHARS for cell in row):
                raise BatchFileUnreadable(f"第 {number} 行有单元格超过 {MAX_CELL_CHARS} 个字符，请检查后再上传")
            yield number, row[:MAX_COLUMNS]
    except csv.Error as exc:
        raise BatchFileUnreadable(f"CSV 格式有误：{exc}") from exc
