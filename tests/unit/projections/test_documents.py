"""The documents (工作汇报, 交办函, 督查通报) state their data: opened again, every figure is where it belongs."""

import io
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn

from services.projections.documents import charts
from services.projections.documents.assignment_letter import AssignmentLetter, render_assignment_letter
from services.projections.documents.bulletin import Bulletin, OverdueCase, PoorUnit, of_issued, render_bulletin
from services.projections.documents.work_summary import NO_FONT, TaskForceFigures, WorkReport, render_work_summary
from services.projections.read_tables import documents
from services.projections.read_tables.accountability import Tally
from services.projections.read_tables.closure import Counts
from services.projections.read_tables.enforcement import Figures
from services.projections.report import EnforcementYears, WorkSummary, paragraphs
from shared.contracts.accountability import BulletinIssued, OverdueItem, UnitStanding
from tests.support.documents import PNG_SIGNATURE, opened
from tests.support.stack import ROOT

FONT = charts.find_font()
needs_font = pytest.mark.skipif(FONT is None, reason="no CJK font: make install installs fonts-wqy-microhei")

SUMMARY = WorkSummary(
    year=2026,
    at=datetime(2026, 6, 30, 15, 59, tzinfo=UTC),
    overall=Counts("", "合计", total=120, closed=100, on_schedule=12, overdue=8, reopened=3),
    by_source={
        "central_inspection": Counts("central_inspection", "中央环保督察", 40, 38, 1, 1, 0),
        "hotline_12369": Counts("hotline_12369", "12369热线", 80, 62, 11, 7, 3),
    },
    in_procedure={},
    enforcement=Figures(cases_filed=23, penalties=25, fines_issued_fen=1_551_801_638, fines_paid_fen=1_000_000_05),
    accountability=Tally(summons=5, criticism_notice_units=3, admonishment_talk=1),
    assessment=[],
    documents=documents.Counts(0, 0, 0, 0, 0, 0, {}),
    enforcement_years=EnforcementYears(
        2026,
        datetime(2026, 6, 30, 15, 59, tzinfo=UTC),
        Figures(),
        Figures(),
        Figures(),
        datetime(2025, 6, 30, 15, 59, tzinfo=UTC),
    ),
)
TREND = [Counts(f"2026-{m:02d}", f"2026年{m}月", 20 * m, 15 * m, 4 * m, m, 0) for m in range(1, 7)]

LETTER = AssignmentLetter(
    issue_id="ISS-2026-0042",
    title="城关镇河西村砂场扬尘",
    source="中央环保督察",
    township="城关镇",
    problem="砂场未落实扬尘防治措施",
    task="完成围挡、覆盖和洒水降尘，验收合格",
    unit="城关镇人民政府",
    leader_name="李四",
    leader_post="副县长",
    liaison="县政府办公室督查科",
    deadline=datetime(2026, 3, 5, 10, 0, tzinfo=UTC),  # 18:00 北京时间
    measures="按期完成的予以通报表扬；逾期的约谈主要负责人",
    issued_at=datetime(2026, 2, 1, 2, 0, tzinfo=UTC),
)


def test_the_work_report_holds_its_paragraphs_tables_and_charts() -> None:
    document = opened(render_work_summary(WorkReport(SUMMARY, paragraphs(SUMMARY), TREND), font=FONT))

    assert document.paragraphs[0] == "全县生态环境问题整改工作情况汇报"
    assert "（截至2026年6月30日）" in document.paragraphs
    for paragraph in paragraphs(SUMMARY):
        assert paragraph in document.paragraphs
    assert any("处罚1551.80万元" in p for p in document.paragraphs)

    closure = document.table_after("表1 各来源问题整改情况")
    assert closure[1:] == [
        ["中央环保督察", "40", "38", "95.0", "2", "1", "0"],
        ["12369热线", "80", "62", "77.5", "18", "7", "3"],
        ["合计", "120", "100", "83.3", "20", "8", "3"],
    ]
    trend = document.table_after("表2 逐月整改进展")
    assert [row[0] for row in trend[1:]] == [f"2026年{m}月" for m in range(1, 7)]
    assert trend[-1][1:] == ["120", "90", "75.0", "30", "6"]
    enforcement = {k: v for k, v in document.table_after("表3 2026年环境执法情况")[1:]}
    assert enforcement["处罚金额（元）"] == "15,518,016.38"  # exact in the table, 1551.80万元 in the text
    assert enforcement["已缴纳罚款（元）"] == "1,000,000.05"
    assert enforcement["立案查处（起）"] == "23"
    accountability = {k: v for k, v in document.table_after("表4 2026年责任追究情况")[1:]}
    assert accountability["约谈主要负责人（人次）"] == "5" and accountability["通报批评（单位）"] == "3"

    if FONT is not None:
        assert len(document.pictures) == 2
        assert all(p.startswith(PNG_SIGNATURE) and len(p) > 10_000 for p in document.pictures)


