"""The assessment formula (绩效考核): the policy file, and the points of counted facts, without I/O."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from services.projections import report
from services.projections.assessment import (
    AssessmentPolicyError,
    Kind,
    load_assessment_policy,
    parse_assessment_policy,
)
from services.projections.scoring import Fact, ranks, score, scores

AT = datetime(2026, 3, 1, tzinfo=UTC)
POLICY = load_assessment_policy()


def fact(kind: Kind, n: int = 0, *, unit: str = "县水利局", days_late: int = 0) -> Fact:
    return Fact(unit, kind, f"e{n}", (f"c{n}",), AT + timedelta(hours=n), days_late)


def test_the_default_policy_is_published_with_its_numbers() -> None:
    published = POLICY.as_published()
    assert published["base"] == "100" and published["overdue_day"] == "0.1" and published["overdue_days_cap"] == 30
    assert published["objection_types"] == ["ObjectionReceived", "ObjectionFiled"]


def test_a_unit_without_facts_keeps_the_base() -> None:
    assert score("县林业局", [], POLICY).score == Decimal(100)


def test_a_missed_deadline_costs_per_case_and_per_day_late_capped() -> None:
    result = score("县水利局", [fact(Kind.OVERDUE_CASE, 1, days_late=45)], POLICY)
    assert [(i.kind, i.points, i.event_id) for i in result.items] == [
        (Kind.OVERDUE_CASE, Decimal(-2), "e1"),
        (Kind.OVERDUE_DAYS, Decimal("-3.0"), "e1"),  # 30 of the 45 days at 0.1
    ]
    assert result.items[1].detail == "超期天数（超期45天，按30天计）"
    assert result.deducted == Decimal(5) and result.score == Decimal(95)


def test_every_deduction_has_its_event_case_and_points() -> None:
    facts = [
        fact(Kind.CLOSURE_REJECTED, 1),
        fact(Kind.OBJECTION_UPHELD, 2),
        fact(Kind.WARNING, 3),
        fact(Kind.SUMMONS, 4),
        fact(Kind.CRITICISM_NOTICE, 5),
        fact(Kind.DISCIPLINE_REFERRAL, 6),  # 0 points by default: issued with the criticism notice
    ]
    result = score("县水利局", facts, POLICY)
    assert [(i.kind, i.points, i.case_ids) for i in result.items] == [
        (Kind.CLOSURE_REJECTED, Decimal(-1), ("c1",)),
        (Kind.OBJECTION_UPHELD, Decimal(-3), ("c2",)),
        (Kind.WARNING, Decimal(-2), ("c3",)),
        (Kind.SUMMONS, Decimal(-4), ("c4",)),
        (Kind.CRITICISM_NOTICE, Decimal(-6), ("c5",)),
    ]
    assert result.score == Decimal(84)


def test_the_on_time_bonus_is_capped_and_the_score_never_falls_below_the_floor() -> None:
    on_time = [fact(Kind.ON_TIME_CLOSURE, n) for n in range(12)]
    result = score("县水利局", on_time, POLICY)
    assert len(result.items) == 12 and result.bonus == Decimal(5) and result.score == Decimal(105)
    ruined = score("县水利局", [fact(Kind.CRITICISM_NOTICE, n) for n in range(20)], POLICY)
    assert ruined.deducted == Decimal(120) and ruined.score == Decimal(0)


def test_units_are_ranked_highest_first_equal_scores_sharing_a_rank() -> None:
    facts = [fact(Kind.WARNING, 1, unit="乙"), fact(Kind.SUMMONS, 2, unit="丙"), fact(Kind.WARNING, 3, unit="丁")]
    ranked = scores(["甲", "乙", "丙", "丁"], facts, POLICY)
    assert [(s.unit, int(s.score)) for s in ranked] == [("甲", 100), ("丁", 98), ("乙", 98), ("丙", 96)]
    assert ranks(ranked) == [1, 2, 2, 4]


def test_a_county_file_changes_only_the_keys_it_names(tmp_path: Path) -> None:
    path = tmp_path / "assessment.toml"
    path.write_text("[deductions]\nwarning = 5\n[bonus]\ncap = 0\n", encoding="utf-8")
    policy = load_assessment_policy(path)
    assert policy.per_event[Kind.WARNING] == Decimal(5) and policy.bonus_cap == Decimal(0)
    assert policy.per_event[Kind.SUMMONS] == POLICY.per_event[Kind.SUMMONS]
    assert score("甲", [fact(Kind.ON_TIME_CLOSURE)], policy).score == Decimal(100)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[deductions]\nwarning = -1\n", "[deductions] warning must be between 0 and 1000"),
        ('[deductions]\nwarning = "2"\n', "[deductions] warning must be a number"),
        ("[deductions]\nwarnings = 2\n", "unknown keys ['warnings'] in [deductions]"),
        ("[penalties]\nx = 1\n", "unknown section [penalties]"),
        ("[deductions]\noverdue_days_cap = 1.5\n", "overdue_days_cap must be a whole number"),
        ("[score]\nfloor = 200\n", "floor must not exceed base"),
        ('[objections]\ntypes = ["Objection Received"]\n', "[objections] types must be a list"),
        ("[score\n", "not valid TOML"),
    ],
)
def test_a_policy_that_cannot_be_used_is_refused_naming_the_key(tmp_path: Path, text: str, named: str) -> None:
    path = tmp_path / "assessment.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AssessmentPolicyError) as refused:
        load_assessment_policy(path)
    assert named in str(refused.value) and str(path) in str(refused.value)


def test_a_complete_policy_parses_from_text() -> None:
    text = (Path(__file__).parents[3] / "services/projections/assessment.toml").read_text(encoding="utf-8")
    assert parse_assessment_policy(text) == POLICY


def test_the_work_report_states_the_ranking_in_a_sentence_and_a_table() -> None:
    ranked = scores(
        ["甲", "乙"], [fact(Kind.OVERDUE_CASE, 1, unit="乙", days_late=3), fact(Kind.WARNING, 2, unit="乙")], POLICY
    )
    numbered = list(zip(ranks(ranked), ranked, strict=True))
    assert report.assessment_paragraph(2026, numbered) == (
        "2026年，对2个责任单位进行绩效考核，平均得分97.9分，得分最高的为甲（100分），最低的为乙（95.7分）；"
        "共扣分3项，其中超期1次、验收不通过0次、公示异议成立0次、督办问责1次。"
    )
    assert report.assessment_table(numbered) == [
        ("排名", "责任单位", "得分", "扣分", "加分", "扣分项"),
        ("1", "甲", "100", "0", "0", "0"),
        ("2", "乙", "95.7", "4.3", "0", "3"),
    ]
    assert report.assessment_paragraph(2026, []) == "2026年，尚无参加绩效考核的责任单位。"
