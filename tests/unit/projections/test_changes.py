"""Which figures the changes kept per day answer, and by which grouping (the rest read the cases)."""

from datetime import date

from services.projections.filters import CaseFilters, GroupBy
from services.projections.read_tables.changes import SOURCE, TOWNSHIP, grouping
from shared.contracts.codes import Domain, Source


def test_every_case_and_one_source_or_township_are_answered_by_their_grouping() -> None:
    assert grouping(CaseFilters(), None) is SOURCE
    assert grouping(CaseFilters(), None, GroupBy.source) is SOURCE
    assert grouping(CaseFilters(), None, GroupBy.township) is TOWNSHIP
    assert grouping(CaseFilters(source=Source.CENTRAL_INSPECTION), None) is SOURCE
    assert grouping(CaseFilters(township="城关镇"), None) is TOWNSHIP
    assert grouping(CaseFilters(township="城关镇"), None, GroupBy.township) is TOWNSHIP


def test_figures_the_days_do_not_hold_are_left_to_the_cases() -> None:
    # a source by township, a township by source: the days are kept by one of the two only
    assert grouping(CaseFilters(source=Source.CENTRAL_INSPECTION), None, GroupBy.township) is None
    assert grouping(CaseFilters(township="城关镇"), None, GroupBy.source) is None
    assert grouping(CaseFilters(source=Source.CENTRAL_INSPECTION, township="城关镇"), None) is None
    # other groupings, other filters, a unit's scope
    assert grouping(CaseFilters(), None, GroupBy.unit) is None
    assert grouping(CaseFilters(), None, GroupBy.period) is None
    assert grouping(CaseFilters(domain=Domain.BRICK_TILE), None) is None
    assert grouping(CaseFilters(from_=date(2026, 1, 1)), None) is None
    assert grouping(CaseFilters(), "生态环境局") is None
