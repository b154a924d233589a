"""Working days (工作日) by the official calendar: public holidays skipped, make-up working days (调休) counted.

The calendar is the `chinesecalendar` library's, which follows the State Council's yearly
notice; a year it has no data for is refused rather than guessed.
"""

from datetime import date, datetime, time, timedelta

import chinese_calendar

from shared.clock import SHANGHAI


class CalendarUnknown(ValueError):
    """The holiday calendar has no data for a year the count reaches (the notice is not out yet)."""

    def __init__(self, day: date) -> None:
        super().__init__(f"no holiday data for {day.year}")
        self.year = day.year


def is_working_day(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError as exc:
        raise CalendarUnknown(day) from exc


def add_working_days(start: date, count: int) -> date:
    """The `count`-th working day after `start` (the start day itself is not counted, as in “5个工作日内”)."""
    if count < 1:
        raise ValueError("count must be at least 1")
    day = start
    while count:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def working_days_deadline(now: datetime, count: int) -> datetime:
    """End of the `count`-th working day after today in Asia/Shanghai, where the county's days are counted."""
    last_day = add_working_days(now.astimezone(SHANGHAI).date(), count)
    return datetime.combine(last_day, time(23, 59, 59), tzinfo=SHANGHAI)
