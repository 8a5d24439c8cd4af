"""Money is exact: a float, a negative, a non-finite or a sub-cent amount never gets in."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from strategies import amounts, is_not_money, not_money

from ami_workflow.errors import InvalidAmount
from ami_workflow.money import euros, format_euros, from_cents, to_cents


@given(amounts)
def test_cents_round_trip(amount: Decimal) -> None:
    assert from_cents(to_cents(amount)) == amount


@given(not_money)
@example(Decimal("1E+26"))
@example(Decimal("-1E+26"))
@example(Decimal("1000000000000.01"))
def test_anything_but_exact_money_is_refused(value: object) -> None:
    with pytest.raises(InvalidAmount):
        euros(value)


@given(st.decimals(allow_nan=False, allow_infinity=False))
@example(Decimal("1E+26"))
@example(Decimal("-1E+26"))
@example(Decimal("1E+12"))
@example(Decimal("1E-30"))
def test_the_not_money_filter_never_raises_and_agrees_with_euros(value: Decimal) -> None:
    # The filter once called quantize on any decimal: 1E+26 raised InvalidOperation instead of being drawn.
    try:
        euros(value)
    except InvalidAmount:
        assert is_not_money(value)
    else:
        assert not is_not_money(value)


def test_huge_amounts_are_refused_not_crashed_on() -> None:
    for text in ("1E+26", "1E+13", "100000000000000000000000000.00"):
        with pytest.raises(InvalidAmount, match="above the largest amount"):
            euros(Decimal(text))
        with pytest.raises(InvalidAmount, match="above the largest amount"):
            euros(text)
    assert euros(Decimal("1E+12")) == Decimal("1000000000000.00")



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
