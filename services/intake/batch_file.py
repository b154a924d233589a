"""交办批次文件: the province's or the inspection team's table of problems, as XLSX or CSV.

Columns are found by their header, in Chinese or English (批次/batch, 序号/serial,
问题/problem, 乡镇/township, 领域/domain, and optionally 标题/title, 地址/address,
经度/lon, 纬度/lat); other columns are ignored. Every row is checked and refused rows
say why, row by row. The file itself is read by services/intake/spreadsheet.py, which
believes none of what it declares about itself.
"""

import asyncio
import unicodedata
from dataclasses import dataclass
from typing import Any

from services.intake.domain import title_from
from services.intake.spreadsheet import BatchFileUnreadable, TableLimits, table_rows
from shared.contracts.base import has_control_characters
from shared.contracts.codes import DOMAIN_LABELS, Domain
from shared.contracts.intake import Location

HEADERS: dict[str, tuple[str, ...]] = {
    "batch": ("批次", "交办批次", "督察批次", "batch"),
    "serial": ("序号", "交办编号", "编号", "serial", "serial_no", "serial_number"),
    "problem": ("问题", "问题描述", "反映问题", "具体问题", "problem", "description"),
    "title": ("标题", "问题标题", "title"),
    "township": ("乡镇", "所属乡镇", "乡镇(街道)", "township"),
    "domain": ("领域", "问题领域", "问题类型", "domain"),
    "address": ("地址", "详细地址", "问题地址", "address"),
    "lon": ("经度", "lon", "longitude"),
    "lat": ("纬度", "lat", "latitude"),
}
REQUIRED = ("batch", "serial", "problem", "township", "domain")
LABELS = {"batch": "批次", "serial": "序号", "problem": "问题", "township": "乡镇", "domain": "领域"}

_DOMAINS: dict[str, Domain] = {label: code for code, label in DOMAIN_LABELS.items()} | {d.value: d for d in Domain}


@dataclass(frozen=True)
class BatchRow:
    row: int
    batch: str
    serial: str
    title: str
    problem: str
    township: str
    domain: Domain
    location: Location | None


@dataclass(frozen=True)
class RefusedRow:
    row: int
    batch: str | None
    serial: str | None
    reasons: list[str]


def _normalise_header(value: Any) -> str:
    return unicodedata.normalize("NFKC", str(value or "")).strip().lower().replace(" ", "")


def _cell(value: Any) -> str:
    """A cell as text: Excel gives 1.0 for a serial typed as 1."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(
    content: bytes,
    *,
    max_rows: int,
    max_unpacked_bytes: int = TableLimits.max_unpacked_bytes,
    seconds: float = TableLimits.seconds,
) -> list[tuple[int, dict[str, str]]]:
    """(row number as the user sees it, {field: text}) for every non-empty row below the header.

    Streams the file (services/intake/spreadsheet.py): a file without the header, or with more rows than
    `max_rows`, is refused as soon as that shows, before the rest is read. Blocking: run it in a thread.
    """
    limits = TableLimits(max_rows=max_rows, max_unpacked_bytes=max_unpacked_bytes, seconds=seconds).started()
    columns: dict[str, int] | None = None
    body: list[tuple[int, dict[str, str]]] = []
    for number, values in table_rows(content, limits):
        cells = [_cell(v) for v in values]
        if not any(cells):
            continue
        if columns is None:
            columns = _columns(number, cells)
            continue
        if len(body) == max_rows:
            raise limits.too_many_rows()
        body.append((number, {name: cells[i] if i < len(cells) else "" for name, i in columns.items()}))
    if columns is None:
        raise BatchFileUnreadable("文件中没有内容")
    return body


def _columns(header_row: int, header: list[str]) -> dict[str, int]:
    """Which column holds which field, found by the header's titles."""
    columns: dict[str, int] = {}
    aliases = {_normalise_header(alias): name for name, names in HEADERS.items() for alias in names}
    for i, title in enumerate(header):
        name = aliases.get(_normalise_header(title))
        if name and name not in columns:
            columns[name] = i
    missing = [LABELS[name] for name in REQUIRED if name not in columns]
    if missing:
        raise BatchFileUnreadable(f"第 {header_row} 行（表头）缺少必需的列：{'、'.join(missing)}")
    return columns


