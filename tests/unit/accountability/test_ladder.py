"""The escalation ladder of a unit on a case, step by step, under the default and custom policies."""

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

from services.accountability.domain.ladder import Counted, Ladder, decide, evolve, step_of, unit_stream
from services.accountability.policy import DayKind, Policy, Trigger, load_policy
from shared.contracts.accountability import (
    CriticismNoticeIssued,
    DisciplineReferralMade,
    Escalation,
    SummonsIssued,
    WarningIssued,
)

MISSED, REJECTED, REOPENED = Trigger.DEADLINE_MISSED, Trigger.CLOSURE_REJECTED, Trigger.REOPENED
UNIT = "城关镇人民政府"
FRIDAY_NOON = datetime(2025, 9, 26, 4, tzinfo=UTC)  # 12:00 in Shanghai


def climb(triggers: list[Trigger], policy: Policy | None = None, at: datetime = FRIDAY_NOON) -> list[list[Escalation]]:
    """What each trigger in turn causes on one (unit, case) ladder."""
    policy = policy or load_policy()
    ladder, caused = Ladder(), []
    for n, trigger in enumerate(triggers, start=1):
        step = step_of(trigger, event_id=f"t{n}", case_id="case-1", unit=UNIT, occurred_at=at, policy=policy)
        events = decide(step, ladder, policy)
        ladder = evolve(ladder, Counted(step=step, escalated=bool(events)))
        caused.append(events)
    return caused


def kinds(caused: list[list[Escalation]]) -> list[list[str]]:
    return [[e.event_type() for e in events] for events in caused]


def test_the_first_missed_deadline_issues_a_warning_to_the_unit() -> None:
    [[warning]] = climb([MISSED])
    assert warning == WarningIssued(unit=UNIT, case_ids=["case-1"], trigger_event_ids=["t1"], level=1.0)


def test_the_second_miss_summons_the_principal_leader_five_working_days_later() -> None:
    caused = climb([MISSED, MISSED])
    [summons] = caused[1]
    assert isinstance(summons, SummonsIssued)
    assert (summons.trigger_event_ids, summons.level) == (["t2"], 2.0)
    assert summons.summons_date == date(2025, 10, 10)  # the National Day holiday is not counted


def test_the_summons_date_counts_from_the_day_in_shanghai() -> None:
    late_thursday_utc = datetime(2025, 9, 25, 17, tzinfo=UTC)  # already Friday 01:00 in Shanghai
    [summons] = climb([MISSED, MISSED], at=late_thursday_utc)[1]
    assert isinstance(summons, SummonsIssued) and summons.summons_date == date(2025, 10, 10)


def test_the_third_miss_issues_a_criticism_notice_and_a_referral_to_the_discipline_commission() -> None:
    caused = climb([MISSED, MISSED, MISSED])
    notice, referral = caused[2]
    assert isinstance(notice, CriticismNoticeIssued) and isinstance(referral, DisciplineReferralMade)
    assert notice.trigger_event_ids == referral.trigger_event_ids == ["t3"]
    assert notice.level == referral.level == 3.0


def test_every_miss_after_the_third_issues_criticism_and_referral_again() -> None:
    assert kinds(climb([MISSED] * 5)) == [
        ["WarningIssued"],
        ["SummonsIssued"],
        ["CriticismNoticeIssued", "DisciplineReferralMade"],
        ["CriticismNoticeIssued", "DisciplineReferralMade"],
        ["CriticismNoticeIssued", "DisciplineReferralMade"],
    ]


def test_a_rejected_verification_counts_half_and_is_named_by_the_escalation_it_helps_reach() -> None:
    caused = climb([REJECTED, REJECTED])
    assert caused[0] == []
    [warning] = caused[1]
    assert isinstance(warning, WarningIssued)
    assert (warning.trigger_event_ids, warning.level) == (["t1", "t2"], 1.0)


def test_rejections_and_misses_add_up_on_one_ladder() -> None:
    caused = climb([MISSED, REJECTED, MISSED, REJECTED, REJECTED])
    assert kinds(caused) == [
        ["WarningIssued"],
        [],  # 1.5
        ["SummonsIssued"],  # 2.5
        ["CriticismNoticeIssued", "DisciplineReferralMade"],  # 3.0
        [],  # 3.5: the next criticism comes at 4
    ]
    assert caused[2][0].trigger_event_ids == ["t2", "t3"]
    assert caused[3][0].trigger_event_ids == ["t4"]


def test_a_reopened_problem_counts_as_a_full_step() -> None:
    assert kinds(climb([REOPENED, MISSED])) == [["WarningIssued"], ["SummonsIssued"]]


def test_a_step_already_counted_escalates_nothing_again() -> None:
    policy = load_policy()
    step = step_of(MISSED, event_id="t1", case_id="case-1", unit=UNIT, occurred_at=FRIDAY_NOON, policy=policy)
    ladder = evolve(Ladder(), Counted(step=step, escalated=True))
    assert decide(step, ladder, policy) == []
    assert ladder.level == 1


def test_a_custom_policy_moves_the_rungs_and_the_weights() -> None:
    policy = replace(
        load_policy(),
        weights={MISSED: Decimal(1), REJECTED: Decimal(1), REOPENED: Decimal(2)},
        warning=Decimal(2),
        summons=Decimal(3),
        criticism=Decimal(5),
        repeat_every=Decimal(2),
        summons_after_days=3,
        day_kind=DayKind.CALENDAR,
    )
    caused = climb([REJECTED, MISSED, MISSED, REOPENED, MISSED, MISSED], policy)
    assert kinds(caused) == [
        [],
        ["WarningIssued"],  # 2
        ["SummonsIssued"],  # 3
        ["CriticismNoticeIssued", "DisciplineReferralMade"],  # 5
        [],  # 6
        ["CriticismNoticeIssued", "DisciplineReferralMade"],  # 7
    ]
    summons = caused[2][0]
    assert isinstance(summons, SummonsIssued) and summons.summons_date == date(2025, 9, 29)


def test_a_step_heavy_enough_to_pass_two_rungs_issues_only_the_higher() -> None:
    policy = replace(load_policy(), weights={**load_policy().weights, REOPENED: Decimal(2)})
    assert kinds(climb([REOPENED], policy)) == [["SummonsIssued"]]


def test_a_kind_weighted_zero_is_counted_but_never_escalates() -> None:
    policy = replace(load_policy(), weights={**load_policy().weights, REJECTED: Decimal(0)})
    assert climb([REJECTED] * 4, policy) == [[], [], [], []]


def test_escalations_live_in_the_units_stream() -> None:
    assert unit_stream(UNIT) == "unit:城关镇人民政府"
