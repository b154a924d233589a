"""Money stays exact from fen to the report's 万元, and the report states the figures as a county does."""

from datetime import UTC, datetime

from services.projections.present import wan_yuan, yuan
from services.projections.read_tables import documents
from services.projections.read_tables.accountability import Tally
from services.projections.read_tables.closure import Counts
from services.projections.read_tables.enforcement import Figures
from services.projections.report import EnforcementYears, WorkSummary, paragraphs
from shared.contracts.codes import CaseStatus
from shared.contracts.money import fen_to_yuan


def test_yuan_and_wan_yuan_are_exact() -> None:
    assert str(fen_to_yuan(12_345)) == "123.45"
    assert str(fen_to_yuan(100)) == "1.00"
    assert yuan(1_551_801_638) == "15,518,016.38"
    assert yuan(5) == "0.05"


def test_wan_yuan_has_two_decimals_rounded_half_up() -> None:
    assert wan_yuan(1_551_801_638) == "1551.80"  # the report printed 1551.801638万元
    assert wan_yuan(1_250_000) == "1.25"
    assert wan_yuan(100_000_000) == "100.00"
    assert wan_yuan(0) == "0.00"
    assert wan_yuan(4_999) == "0.00"  # 49.99元
    assert wan_yuan(5_000) == "0.01"  # 50元: half a 百元 goes up
    assert wan_yuan(1_234_500_000) == "1234.50"
    assert wan_yuan(1_234_565_000) == "1234.57"  # ROUND_HALF_UP, not the banker's 1234.56


def test_the_rate_is_rounded_half_up_to_one_decimal() -> None:
    assert Counts("k", "l", total=3, closed=2, on_schedule=1, overdue=0, reopened=0).rate_percent == "66.7"
    assert Counts("k", "l", total=8, closed=1, on_schedule=7, overdue=0, reopened=0).rate_percent == "12.5"
    assert Counts("k", "l", total=0, closed=0, on_schedule=0, overdue=0, reopened=0).rate_percent == "0.0"


def test_the_work_report_states_each_figure_in_the_countys_words() -> None:
    summary = WorkSummary(
        year=2025,
        at=datetime(2025, 6, 30, 15, 59, tzinfo=UTC),
        overall=Counts("", "合计", total=120, closed=100, on_schedule=12, overdue=8, reopened=3),
        by_source={"central_inspection": Counts("central_inspection", "中央环保督察", 40, 38, 1, 1, 0)},
        in_procedure={CaseStatus.AWAITING_NOTICE: 0, CaseStatus.IN_NOTICE: 3, CaseStatus.AWAITING_SIGNOFF: 1},
        enforcement=Figures(
            cases_filed=23,
            fines_issued_fen=345_670_000,
            persons_detained=4,
            persons_criminal_measures=1,
            persons_referred=2,
        ),
        accountability=Tally(
            criticism_notice_units=3,
            summons=5,
            warning_talk=7,
            criticism_education=2,
            written_self_criticism=1,
            admonishment_talk=1,
            reminder_talk=4,
        ),
        assessment=[],
        documents=documents.Counts(0, 0, 0, 0, 0, 0, {}),
        enforcement_years=EnforcementYears(
            2025,
            datetime(2025, 6, 30, 15, 59, tzinfo=UTC),
            Figures(),
            Figures(),
            Figures(),
            datetime(2024, 6, 30, 15, 59, tzinfo=UTC),
        ),
    )
    assert paragraphs(summary) == [
        "截至2025年6月30日，全县共受理各类生态环境问题120个，已销号100个，完成率83.3%；正在整改20个，其中超期8个。"
        "正在整改的问题中，已验收通过、正在履行销号程序的4个（公示中3个、待审签1个）。"
        "历次中央环保督察共反馈我县问题40个，已销号38个，完成率95.0%。"
        "历次省级环保督察共反馈我县问题0个，已销号0个，完成率0.0%。",
        "2025年，立案查处环境违法行为23起，处罚345.67万元，行政拘留4人，采取刑事强制措施1人，移送起诉2人。",
        "2025年1月1日至6月30日，全县立案查处环境违法行为0起（2024年全年0起，同期0起），处罚金额0.00万元（2024年全年0.00万元，"
        "同期0.00万元），行政拘留0人（2024年全年0人，同期0人），采取刑事强制措施0人（2024年全年0人，同期0人），"
        "移送起诉0人（2024年全年0人，同期0人）。",
        "2025年，给予3个单位通报批评，约谈主要负责人5人次，提醒谈话7人次；批评教育2人、书面检查1人、诫勉谈话1人、约谈提醒4人。",
        "2025年，县委常委会、县政府常务会专题研究部署生态环境问题整改工作0次（常委会0次、常务会0次），召开动员会0次、推进会0次、"
        "调度会0次；印发交办函0份，开展联合督查0轮、发现问题0个，印发督查通报0期，召开集体约谈会0次、约谈单位0个（次）。",
        "2025年，尚无参加绩效考核的责任单位。",
    ]
