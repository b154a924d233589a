"""The work report (工作汇报): the figures a county states, in the words it states them.

Every number comes from the same queries as the stats endpoints: closure rates as of the moment
(历次: all rounds, not only the year), enforcement figures and the accountability tally of the year, and the units'
assessment (绩效考核) ranking of the year. The JSON answer and the Word document state the same paragraphs.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from services.projections.assessment import AssessmentPolicy, Kind
from services.projections.filters import CaseFilters, GroupBy
from services.projections.present import wan_yuan
from services.projections.read_tables import accountability, assessment, closure, documents, enforcement
from services.projections.read_tables.accountability import Tally
from services.projections.read_tables.closure import Counts, Moment
from services.projections.read_tables.enforcement import Figures
from services.projections.scoring import Score
from shared.clock import SHANGHAI
from shared.contracts.codes import (
    CASE_STATUS_LABELS,
    CLOSURE_PROCEDURE_STATUSES,
    SOURCE_LABELS,
    CaseStatus,
    MeetingKind,
    Source,
)
from shared.db import Connection

# The inspections a county reports on one by one (历次…环保督察共反馈我县问题N个).
REPORTED_SOURCES = (Source.CENTRAL_INSPECTION, Source.PROVINCIAL_INSPECTION)
# 销号程序's statuses, in the order a case passes them (CaseStatus lists them so): counted on their own, never closed.
PROCEDURE_STATUSES = tuple(status for status in CaseStatus if status in CLOSURE_PROCEDURE_STATUSES)


@dataclass(frozen=True)
class WorkSummary:
    year: int
    at: datetime
    overall: Counts
    by_source: dict[str, Counts]
    in_procedure: dict[CaseStatus, int]  # 销号程序: the cases at each step after a passed 验收, before 销号
    enforcement: Figures
    accountability: Tally
    assessment: list[tuple[int, Score]]  # (rank, score) of each unit assessed in the year, the highest first
    documents: "documents.Counts"  # the year's documents of the work (会议、交办函、联合督查、通报、约谈会)
    enforcement_years: "EnforcementYears"  # this year to date beside the last full year and the same period


async def gather(
    conn: Connection, policy: AssessmentPolicy, *, year: int, as_of: datetime | None, now: datetime
) -> WorkSummary:
    moment = Moment(as_of, now)
    filters = CaseFilters(as_of=as_of)
    by_source = await closure.rates(conn, filters, moment, GroupBy.source)
    per_year = await enforcement.per_year(conn, year=year, as_of=as_of)
    tally = await accountability.tally(conn, None, year=year, as_of=as_of)
    ranked = await assessment.ranking(conn, policy, year=year, as_of=as_of, now=now)
    counts = await gather_documents(conn, year=year, as_of=as_of)
    years = await gather_enforcement_years(conn, at=moment.at, as_of=as_of)
    return WorkSummary(
        year=year,
        at=moment.at,
        overall=closure.total(by_source),
        by_source={row.key: row for row in by_source},
        in_procedure=await closure.in_statuses(conn, moment, PROCEDURE_STATUSES),
        enforcement=enforcement.add(list(per_year.values())),
        accountability=tally[0][1],
        assessment=ranked,
        documents=counts,
        enforcement_years=years,
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
    if steps := sum(summary.in_procedure.values()):
        each = "、".join(f"{CASE_STATUS_LABELS[s]}{n}个" for s, n in summary.in_procedure.items() if n)
        closure_text += f"正在整改的问题中，已验收通过、正在履行销号程序的{steps}个（{each}）。"
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
    return [
        closure_text,
        enforcement_text,
        enforcement_years_paragraph(summary.enforcement_years),
        accountability_text,
        documents_paragraph(summary.year, summary.documents),
        assessment_paragraph(summary.year, summary.assessment),
    ]


# ---- 绩效考核 (issue 17 item 4): the ranking's sentence and table, from read_tables.assessment.ranking ----

ASSESSMENT_HEADERS = ("排名", "责任单位", "得分", "扣分", "加分", "扣分项")


def assessment_paragraph(year: int, ranked: list[tuple[int, Score]]) -> str:
    """The ranking in one sentence (zh-CN): how many units, the average, the highest and lowest, the deductions."""
    if not ranked:
        return f"{year}年，尚无参加绩效考核的责任单位。"
    scores = [score.score for _, score in ranked]
    average = (sum(scores, Decimal(0)) / len(scores)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    counted = {kind: sum(score.deductions.get(kind, 0) for _, score in ranked) for kind in Kind}
    escalations = sum(counted[k] for k in (Kind.WARNING, Kind.SUMMONS, Kind.CRITICISM_NOTICE, Kind.DISCIPLINE_REFERRAL))
    top, bottom = ranked[0][1], ranked[-1][1]
    return (
        f"{year}年，对{len(ranked)}个责任单位进行绩效考核，平均得分{average}分，"
        f"得分最高的为{top.unit}（{top.score}分），最低的为{bottom.unit}（{bottom.score}分）；"
        f"共扣分{sum(counted.values())}项，其中超期{counted[Kind.OVERDUE_CASE]}次、验收不通过{counted[Kind.CLOSURE_REJECTED]}次、"
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
            str(sum(score.deductions.values())),
        )
        for rank, score in ranked
    ]


# ---------------------------------------------------------------- the documents of the work (会议、交办、督查、约谈)


async def gather_documents(conn: Connection, *, year: int, as_of: datetime | None) -> documents.Counts:
    """The year's documents of the work as of the moment: the same query as /v1/stats/documents."""
    return await documents.counts(conn, year=year, as_of=as_of)


