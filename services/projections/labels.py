"""The zh-CN labels people read for the codes and keys of the figures."""

from shared.contracts.accountability import DisciplineReferralMade, WarningIssued
from shared.contracts.codes import (
    CASE_STATUS_LABELS,
    DOMAIN_LABELS,
    MEASURE_LABELS,
    MEETING_LABELS,
    SOURCE_LABELS,
    CaseStatus,
    Domain,
    MeasureKind,
    MeetingKind,
    Source,
)

NO_BATCH = "（无批次）"
NOT_ASSIGNED = "（未交办）"
UNKNOWN = "（未填写）"

# The kinds of the accountability tally: the ladder's own, then the measures (通报批评 from either counts once each).
# 约谈 counts the principal leaders summoned (人次): the figure's name, not the event's.
TALLY_KIND_LABELS: dict[str, str] = {
    "warning": WarningIssued.label,
    "summons": "约谈主要负责人",
    "discipline_referral": DisciplineReferralMade.label,
    **{kind.value: label for kind, label in MEASURE_LABELS.items()},
}

STANDING_LABELS = {"closed": "已销号", "on_schedule": "未超期", "overdue": "超期"}

QUARTERS = {"1": "一", "2": "二", "3": "三", "4": "四"}


def source(code: str) -> str:
    return SOURCE_LABELS[Source(code)] if code in Source._value2member_map_ else code or UNKNOWN


def domain(code: str) -> str:
    return DOMAIN_LABELS[Domain(code)] if code in Domain._value2member_map_ else code or UNKNOWN


def status(code: str) -> str:
    return CASE_STATUS_LABELS[CaseStatus(code)] if code in CaseStatus._value2member_map_ else code


def measure(code: str) -> str:
    return MEASURE_LABELS[MeasureKind(code)] if code in MeasureKind._value2member_map_ else code


def meeting(code: str) -> str:
    return MEETING_LABELS[MeetingKind(code)] if code in MeetingKind._value2member_map_ else code


def period(key: str) -> str:
    """2025-06 → 2025年6月, 2025-Q2 → 2025年第二季度, 2025 → 2025年."""
    if len(key) == 4:
        return f"{key}年"
    if key[5] == "Q":
        return f"{key[:4]}年第{QUARTERS.get(key[6], key[6])}季度"
    return f"{key[:4]}年{int(key[5:7])}月"


def group_key(group_by: str, key: str) -> str:
    match group_by:
        case "source":
            return source(key)
        case "domain":
            return domain(key)
        case "batch":
            return key or NO_BATCH
        case "unit":
            return key or NOT_ASSIGNED
        case "period":
            return period(key)
        case "status":
            return status(key)
        case _:
            return key or UNKNOWN
