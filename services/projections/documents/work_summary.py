"""工作汇报 as a Word document: the report's text with every figure filled, the tables behind it, and the charts.

The text is `report.paragraphs` as given (whatever paragraphs the report states, in its order); the tables give the
exact figures (amounts in 元 to the fen) the text rounds (万元 to two decimals); the charts draw the closure by source,
by task force (专项整治组) and month by month.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from docx.shared import Cm

from services.projections import present
from services.projections.documents import charts, writing
from services.projections.documents.charts import Series
from services.projections.read_tables.closure import Counts
from services.projections.report import WorkSummary, assessment_table
from shared.clock import SHANGHAI

TITLE = "全县生态环境问题整改工作情况汇报"
NO_FONT = "（图表未生成：服务器未安装中文字体，请运行 make install，或以 CHART_FONT 指定字体文件）"

CLOSURE_HEADER = ("问题来源", "问题数", "已销号", "完成率(%)", "正在整改", "其中超期", "重新整改")
TREND_HEADER = ("月份", "累计问题数", "已销号", "完成率(%)", "正在整改", "其中超期")
ENFORCEMENT_HEADER = ("项目", "数量")
ACCOUNTABILITY_HEADER = ("项目", "数量")
TASK_FORCE_HEADER = (
    "专项整治组",
    "牵头县领导",
    "牵头单位",
    "问题数",
    "已销号",
    "完成率(%)",
    "正在整改",
    "其中超期",
    "督办问责",
)
# The names wide, the figures narrow: adding up to the text's width (15.6 cm).
TASK_FORCE_WIDTHS = tuple(Cm(w) for w in (2.6, 2.4, 2.4, 1.2, 1.2, 1.4, 1.4, 1.4, 1.6))
TASK_FORCE_CHART = "各专项整治组整改情况"


@dataclass(frozen=True)
class TaskForceFigures:
    """专项整治组 as `GET /v1/stats/task-forces` states it: its closure figures (label: its name), its leader and lead
    department (None: 其他, the cases of no task force), and its escalations (督办问责) of every kind."""

    counts: Counts
    leader: str | None
    lead_department: str | None
    escalations: int


@dataclass(frozen=True)
class WorkReport:
    """What the document states: the summary's figures, its paragraphs, and the trend (one Counts a month, each
    labelled as the month, e.g. 2026年3月)."""

    summary: WorkSummary
    paragraphs: Sequence[str]
    trend: Sequence[Counts]
    task_forces: Sequence[TaskForceFigures] = ()  # none: neither the task forces' table nor their chart


def render_work_summary(report: WorkReport, *, font: Path | None) -> bytes:
    """The .docx of the work report. `font`: the CJK font the charts are drawn with (None: no charts)."""
    summary = report.summary
    day = summary.at.astimezone(SHANGHAI)
    document = writing.new_document(f"{TITLE}（{summary.year}年）")
    writing.title(document, TITLE)
    writing.centred(document, f"（截至{day.year}年{day.month}月{day.day}日）")

    writing.heading(document, "一、总体情况")
    for paragraph in report.paragraphs:
        writing.text(document, paragraph)

    writing.heading(document, "二、附表")
    by_source = list(summary.by_source.values())
    writing.table(
        document, "表1 各来源问题整改情况", CLOSURE_HEADER, [*map(closure_row, by_source), closure_row(summary.overall)]
    )
    writing.table(document, "表2 逐月整改进展", TREND_HEADER, [trend_row(c) for c in report.trend])
    writing.table(document, f"表3 {summary.year}年环境执法情况", ENFORCEMENT_HEADER, enforcement_rows(summary))
    writing.table(document, f"表4 {summary.year}年责任追究情况", ACCOUNTABILITY_HEADER, accountability_rows(summary))
    headers, *ranking = assessment_table(summary.assessment)
    writing.table(document, f"表5 {summary.year}年责任单位绩效考核排名", headers, [list(row) for row in ranking])
    if report.task_forces:
        rows = [task_force_row(f) for f in report.task_forces]
        writing.table(document, f"表6 {TASK_FORCE_CHART}", TASK_FORCE_HEADER, rows, widths=TASK_FORCE_WIDTHS)

    writing.heading(document, "三、附图")
    if font is None:
        writing.text(document, NO_FONT)
    else:
        writing.picture(document, "图1 各来源问题整改情况", source_chart(by_source, font))
        writing.picture(document, "图2 逐月整改进展", trend_chart(report.trend, font))
        if report.task_forces:
            writing.picture(document, f"图3 {TASK_FORCE_CHART}", task_force_chart(report.task_forces, font))
    return writing.saved(document)


def closure_row(counts: Counts) -> list[str]:
    figures = (counts.total, counts.closed, counts.rate_percent, counts.open, counts.overdue, counts.reopened)
    return [counts.label, *map(str, figures)]


def trend_row(counts: Counts) -> list[str]:
    figures = (counts.total, counts.closed, counts.rate_percent, counts.open, counts.overdue)
    return [counts.label, *map(str, figures)]


def task_force_row(force: TaskForceFigures) -> list[str]:
    c = force.counts
    figures = (c.total, c.closed, c.rate_percent, c.open, c.overdue, force.escalations)
    return [c.label, force.leader or "—", force.lead_department or "—", *map(str, figures)]


def enforcement_rows(summary: WorkSummary) -> list[list[str]]:
    e = summary.enforcement
    return [
        ["立案查处（起）", str(e.cases_filed)],
        ["行政处罚决定（份）", str(e.penalties)],
        ["处罚金额（元）", present.yuan(e.fines_issued_fen)],
        ["已缴纳罚款（元）", present.yuan(e.fines_paid_fen)],
        ["按日连续处罚（次）", str(e.daily_penalty_rounds)],
        ["按日连续处罚金额（元）", present.yuan(e.daily_penalty_fen)],
        ["行政拘留（人）", str(e.persons_detained)],
        ["采取刑事强制措施（人）", str(e.persons_criminal_measures)],
        ["移送起诉（人）", str(e.persons_referred)],
        ["结案（起）", str(e.cases_closed)],
    ]


def accountability_rows(summary: WorkSummary) -> list[list[str]]:
    a = summary.accountability
    return [
        ["通报预警（次）", str(a.warnings)],
        ["约谈主要负责人（人次）", str(a.summons)],
        ["通报批评（单位）", str(a.criticism_notice_units)],
        ["移交纪委监委（次）", str(a.discipline_referrals)],
        ["集体约谈（次）", str(a.collective_summons)],
        ["批评教育（人）", str(a.criticism_education)],
        ["书面检查（人）", str(a.written_self_criticism)],
        ["诫勉谈话（人）", str(a.admonishment_talk)],
        ["约谈提醒（人）", str(a.reminder_talk)],
        ["提醒谈话（人次）", str(a.warning_talk)],
    ]


def source_chart(by_source: Sequence[Counts], font: Path) -> bytes:
    return charts.bar_chart(
        "各来源问题整改情况",
        [c.label for c in by_source],
        [Series("问题数", [c.total for c in by_source]), Series("已销号", [c.closed for c in by_source])],
        font,
    )


def task_force_chart(forces: Sequence[TaskForceFigures], font: Path) -> bytes:
    return charts.bar_chart(
        TASK_FORCE_CHART,
        [f.counts.label for f in forces],
        [
            Series("问题数", [f.counts.total for f in forces]),
            Series("已销号", [f.counts.closed for f in forces]),
            Series("其中超期", [f.counts.overdue for f in forces]),
        ],
        font,
    )


def trend_chart(trend: Sequence[Counts], font: Path) -> bytes:
    years = {c.label.split("年", 1)[0] for c in trend}
    one_year = len(years) == 1
    return charts.line_chart(
        f"{years.pop()}年逐月整改进展（各月末）" if one_year else "逐月整改进展（各月末）",
        [c.label.split("年", 1)[-1] if one_year else c.label for c in trend],  # 2026年3月 → 3月: the title has 2026
        [
            Series("累计问题数", [c.total for c in trend]),
            Series("已销号", [c.closed for c in trend]),
            Series("正在整改", [c.open for c in trend]),
        ],
        font,
    )
