"""Query parameters: as-of moments in county time, period keys and their bounds and labels."""

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from services.projections import labels
from services.projections.filters import CaseFilters, PeriodUnit, period_bounds, period_key
from shared.clock import SHANGHAI


def test_an_as_of_date_means_the_end_of_that_day_in_the_county() -> None:
    as_of = CaseFilters.model_validate({"as_of": "2025-06-30"}).as_of
    assert as_of == datetime(2025, 6, 30, 23, 59, 59, 999999, tzinfo=SHANGHAI)


def test_an_as_of_time_without_zone_is_county_time_and_with_zone_is_kept() -> None:
    assert CaseFilters.model_validate({"as_of": "2025-06-30T18:00:00"}).as_of == datetime(
        2025, 6, 30, 18, tzinfo=SHANGHAI
    )
    assert CaseFilters.model_validate({"as_of": "2025-06-30T10:00:00Z"}).as_of == datetime(2025, 6, 30, 10, tzinfo=UTC)


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValidationError, match="to 不能早于 from"):
        CaseFilters.model_validate({"from": "2025-02-01", "to": "2025-01-31"})


def test_filters_become_the_query_of_a_drill_down_link() -> None:
    filters = CaseFilters.model_validate({"source": "central_inspection", "from": "2025-01-01", "batch": ""})
    assert filters.query() == {"source": "central_inspection", "batch": "", "from": "2025-01-01"}


@pytest.mark.parametrize(
    ("unit", "key", "bounds", "label"),
    [
        (PeriodUnit.month, "2025-02", (date(2025, 2, 1), date(2025, 2, 28)), "2025年2月"),
        (PeriodUnit.quarter, "2025-Q4", (date(2025, 10, 1), date(2025, 12, 31)), "2025年第四季度"),
        (PeriodUnit.year, "2025", (date(2025, 1, 1), date(2025, 12, 31)), "2025年"),
    ],
)
def test_periods_are_counted_in_county_time(unit: PeriodUnit, key: str, bounds: tuple[date, date], label: str) -> None:
    # 16:30 UTC on the last day of the period is already the next day in Shanghai
    last_day = bounds[1]
    assert period_key(datetime(last_day.year, last_day.month, last_day.day, 15, 59, tzinfo=UTC), unit) == key
    assert period_key(datetime(last_day.year, last_day.month, last_day.day, 16, 30, tzinfo=UTC), unit) != key
    assert period_bounds(key) == bounds
    assert labels.period(key) == label


def test_groups_without_a_value_have_a_label_people_understand() -> None:
    assert labels.group_key("batch", "") == "（无批次）"
    assert labels.group_key("unit", "") == "（未交办）"
    assert labels.group_key("source", "hotline_12369") == "12369环保热线"
    assert labels.group_key("domain", "quarrying_sand") == "非法采砂采石"