def _coordinate(text: str, label: str, low: float, high: float, reasons: list[str]) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        reasons.append(f"{label}不是数字")
        return None
    if not low <= value <= high:
        reasons.append(f"{label}超出范围（{low:g} 至 {high:g}）")
        return None
    return value


def check_row(row: int, cells: dict[str, str]) -> BatchRow | RefusedRow:
    reasons: list[str] = []
    batch, serial, problem = cells.get("batch", ""), cells.get("serial", ""), cells.get("problem", "")
    township, domain_text = cells.get("township", ""), cells.get("domain", "")
    limits = (("batch", batch, 100), ("serial", serial, 100), ("problem", problem, 5000), ("township", township, 100))
    for name, value, limit in limits:
        if not value:
            reasons.append(f"{LABELS[name]}为空")
        elif len(value) > limit:
            reasons.append(f"{LABELS[name]}超过 {limit} 个字")
    reasons += [
        f"{LABELS.get(name, name)}含有控制字符" for name, value in cells.items() if has_control_characters(value)
    ]
    domain = _DOMAINS.get(domain_text)
    if not domain_text:
        reasons.append("领域为空")
    elif domain is None:
        reasons.append(f"领域“{domain_text[:20]}”无法识别，可填：{'、'.join(DOMAIN_LABELS.values())}")
    title = cells.get("title", "") or title_from(problem)
    if len(title) > 200:
        reasons.append("标题超过 200 个字")
    lat = _coordinate(cells.get("lat", ""), "纬度", -90, 90, reasons)
    lon = _coordinate(cells.get("lon", ""), "经度", -180, 180, reasons)
    if (lat is None) != (lon is None) and not any(r.startswith(("纬度", "经度")) for r in reasons):
        reasons.append("经度和纬度需同时填写")
    address = cells.get("address", "")[:500] or None
    if reasons:
        return RefusedRow(row=row, batch=batch or None, serial=serial or None, reasons=reasons)
    assert domain is not None
    location = Location(address=address, lat=lat, lon=lon) if address or lat is not None else None
    return BatchRow(row, batch, serial, title, problem, township, domain, location)


def check_rows(table: list[tuple[int, dict[str, str]]]) -> list[BatchRow | RefusedRow]:
    """Checks every row; a row repeating an earlier row's batch and serial is refused, naming that row."""
    seen: dict[tuple[str, str], int] = {}
    checked: list[BatchRow | RefusedRow] = []
    for row, cells in table:
        result = check_row(row, cells)
        if isinstance(result, BatchRow):
            key = (result.batch, result.serial)
            if key in seen:
                result = RefusedRow(
                    row=row, batch=result.batch, serial=result.serial, reasons=[f"与第 {seen[key]} 行的批次和序号重复"]
                )
            else:
                seen[key] = row
        checked.append(result)
    return checked


class BatchReader:
    """Reads and checks batch files in a worker thread, one file at a time per instance, within the time budget.

    The event loop goes on serving the public form meanwhile. The read stops itself at its deadline (checked as it
    goes); waiting one second longer than that is the last guard.
    """

    def __init__(self, *, max_rows: int, max_unpacked_bytes: int, seconds: float) -> None:
        self.max_rows = max_rows
        self.max_unpacked_bytes = max_unpacked_bytes
        self.seconds = seconds
        self._one_at_a_time = asyncio.Semaphore(1)

    async def read(self, content: bytes) -> list[BatchRow | RefusedRow]:
        """Raises BatchFileUnreadable (422) when the file is not a table this import takes."""

        def work() -> list[BatchRow | RefusedRow]:
            table = read_table(
                content, max_rows=self.max_rows, max_unpacked_bytes=self.max_unpacked_bytes, seconds=self.seconds
            )
            return check_rows(table)

        async with self._one_at_a_time:
            try:
                return await asyncio.wait_for(asyncio.to_thread(work), timeout=self.seconds + 1)
            except TimeoutError as exc:
                raise BatchFileUnreadable(f"文件未能在 {self.seconds:g} 秒内读完，请精简表格或分批上传") from exc
