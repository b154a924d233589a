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


def rate(count: int, seconds: float) -> float | None:
    return count / seconds if seconds > 0 else None


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000
