"""The shapes of projections' answers. Every stats answer carries `positions` and `read_model`.

Times are ISO 8601 in Asia/Shanghai; money is yuan as an exact decimal string.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from services.projections.filters import Figure, GroupBy, PeriodUnit, TallyGroupBy
from shared.contracts.codes import CaseStatus

POSITIONS_DESCRIPTION = (
    "per topic and partition: applied_offset (the figures include every event before it), "
    "end_offset (the log end when asked) and lag (events not yet applied)"
)


class ReadModel(BaseModel):
    """Which generation of the read models answered (it changes when a rebuild switches)."""

    generation: int
    consumer: str


class Answer(BaseModel):
    positions: dict[str, dict[str, dict[str, int | None]]] = Field(description=POSITIONS_DESCRIPTION)
    read_model: ReadModel


class RateRow(BaseModel):
    """One group's closure figures (完成率). closed + on_schedule + overdue = total."""

    key: str = Field(description="the group's code (source, domain), name (township, unit, batch) or period")
    label: str = Field(description="what people read (zh-CN)")
    total: int = Field(description="问题总数")
    closed: int = Field(description="已销号: closed after a passed verification, not reopened since")
    rate: float = Field(description="完成率 closed/total, 4 decimals")
    rate_percent: str = Field(description="完成率 in percent, one decimal, rounded half up", examples=["66.7"])
    open: int = Field(description="未销号")
    on_schedule: int = Field(description="未超期: open, deadline not passed (or not yet assigned)")
    overdue: int = Field(description="超期: open, deadline passed")
    reopened: int = Field(description="回头看反弹: reopened at least once (closed again or not)")
    cases: dict[Figure, str] = Field(description="for each figure, the drill-down to the cases behind it")


class ClosureRates(Answer):
    group_by: GroupBy
    period_unit: PeriodUnit
    as_of: str | None = Field(description="截至 (Asia/Shanghai); null: now")
    filters: dict[str, str]
    rows: list[RateRow]
    totals: RateRow


class TrendPoint(BaseModel):
    key: str = Field(description="the period")
    label: str
    as_of: str = Field(description="the end of the period (or now, for the current one)")
    total: int
    closed: int
    open: int
    on_schedule: int
    overdue: int
    rate: float
    rate_percent: str
    cases: dict[Figure, str]


class ClosureTrend(Answer):
    interval: PeriodUnit
    filters: dict[str, str]
    points: list[TrendPoint]


class Person(BaseModel):
    name: str
    post: str | None = None


class CaseItem(BaseModel):
    """A rectification case as it stood at the moment asked."""

    issue_id: str
    title: str
    description: str | None
    source: str
    source_label: str
    batch: str | None
    township: str
    domain: str
    domain_label: str
    external_ref: str | None
    reported_at: str
    status: str = Field(description=" | ".join(CaseStatus))
    status_label: str
    standing: str = Field(description="closed | on_schedule | overdue")
    standing_label: str
    unit: str | None = Field(description="责任单位")
    leader: Person | None = Field(description="包案领导")
    problem: str | None = Field(description="问题 (五定)")
    task: str | None = Field(description="整改目标/措施 (五定)")
    measures: str | None = Field(description="奖惩措施 (五定)")
    deadline: str | None = Field(description="整改时限")
    days_overdue: int | None = Field(description="whole days past the deadline, for overdue cases")
    closed_at: str | None = Field(description="销号日期")
    reopened_count: int
    times_missed: int = Field(description="超期次数 (DeadlineMissed so far)")
    repeat_reports: int = Field(description="重复举报: further reports of the same problem")
    timeline: str = Field(description="the case's timeline")


class CaseList(Answer):
    figure: Figure
    as_of: str | None
    filters: dict[str, str]
    total: int = Field(description="how many cases the figure counts (the list may be a page of them)")
    limit: int
    offset: int
    items: list[CaseItem]


