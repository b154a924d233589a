"""The script of a simulated county year (模拟一年): which problems arrive in which month, and what becomes of them.

Pure and seeded: the same seed gives the same year. Playing it (play.py) goes through the HTTP APIs only.
"""

import random
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from demo import county
from services.enforcement.domain.credit_code import ALPHABET, check_digit, organization_check_digit
from shared.contracts.codes import PERSON_MEASURES, Domain, MeasureKind, Source

MONTHS = 12


class Fate(StrEnum):
    """What becomes of a problem by the end of the year."""

    UNASSIGNED = "unassigned"  # 待交办
    IN_PROGRESS = "in_progress"  # 整改中，未超期
    AWAITING_VERIFICATION = "awaiting_verification"  # 已申请销号，待验收
    CLOSED = "closed"  # 交办 → 反馈 → 申请销号 → 验收通过
    CLOSED_AFTER_REJECTION = "closed_after_rejection"  # 验收不通过，再整改后销号
    MISSED_ONCE = "missed_once"  # 超期（通报预警）
    MISSED_TWICE = "missed_twice"  # 督办、延期后再超期（约谈）
    MISSED_THRICE = "missed_thrice"  # 三次超期（通报批评，移交纪委监委）
    CLOSED_LATE = "closed_late"  # 超期后完成整改，销号
    REOPENED = "reopened"  # 销号后“回头看”发现反弹


FATE_WEIGHTS: dict[Fate, int] = {
    Fate.UNASSIGNED: 3,
    Fate.IN_PROGRESS: 10,
    Fate.AWAITING_VERIFICATION: 4,
    Fate.CLOSED: 56,
    Fate.CLOSED_AFTER_REJECTION: 8,
    Fate.MISSED_ONCE: 6,
    Fate.MISSED_TWICE: 3,
    Fate.MISSED_THRICE: 2,
    Fate.CLOSED_LATE: 5,
    Fate.REOPENED: 3,
}
MISSES: dict[Fate, int] = {Fate.MISSED_ONCE: 1, Fate.MISSED_TWICE: 2, Fate.MISSED_THRICE: 3, Fate.CLOSED_LATE: 1}
# Months in which the inspection batches hand their problems over (交办).
BATCH_MONTHS: dict[str, int] = {
    "第二轮中央生态环境保护督察": 1,
    "第三轮中央生态环境保护督察": 6,
    "第二轮省级生态环境保护督察": 3,
    "省级督察“回头看”": 8,
}


@dataclass(frozen=True)
class Person:
    name: str
    post: str


@dataclass(frozen=True)
class Problem:
    """A reported problem and its 五定."""

    number: int
    month: int
    source: Source
    batch: str | None
    reference: str | None  # 交办编号, 来电工单号 or 检查记录编号
    title: str
    description: str
    task: str
    township: str
    domain: Domain
    unit: str
    leader: Person
    fate: Fate
    working_days: int  # the deadline of a case that will not miss it
    months_to_close: int  # how many months the unit takes to rectify

    @property
    def misses(self) -> int:
        return MISSES.get(self.fate, 0)

    @property
    def objected(self) -> bool:
        """公示异议: about one problem in twenty-five draws an objection on the public page during its first 公示
        (the 督察办 verifies again and starts a new 公示). Few: the public form is limited per address."""
        return self.number % 25 == 7

    @property
    def objection_upheld(self) -> bool:
        """异议成立: every other objection; the 督察办 finds the site not rectified and sends it back to the unit."""
        return self.objected and self.number % 50 == 7

    @property
    def review_rejected(self) -> bool:
        """复核不通过: one problem in eight the province sends back once (rectified again, then passed)."""
        return self.number % 8 == 3


@dataclass(frozen=True)
class Measure:
    """问责措施 on a unit or one of its people, about some problems."""

    kind: MeasureKind
    unit: str
    person: Person | None
    reason: str
    problems: tuple[int, ...]
    revoked: bool = False


@dataclass(frozen=True)
class Detainee:
    name: str
    days: int


