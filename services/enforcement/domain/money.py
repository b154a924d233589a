"""Money (金额): exact yuan (元) at the edges, integer fen (分) inside. Never a float."""

from decimal import Decimal

from shared.contracts.money import CENT, FEN_PER_YUAN
from shared.errors import InvalidCommand

# 100亿元: far above any fine, and keeps every sum of fen inside a PostgreSQL bigint.
MAX_YUAN = Decimal("10000000000")


def yuan_to_fen(amount: Decimal, field: str) -> int:
    """An amount in yuan as integer fen; refuses what is not a positive amount to the fen (422 on `field`)."""
    if not amount.is_finite():
        raise InvalidCommand(field, f"金额必须是数字，收到 {amount}")
    if amount <= 0:
        raise InvalidCommand(field, f"金额必须大于0，收到 {amount}")
    if amount > MAX_YUAN:
        raise InvalidCommand(field, f"金额不能超过 {MAX_YUAN} 元，收到 {amount}")
    # Comparing with the amount rounded to the fen is exact, unlike arithmetic in the decimal context.
    cents = amount.quantize(CENT)
    if cents != amount:
        raise InvalidCommand(field, f"金额最多两位小数（精确到分），收到 {amount}")
    return int(cents * FEN_PER_YUAN)