def documents_paragraph(year: int, counts: documents.Counts) -> str:
    """会议研究部署、交办、联合督查、督查通报、集体约谈: what the county did to drive the work, counted from events."""
    meetings = {kind: counts.meetings.get(kind.value, 0) for kind in MeetingKind}
    leading = meetings[MeetingKind.STANDING_COMMITTEE] + meetings[MeetingKind.EXECUTIVE]
    return (
        f"{year}年，县委常委会、县政府常务会专题研究部署生态环境问题整改工作{leading}次"
        f"（常委会{meetings[MeetingKind.STANDING_COMMITTEE]}次、常务会{meetings[MeetingKind.EXECUTIVE]}次），"
        f"召开动员会{meetings[MeetingKind.MOBILIZATION]}次、推进会{meetings[MeetingKind.PROGRESS]}次、"
        f"调度会{meetings[MeetingKind.DISPATCH]}次；印发交办函{counts.assignment_letters}份，"
        f"开展联合督查{counts.rounds}轮、发现问题{counts.findings}个，印发督查通报{counts.bulletins}期，"
        f"召开集体约谈会{counts.summons_meetings}次、约谈单位{counts.units_summoned}个（次）。"
    )


# ---------------------------------------------------------------- enforcement, this year beside the last


@dataclass(frozen=True)
class EnforcementYears:
    """执法统计 side by side: this year to date, the last full year, and the same period of last year."""

    year: int
    at: datetime
    to_date: Figures
    last_year: Figures
    same_period_last_year: Figures
    same_period_until: datetime


def a_year_earlier(moment: datetime) -> datetime:
    """The same moment of the county's calendar a year earlier (29 February → 28 February)."""
    local = moment.astimezone(SHANGHAI)
    try:
        return local.replace(year=local.year - 1)
    except ValueError:
        return local.replace(year=local.year - 1, day=28)


async def gather_enforcement_years(conn: Connection, *, at: datetime, as_of: datetime | None) -> EnforcementYears:
    """`at`: the moment of the figures (as_of, or now when absent: then the sums kept on write answer)."""
    year = at.astimezone(SHANGHAI).year
    until = a_year_earlier(at)
    this = await enforcement.per_year(conn, year=year, as_of=as_of)
    last = await enforcement.per_year(conn, year=year - 1, as_of=as_of)
    same = await enforcement.per_year(conn, year=year - 1, as_of=until)
    return EnforcementYears(
        year=year,
        at=at,
        to_date=enforcement.add(list(this.values())),
        last_year=enforcement.add(list(last.values())),
        same_period_last_year=enforcement.add(list(same.values())),
        same_period_until=until,
    )


def enforcement_years_paragraph(y: EnforcementYears) -> str:
    """This year to date beside the last full year (as the county's report sets them), the same period in brackets:
    a part of a year beside a whole one says little by itself."""
    day = y.at.astimezone(SHANGHAI)
    now, whole, period = y.to_date, y.last_year, y.same_period_last_year

    def beside(this_year: str, last_year: str, same_period: str) -> str:
        return f"{this_year}（{y.year - 1}年全年{last_year}，同期{same_period}）"

    return (
        f"{y.year}年1月1日至{day.month}月{day.day}日，全县立案查处环境违法行为"
        + beside(f"{now.cases_filed}起", f"{whole.cases_filed}起", f"{period.cases_filed}起")
        + "，处罚金额"
        + beside(
            f"{wan_yuan(now.fines_issued_fen)}万元",
            f"{wan_yuan(whole.fines_issued_fen)}万元",
            f"{wan_yuan(period.fines_issued_fen)}万元",
        )
        + "，行政拘留"
        + beside(f"{now.persons_detained}人", f"{whole.persons_detained}人", f"{period.persons_detained}人")
        + "，采取刑事强制措施"
        + beside(
            f"{now.persons_criminal_measures}人",
            f"{whole.persons_criminal_measures}人",
            f"{period.persons_criminal_measures}人",
        )
        + "，移送起诉"
        + beside(f"{now.persons_referred}人", f"{whole.persons_referred}人", f"{period.persons_referred}人")
        + "。"
    )
