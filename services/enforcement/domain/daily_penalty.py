"""按日连续处罚 (daily continuous penalty): the arithmetic of one round, pure.

《环境保护法》第五十九条 and the ministry's 《环境保护主管部门实施按日连续处罚办法》: when
a re-inspection finds that the enterprise did not comply with an order to correct, it is
fined the original fine for every day the violation went on. The first round counts from
the day after the order was served up to the day of that re-inspection; each later round
counts from the day after the previous re-inspection up to the day of the new one.
"""

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class DailyRound:
    """One round: the days counted (both ends included) times the original fine."""

    period_start: date
    period_end: date
    days: int
    daily_amount_fen: int

    @property
    def amount_fen(self) -> int:
        return self.days * self.daily_amount_fen


def daily_round(original_fine_fen: int, counted_after: date, inspected_on: date) -> DailyRound:
    """The round ending on `inspected_on`, counted from the day after `counted_after`.

    `counted_after` is the day the order was served, or the day of the previous re-inspection.
    """
    days = (inspected_on - counted_after).days
    if days <= 0:
        raise ValueError(f"re-inspection on {inspected_on} is not after {counted_after}: no day to count")
    return DailyRound(
        period_start=counted_after + timedelta(days=1),
        period_end=inspected_on,
        days=days,
        daily_amount_fen=original_fine_fen,
    )
