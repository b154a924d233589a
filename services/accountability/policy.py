"""The escalation policy (问责升级政策): how much each failure counts and where the rungs of the ladder are.

Read from a TOML file: the one shipped next to this module, with the keys of an
optional custom file (the ACCOUNTABILITY_POLICY setting) laid over it, so a county
writes down only what it changes. Numbers are read as Decimal so that 0.5 + 0.5 is
exactly 1 and a threshold is reached exactly when the policy says.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from shared.policy_files import overlaid, parse_sections
from shared.workdays import is_working_day

DEFAULT_POLICY = Path(__file__).parent / "policy.toml"


class Trigger(StrEnum):
    """The failures of a responsible unit that count on the ladder (the cases event types)."""

    DEADLINE_MISSED = "DeadlineMissed"  # 超期
    CLOSURE_REJECTED = "ClosureRejected"  # 验收不通过
    REOPENED = "Reopened"  # 问题反弹


class Rung(StrEnum):
    """The rungs of the ladder, lowest first."""

    WARNING = "warning"  # 通报预警
    SUMMONS = "summons"  # 约谈督办
    CRITICISM = "criticism"  # 通报批评 + 移交纪委监委


class DayKind(StrEnum):
    WORKING = "working"
    CALENDAR = "calendar"


# The policy file's keys, section by section.
_WEIGHT_KEYS = {
    "deadline_missed": Trigger.DEADLINE_MISSED,
    "closure_rejected": Trigger.CLOSURE_REJECTED,
    "reopened": Trigger.REOPENED,
}
_SECTIONS = {
    "weights": set(_WEIGHT_KEYS),
    "thresholds": {"warning", "summons", "criticism", "repeat_every"},
    "summons": {"after_days", "day_kind"},
}


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Policy:
    weights: Mapping[Trigger, Decimal]
    warning: Decimal
    summons: Decimal
    criticism: Decimal
    repeat_every: Decimal
    summons_after_days: int
    day_kind: DayKind

    def weight(self, trigger: Trigger) -> Decimal:
        return self.weights[trigger]

    def rung_reached(self, before: Decimal, after: Decimal) -> Rung | None:
        """The rung a step from count `before` to count `after` issues, if any.

        A rung is issued when the count passes its threshold; a step that passes
        several issues only the highest. From the criticism rung on, every further
        `repeat_every` issues criticism again ("third and later").
        """
        if after >= self.criticism:
            last_mark = self.criticism + ((after - self.criticism) // self.repeat_every) * self.repeat_every
            return Rung.CRITICISM if before < last_mark else None
        if before < self.summons <= after:
            return Rung.SUMMONS
        if before < self.warning <= after:
            return Rung.WARNING
        return None

    def summons_date(self, on: date) -> date:
        """The day the unit's principal leader is summoned: `summons_after_days` after `on`."""
        if self.day_kind is DayKind.CALENDAR:
            return on + timedelta(days=self.summons_after_days)
        day, left = on, self.summons_after_days
        while left > 0:
            day += timedelta(days=1)
            left -= is_working_day(day)
        return day


def load_policy(path: Path | None = None) -> Policy:
    """The default policy, with the custom file at `path` (if any) laid over it key by key."""
    raw = overlaid(DEFAULT_POLICY, path, _SECTIONS, PolicyError, "escalation policy")
    return _build(raw, path or DEFAULT_POLICY)


def parse_policy(text: str, source: str = "<policy>") -> Policy:
    """A complete policy from TOML text (tests and tools)."""
    return _build(parse_sections(text, source, _SECTIONS, PolicyError), source)


def _number(raw: dict[str, Any], section: str, key: str, source: object) -> Decimal:
    value = raw.get(section, {}).get(key)
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise PolicyError(f"{source}: [{section}] {key} must be a number, got {value!r}")
    return Decimal(value)


def _build(raw: dict[str, Any], source: object) -> Policy:
    weights = {trigger: _number(raw, "weights", key, source) for key, trigger in _WEIGHT_KEYS.items()}
    if any(w < 0 for w in weights.values()):
        raise PolicyError(f"{source}: [weights] must not be negative")
    warning, summons, criticism, repeat_every = (
        _number(raw, "thresholds", key, source) for key in ("warning", "summons", "criticism", "repeat_every")
    )
    if not Decimal(0) < warning < summons < criticism:
        raise PolicyError(f"{source}: [thresholds] need 0 < warning < summons < criticism")
    if repeat_every <= 0:
        raise PolicyError(f"{source}: [thresholds] repeat_every must be positive")
    after_days = raw.get("summons", {}).get("after_days")
    if isinstance(after_days, bool) or not isinstance(after_days, int) or after_days < 0:
        raise PolicyError(f"{source}: [summons] after_days must be a whole number of days >= 0")
    day_kind = raw.get("summons", {}).get("day_kind")
    if day_kind not in DayKind._value2member_map_:
        raise PolicyError(f"{source}: [summons] day_kind must be one of {[k.value for k in DayKind]}")
    return Policy(
        weights=weights,
        warning=warning,
        summons=summons,
        criticism=criticism,
        repeat_every=repeat_every,
        summons_after_days=after_days,
        day_kind=DayKind(day_kind),
    )