@dataclass(frozen=True)
class EnforcementCase:
    """执法案件 against an enterprise: what is decided in it."""

    number: int
    month: int
    enterprise: str
    credit_code: str
    address: str
    violation: str
    legal_basis: str
    officer: str
    problem: int | None  # the problem it was filed from
    fine: Decimal
    paid: Decimal  # 0: not paid yet
    ordered: bool  # 责令改正
    refused: bool  # found not complied at re-inspection: a round of the daily penalty
    production_stop: bool
    detained: tuple[Detainee, ...]
    criminal: tuple[str, ...]  # 刑事强制措施, then 移送起诉
    closed: bool


@dataclass(frozen=True)
class Year:
    run: str  # keeps this run's references apart from an earlier run's
    problems: tuple[Problem, ...]
    measures: tuple[Measure, ...]
    enforcement: tuple[EnforcementCase, ...]


def person_name(rng: random.Random) -> str:
    return rng.choice(county.SURNAMES) + rng.choice(county.GIVEN_NAMES)


def responsible_unit(rng: random.Random, domain: Domain, township: str) -> tuple[str, Person]:
    unit = rng.choice(county.DOMAIN_UNITS[domain])
    if unit == "township":
        name = county.TOWNSHIP_GOVERNMENT.format(township=township)
        return name, Person(person_name(random.Random(name)), f"{township}党委书记")
    leader, post = county.COUNTY_UNITS[unit]
    return unit, Person(leader, post)


def credit_code(rng: random.Random) -> str:
    """A valid 统一社会信用代码 (both check digits right) of an invented enterprise of the county."""
    body = "".join(rng.choice(ALPHABET) for _ in range(8))
    organization = body + organization_check_digit(body)
    first17 = "91" + "360721" + organization
    return first17 + check_digit(first17)


def _problem(rng: random.Random, number: int, run: str, counters: dict[str, int]) -> Problem:
    source = rng.choices(list(county.SOURCE_WEIGHTS), weights=list(county.SOURCE_WEIGHTS.values()))[0]
    batch = rng.choice(county.BATCHES[source]) if source in county.BATCHES else None
    domain = rng.choice(list(county.PROBLEMS))
    township = rng.choice(county.TOWNSHIPS)
    title, description, task = rng.choice(county.PROBLEMS[domain])
    place = f"{township}{rng.choice(county.VILLAGES)}"
    unit, leader = responsible_unit(rng, domain, township)
    if batch is not None:
        month = BATCH_MONTHS.get(batch, rng.randrange(MONTHS))
        prefix = county.BATCH_REF_PREFIX[batch]
    else:
        month = rng.randrange(MONTHS)
        prefix = {Source.HOTLINE_12369: "RX", Source.COUNTY_HOTLINE: "XZ"}.get(source, "JC")
    counters[prefix] = counters.get(prefix, 0) + 1
    reference = None if source in (Source.MAILBOX, Source.MEDIA) else f"{prefix}-{run}-{counters[prefix]:03d}"
    fate = rng.choices(list(FATE_WEIGHTS), weights=list(FATE_WEIGHTS.values()))[0]
    return Problem(
        number=number,
        month=month,
        source=source,
        batch=batch,
        reference=reference,
        title=f"{place}{title}",
        description=f"{description}（{place}）",
        task=task,
        township=township,
        domain=domain,
        unit=unit,
        leader=leader,
        fate=fate,
        working_days=rng.randint(15, 60),
        months_to_close=rng.randint(1, 3),
    )


def _measures(rng: random.Random, problems: tuple[Problem, ...]) -> tuple[Measure, ...]:
    """People answer for the problems that missed their deadlines; a unit with several is criticised."""
    late = [p for p in problems if p.misses]
    person_kinds = sorted(PERSON_MEASURES)
    found: list[Measure] = []
    for problem in late:
        if problem.misses == 1 and rng.random() < 0.6:
            continue  # a first miss is mostly left to the ladder's warning
        kind = rng.choice(person_kinds) if problem.misses < 3 else MeasureKind.ADMONISHMENT_TALK
        staff = Person(person_name(rng), f"{problem.unit}分管负责人")
        found.append(Measure(kind, problem.unit, staff, f"“{problem.title}”整改超期", (problem.number,)))
    by_unit: dict[str, list[int]] = {}
    for problem in late:
        by_unit.setdefault(problem.unit, []).append(problem.number)
    for unit, numbers in sorted(by_unit.items(), key=lambda item: (-len(item[1]), item[0])):
        if len(numbers) >= 2:
            found.append(Measure(MeasureKind.CRITICISM_NOTICE, unit, None, "多个问题整改超期", tuple(numbers)))
    worst = sorted(by_unit.items(), key=lambda item: (-len(item[1]), item[0]))[:1]
    for unit, numbers in worst:
        found.append(Measure(MeasureKind.COLLECTIVE_SUMMONS, unit, None, "整改进度滞后，集体约谈", tuple(numbers)))
    # Two measures imposed on the wrong person and revoked (撤销): the tally does not count them.
    for index in rng.sample(range(len(found)), k=min(2, len(found))):
        measure = found[index]
        found[index] = Measure(measure.kind, measure.unit, measure.person, measure.reason, measure.problems, True)
    return tuple(found)


