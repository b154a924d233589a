"""Working days (工作日) by the official calendar: public holidays skipped, make-up working days (调休) counted.

The calendar is python-holidays' `China`, which carries the State Council's yearly notices
(holidays and the weekend days made working days) and, for a year whose notice is not out
yet, the statutory holidays computed by rule (the lunar ones included). For 2015–2026 it
agrees day by day with the notices.
"""

from datetime import date, datetime, time, timedelta
from functools import cache

import holidays

from shared.clock import SHANGHAI


@cache
def _calendar(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("CN", years=year)


def is_working_day(day: date) -> bool:
    return bool(_calendar(day.year).is_working_day(day))


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
