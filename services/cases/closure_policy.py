"""The closure procedure's policy (销号工作规程): the steps each source takes after 验收, and the 公示期.

Read from a TOML file: the one shipped next to this module, with the keys of an optional custom file (the
CLOSURE_POLICY setting) laid over it, section by section, as accountability's policy.py does. Read once at start,
so that a broken file stops the service instead of the first verification.
"""

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from shared.contracts.codes import ClosureStep, Source
from shared.workdays import working_days_deadline

DEFAULT_POLICY = Path(__file__).parent / "closure_policy.toml"

_SECTIONS: dict[str, set[str]] = {
    "notice": {"days", "day_kind", "length"},
    "steps": {source.value for source in Source},
    "review": {"rejected_deadline_working_days"},
    "filing": {"filed_to"},
}


class DayKind(StrEnum):
    CALENDAR = "calendar"  # 自然日
    WORKING = "working"  # 工作日
    LENGTH = "length"  # an exact length (`[notice] length`): a demo's or a drill's policy, whose year is minutes long


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class ClosurePolicy:
    notice_days: int | None  # None when the 公示期 is an exact length
    day_kind: DayKind
    steps: Mapping[Source, tuple[ClosureStep, ...]]
    rejected_deadline_working_days: int
    filed_to: str
    notice_length: timedelta | None = None

    def steps_for(self, source: Source) -> tuple[ClosureStep, ...]:
        return self.steps.get(source, ())

    def notice_ends(self, starts: datetime) -> datetime:
        """When a 公示 started at `starts` is over."""
        if self.notice_length is not None:
            return starts + self.notice_length
        assert self.notice_days is not None
        if self.day_kind is DayKind.CALENDAR:
            return starts + timedelta(days=self.notice_days)
        return working_days_deadline(starts, self.notice_days)


def load_policy(path: Path | None = None) -> ClosurePolicy:
    """The default policy, with the custom file at `path` (if any) laid over it key by key."""
    raw = _read(DEFAULT_POLICY)
    if path is not None and Path(path).resolve() != DEFAULT_POLICY.resolve():
        for section, values in _read(Path(path)).items():
            raw[section] = {**raw.get(section, {}), **values}
    return _build(raw, path or DEFAULT_POLICY)


def parse_policy(text: str, source: str = "<policy>") -> ClosurePolicy:
    """A complete policy from TOML text (tests and tools)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: not valid TOML: {exc}") from exc
    _check_keys(raw, source)
    return _build(raw, source)


def _read(path: Path) -> dict[str, dict[str, Any]]:
    try:
        with path.open("rb") as f:
            raw = tomllib.load(f)
    except OSError as exc:
        raise PolicyError(f"cannot read closure policy {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path}: not valid TOML: {exc}") from exc
    _check_keys(raw, str(path))
    return raw


def _check_keys(raw: dict[str, Any], source: str) -> None:
    for section, values in raw.items():
        if section not in _SECTIONS or not isinstance(values, dict):
            raise PolicyError(f"{source}: unknown section [{section}]; expected {sorted(_SECTIONS)}")
        unknown = set(values) - _SECTIONS[section]
        if unknown:
            raise PolicyError(f"{source}: unknown keys {sorted(unknown)} in [{section}]")


def _whole(value: Any, minimum: int, where: str, source: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise PolicyError(f"{source}: {where} must be a whole number >= {minimum}, got {value!r}")
    return value


def _steps(value: Any, source_code: str, source: object) -> tuple[ClosureStep, ...]:
    known = {step.value for step in ClosureStep}
    if not isinstance(value, list) or any(step not in known for step in value):
        raise PolicyError(f"{source}: [steps] {source_code} must be a list of {sorted(known)}, got {value!r}")
    if len(set(value)) != len(value):
        raise PolicyError(f"{source}: [steps] {source_code} names a step twice")
    return tuple(ClosureStep(step) for step in value)


_DURATION = TypeAdapter(timedelta)
# An exact 公示期 is for playing a year in minutes; a county's is days, and no 公示 outlasts a year.
_LONGEST_LENGTH = timedelta(days=366)


def _length(value: Any, source: object) -> timedelta:
    """`[notice] length`: an ISO 8601 duration ("PT30S", "P10D"), at least a second and at most a year."""
    try:
        length = _DURATION.validate_python(value) if isinstance(value, str) else None
    except ValidationError:
        length = None
    if length is None or not timedelta(seconds=1) <= length <= _LONGEST_LENGTH:
        raise PolicyError(f"{source}: [notice] length must be an ISO 8601 duration from PT1S to P366D, got {value!r}")
    return length


def _build(raw: dict[str, Any], source: object) -> ClosurePolicy:
    notice = raw.get("notice", {})
    if "length" in notice:
        # An exact length replaces the days: the file that sets it means it, whatever the shipped days say.
        length = _length(notice["length"], source)
        notice_days, day_kind = None, DayKind.LENGTH.value
    else:
        length, day_kind = None, notice.get("day_kind")
        if day_kind not in {DayKind.CALENDAR.value, DayKind.WORKING.value}:
            raise PolicyError(f"{source}: [notice] day_kind must be one of ['calendar', 'working']")
        notice_days = _whole(notice.get("days"), 1, "[notice] days", source)
    filed_to = raw.get("filing", {}).get("filed_to")
    if not isinstance(filed_to, str) or not filed_to.strip() or len(filed_to) > 100:
        raise PolicyError(f"{source}: [filing] filed_to must be a name of at most 100 characters")
    steps = raw.get("steps", {})
    return ClosurePolicy(
        notice_days=notice_days,
        day_kind=DayKind(day_kind),
        # A source the file does not name takes no steps: closed at 验收, as before the procedure.
        steps={Source(code): _steps(value, code, source) for code, value in steps.items()},
        rejected_deadline_working_days=_whole(
            raw.get("review", {}).get("rejected_deadline_working_days"),
            1,
            "[review] rejected_deadline_working_days",
            source,
        ),
        filed_to=filed_to.strip(),
        notice_length=length,
    )
