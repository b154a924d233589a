"""The assessment policy (绩效考核计分办法): the base score, the points of each deduction and bonus.

Read from a TOML file when the service starts: the one shipped next to this module, with the keys of an optional
custom file (the ASSESSMENT_POLICY setting) laid over it section by section, so a county writes down only what it
changes. A file that cannot be used stops the start with a message naming the file and the key. Numbers are read as
Decimal: points add up exactly (0.1 × 30 is 3).
"""

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from shared.policy_files import overlaid, parse_sections

DEFAULT_ASSESSMENT = Path(__file__).parent / "assessment.toml"


class Kind(StrEnum):
    """What a point is given or taken for: one event each (the overdue days of a missed deadline: the same event)."""

    OVERDUE_CASE = "overdue_case"  # 超期
    OVERDUE_DAYS = "overdue_days"  # 超期天数
    CLOSURE_REJECTED = "closure_rejected"  # 验收不通过
    OBJECTION_UPHELD = "objection_upheld"  # 公示异议成立
    WARNING = "warning"  # 通报预警
    SUMMONS = "summons"  # 约谈督办
    CRITICISM_NOTICE = "criticism_notice"  # 通报批评
    DISCIPLINE_REFERRAL = "discipline_referral"  # 移交纪委监委
    ON_TIME_CLOSURE = "on_time_closure"  # 按期销号 (bonus)


KIND_LABELS: dict[Kind, str] = {
    Kind.OVERDUE_CASE: "超期",
    Kind.OVERDUE_DAYS: "超期天数",
    Kind.CLOSURE_REJECTED: "验收不通过",
    Kind.OBJECTION_UPHELD: "公示异议成立",
    Kind.WARNING: "通报预警",
    Kind.SUMMONS: "约谈督办",
    Kind.CRITICISM_NOTICE: "通报批评",
    Kind.DISCIPLINE_REFERRAL: "移交纪委监委",
    Kind.ON_TIME_CLOSURE: "按期销号",
}

# The deductions counted once per event at their own points (the overdue days are per day, capped).
PER_EVENT = (
    Kind.OVERDUE_CASE,
    Kind.CLOSURE_REJECTED,
    Kind.OBJECTION_UPHELD,
    Kind.WARNING,
    Kind.SUMMONS,
    Kind.CRITICISM_NOTICE,
    Kind.DISCIPLINE_REFERRAL,
)

_SECTIONS: dict[str, set[str]] = {
    "score": {"base", "floor"},
    "deductions": {*(k.value for k in PER_EVENT), "overdue_day", "overdue_days_cap"},
    "bonus": {"on_time_closure", "cap"},
    "objections": {"types"},
}


class AssessmentPolicyError(ValueError):
    """A policy file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class AssessmentPolicy:
    """The published formula: score = base − deductions + min(bonus, bonus_cap), at least `floor`."""

    base: Decimal
    floor: Decimal
    per_event: dict[Kind, Decimal]
    overdue_day: Decimal
    overdue_days_cap: int
    on_time_closure: Decimal
    bonus_cap: Decimal
    objection_types: tuple[str, ...]

    def as_published(self) -> dict[str, str | int | list[str]]:
        """The formula's numbers as the API publishes them (exact decimal strings)."""
        return {
            "base": str(self.base),
            "floor": str(self.floor),
            **{kind.value: str(points) for kind, points in self.per_event.items()},
            "overdue_day": str(self.overdue_day),
            "overdue_days_cap": self.overdue_days_cap,
            "on_time_closure": str(self.on_time_closure),
            "bonus_cap": str(self.bonus_cap),
            "objection_types": list(self.objection_types),
        }


def load_assessment_policy(path: Path | None = None) -> AssessmentPolicy:
    """The default policy, with the custom file at `path` (if any) laid over it key by key."""
    raw = overlaid(DEFAULT_ASSESSMENT, path, _SECTIONS, AssessmentPolicyError, "assessment policy")
    return _build(raw, str(path or DEFAULT_ASSESSMENT))


def parse_assessment_policy(text: str, source: str = "<assessment policy>") -> AssessmentPolicy:
    """A complete policy from TOML text (tests and tools)."""
    return _build(parse_sections(text, source, _SECTIONS, AssessmentPolicyError), source)


def _points(raw: dict[str, Any], section: str, key: str, source: str) -> Decimal:
    value = raw.get(section, {}).get(key)
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise AssessmentPolicyError(f"{source}: [{section}] {key} must be a number, got {value!r}")
    points = Decimal(value)
    if points < 0 or points > 1000:
        raise AssessmentPolicyError(f"{source}: [{section}] {key} must be between 0 and 1000, got {value}")
    return points


def _build(raw: dict[str, Any], source: str) -> AssessmentPolicy:
    base = _points(raw, "score", "base", source)
    floor = _points(raw, "score", "floor", source)
    if floor > base:
        raise AssessmentPolicyError(f"{source}: [score] floor must not exceed base")
    cap = raw.get("deductions", {}).get("overdue_days_cap")
    if isinstance(cap, bool) or not isinstance(cap, int) or not 0 <= cap <= 3650:
        raise AssessmentPolicyError(f"{source}: [deductions] overdue_days_cap must be a whole number of days 0–3650")
    types = raw.get("objections", {}).get("types")
    if not isinstance(types, list) or not all(isinstance(t, str) and t.isidentifier() for t in types):
        raise AssessmentPolicyError(f"{source}: [objections] types must be a list of event type names")
    return AssessmentPolicy(
        base=base,
        floor=floor,
        per_event={kind: _points(raw, "deductions", kind.value, source) for kind in PER_EVENT},
        overdue_day=_points(raw, "deductions", "overdue_day", source),
        overdue_days_cap=cap,
        on_time_closure=_points(raw, "bonus", "on_time_closure", source),
        bonus_cap=_points(raw, "bonus", "cap", source),
        objection_types=tuple(types),
    )
