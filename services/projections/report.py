"""The work report (工作汇报): the figures a county states, in the words it states them.

Every number comes from the same queries as the stats endpoints: closure rates as of the moment
(历次: all rounds, not only the year), enforcement figures and the accountability tally of the year.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from services.projections.assessment import Kind
from services.projections.filters import CaseFilters, GroupBy
from services.projections.present import wan_yuan
from services.projections.read_tables import accountability, closure, enforcement
from services.projections.read_tables.accountability import Tally
from services.projections.read_tables.closure import Counts, Moment
from services.projections.read_tables.enforcement import Figures
from services.projections.scoring import Score
from shared.clock import SHANGHAI
from shared.contracts.codes import SOURCE_LABELS, Source
from shared.db import Connection

# The inspections a county reports on one by one (历次…环保督察共反馈我县问题N个).
REPORTED_SOURCES = (Source.CENTRAL_INSPECTION, Source.PROVINCIAL_INSPECTION)


@dataclass(frozen=True)
class WorkSummary:
    year: int
    at: datetime
    overall: Counts
    by_source: dict[str, Counts]
    enforcement: Figures
    accountability: Tally


async def gather(conn: Connection, *, year: int, as_of: datetime | None, now: datetime) -> WorkSummary:
    moment = Moment(as_of, now)
    filters = CaseFilters(as_of=as_of)
    by_source = await closure.rates(conn, filters, moment, GroupBy.source)
    per_year = await enforcement.per_year(conn, year=year, as_of=as_of)
    tally = await accountability.tally(conn, None, year=year, as_of=as_of)
    return WorkSummary(
        year=year,
        at=moment.at,
        overall=closure.total(by_source),
        by_source={row.key: row for row in by_source},
        enforcement=enforcement.add(list(per_year.values())),
        accountability=tally[0][1],
    )


def source_counts(summary: WorkSummary, source: Source) -> Counts:
    empty = Counts(
        key=source.value, label=SOURCE_LABELS[source], total=0, closed=0, on_schedule=0, overdue=0, reopened=0
    )
    return summary.by_source.get(source.value, empty)


def paragraphs(summary: WorkSummary) -> list[str]:
    """The report's sentences (zh-CN)."""
    day = summary.at.astimezone(SHANGHAI)
    overall = summary.overall
    closure_text = (
        f"截至{day.year}年{day.month}月{day.day}日，全县共受理各类生态环境问题{overall.total}个，"
        f"已销号{overall.closed}个，完成率{overall.rate_percent}%；"
        f"正在整改{overall.open}个，其中超期{overall.overdue}个。"
    )
    for source in REPORTED_SOURCES:
        counts = source_counts(summary, source)
        closure_text += (
            f"历次{SOURCE_LABELS[source]}共反馈我县问题{counts.total}个，"
            f"已销号{counts.closed}个，完成率{counts.rate_percent}%。"
        )
    e = summary.enforcement
    enforcement_text = (
        f"{summary.year}年，立案查处环境违法行为{e.cases_filed}起，处罚{wan_yuan(e.fines_issued_fen)}万元，"
        f"行政拘留{e.persons_detained}人，采取刑事强制措施{e.persons_criminal_measures}人，"
        f"移送起诉{e.persons_referred}人。"
    )
    a = summary.accountability
    accountability_text = (
        f"{summary.year}年，给予{a.criticism_notice_units}个单位通报批评，约谈主要负责人{a.summons}人次，"
        f"提醒谈话{a.warning_talk}人次；批评教育{a.criticism_education}人、书面检查{a.written_self_criticism}人、"
        f"诫勉谈话{a.admonishment_talk}人、约谈提醒{a.reminder_talk}人。"
    )
    return [closure_text, enforcement_text, accountability_text]


# ---- 绩效考核 (issue 17 item 4): the ranking's sentence and table, from read_tables.assessment.ranking ----

ASSESSMENT_HEADERS = ("排名", "责任单位", "得分", "扣分", "加分", "扣分项")


def assessment_paragraph(year: int, ranked: list[tuple[int, Score]]) -> str:
    """The ranking in one sentence (zh-CN): how many units, the average, the highest and lowest, the deductions."""
    if not ranked:
        return f"{year}年，尚无参加绩效考核的责任单位。"
    scores = [score.score for _, score in ranked]
    average = (sum(scores, Decimal(0)) / len(scores)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    items = [item for _, score in ranked for item in score.items if item.points < 0]
    counted = {kind: sum(1 for i in items if i.kind is kind) for kind in Kind}
    escalations = sum(counted[k] for k in (Kind.WARNING, Kind.SUMMONS, Kind.CRITICISM_NOTICE, Kind.DISCIPLINE_REFERRAL))
    top, bottom = ranked[0][1], ranked[-1][1]
    return (
        f"{year}年，对{len(ranked)}个责任单位进行绩效考核，平均得分{average}分，"
        f"得分最高的为{top.unit}（{top.score}分），最低的为{bottom.unit}（{bottom.score}分）；"
        f"共扣分{len(items)}项，其中超期{counted[Kind.OVERDUE_CASE]}次、验收不通过{counted[Kind.CLOSURE_REJECTED]}次、"
        f"公示异议成立{counted[Kind.OBJECTION_UPHELD]}次、督办问责{escalations}次。"
    )


def assessment_table(ranked: list[tuple[int, Score]]) -> list[tuple[str, ...]]:
    """The ranking as the report's table: ASSESSMENT_HEADERS, then a row per unit (points as exact decimals)."""
    rows: list[tuple[str, ...]] = [ASSESSMENT_HEADERS]
    return rows + [
        (
            str(rank),
            score.unit,
            str(score.score),
            str(score.deducted),
            str(score.bonus),
            str(sum(1 for i in score.items if i.points < 0)),
        )
        for rank, score in ranked
    ]
