"""The arithmetic of one round of 按日连续处罚."""

from datetime import date

import pytest

from services.enforcement.domain.daily_penalty import DailyRound, daily_round


def test_a_round_counts_from_the_day_after_service_to_the_reinspection_day_inclusive() -> None:
    assert daily_round(5_321_055, date(2024, 3, 1), date(2024, 3, 20)) == DailyRound(
        period_start=date(2024, 3, 2), period_end=date(2024, 3, 20), days=19, daily_amount_fen=5_321_055
    )
    assert daily_round(5_321_055, date(2024, 3, 1), date(2024, 3, 20)).amount_fen == 101_100_045


def test_the_leap_day_is_a_day_of_violation_too() -> None:
    leap = daily_round(100, date(2024, 2, 20), date(2024, 3, 5))
    common = daily_round(100, date(2023, 2, 20), date(2023, 3, 5))
    assert (leap.days, common.days) == (14, 13)


def test_a_single_day_round_charges_the_fine_once() -> None:
    assert daily_round(7_777, date(2024, 5, 1), date(2024, 5, 2)).amount_fen == 7_777


@pytest.mark.parametrize("inspected_on", [date(2024, 3, 1), date(2024, 2, 28)])
def test_a_reinspection_not_after_the_start_has_no_day_to_count(inspected_on: date) -> None:
    with pytest.raises(ValueError):
        daily_round(100, date(2024, 3, 1), inspected_on)