@dataclass(frozen=True)
class Enterprise:
    name: str
    domain: Domain
    violation: str
    legal_basis: str
    credit_code: str


def _enterprise(rng: random.Random, known: list[Enterprise]) -> Enterprise:
    """Mostly one not caught before; now and then one caught again (屡查屡犯)."""
    if known and rng.random() < 0.12:
        return rng.choice(known)
    domain = rng.choice(list(county.BUSINESSES))
    business, violation, basis = rng.choice(county.BUSINESSES[domain])
    taken = {e.name for e in known}
    name = next(n for n in (f"{rng.choice(county.TRADE_NAMES)}{business}" for _ in range(100)) if n not in taken)
    found = Enterprise(name, domain, violation, basis, credit_code(random.Random(name)))
    known.append(found)
    return found


def _enforcement(rng: random.Random, problems: tuple[Problem, ...], count: int) -> tuple[EnforcementCase, ...]:
    """Cases against enterprises, some filed from a problem of their domain."""
    by_domain: dict[Domain, list[Problem]] = {}
    for problem in problems:
        if problem.fate is not Fate.UNASSIGNED:
            by_domain.setdefault(problem.domain, []).append(problem)
    known: list[Enterprise] = []
    cases = []
    for number in range(1, count + 1):
        enterprise = _enterprise(rng, known)
        linked = by_domain.get(enterprise.domain, [])
        origin = rng.choice(linked) if linked and rng.random() < 0.6 else None
        fine = Decimal(rng.randint(10_000, 300_000)) + Decimal(rng.randint(0, 99)) / 100
        paid_roll = rng.random()
        paid = fine if paid_roll < 0.6 else (fine / 2).quantize(Decimal("0.01")) if paid_roll < 0.75 else Decimal(0)
        ordered = rng.random() < 0.45
        criminal = tuple(person_name(rng) for _ in range(rng.randint(1, 2))) if rng.random() < 0.12 else ()
        detained = (
            tuple(Detainee(person_name(rng), rng.randint(5, 15)) for _ in range(rng.randint(1, 2)))
            if rng.random() < 0.2
            else ()
        )
        cases.append(
            EnforcementCase(
                number=number,
                month=origin.month if origin else rng.randrange(MONTHS),
                enterprise=enterprise.name,
                credit_code=enterprise.credit_code,
                address=f"{rng.choice(county.TOWNSHIPS)}工业园{rng.randint(1, 99)}号",
                violation=enterprise.violation,
                legal_basis=enterprise.legal_basis,
                officer=rng.choice(county.OFFICERS),
                problem=origin.number if origin else None,
                fine=fine,
                paid=paid,
                ordered=ordered,
                refused=ordered and rng.random() < 0.5,
                production_stop=rng.random() < 0.12,
                detained=detained,
                criminal=criminal,
                closed=rng.random() < 0.4,
            )
        )
    return tuple(cases)


def plan_year(seed: int, problems: int, run: str, enforcement_cases: int | None = None) -> Year:
    rng = random.Random(seed)
    counters: dict[str, int] = {}
    planned = tuple(_problem(rng, number, run, counters) for number in range(1, problems + 1))
    cases = enforcement_cases if enforcement_cases is not None else max(4, problems // 10)
    return Year(
        run=run, problems=planned, measures=_measures(rng, planned), enforcement=_enforcement(rng, planned, cases)
    )
