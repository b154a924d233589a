"""交办批次文件: reading XLSX and CSV tables and checking every row."""

import io
from collections.abc import Sequence

import pytest
from openpyxl import Workbook

from services.intake.batch_file import BatchRow, RefusedRow, check_rows, read_table
from services.intake.spreadsheet import BatchFileUnreadable
from shared.contracts.codes import Domain

HEADER = ["批次", "序号", "问题", "乡镇", "领域", "地址", "经度", "纬度", "责任单位"]
ROWS = [
    ["第二轮第3批", 1, "河道内夜间采砂。河岸被挖空", "城关镇", "非法采砂采石", "河西村", 114.31, 30.12, "水利局"],
    ["第二轮第3批", 2, "养殖场污水直排", "河口镇", "livestock_aquaculture", None, None, None, "农业局"],
]


def xlsx(rows: Sequence[Sequence[object]]) -> bytes:
    book = Workbook()
    sheet = book.worksheets[0]
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: Sequence[Sequence[object]], encoding: str = "utf-8-sig") -> bytes:
    return "\n".join(",".join("" if v is None else str(v) for v in row) for row in rows).encode(encoding)


def test_an_xlsx_table_is_read_by_its_chinese_headers_with_serials_as_typed() -> None:
    rows = check_rows(read_table(xlsx([HEADER, *ROWS]), max_rows=100))
    assert all(isinstance(r, BatchRow) for r in rows)
    first, second = rows
    assert isinstance(first, BatchRow) and isinstance(second, BatchRow)
    assert (first.row, first.batch, first.serial, first.domain) == (2, "第二轮第3批", "1", Domain.QUARRYING_SAND)
    assert first.title == "河道内夜间采砂"
    assert first.location is not None and (first.location.lat, first.location.lon) == (30.12, 114.31)
    assert (second.domain, second.location) == (Domain.LIVESTOCK_AQUACULTURE, None)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_a_csv_saved_by_excel_in_utf8_or_gbk_is_read(encoding: str) -> None:
    rows = check_rows(read_table(csv_bytes([HEADER, *ROWS], encoding), max_rows=100))
    assert [r.serial for r in rows] == ["1", "2"]
    assert all(isinstance(r, BatchRow) for r in rows)


def test_english_headers_are_accepted_too() -> None:
    table = read_table(
        csv_bytes([["batch", "serial", "problem", "township", "domain"], ["B1", "7", "噪声扰民", "城关镇", "noise"]]),
        max_rows=10,
    )
    [row] = check_rows(table)
    assert isinstance(row, BatchRow) and row.domain is Domain.NOISE


def test_a_table_without_a_required_column_is_unreadable_and_says_which() -> None:
    with pytest.raises(BatchFileUnreadable) as caught:
        read_table(csv_bytes([["批次", "问题", "乡镇"], ["B", "x", "y"]]), max_rows=10)
    assert "序号" in caught.value.message and "领域" in caught.value.message


def test_an_old_xls_file_is_refused_with_advice() -> None:
    with pytest.raises(BatchFileUnreadable) as caught:
        read_table(b"\xd0\xcf\x11\xe0" + b"\x00" * 100, max_rows=10)
    assert ".xlsx" in caught.value.message


def test_a_broken_xlsx_is_unreadable() -> None:
    with pytest.raises(BatchFileUnreadable):
        read_table(b"PK\x03\x04 not really a zip", max_rows=10)


def test_too_many_rows_are_refused_before_any_is_taken() -> None:
    with pytest.raises(BatchFileUnreadable) as caught:
        read_table(csv_bytes([HEADER, *ROWS]), max_rows=1)
    assert "最多导入 1 行" in caught.value.message


def test_every_bad_row_is_refused_with_every_reason() -> None:
    rows = [
        HEADER,
        ["B", "", "问题", "城关镇", "水污染", "", "", "", ""],
        ["B", "2", "", "", "火星污染", "", "abc", "", ""],
        ["B", "3", "问题", "城关镇", "水污染", "", "114.3", "", ""],
        ["B", "4", "问题", "城关镇", "水污染", "", "", "95", ""],
    ]
    refused = check_rows(read_table(csv_bytes(rows), max_rows=10))
    assert all(isinstance(r, RefusedRow) for r in refused)
    reasons = {r.row: r.reasons for r in refused if isinstance(r, RefusedRow)}
    assert reasons[2] == ["序号为空"]
    assert "问题为空" in reasons[3] and "乡镇为空" in reasons[3] and "经度不是数字" in reasons[3]
    assert any(r.startswith("领域“火星污染”无法识别") for r in reasons[3])
    assert reasons[4] == ["经度和纬度需同时填写"]
    assert reasons[5] == ["纬度超出范围（-90 至 90）"]


def test_a_row_repeating_an_earlier_batch_and_serial_is_refused_naming_that_row() -> None:
    rows = check_rows(read_table(csv_bytes([HEADER, ROWS[0], ROWS[0]]), max_rows=10))
    assert isinstance(rows[0], BatchRow)
    assert isinstance(rows[1], RefusedRow) and rows[1].reasons == ["与第 2 行的批次和序号重复"]


def test_blank_lines_are_skipped_and_rows_keep_the_numbers_the_user_sees() -> None:
    rows = check_rows(read_table(csv_bytes([HEADER, ["", "", ""], ROWS[1]]), max_rows=10))
    assert [r.row for r in rows] == [3]


def test_a_row_with_control_characters_is_refused_with_the_reason() -> None:
    table = read_table(
        csv_bytes(
            [["batch", "serial", "problem", "township", "domain"], ["B1", "7", "噪声\x1c扰民", "城关镇", "noise"]]
        ),
        max_rows=10,
    )
    [row] = check_rows(table)
    assert isinstance(row, RefusedRow) and "问题含有控制字符" in row.reasons