def test_without_a_cjk_font_the_work_report_says_why_it_has_no_charts() -> None:
    document = opened(render_work_summary(WorkReport(SUMMARY, paragraphs(SUMMARY), TREND), font=None))
    assert document.pictures == []
    assert NO_FONT in document.paragraphs
    assert len(document.tables) == 5
    assert document.tables[4] == [["排名", "责任单位", "得分", "扣分", "加分", "扣分项"]]  # no unit assessed here


@needs_font
def test_charts_are_pngs_of_the_documents_size() -> None:
    assert FONT is not None
    series = [charts.Series("问题数", [3, 0, 17]), charts.Series("已销号", [1, 0, 9])]
    for draw in (charts.bar_chart, charts.line_chart):
        png = draw("标题", ["中央环保督察", "省级环保督察", "12369热线"], series, FONT)
        assert png.startswith(PNG_SIGNATURE)
        assert int.from_bytes(png[16:20], "big") == charts.WIDTH and int.from_bytes(png[20:24], "big") == charts.HEIGHT
    assert charts.line_chart("空", [], [], FONT).startswith(PNG_SIGNATURE)  # a year before its first month


def test_the_value_axis_ends_at_a_round_number() -> None:
    assert [charts._nice_ceiling(v) for v in (0, 4, 5, 6, 11, 99, 101, 2400)] == [5, 5, 5, 10, 25, 100, 250, 2500]


def test_the_fonts_make_install_provides_are_those_the_charts_look_for() -> None:
    script = (ROOT / "infra" / "fonts.sh").read_text()
    assert [Path(p) for p in re.findall(r"^  (/usr/share/fonts/\S+)$", script, re.M)] == list(charts.FONT_CANDIDATES)
    assert charts.find_font(Path("/nonexistent.ttc")) == charts.find_font()


def test_an_assignment_letter_states_the_five_definitions() -> None:
    document = opened(render_assignment_letter(LETTER))

    assert document.paragraphs[0] == "生态环境问题整改交办函"
    assert document.paragraphs[1] == "交办函〔　　〕　　号"  # not numbered: the office writes the number in
    assert "城关镇人民政府：" in document.paragraphs
    assert any("ISS-2026-0042" in p and "城关镇河西村砂场扬尘" in p for p in document.paragraphs)
    assert document.tables[0][1:] == [
        ["问题", "砂场未落实扬尘防治措施"],
        ["整改任务", "完成围挡、覆盖和洒水降尘，验收合格"],
        ["责任单位", "城关镇人民政府"],
        ["包案领导", "李四（副县长），联络渠道：县政府办公室督查科"],
        ["整改时限", "2026年3月5日18:00前"],
        ["奖惩措施", "按期完成的予以通报表扬；逾期的约谈主要负责人"],
    ]
    assert document.paragraphs[-1] == "2026年2月1日"


def test_a_numbered_letter_carries_its_number_and_a_leader_without_liaison_has_none() -> None:
    letter = AssignmentLetter(**{**LETTER.__dict__, "number": "交办函〔2026〕12号", "liaison": None})
    document = opened(render_assignment_letter(letter))
    assert document.paragraphs[1] == "交办函〔2026〕12号"
    assert document.tables[0][4] == ["包案领导", "李四（副县长）"]


def test_a_bulletin_names_its_overdue_cases_and_poorly_performing_units() -> None:
    bulletin = Bulletin(
        number=3,
        year=2026,
        period_start=date(2026, 5, 1),
        period_end=date(2026, 5, 31),
        issued_at=datetime(2026, 6, 2, 1, 0, tzinfo=UTC),
        overdue=[
            OverdueCase("ISS-1", "河道采砂", "城关镇人民政府", datetime(2026, 5, 10, 10, 0, tzinfo=UTC), 22),
            OverdueCase("ISS-2", "养殖废水直排", "县农业农村局", datetime(2026, 5, 20, 10, 0, tzinfo=UTC), 12),
        ],
        units=[PoorUnit("城关镇人民政府", cases=10, closed=4, rate_percent="40.0", overdue=3, reason="超期问题3个")],
    )
    document = opened(render_bulletin(bulletin))

    assert document.paragraphs[:2] == ["督查通报", "2026年第3期"]
    assert any("2026年5月1日至2026年5月31日" in p and "尚有2个问题" in p for p in document.paragraphs)
    assert document.tables[0][1:] == [
        ["1", "ISS-1", "河道采砂", "城关镇人民政府", "2026年5月10日18:00前", "22"],
        ["2", "ISS-2", "养殖废水直排", "县农业农村局", "2026年5月20日18:00前", "12"],
    ]
    assert document.tables[1][1:] == [["1", "城关镇人民政府", "10", "4", "40.0", "3", "超期问题3个"]]