class TallyFigures(BaseModel):
    """问责统计. Revoked measures are not counted (revoked_measures says how many were)."""

    warnings: int = Field(description="通报预警 (units)")
    summons: int = Field(description="约谈主要负责人 (人次)")
    criticism_notices: int = Field(description="通报批评 (notices: ladder and measures)")
    criticism_notice_units: int = Field(description="通报批评 (distinct units)")
    discipline_referrals: int = Field(description="移交纪委监委")
    collective_summons: int = Field(description="集体约谈")
    criticism_education: int = Field(description="批评教育 (persons)")
    written_self_criticism: int = Field(description="书面检查 (persons)")
    admonishment_talk: int = Field(description="诫勉谈话 (persons)")
    reminder_talk: int = Field(description="约谈提醒 (persons)")
    warning_talk: int = Field(description="提醒谈话 (persons)")
    revoked_measures: int = Field(description="已撤销的措施")


class TallyRow(BaseModel):
    key: str
    label: str
    figures: TallyFigures
    items: str = Field(description="the escalations and measures behind the row")


class AccountabilityTally(Answer):
    group_by: TallyGroupBy
    year: int | None
    as_of: str | None
    rows: list[TallyRow]
    totals: TallyFigures


class TallyItem(BaseModel):
    event_id: str
    source: str = Field(description="escalation (督办问责阶梯) or measure (问责措施)")
    kind: str
    kind_label: str
    unit: str
    target_kind: str | None
    person: Person | None
    measure_id: str | None
    reason: str | None
    case_ids: list[str]
    summons_date: date | None
    occurred_at: str
    revoked: bool


class TallyItems(Answer):
    year: int | None
    as_of: str | None
    total: int = Field(description="how many escalations and measures the filters select (items is a page of them)")
    limit: int
    offset: int
    items: list[TallyItem]


class EnforcementFigures(BaseModel):
    """执法统计; money in yuan, exact."""

    cases_filed: int = Field(description="立案查处")
    penalties: int = Field(description="行政处罚决定 (fines and daily-penalty rounds)")
    fines_issued_yuan: Decimal = Field(description="处罚金额 (元)")
    fines_paid_yuan: Decimal = Field(description="已缴纳 (元)")
    daily_penalty_rounds: int = Field(description="按日连续处罚 rounds")
    daily_penalty_yuan: Decimal = Field(description="按日连续处罚金额 (元)")
    detention_orders: int
    persons_detained: int = Field(description="行政拘留 (persons)")
    criminal_measures: int
    persons_criminal_measures: int = Field(description="采取刑事强制措施 (persons)")
    referrals: int
    persons_referred: int = Field(description="移送起诉 (persons)")
    cases_closed: int = Field(description="结案")


class YearRow(BaseModel):
    key: str
    label: str
    figures: EnforcementFigures
    cases: str


class RepeatOffender(BaseModel):
    credit_code: str
    enterprise_name: str
    cases: int
    case_ids: list[str]
    link: str


class EnforcementStats(Answer):
    year: int | None
    as_of: str | None
    totals: EnforcementFigures
    rows: list[YearRow]
    repeat_offenders: list[RepeatOffender] = Field(description="屡查屡犯: two or more cases filed")


class EnforcementCaseItem(BaseModel):
    case_id: str
    year: int
    enterprise_name: str | None
    credit_code: str | None
    violation: str | None
    issue_id: str | None
    opened_at: str | None
    figures: EnforcementFigures
    timeline: str | None


class EnforcementCases(Answer):
    year: int | None
    as_of: str | None
    credit_code: str | None
    total: int = Field(description="how many (case, year) rows the filters select (items is a page of them)")
    limit: int
    offset: int
    items: list[EnforcementCaseItem]


class ProcedureCount(BaseModel):
    status: str
    label: str = Field(description="待公示, 公示中, 待审签, 待复核, 待销号")
    count: int


class WorkSummaryClosure(BaseModel):
    all: RateRow = Field(description="every source")
    by_source: list[RateRow]
    in_procedure: list[ProcedureCount] = Field(
        description="销号程序: the open cases at each step after a passed 验收 (counted open, never closed)"
    )


class WorkSummaryEnforcement(EnforcementFigures):
    fines_issued_wan_yuan: str = Field(
        description="处罚金额 in 万元, two decimals rounded half up, as the text states it (exact: fines_issued_yuan)"
    )


