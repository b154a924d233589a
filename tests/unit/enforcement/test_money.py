"""Yuan in, fen inside: exact or refused."""

from decimal import Decimal

import pytest

from services.enforcement.domain.money import yuan_to_fen
from shared.contracts.money import fen_to_yuan
from shared.errors import InvalidCommand


@pytest.mark.parametrize(
    ("amount", "fen"),
    [
        ("50000", 5_000_000),
        ("50000.5", 5_000_050),
        ("53210.55", 5_321_055),
        ("0.01", 1),
        ("100.100", 10_010),  # trailing zeros say nothing finer than the fen
        ("1E+3", 100_000),
        ("10000000000", 1_000_000_000_000),
    ],
)
def test_exact_amounts_become_integer_fen(amount: str, fen: int) -> None:
    assert yuan_to_fen(Decimal(amount), "amount") == fen


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "金额必须大于0，收到 0"),
        ("-100", "金额必须大于0，收到 -100"),
        ("0.001", "金额最多两位小数（精确到分），收到 0.001"),
        # what 0.1 + 0.2 gives as a binary float: not an amount anyone wrote
        ("0.30000000000000004", "金额最多两位小数（精确到分），收到 0.30000000000000004"),
        # beyond the 28 digits of the decimal context, where arithmetic would round it away
        ("1.0000000000000000000000000000001", "金额最多两位小数（精确到分），收到 1.0000000000000000000000000000001"),
        ("NaN", "金额必须是数字，收到 NaN"),
        ("Infinity", "金额必须是数字，收到 Infinity"),
        ("10000000000.01", "金额不能超过 10000000000 元，收到 10000000000.01"),
    ],
)
def test_amounts_that_are_not_positive_fen_are_refused_naming_the_field(amount: str, message: str) -> None:
    with pytest.raises(InvalidCommand) as refused:
        yuan_to_fen(Decimal(amount), "amount")
    assert (refused.value.field, refused.value.message) == ("amount", message)


def test_fen_are_shown_as_yuan_with_two_decimals() -> None:
    assert str(fen_to_yuan(5_321_055)) == "53210.55"
    assert str(fen_to_yuan(100)) == "1.00"