def test_a_bulletin_with_nothing_to_name_says_so() -> None:
    bulletin = Bulletin(1, 2026, date(2026, 1, 1), date(2026, 1, 31), datetime(2026, 2, 1, tzinfo=UTC), [], [])
    document = opened(render_bulletin(bulletin))
    assert document.tables == []
    assert "本期无超期未完成整改的问题。" in document.paragraphs and "本期无通报的单位。" in document.paragraphs


def test_the_documents_name_the_fonts_of_a_county_document_and_no_theme_font() -> None:
    document = Document(io.BytesIO(render_assignment_letter(LETTER)))
    for style, font in (("Normal", "仿宋"), ("Title", "宋体"), ("Heading 1", "黑体"), ("表格文字", "宋体")):
        fonts = document.styles[style].element.rPr.rFonts
        assert fonts.get(qn("w:eastAsia")) == font and fonts.get(qn("w:ascii")) == font, style
        assert not [name for name in fonts.attrib if name.endswith("Theme") or name.endswith("theme")], style
    assert document.styles["Title"].element.pPr.find(qn("w:pBdr")) is None


def test_the_work_report_states_each_task_force_in_a_table_and_a_chart() -> None:
    forces = [
        TaskForceFigures(Counts("quarry", "采石制砂", 30, 20, 6, 4, 1), "王五（副县长）", "县自然资源局", 3),
        TaskForceFigures(Counts("other", "其他", 5, 5, 0, 0, 0), None, None, 0),
    ]
    report = WorkReport(SUMMARY, paragraphs(SUMMARY), TREND, task_forces=forces)
    document = opened(render_work_summary(report, font=FONT))

    assert document.table_after("表6 各专项整治组整改情况")[1:] == [
        ["采石制砂", "王五（副县长）", "县自然资源局", "30", "20", "66.7", "10", "4", "3"],
        ["其他", "—", "—", "5", "5", "100.0", "0", "0", "0"],
    ]
    if FONT is not None:
        assert len(document.pictures) == 3 and "图3 各专项整治组整改情况" in document.paragraphs


def test_an_issued_bulletin_becomes_the_document_with_the_text_the_office_issued() -> None:
    issued = BulletinIssued(
        year=2026,
        number=2,
        bulletin_no="2026年第2期",
        title="督查通报",
        period_from=date(2026, 5, 1),
        period_to=date(2026, 5, 31),
        overdue=[
            OverdueItem(issue_id="ISS-1", title="河道采砂", unit=None, deadline=None, days_overdue=0),
            OverdueItem(
                issue_id="ISS-2",
                title="养殖废水直排",
                unit="县农业农村局",
                deadline=datetime(2026, 5, 20, 10, 0, tzinfo=UTC),
                days_overdue=12,
            ),
        ],
        units=[UnitStanding(unit="县农业农村局", total=8, closed=2, overdue=1, rate_percent="25.0")],
        text="五月份督查发现，部分单位整改滞后。",
    )
    document = opened(render_bulletin(of_issued(issued, datetime(2026, 6, 2, 1, 0, tzinfo=UTC))))

    assert document.paragraphs[:4] == [
        "督查通报",
        "2026年第2期",
        "县生态环境问题整改工作领导小组办公室",
        "2026年6月2日",
    ]
    assert "五月份督查发现，部分单位整改滞后。" in document.paragraphs
    assert document.tables[0][1:] == [
        ["1", "ISS-1", "河道采砂", "—", "—", "0"],
        ["2", "ISS-2", "养殖废水直排", "县农业农村局", "2026年5月20日18:00前", "12"],
    ]
    assert document.tables[1][1:] == [["1", "县农业农村局", "8", "2", "25.0", "1", "1个问题超期未完成整改"]]
