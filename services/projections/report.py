"""The work report (工作汇报): the figures a county states, in the words it states them.

Every number comes from the same queries as the stats endpoints: closure rates as of the moment
(历次: all rounds, not only the year), enforcement figures and the accountability tally of the year.
"""

from dataclasses import dataclass
from datetime import datetime

from services.projections.filters import CaseFilters, GroupBy
from services.projections.present import wan_yuan
from services.projections.read_tables import accountability, closure, enforcement
from services.projections.read_tables.accountability import Tally
from services.projections.read_tables.closure import Counts, Moment
from services.projections.read_tables.enforcement import Figures
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
