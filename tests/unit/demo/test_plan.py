"""The script of the simulated year: seeded, valid for the services, and a county's full variety."""

from collections import Counter

from demo import county
from demo.plan import MISSES, Fate, plan_year
from services.enforcement.domain.credit_code import problem as credit_code_problem
from services.projections.task_forces import load_task_forces
from shared.contracts.codes import Source


def test_the_same_seed_plays_the_same_year() -> None:
    assert plan_year(seed=5, problems=60, run="A") == plan_year(seed=5, problems=60, run="A")
    assert plan_year(seed=5, problems=60, run="A") != plan_year(seed=6, problems=60, run="A")


def test_a_year_has_problems_of_every_source_township_and_fate_and_several_batches() -> None:
    year = plan_year(seed=2026, problems=300, run="A")
    assert {p.source for p in year.problems} == set(county.SOURCE_WEIGHTS)
    assert {p.township for p in year.problems} == set(county.TOWNSHIPS)
    assert {p.fate for p in year.problems} == set(Fate)
    assert len({p.batch for p in year.problems if p.batch}) >= 4
    assert {p.unit for p in year.problems} >= set(county.COUNTY_UNITS)
    closed = [p for p in year.problems if p.fate in (Fate.CLOSED, Fate.CLOSED_AFTER_REJECTION, Fate.CLOSED_LATE)]
    assert len(closed) > len(year.problems) / 2


def test_a_township_problem_is_answered_for_by_that_townships_government() -> None:
    year = plan_year(seed=3, problems=300, run="A")
    governments = [p for p in year.problems if p.unit.endswith("人民政府")]
    assert governments and all(p.unit == f"{p.township}人民政府" for p in governments)


def test_references_are_unique_in_a_run_and_differ_from_another_runs() -> None:
    first = [p.reference for p in plan_year(seed=1, problems=300, run="A").problems if p.reference]
    second = [p.reference for p in plan_year(seed=1, problems=300, run="B").problems if p.reference]
    assert len(first) == len(set(first))
    assert not set(first) & set(second)
    mailbox = [p for p in plan_year(seed=1, problems=300, run="A").problems if p.source is Source.MAILBOX]
    assert mailbox and all(p.reference is None for p in mailbox)


def test_every_credit_code_passes_the_enforcement_services_check() -> None:
    year = plan_year(seed=9, problems=300, run="A")
    assert year.enforcement
    assert [credit_code_problem(case.credit_code) for case in year.enforcement] == [None] * len(year.enforcement)


def test_some_enterprises_are_caught_more_than_once() -> None:
    year = plan_year(seed=9, problems=300, run="A")
    names = [case.enterprise for case in year.enforcement]
    assert any(names.count(name) > 1 for name in names)


def test_measures_name_only_problems_that_missed_deadlines_and_two_are_revoked() -> None:
    year = plan_year(seed=4, problems=300, run="A")
    late = {p.number for p in year.problems if p.fate in MISSES}
    assert year.measures
    assert all(set(m.problems) <= late for m in year.measures)
    assert sum(m.revoked for m in year.measures) == 2


def test_the_demo_year_gives_every_task_force_cases_and_some_to_none() -> None:
    forces = load_task_forces()
    found = Counter(forces.of_domain(p.domain) for p in plan_year(seed=7, problems=300, run="A").problems)
    assert set(found) == set(forces.codes()) and all(n >= 5 for n in found.values())
