"""A crafted spreadsheet is refused in Chinese within a second and with bounded memory (issue 12, 5)."""

import csv
import io
import tracemalloc
from collections.abc import Callable

import pytest

from services.intake.batch_file import read_table
from services.intake.spreadsheet import MAX_CELL_CHARS, MAX_COLUMNS, BatchFileUnreadable
from tests.unit.intake import crafted

MIB = 1024 * 1024


def refused(content: bytes, max_rows: int = 5000) -> tuple[str, float]:
    """The refusal's message and the memory the read allocated at its peak (MiB).

    The peak, not the time, is what a test can hold a parser to: it is the same on a loaded machine, and a read that
    expands what it was sent (rows padded to Excel's width, a zip bomb inflated) shows in it. How long refusals take
    is the read's time budget's to bound (`test_a_read_that_outlasts_its_time_budget_stops_itself`).
    """
    tracemalloc.start()
    try:
        with pytest.raises(BatchFileUnreadable) as caught:
            read_table(content, max_rows=max_rows)
        peak = tracemalloc.get_traced_memory()[1] / MIB
    finally:
        tracemalloc.stop()
    return caught.value.message, peak


def test_the_issues_five_kilobyte_file_declaring_1500_full_width_rows_is_read_at_the_width_it_has() -> None:
    content = crafted.full_width_rows(1500)
    assert len(content) < 10_000
    message, peak = refused(content)
    # Before: every row padded to 16,384 columns, 1.2 s and 231 MB for nothing in it.
    assert message == "文件中没有内容"
    assert peak < 20


def test_a_file_declaring_full_width_rows_with_a_header_and_problems_is_read_as_it_is() -> None:
    rows = crafted.header_row() + crafted.problem_rows(2, 300)
    content = crafted.workbook_with({crafted.SHEET: crafted.sheet(rows, dimension="A1:XFD1048576")})
    tracemalloc.start()
    try:
        table = read_table(content, max_rows=5000)
        peak = tracemalloc.get_traced_memory()[1] / MIB
    finally:
        tracemalloc.stop()
    assert len(table) == 300 and table[0] == (
        2,
        {"batch": "第3批", "serial": "2", "problem": "粉尘", "township": "城关镇", "domain": "air"},
    )
    assert peak < 20


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (crafted.zip_bomb, "解压后超过 32 MB"),
        (crafted.lying_zip_bomb, "无法读取该 Excel 文件"),
        (
            lambda: crafted.workbook_with({crafted.SHEET: crafted.sheet(f'<row r="1">{"<c/>" * 1_000_000}</row>')}),
            f"第 1 行超过 {MAX_COLUMNS} 列",
        ),
        (
            lambda: crafted.workbook_with(
                {crafted.SHEET: crafted.sheet(crafted.header_row() + crafted.problem_rows(2, 5200))}
            ),
            "一次最多导入 5000 行",
        ),
        (
            lambda: crafted.workbook_with({crafted.SHEET: crafted.sheet('<row r="2000000"><c><v>1</v></c></row>')}),
            "行号超出 Excel 的范围",
        ),
        (
            lambda: crafted.workbook_with(
                {
                    crafted.SHEET: crafted.sheet(
                        f'<row r="1"><c t="inlineStr"><is><t>{"很" * (MAX_CELL_CHARS + 1)}</t></is></c></row>'
                    )
                }
            ),
            f"超过 {MAX_CELL_CHARS} 个字符",
        ),
        (
            lambda: crafted.workbook_with(
                {"xl/sharedStrings.xml": b'<sst xmlns="x">' + b"<si><t>a</t></si>" * 200_000 + b"</sst>"}
            ),
            "共享字符串多于表格中的单元格",
        ),
        (
            lambda: crafted.workbook_with(
                {
                    "xl/styles.xml": b'<styleSheet xmlns="x"><cellXfs>'
                    + b"<xf/>" * 1_000_000
                    + b"</cellXfs></styleSheet>"
                }
            ),
            "内容数量超出正常范围",
        ),
        (
            lambda: crafted.workbook_with(
                {crafted.SHEET: b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + crafted.sheet(crafted.header_row())}
            ),
            "DOCTYPE",
        ),
    ],
    ids=[
        "zip bomb",
        "lying zip bomb",
        "a row of a million cells",
        "too many rows",
        "row beyond excel",
        "huge cell",
        "shared strings bomb",
        "styles bomb",
        "doctype",
    ],
)
def test_a_crafted_xlsx_is_refused_in_chinese_with_bounded_memory(make: Callable[[], bytes], expected: str) -> None:
    message, peak = refused(make())
    assert expected in message
    assert peak < 40, peak


def test_a_csv_wider_than_the_limit_or_with_a_huge_cell_is_refused() -> None:
    def csv_bytes(rows: list[list[str]]) -> bytes:
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        return out.getvalue().encode()

    header = ["批次", "序号", "问题", "乡镇", "领域"]
    wide = refused(csv_bytes([header, ["b", "1", "x", "y", "air", *["z"] * MAX_COLUMNS]]))[0]
    assert f"第 2 行超过 {MAX_COLUMNS} 列" in wide
    huge = refused(csv_bytes([header, ["b", "1", "很" * (MAX_CELL_CHARS + 1), "y", "air"]]))[0]
    assert f"第 2 行有单元格超过 {MAX_CELL_CHARS} 个字符" in huge
    # Trailing empty columns, as Excel writes them, are no reason to refuse.
    assert len(read_table(csv_bytes([header + [""] * 200, ["b", "1", "x", "y", "air"]]), max_rows=10)) == 1


def test_a_read_that_outlasts_its_time_budget_stops_itself() -> None:
    rows = crafted.header_row() + crafted.problem_rows(2, 3000)
    content = crafted.workbook_with({crafted.SHEET: crafted.sheet(rows)})
    with pytest.raises(BatchFileUnreadable) as caught:
        read_table(content, max_rows=5000, seconds=0.001)
    assert "秒内读完" in caught.value.message
