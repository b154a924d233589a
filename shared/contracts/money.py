"""Money in the contracts (金额): integer fen (分) on the wire and in every store, exact yuan (元) where people read it.

Never a float: a fine of 53,210.55 yuan is 5,321,055 fen in every event, and 53210.55 when shown.
"""

from decimal import Decimal

FEN_PER_YUAN = 100
CENT = Decimal("0.01")


def fen_to_yuan(fen: int) -> Decimal:
    """Exact yuan from integer fen, with two decimals (12345 → 123.45)."""
    return (Decimal(fen) / FEN_PER_YUAN).quantize(CENT)
