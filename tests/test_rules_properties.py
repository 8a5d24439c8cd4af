"""Properties of the funding arithmetic (ami_workflow.rules), checked by Hypothesis."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import amounts, costs, positive_amounts, rates

from ami_workflow.errors import InvalidAmount, InvalidInput
from ami_workflow.money import ZERO
from ami_workflow.rules import FlatCap, RateWithBonus, allocate, ceiling, cofunding_fits, qpv_share_met, totals

CALL_RULE = RateWithBonus(Decimal(50), Decimal(80), Decimal("7.5"))


@st.composite
def rate_rules(draw: st.DrawFn) -> RateWithBonus:
    base = draw(rates)
    top = draw(rates.filter(lambda r: r >= base))
    points = draw(st.integers(0, 2000).map(lambda p: Decimal(p) / 100))
    return RateWithBonus(base, top, points)


@given(rate_rules(), costs, st.integers(0, 6))
def test_ceiling_never_exceeds_rate_times_cost(rule: RateWithBonus, cost: Decimal, criteria: int) -> None:
    limit = ceiling(rule, cost, criteria)
    assert limit <= cost * rule.rate(criteria) / 100
    assert cost * rule.rate(criteria) / 100 - limit < Decimal("0.01")
    assert limit == limit.quantize(Decimal("0.01"))


@given(rate_rules(), costs, costs, st.integers(0, 6))
def test_ceiling_is_monotone_in_cost(rule: RateWithBonus, a: Decimal, b: Decimal, criteria: int) -> None:
    low, high = sorted((a, b))
    assert ceiling(rule, low, criteria) <= ceiling(rule, high, criteria)


@given(rate_rules(), costs, st.integers(0, 5))
def test_ceiling_is_monotone_in_criteria(rule: RateWithBonus, cost: Decimal, criteria: int) -> None:
    assert ceiling(rule, cost, criteria) <= ceiling(rule, cost, criteria + 1)


@given(costs, st.integers(0, 10))
def test_call_rate_stays_between_50_and_80_percent(cost: Decimal, criteria: int) -> None:
    limit = ceiling(CALL_RULE, cost, criteria)
    assert ceiling(CALL_RULE, cost, 0) <= limit <= cost * Decimal("0.8")


@given(costs, amounts, st.integers(0, 4))
def test_ceiling_leaves_room_for_cofunding(cost: Decimal, others: Decimal, criteria: int) -> None:
    limit = ceiling(CALL_RULE, cost, criteria, other_funding=others)
    assert limit >= 0
    if others <= cost:
        assert cofunding_fits(cost, limit, others)


@given(amounts, costs)
def test_flat_cap_never_exceeds_its_amount(cap: Decimal, cost: Decimal) -> None:
    rule = FlatCap(cap)
    assert ceiling(rule, cost, 3) <= min(cap, cost)


@given(st.integers(0, 10_000), st.integers(0, 10_000), rates)
def test_qpv_share_is_exact_integer_arithmetic(participants: int, residents: int, minimum: Decimal) -> None:
    met = qpv_share_met(participants, residents, minimum)
    if participants == 0 or residents > participants:
        assert not met
    else:
        # The same answer as exact rational arithmetic.
        assert met == (Fraction(residents, participants) * 100 >= Fraction(minimum))


@st.composite
def claims(draw: st.DrawFn) -> list[tuple[str, Decimal]]:
    values = draw(st.lists(positive_amounts, min_size=1, max_size=30))
    return [(f"d{i}", v) for i, v in enumerate(values)]


@given(amounts, claims())
def test_allocation_sums_exactly_and_respects_every_claim(envelope: Decimal, wanted: list[tuple[str, Decimal]]) -> None:
    shares = allocate(envelope, wanted)
    total_wanted = sum((v for _, v in wanted), ZERO)
    assert sum(shares.values(), ZERO) == min(envelope, total_wanted)
    assert sum(shares.values(), ZERO) <= envelope
    for key, claim in wanted:
        assert ZERO <= shares[key] <= claim
        assert shares[key] == shares[key].quantize(Decimal("0.01"))


@given(amounts, claims())
def test_allocation_is_pro_rata_to_the_cent(envelope: Decimal, wanted: list[tuple[str, Decimal]]) -> None:
    total_wanted = sum((v for _, v in wanted), ZERO)
    assume(total_wanted > envelope)
    shares = allocate(envelope, wanted)
    for key, claim in wanted:
        exact = claim * envelope / total_wanted
        assert abs(shares[key] - exact) < Decimal("0.01")


def test_allocation_largest_remainder_example() -> None:
    shares = allocate(Decimal("100.00"), [(key, Decimal("30.00")) for key in "abcdef"])
    assert sum(shares.values()) == Decimal("100.00")
    assert sorted(shares.values()) == [Decimal("16.66")] * 2 + [Decimal("16.67")] * 4


def test_allocation_refuses_duplicate_keys() -> None:
    with pytest.raises(InvalidInput):
        allocate(Decimal(10), [("a", Decimal(1)), ("a", Decimal(2))])


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=0, max_value=1e7))
def test_a_float_never_gets_into_the_arithmetic(value: float) -> None:
    with pytest.raises(InvalidAmount):
        ceiling(CALL_RULE, value, 0)  # type: ignore[arg-type]
    with pytest.raises(InvalidAmount):
        allocate(value, [("a", Decimal(1))])  # type: ignore[arg-type]
    with pytest.raises(InvalidAmount):
        totals(Decimal(1), [value], [])  # type: ignore[list-item]


@given(amounts, st.lists(amounts, max_size=10), st.lists(amounts, max_size=10))
def test_totals_add_up(envelope: Decimal, approved: list[Decimal], paid: list[Decimal]) -> None:
    t = totals(envelope, approved, paid)
    assert t.remaining == envelope - sum(approved, ZERO)
    assert t.to_pay == sum(approved, ZERO) - sum(paid, ZERO)


def test_base_rate_above_maximum_is_refused() -> None:
    with pytest.raises(InvalidInput, match="above max_rate_percent"):
        RateWithBonus(Decimal(90), Decimal(80), Decimal(5))