class WorkSummaryOut(Answer):
    year: int = Field(description="the year of the enforcement and accountability figures")
    as_of: str = Field(description="the moment of the closure figures (历次, all rounds up to then)")
    closure: WorkSummaryClosure
    enforcement: WorkSummaryEnforcement
    accountability: TallyFigures
    assessment: list["AssessmentRow"] = Field(description="绩效考核: the units' ranking of the year (its table)")
    documents: "WorkSummaryDocuments"
    enforcement_years: "EnforcementYearsOut"
    paragraphs: list[str]
    text: str


class TimelineEvent(BaseModel):
    event_id: str
    topic: str
    type: str
    label: str
    summary: str
    occurred_at: str
    stream_id: str
    stream_version: int
    actor: str
    payload: dict[str, Any]


class Timeline(Answer):
    issue_id: str
    title: str | None
    events: list[TimelineEvent]


class Generation(BaseModel):
    generation: int
    status: str
    consumer: str
    created_at: str
    activated_at: str | None
    retired_at: str | None
    replayed_events: int | None
    replay_seconds: float | None


class ReadModels(Answer):
    generations: list[Generation]


class AuditRead(BaseModel):
    """One read that matters (查阅留痕): who, in which role, from which address, what, when (+08:00)."""

    event_id: str
    type: str
    label: str = Field(description="查阅举报人信息, 删除举报人信息, 导出整改台账, 查阅案件时间线")
    resource: str = Field(description="contact, ledger or timeline")
    resource_id: str | None = Field(description="the issue, for a contact or a timeline")
    actor: str
    role: str
    role_label: str
    address: str
    at: str
    detail: dict[str, Any] = Field(description="reports read, the export's filters and cases, an erasure's reason")


