"""Stable English codes that other platforms rely on, each with its Chinese label.

The codes never change once published; the labels are what people read.
"""

from enum import StrEnum


class Source(StrEnum):
    """问题来源: where a problem was found."""

    CENTRAL_INSPECTION = "central_inspection"
    PROVINCIAL_INSPECTION = "provincial_inspection"
    HOTLINE_12369 = "hotline_12369"
    COUNTY_HOTLINE = "county_hotline"
    MAILBOX = "mailbox"
    SELF_INSPECTION = "self_inspection"
    COVERT_INSPECTION = "covert_inspection"
    MEDIA = "media"
    PROVINCE_PLATFORM = "province_platform"


class Domain(StrEnum):
    """问题领域: the field of the problem."""

    QUARRYING_SAND = "quarrying_sand"
    BRICK_TILE = "brick_tile"
    READY_MIX_CONCRETE = "ready_mix_concrete"
    LIVESTOCK_AQUACULTURE = "livestock_aquaculture"
    DUST_CONSTRUCTION_WASTE = "dust_construction_waste"
    RURAL_LIVING_ENVIRONMENT = "rural_living_environment"
    WATER = "water"
    AIR = "air"
    SOLID_WASTE = "solid_waste"
    NOISE = "noise"
    OTHER = "other"


SOURCE_LABELS: dict[Source, str] = {
    Source.CENTRAL_INSPECTION: "中央环保督察",
    Source.PROVINCIAL_INSPECTION: "省级环保督察",
    Source.HOTLINE_12369: "12369环保热线",
    Source.COUNTY_HOTLINE: "县长热线",
    Source.MAILBOX: "县长信箱",
    Source.SELF_INSPECTION: "自查自纠",
    Source.COVERT_INSPECTION: "明察暗访",
    Source.MEDIA: "媒体曝光",
    Source.PROVINCE_PLATFORM: "省级平台交办",
}

DOMAIN_LABELS: dict[Domain, str] = {
    Domain.QUARRYING_SAND: "非法采砂采石",
    Domain.BRICK_TILE: "砖瓦窑",
    Domain.READY_MIX_CONCRETE: "商品混凝土",
    Domain.LIVESTOCK_AQUACULTURE: "畜禽水产养殖",
    Domain.DUST_CONSTRUCTION_WASTE: "扬尘与建筑垃圾",
    Domain.RURAL_LIVING_ENVIRONMENT: "农村人居环境",
    Domain.WATER: "水污染",
    Domain.AIR: "大气污染",
    Domain.SOLID_WASTE: "固体废物",
    Domain.NOISE: "噪声污染",
    Domain.OTHER: "其他",
}


class MeasureKind(StrEnum):
    """问责措施: measures the discipline commission or the county imposes."""

    CRITICISM_EDUCATION = "criticism_education"
    WRITTEN_SELF_CRITICISM = "written_self_criticism"
    ADMONISHMENT_TALK = "admonishment_talk"
    REMINDER_TALK = "reminder_talk"
    WARNING_TALK = "warning_talk"
    CRITICISM_NOTICE = "criticism_notice"
    COLLECTIVE_SUMMONS = "collective_summons"


MEASURE_LABELS: dict[MeasureKind, str] = {
    MeasureKind.CRITICISM_EDUCATION: "批评教育",
    MeasureKind.WRITTEN_SELF_CRITICISM: "书面检查",
    MeasureKind.ADMONISHMENT_TALK: "诫勉谈话",
    MeasureKind.REMINDER_TALK: "约谈提醒",
    MeasureKind.WARNING_TALK: "提醒谈话",
    MeasureKind.CRITICISM_NOTICE: "通报批评",
    MeasureKind.COLLECTIVE_SUMMONS: "集体约谈",
}

# Measures that name a person (the others are imposed on a unit).
PERSON_MEASURES = frozenset(
    {
        MeasureKind.CRITICISM_EDUCATION,
        MeasureKind.WRITTEN_SELF_CRITICISM,
        MeasureKind.ADMONISHMENT_TALK,
        MeasureKind.REMINDER_TALK,
        MeasureKind.WARNING_TALK,
    }
)


class CaseStatus(StrEnum):
    """整改案件状态."""

    REPORTED = "reported"  # 待交办
    ASSIGNED = "assigned"  # 整改中
    CLOSURE_REQUESTED = "closure_requested"  # 待验收
    # The closure procedure (销号工作规程) after 验收 passed: the steps the case's source requires, in order.
    AWAITING_NOTICE = "awaiting_notice"  # 待公示
    IN_NOTICE = "in_notice"  # 公示中
    AWAITING_SIGNOFF = "awaiting_signoff"  # 待审签
    AWAITING_REVIEW = "awaiting_review"  # 待复核
    # Every step done: the 督察办's 销号 is all that remains (a status of its own, so that no step's status lingers).
    AWAITING_CLOSURE = "awaiting_closure"  # 待销号
    CLOSED = "closed"  # 已销号


CASE_STATUS_LABELS: dict[CaseStatus, str] = {
    CaseStatus.REPORTED: "待交办",
    CaseStatus.ASSIGNED: "整改中",
    CaseStatus.CLOSURE_REQUESTED: "待验收",
    CaseStatus.AWAITING_NOTICE: "待公示",
    CaseStatus.IN_NOTICE: "公示中",
    CaseStatus.AWAITING_SIGNOFF: "待审签",
    CaseStatus.AWAITING_REVIEW: "待复核",
    CaseStatus.AWAITING_CLOSURE: "待销号",
    CaseStatus.CLOSED: "已销号",
}


class ClosureStep(StrEnum):
    """销号程序的步骤: what a case goes through after 验收 passes and before 销号, as its source requires."""

    NOTICE = "notice"  # 公示
    SIGNOFF = "signoff"  # 审签
    REVIEW = "review"  # 复核


CLOSURE_STEP_LABELS: dict[ClosureStep, str] = {
    ClosureStep.NOTICE: "公示",
    ClosureStep.SIGNOFF: "审签",
    ClosureStep.REVIEW: "复核",
}


class MeetingKind(StrEnum):
    """工作会议: the meetings on the work a county reports (会议研究部署)."""

    STANDING_COMMITTEE = "standing_committee"  # 县委常委会
    EXECUTIVE = "executive"  # 县政府常务会
    MOBILIZATION = "mobilization"  # 动员会
    PROGRESS = "progress"  # 推进会
    DISPATCH = "dispatch"  # 调度会


MEETING_LABELS: dict[MeetingKind, str] = {
    MeetingKind.STANDING_COMMITTEE: "常委会",
    MeetingKind.EXECUTIVE: "常务会",
    MeetingKind.MOBILIZATION: "动员会",
    MeetingKind.PROGRESS: "推进会",
    MeetingKind.DISPATCH: "调度会",
}


# The status a case waits in for each step (before it is taken).
CLOSURE_STEP_STATUS: dict[ClosureStep, CaseStatus] = {
    ClosureStep.NOTICE: CaseStatus.AWAITING_NOTICE,
    ClosureStep.SIGNOFF: CaseStatus.AWAITING_SIGNOFF,
    ClosureStep.REVIEW: CaseStatus.AWAITING_REVIEW,
}

# The statuses between a passed 验收 and 销号: open, neither 整改中 nor closed.
CLOSURE_PROCEDURE_STATUSES: frozenset[CaseStatus] = frozenset(
    {*CLOSURE_STEP_STATUS.values(), CaseStatus.IN_NOTICE, CaseStatus.AWAITING_CLOSURE}
)
