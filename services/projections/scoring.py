"""The assessment formula (绩效考核计分) applied to the counted facts of a unit's year: pure, no I/O.

The facts are counted in SQL (read_tables/assessment.py): each is one event of the year that a deduction or the
bonus is for. Here each becomes its points under the policy (assessment.py), every point listed with its event and
case, and the units are ranked by score. The ranking needs no items: a unit's facts counted per kind (`Tally`) give
the same score (`score_of`), so only a unit's drill-down lists its facts one by one.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from services.projections.assessment import KIND_LABELS, AssessmentPolicy, Kind


# Fact and Item are named tuples, not frozen dataclasses: a unit's drill-down makes thousands of each, and a frozen
# dataclass costs several times as much to make (object.__setattr__ per field).
class Fact(NamedTuple):
    """计分事实: an event a unit is scored for. `days_late`: the whole days a missed deadline was overdue."""

    unit: str
    kind: Kind
    event_id: str
    case_ids: tuple[str, ...]
    occurred_at: datetime
    days_late: int = 0


class Item(NamedTuple):
    """扣分/加分项: the points one event costs (negative) or earns (positive), and why."""

    kind: Kind
    event_id: str
    case_ids: tuple[str, ...]
    occurred_at: datetime
    points: Decimal
    detail: str


@dataclass(frozen=True)
class Score:
    """A unit's score for the year, and the items behind it (the deductions, then the bonus items)."""

    unit: str
    base: Decimal
    deducted: Decimal  # the deductions added up (a positive number)
    bonus: Decimal  # the bonus counted (capped)
    score: Decimal
    items: tuple[Item, ...]  # empty when scored from a tally (the ranking)
    deductions: Mapping[Kind, int]  # the deduction items per kind (扣分项), listed or not


@dataclass(frozen=True)
class Tally:
    """A unit's facts of the year counted per kind (counted in SQL), which is all its score needs.
    `overdue_days`: the days late of its missed deadlines, each capped at the policy's cap, added up;
    `overdue_late`: how many of them were late by a counted day."""

    unit: str
    counts: Mapping[Kind, int]
    overdue_days: int = 0
    overdue_late: int = 0


def items_of(fact: Fact, policy: AssessmentPolicy) -> list[Item]:
    """The points of one fact: a missed deadline costs per case and per day late (capped); the rest per event."""
    return _items(fact, policy, _points(policy))


def _points(policy: AssessmentPolicy) -> dict[Kind, Decimal]:
    """The points of one fact of each kind (negative: a deduction), looked up once per score, not per fact."""
    return {kind: -points for kind, points in policy.per_event.items()} | {Kind.ON_TIME_CLOSURE: policy.on_time_closure}


def _items(fact: Fact, policy: AssessmentPolicy, points: dict[Kind, Decimal]) -> list[Item]:
    if fact.kind is Kind.OVERDUE_DAYS:
        raise ValueError("overdue days are counted from an overdue_case fact (days_late)")
    kind = fact.kind
    items = [Item(kind, fact.event_id, fact.case_ids, fact.occurred_at, points[kind], KIND_LABELS[kind])]
    if kind is Kind.OVERDUE_CASE and fact.days_late > 0:
        days = min(fact.days_late, policy.overdue_days_cap)
        capped = f"（超期{fact.days_late}天，按{days}天计）" if days < fact.days_late else f"（{days}天）"
        detail = KIND_LABELS[Kind.OVERDUE_DAYS] + capped
        late = -policy.overdue_day * days
        items.append(Item(Kind.OVERDUE_DAYS, fact.event_id, fact.case_ids, fact.occurred_at, late, detail))
    return [i for i in items if i.points]  # a kind at 0 points gives no item


def score(unit: str, facts: Iterable[Fact], policy: AssessmentPolicy) -> Score:
    """base − deductions + min(bonus, cap), at least the floor."""
    points = _points(policy)
    items = [i for fact in facts for i in _items(fact, policy, points)]
    items.sort(key=lambda i: (i.points > 0, i.occurred_at, i.event_id, i.kind.value))
    deductions: dict[Kind, int] = {}
    deducted, bonus = Decimal(0), Decimal(0)
    for i in items:
        if i.points < 0:
            deductions[i.kind] = deductions.get(i.kind, 0) + 1
            deducted += i.points
        else:
            bonus += i.points
    deducted, bonus = -deducted, min(bonus, policy.bonus_cap)
    total = max(policy.base - deducted + bonus, policy.floor)
    return Score(unit, policy.base, deducted, bonus, total, tuple(items), deductions)


def score_of(tally: Tally, policy: AssessmentPolicy) -> Score:
    """The score `score` gives the unit's facts, from their counts: each kind's points times its count, added up as
    the items are (a kind without items adds no term, so the sums keep the items' decimal places: "8.5", "10.0")."""
    points = {kind: -policy.per_event[kind] for kind in policy.per_event} | {
        Kind.ON_TIME_CLOSURE: policy.on_time_closure
    }
    counts = {kind: n for kind, n in tally.counts.items() if n and points[kind] != 0}
    terms = [points[kind] * n for kind, n in counts.items()]
    if tally.overdue_days and policy.overdue_day != 0:
        counts[Kind.OVERDUE_DAYS] = tally.overdue_late
        terms.append(-policy.overdue_day * tally.overdue_days)
    deducted = -sum((t for t in terms if t < 0), Decimal(0))
    bonus = min(sum((t for t in terms if t > 0), Decimal(0)), policy.bonus_cap)
    total = max(policy.base - deducted + bonus, policy.floor)
    deductions: dict[Kind, int] = {kind: n for kind, n in counts.items() if kind is not Kind.ON_TIME_CLOSURE}
    return Score(tally.unit, policy.base, deducted, bonus, total, (), deductions)


def scores(units: Iterable[str], facts: Iterable[Fact], policy: AssessmentPolicy) -> list[Score]:
    """Every unit's score (a unit without facts keeps the base), the highest first, then by name."""
    per_unit: dict[str, list[Fact]] = {unit: [] for unit in units}
    for fact in facts:
        per_unit.setdefault(fact.unit, []).append(fact)
    return ranked_highest_first(score(unit, unit_facts, policy) for unit, unit_facts in per_unit.items())


def scores_of(units: Iterable[str], tallies: Iterable[Tally], policy: AssessmentPolicy) -> list[Score]:
    """`scores` from the units' tallies: the same scores and order, without the items."""
    per_unit = {unit: Tally(unit, {}) for unit in units} | {t.unit: t for t in tallies}
    return ranked_highest_first(score_of(tally, policy) for tally in per_unit.values())


def ranked_highest_first(ranked: Iterable[Score]) -> list[Score]:
    """The highest score first, then by name."""
    return sorted(ranked, key=lambda s: (-s.score, s.unit))


def ranks(ranked: list[Score]) -> list[int]:
    """排名 of scores sorted highest first: equal scores share a rank, the next rank skips (1, 2, 2, 4)."""
    out: list[int] = []
    for n, s in enumerate(ranked):
        out.append(out[-1] if n and s.score == ranked[n - 1].score else n + 1)
    return out
