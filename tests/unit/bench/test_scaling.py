"""`python -m bench.scaling`'s table: one row per instance count, from the bench's JSON."""

from bench.scaling import HEADER, row


def result(**figures: float) -> dict[str, object]:
    return {
        "figures": [{"key": k.replace("__", "."), "value": v} for k, v in figures.items()],
        "baselines": {"bare.accepted_per_s": {"value": 4000.0}},
        "raw": {"cpu": {"accepted_per_s": 650.4, "wall_seconds": 10.0, "machine_busy_cpu_seconds": 19.5}},
        "machine": {"load_average_1m_before": 2.5},
    }


def test_a_row_takes_each_figure_and_the_machine_busy_share() -> None:
    measured = result(
        intake__alone__accepted_per_s=1797.2,
        cpu__total_ms_per_report=3.014,
        cpu__intake__ms_per_report=0.48,
        cpu__balancer__ms_per_report=0.0641,
    )
    assert row(2, measured) == ("2", "1,797", "4,000", "650", "3.01", "0.48", "0.064", "1.95", "2.50")
    assert len(row(2, measured)) == len(HEADER)


def test_a_figure_the_run_did_not_measure_is_shown_as_missing() -> None:
    assert row(1, result(intake__alone__accepted_per_s=900.0))[4:7] == ("—", "—", "—")
