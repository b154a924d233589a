"""Percentiles and rates of measured samples."""

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0..100) by the nearest-rank method; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def percentile_by_window(samples: Sequence[tuple[float, float]], p: float, window: float) -> list[float | None]:
    """The p-th percentile of the values of each `window`-long span from the first moment: (moment, value) samples."""
    if not samples:
        return []
    start = min(moment for moment, _ in samples)
    spans: dict[int, list[float]] = {}
    for moment, value in samples:
        spans.setdefault(int((moment - start) // window), []).append(value)
    return [percentile(spans.get(k, []), p) for k in range(max(spans) + 1)]


def rate(count: int, seconds: float) -> float | None:
    return count / seconds if seconds > 0 else None


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000
