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


def test_a_figure_skipped_for_a_missing_tool_is_listed_with_the_reason_and_its_bar_is_shown() -> None:
    report = Report()
    report.measure("cpu.total_ms_per_report", 3.5)
    report.skip(["open.p99_ms", "open.e2e_p99_ms"], "vegeta 未构建")
    specs = [
        Spec("cpu.total_ms_per_report", "每件 CPU", "ms", bar="≤ 4 ms"),
        Spec("open.p99_ms", "持续开环 p99", "ms", bar="< 100 ms"),
    ]
    table = report.table(specs)
    assert "≤ 4 ms" in table and "持续开环 p99" not in table
    assert "open.p99_ms, open.e2e_p99_ms：vegeta 未构建" in table
    assert report.as_json(specs)["skipped"] == {"open.p99_ms": "vegeta 未构建", "open.e2e_p99_ms": "vegeta 未构建"}
    assert report.errors == []