class AuditReads(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[AuditRead]


# ---------------------------------------------------------------- 专项整治组 and 绩效考核 (issue 17 items 3 and 4)


class TaskForceRow(RateRow):
    """专项整治组: its closure figures (its domains' cases), its leader and lead department, its escalations."""

    name: str = Field(description="专项整治组名称")
    leader: Person | None = Field(description="牵头县领导 (null: 其他, no task force)")
    lead_department: str | None = Field(description="牵头单位")
    domains: list[str] = Field(description="the problem domains it answers for")
    escalations: dict[str, int] = Field(description="督办问责 per kind: warning, summons, criticism_notice, …")
    escalation_items: str = Field(description="the drill-down to its escalations")


class TaskForceStats(Answer):
    as_of: str | None = Field(description="截至 (Asia/Shanghai); null: now")
    filters: dict[str, str]
    rows: list[TaskForceRow]
    totals: RateRow


class TaskForceEscalation(BaseModel):
    event_id: str
    kind: str
    kind_label: str
    unit: str
    case_ids: list[str]
    summons_date: date | None
    occurred_at: str


class TaskForceEscalations(Answer):
    task_force: str
    name: str
    as_of: str | None
    total: int
    limit: int
    offset: int
    items: list[TaskForceEscalation]


class AssessmentItem(BaseModel):
    """扣分/加分项: one event and what it cost or earned."""

    event_id: str
    case_ids: list[str]
    kind: str
    kind_label: str
    points: str = Field(description="negative: a deduction; positive: a bonus (exact decimal)", examples=["-2"])
    detail: str
    occurred_at: str
    timeline: str | None = Field(description="the first case's timeline")


class AssessmentRow(BaseModel):
    rank: int = Field(description="排名: equal scores share a rank")
    unit: str = Field(description="责任单位")
    score: str = Field(description="得分 (exact decimal)")
    base: str
    deducted: str = Field(description="扣分合计")
    bonus: str = Field(description="加分 (capped)")
    deductions: int = Field(description="how many deduction items")
    items: str = Field(description="the drill-down to every deduction and bonus item")


class AssessmentStats(Answer):
    year: int
    as_of: str | None
    policy: dict[str, str | int | list[str]] = Field(description="the published formula (assessment.toml)")
    rows: list[AssessmentRow]


class AssessmentItems(Answer):
    year: int
    as_of: str | None
    row: AssessmentRow
    total: int = Field(description="the unit's scored facts (计分事实) in all; a page lists `limit` of them as items")
    next_offset: int | None = Field(description="the next page's offset; null on the last page")
    items: list[AssessmentItem]


# ---- 信息公开: the public page's answers (no token). Only public fields: see read_tables/public.py.


class PublicProblem(BaseModel):
    """A problem as the public reads it: where, what field, who answers for it, by when, how far it has come."""

    case_id: str
    title: str
    source: str
    source_label: str
    batch: str | None
    township: str
    domain: str
    domain_label: str
    unit: str | None = Field(description="责任单位; null until 交办")
    deadline: str | None = Field(description="整改时限, Asia/Shanghai")
    status: str
    status_label: str
    closed_at: str | None
    result_summary: str | None = Field(description="整改结果: only once closed")


class PublicFacet(BaseModel):
    key: str
    label: str
    total: int


class PublicProblems(BaseModel):
    """One page of the published problems (PAGE_SIZE a page), with the sources and batches to filter by."""

    total: int
    page: int
    page_size: int
    pages: int
    items: list[PublicProblem]
    sources: list[PublicFacet]
    batches: list[PublicFacet]


class PublicNotice(PublicProblem):
    """A case in 公示: its period and the summary written for the public; anyone may object until it ends."""

    notice_starts_at: str | None
    notice_ends_at: str | None
    notice_summary: str | None


class PublicNotices(BaseModel):
    total: int
    items: list[PublicNotice]
    objection_note: str = Field(description="what becomes of an objection, as the page says it")


# ---------------------------------------------------------------- the documents of the work (工作文书)


class MeetingCount(BaseModel):
    kind: str = Field(description="standing_committee | executive | mobilization | progress | dispatch")
    label: str = Field(description="常委会, 常务会, 动员会, 推进会, 调度会")
    count: int


class DocumentCounts(Answer):
    """How many documents of the work a year has, as of a moment: each from its events."""

    year: int | None
    as_of: str | None
    assignment_letters: int = Field(description="交办函 issued")
    rounds: int = Field(description="联合督查 rounds opened")
    findings: int = Field(description="督查发现 recorded in those rounds")
    bulletins: int = Field(description="督查通报 issued")
    summons_meetings: int = Field(description="集体约谈会 held")
    units_summoned: int = Field(description="units summoned, once per meeting")
    meetings: list[MeetingCount] = Field(description="工作会议 by kind, every kind listed")
    meetings_total: int


class DocumentItem(BaseModel):
    """One document as recorded: its event's type, label, stream and payload (the document's content)."""

    event_id: str
    type: str
    label: str
    stream_id: str
    version: int
    occurred_at: str
    actor: str
    content: dict[str, Any]


class DocumentList(Answer):
    kind: str
    year: int | None
    total: int
    items: list[DocumentItem]


class RoundOut(BaseModel):
    """联合督查: the opening, its findings (each with the case it opened) and the closing, if any."""

    round_id: str
    opened: DocumentItem
    findings: list[DocumentItem]
    closed: DocumentItem | None


class RoundList(Answer):
    year: int | None
    total: int
    items: list[RoundOut]


class DocumentAnswer(Answer):
    document: DocumentItem


class BulletinDraft(Answer):
    """What a bulletin for the period would state, as the figures stand at the period's end (or now, if sooner)."""

    period_from: str
    period_to: str
    as_of: str
    overdue: list[dict[str, Any]] = Field(description="OverdueItem: the open cases past their deadline")
    units: list[dict[str, Any]] = Field(description="UnitStanding: the poorly performing units, worst first")
    text: str


class WorkSummaryDocuments(BaseModel):
    """The year's documents of the work in the report (the same as /v1/stats/documents for the year and as_of)."""

    assignment_letters: int
    rounds: int
    findings: int
    bulletins: int
    summons_meetings: int
    units_summoned: int
    meetings: list[MeetingCount]


class EnforcementYearsOut(BaseModel):
    """执法统计 table: this year to date, the last full year, and the same period of last year, side by side."""

    year: int
    as_of: str
    to_date: EnforcementFigures
    last_year: EnforcementFigures
    same_period_last_year: EnforcementFigures
    same_period_until: str = Field(description="the moment last year the same period ends at")


class YearOnYear(Answer, EnforcementYearsOut):
    """/v1/stats/enforcement/year-on-year: the table on its own."""


WorkSummaryOut.model_rebuild()
