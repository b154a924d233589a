"""Working days (工作日) by the official calendar (python-holidays' China)."""

from datetime import UTC, date, datetime

import pytest

from shared.clock import SHANGHAI
from shared.workdays import add_working_days, is_working_day, working_days_deadline


def test_a_weekend_is_skipped() -> None:
    assert add_working_days(date(2025, 6, 6), 1) == date(2025, 6, 9)  # Friday → Monday


def test_the_spring_festival_holiday_is_skipped() -> None:
    # 2025-01-28 to 2025-02-04 is the Spring Festival holiday.
    assert add_working_days(date(2025, 1, 27), 1) == date(2025, 2, 5)


def test_a_make_up_saturday_counts_as_a_working_day() -> None:
    # Saturday 2025-02-08 is worked in exchange for the Spring Festival (调休).
    assert add_working_days(date(2025, 2, 7), 1) == date(2025, 2, 8)


def test_the_start_day_itself_is_not_counted() -> None:
    assert add_working_days(date(2025, 6, 2), 1) == date(2025, 6, 3)  # Monday → Tuesday


def test_the_deadline_is_the_end_of_the_last_working_day_in_shanghai() -> None:
    # 17:00 UTC on Friday 2025-06-06 is already Saturday 01:00 in Shanghai: counting starts from Saturday.
    deadline = working_days_deadline(datetime(2025, 6, 6, 17, 0, tzinfo=UTC), 1)
    assert deadline == datetime(2025, 6, 9, 23, 59, 59, tzinfo=SHANGHAI)


def test_a_year_whose_notice_is_not_out_yet_still_skips_its_statutory_holidays() -> None:
    # Spring Festival 2027 falls on 6 February by the lunar calendar; its Eve and days off are not working days.
    assert not is_working_day(date(2027, 2, 5))
    assert not is_working_day(date(2027, 2, 8))
    assert is_working_day(date(2027, 2, 4))


def test_national_day_2026_and_its_make_up_saturday() -> None:
    assert not is_working_day(date(2026, 10, 1))
    assert is_working_day(date(2026, 9, 20))  # Sunday worked in exchange (调休)


def test_a_count_below_one_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        add_working_days(date(2025, 6, 2), 0)
