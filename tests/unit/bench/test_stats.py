"""The bench's percentiles by spans of a run: where in the load its tail is."""

from bench.stats import percentile_by_window


def test_each_span_has_its_own_percentile_and_an_empty_span_has_none() -> None:
    samples = [(100.0 + i / 10, 0.010) for i in range(100)]  # 10 s of fast answers
    samples += [(110.0 + i / 10, 0.200) for i in range(5)]  # a slow half second in the next span
    samples += [(130.5, 0.020)]  # nothing between 120 and 130
    assert percentile_by_window(samples, 99, 10.0) == [0.010, 0.200, None, 0.020]


def test_no_samples_no_spans() -> None:
    assert percentile_by_window([], 99, 10.0) == []
