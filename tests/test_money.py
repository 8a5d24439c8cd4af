"""Money is exact: a float, a negative, a non-finite or a sub-cent amount never gets in."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import amounts, not_money

from ami_workflow.errors import InvalidAmount
from ami_workflow.money import euros, format_euros, from_cents, to_cents


@given(amounts)
def test_cents_round_trip(amount: Decimal) -> None:
    assert from_cents(to_cents(amount)) == amount


@given(not_money)
def test_anything_but_exact_money_is_refused(value: object) -> None:
    with pytest.raises(InvalidAmount):
        euros(value)


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=0, max_value=1e9))
def test_a_float_never_gets_in_even_a_round_one(value: float) -> None:
    with pytest.raises(InvalidAmount, match="float"):
        euros(value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("150000", "150000.00"), ("150 000,00", "150000.00"), ("1500.5", "1500.50"), ("23 000 €", "23000.00")],
)
def test_french_and_plain_texts(text: str, expected: str) -> None:
    assert euros(text) == Decimal(expected)


def test_error_names_the_field() -> None:
    with pytest.raises(InvalidAmount, match=r"^requested: "):
        euros(0.5, "requested")


def test_format() -> None:
    assert format_euros(Decimal("1234567.5")) == "1 234 567,50 €"
    assert format_euros(Decimal("0")) == "0,00 €"
