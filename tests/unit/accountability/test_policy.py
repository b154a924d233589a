"""The escalation policy file: defaults, custom files laid over them, refusals, rungs and summons dates."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from services.accountability.policy import (
    DEFAULT_POLICY,
    DayKind,
    PolicyError,
    Rung,
    Trigger,
    load_policy,
    parse_policy,
)
from shared.workdays import is_working_day

COMPLETE = """
[weights]
deadline_missed = 1
closure_rejected = 1
reopened = 2
[thresholds]
warning = 2
summons = 4
criticism = 5
repeat_every = 2
[summons]
after_days = 3
day_kind = "calendar"
"""


def test_the_shipped_policy_counts_a_rejection_as_half_a_miss_with_rungs_at_one_two_and_three() -> None:
    policy = load_policy()
    assert policy.weights == {
        Trigger.DEADLINE_MISSED: Decimal(1),
        Trigger.CLOSURE_REJECTED: Decimal("0.5"),
        Trigger.REOPENED: Decimal(1),
    }
    assert (policy.warning, policy.summons, policy.criticism, policy.repeat_every) == (
        Decimal(1),
        Decimal(2),
        Decimal(3),
        Decimal(1),
    )
    assert (policy.summons_after_days, policy.day_kind) == (5, DayKind.WORKING)


def test_a_custom_file_changes_only_the_keys_it_names(tmp_path: Path) -> None:
    custom = tmp_path / "policy.toml"
    custom.write_text("[weights]\nclosure_rejected = 1\n[summons]\nday_kind = 'calendar'\n", encoding="utf-8")
    policy = load_policy(custom)
    assert policy.weight(Trigger.CLOSURE_REJECTED) == 1
    assert policy.weight(Trigger.DEADLINE_MISSED) == 1
    assert policy.day_kind is DayKind.CALENDAR
    assert policy.summons_after_days == load_policy().summons_after_days


def test_a_complete_policy_can_be_parsed_from_text() -> None:
    policy = parse_policy(COMPLETE)
    assert policy.weight(Trigger.REOPENED) == 2
    assert (policy.warning, policy.summons, policy.criticism, policy.repeat_every) == (
        Decimal(2),
        Decimal(4),
        Decimal(5),
        Decimal(2),
    )


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("[weights]\ndeadline_mised = 1\n", "unknown keys ['deadline_mised']"),
        ("[rungs]\nwarning = 1\n", "unknown section [rungs]"),
        ("[weights]\nreopened = -1\n", "must not be negative"),
        ("[weights]\nreopened = 'one'\n", "reopened must be a number"),
        ("[thresholds]\nsummons = 5\n", "0 < warning < summons < criticism"),
        ("[thresholds]\nrepeat_every = 0\n", "repeat_every must be positive"),
        ("[summons]\nafter_days = 2.5\n", "after_days must be a whole number"),
        ("[summons]\nday_kind = 'lunar'\n", "day_kind must be one of"),
        ("[weights\n", "not valid TOML"),
    ],
)
def test_a_policy_that_cannot_be_used_is_refused_naming_the_key(tmp_path: Path, text: str, complaint: str) -> None:
    custom = tmp_path / "bad.toml"
    custom.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError, match=r".*" + complaint.replace("[", r"\[").replace("]", r"\]")) as caught:
        load_policy(custom)
    assert str(custom) in str(caught.value)


def test_a_missing_policy_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read escalation policy"):
        load_policy(tmp_path / "nowhere.toml")


def test_pointing_at_the_shipped_file_is_the_default() -> None:
    assert load_policy(DEFAULT_POLICY) == load_policy()


@pytest.mark.parametrize(
    ("before", "after", "rung"),
    [
        ("0", "0.5", None),
        ("0", "1", Rung.WARNING),
        ("0.5", "1", Rung.WARNING),
        ("1", "1.5", None),
        ("1", "2", Rung.SUMMONS),
        ("1.5", "2.5", Rung.SUMMONS),
        ("2", "3", Rung.CRITICISM),
        ("3", "3.5", None),
        ("3.5", "4", Rung.CRITICISM),
        ("4", "5", Rung.CRITICISM),
        ("0", "2", Rung.SUMMONS),  # passing two rungs at once issues the higher only
        ("0", "7", Rung.CRITICISM),
        ("1", "1", None),  # a step of weight zero
    ],
)
def test_the_rung_reached_by_a_step_depends_on_the_thresholds_it_passes(before: str, after: str, rung: Rung) -> None:
    assert load_policy().rung_reached(Decimal(before), Decimal(after)) == rung


def test_criticism_repeats_every_repeat_every_beyond_its_threshold() -> None:
    policy = parse_policy(COMPLETE)  # criticism at 5, again at 7, 9, ...
    assert policy.rung_reached(Decimal(4), Decimal(5)) is Rung.CRITICISM
    assert policy.rung_reached(Decimal(5), Decimal(6)) is None
    assert policy.rung_reached(Decimal(6), Decimal(7)) is Rung.CRITICISM


def test_summons_in_working_days_skips_weekends_and_the_national_day_holiday() -> None:
    # 2025: 1-8 October off; Sunday 28 September and Saturday 11 October are make-up working days (调休).
    assert load_policy().summons_date(date(2025, 9, 26)) == date(2025, 10, 10)


def test_summons_in_calendar_days_counts_every_day() -> None:
    assert parse_policy(COMPLETE).summons_date(date(2025, 9, 30)) == date(2025, 10, 3)


def test_working_days_follow_the_published_calendar_and_weekdays_beyond_it() -> None:
    assert is_working_day(date(2025, 10, 11))  # a Saturday, made a working day
    assert not is_working_day(date(2025, 10, 6))  # a Monday in the holiday
    assert is_working_day(date(2031, 1, 6)) and not is_working_day(date(2031, 1, 4))  # no data yet: Mon-Fri
