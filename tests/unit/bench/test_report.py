"""The bench's arithmetic and its table: percentiles, ratios to baselines, and every figure shown."""

from bench.report import Report, Spec
from bench.stats import percentile


def test_percentiles_follow_the_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile([], 50) is None


def test_a_figure_is_shown_with_its_ratio_to_its_baseline() -> None:
    report = Report()
    report.measure("intake.per_s", 150.0, "offered 200/s")
    report.baseline("pgbench.tps", "pgbench tps", 600.0)
    specs = [Spec("intake.per_s", "受理每秒", "件/s", "pgbench.tps")]
    (figure,) = report.figures(specs)
    assert figure.ratio == 0.25
    table = report.table(specs)
    assert "受理每秒" in table and "0.25×" in table and "pgbench tps" in table


def test_a_figure_without_a_measured_baseline_has_no_ratio() -> None:
    report = Report()
    report.measure("loop.per_s", 3.0)
    (figure,) = report.figures([Spec("loop.per_s", "闭环每秒", "个/s", "pgbench.loop")])
    assert figure.ratio is None
    assert report.as_json([Spec("loop.per_s", "闭环每秒", "个/s", "pgbench.loop")])["figures"][0]["ratio"] is None
