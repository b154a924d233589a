"""The work report's paragraphs on the documents of the work and on enforcement year on year, and a bulletin's draft."""

from datetime import UTC, date, datetime

from services.projections import bulletin, report
from services.projections.read_tables.closure import Counts
from services.projections.read_tables.documents import Counts as DocumentCounts
from services.projections.read_tables.enforcement import Figures
from shared.clock import SHANGHAI
from shared.contracts.accountability import OverdueItem, UnitStanding


def test_the_documents_paragraph_states_every_kind_of_meeting_and_document() -> None:
    counts = DocumentCounts(
        assignment_letters=12,
        rounds=2,
        findings=7,
        bulletins=3,
        summons_meetings=1,
        units_summoned=4,
        meetings={"standing_committee": 2, "executive": 1, "progress": 5},
    )
    text = report.documents_paragraph(2026, counts)
    assert text.startswith(
        "2026年，县委常委会、县政府常务会专题研究部署生态环境问题整改工作3次（常委会2次、常务会1次）"
    )
    for part in (
        "动员会0次",
        "推进会5次",
        "调度会0次",
        "印发交办函12份",
        "开展联合督查2轮、发现问题7个",
        "印发督查通报3期",
    ):
        assert part in text
    assert "召开集体约谈会1次、约谈单位4个（次）" in text


def test_enforcement_this_year_stands_beside_the_last_full_year_and_the_same_period_in_wan_yuan_to_two_decimals() -> (
    None
):
    at = datetime(2026, 6, 30, 10, tzinfo=SHANGHAI)
    years = report.EnforcementYears(
        year=2026,
        at=at,
        to_date=Figures(cases_filed=5, fines_issued_fen=1_551_801_638, persons_detained=2),
        last_year=Figures(cases_filed=11, fines_issued_fen=2_000_000_000),
        same_period_last_year=Figures(cases_filed=4, fines_issued_fen=5_000),
        same_period_until=report.a_year_earlier(at),
    )
    text = report.enforcement_years_paragraph(years)
    assert text.startswith("2026年1月1日至6月30日，全县立案查处环境违法行为5起（2025年全年11起，同期4起）")
    assert "处罚金额1551.80万元（2025年全年2000.00万元，同期0.01万元）" in text
    assert "行政拘留2人（2025年全年0人，同期0人）" in text


def test_the_same_day_a_year_earlier_is_in_county_time_and_29_february_falls_back_to_the_28th() -> None:
    assert report.a_year_earlier(datetime(2028, 2, 29, 1, tzinfo=SHANGHAI)).date() == date(2027, 2, 28)
    # 2026-01-01 00:30 in the county is still 2025 in UTC: the year is the county's
    assert report.a_year_earlier(datetime(2025, 12, 31, 16, 30, tzinfo=UTC)).date() == date(2025, 1, 1)


def counts(unit: str, total: int, closed: int, overdue: int) -> Counts:
    return Counts(
        key=unit,
        label=unit,
        total=total,
        closed=closed,
        on_schedule=total - closed - overdue,
        overdue=overdue,
        reopened=0,
    )


def test_poorly_performing_units_are_those_with_overdue_cases_the_most_overdue_then_the_lowest_rate_first() -> None:
    rows = [counts("甲镇", 10, 9, 1), counts("乙镇", 10, 2, 1), counts("丙镇", 5, 0, 3), counts("丁镇", 8, 8, 0)]
    assert [row.key for row in bulletin.poorly_performing(rows)] == ["丙镇", "乙镇", "甲镇"]


def test_a_bulletin_period_ends_with_its_last_day_or_now_and_its_text_names_the_lagging_units() -> None:
    now = datetime(2026, 3, 15, 12, tzinfo=SHANGHAI)
    assert bulletin.period_end(date(2026, 3, 31), now) == now
    assert bulletin.period_end(date(2026, 2, 28), now) == datetime(2026, 3, 1, tzinfo=SHANGHAI)
    overdue = [OverdueItem(issue_id="i", title="t", unit="乙镇", deadline=None, days_overdue=3)]
    units = [UnitStanding(unit="乙镇", total=10, closed=2, overdue=1, rate_percent="20.0")]
    text = bulletin.text(date(2026, 3, 1), date(2026, 3, 31), overdue, units)
    assert (
        text.startswith("2026年3月1日至2026年3月31日，全县共有超期未完成整改问题1个")
        and "乙镇超期1个、完成率20.0%" in text
    )
    assert "无超期" in bulletin.text(date(2026, 3, 1), date(2026, 3, 31), [], [])
