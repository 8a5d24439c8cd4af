"""Hypothesis strategies shared by the test modules."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from ami_workflow.budget import CHARGE_LINES, IN_KIND_CHARGES, IN_KIND_PRODUCTS, PRODUCT_LINES, Budget
from ami_workflow.calendar import PARIS
from ami_workflow.money import CENT, MAX_AMOUNT

#: Amounts in euros, exact to the cent, from 0 to 10 million.
amounts = st.integers(min_value=0, max_value=1_000_000_000).map(lambda cents: Decimal(cents) / 100)
positive_amounts = st.integers(min_value=1, max_value=1_000_000_000).map(lambda cents: Decimal(cents) / 100)
costs = st.integers(min_value=100, max_value=50_000_000).map(lambda cents: Decimal(cents) / 100)

#: Percent rates with up to 2 decimals.
rates = st.integers(min_value=0, max_value=10_000).map(lambda bp: Decimal(bp) / 100)


def is_not_money(d: Decimal) -> bool:
    """Whether the finite ``d`` is refused by :func:`ami_workflow.money.euros`: negative, too large or sub-cent.

    Never raises: ``quantize`` is only called within ``MAX_AMOUNT``, where it cannot exceed the precision
    (``Decimal("1E+26").quantize(CENT)`` raises ``InvalidOperation``).
    """
    if d < 0 or d > MAX_AMOUNT:
        return True
    return d != d.quantize(CENT)


#: Values that are never money.
not_money = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
    st.sampled_from(["", "abc", "1.001", "-1", "NaN", "Infinity", "1,5.2", "0.001"]),
    st.integers(max_value=-1),
    st.decimals(allow_nan=False, allow_infinity=False).filter(is_not_money),
)


def paris(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def instants_between(start: date, end: date) -> st.SearchStrategy[datetime]:
    """Aware Paris instants on the days from ``start`` to ``end`` (both included), between 08:00 and 19:59."""
    days = (end - start).days
    return st.builds(
        lambda offset, hour, minute: paris(*(start + timedelta(days=offset)).timetuple()[:3], hour, minute),
        st.integers(0, days),
        st.integers(8, 19),
        st.integers(0, 59),
    )


def _split(cents: int, parts: int) -> st.SearchStrategy[list[int]]:
    """``cents`` cut into ``parts`` whole numbers of cents (each 0 or more) that add up to it exactly."""
    if parts == 1:
        return st.just([cents])
    cuts = st.lists(st.integers(0, cents), min_size=parts - 1, max_size=parts - 1).map(sorted)
    return cuts.map(lambda c: [b - a for a, b in zip([0, *c], [*c, cents], strict=True)])


def _lines(keys: list[str], amount: Decimal) -> st.SearchStrategy[dict[str, Decimal]]:
    """``amount`` spread over the lines ``keys``."""
    return _split(int(amount * 100), len(keys)).map(
        lambda parts: {k: Decimal(p) / 100 for k, p in zip(keys, parts, strict=True)})


def forecast_budgets(total: Decimal, requested: Decimal, funder_line: str = "74.epci") -> st.SearchStrategy[Budget]:
    """Balanced CERFA n° 12156 budgets whose total is ``total`` and whose ``funder_line`` is ``requested``: the
    charges spread over some of the form's lines, the rest of the products over other funders and resources, and
    as much in kind received (87) as used (86)."""
    charge_keys = [k for k in CHARGE_LINES if k != IN_KIND_CHARGES]
    product_keys = [k for k in PRODUCT_LINES if k not in (IN_KIND_PRODUCTS, funder_line)]
    return st.builds(
        lambda charges, products, in_kind: Budget(
            charges={**charges, IN_KIND_CHARGES: in_kind},
            products={**products, funder_line: requested, IN_KIND_PRODUCTS: in_kind}),
        st.lists(st.sampled_from(charge_keys), min_size=1, max_size=5, unique=True).flatmap(
            lambda keys: _lines(keys, total)),
        st.lists(st.sampled_from(product_keys), min_size=1, max_size=4, unique=True).flatmap(
            lambda keys: _lines(keys, total - requested)),
        st.integers(0, 500_000).map(lambda c: Decimal(c) / 100),
    )


#: Balanced forecast budgets of any total (from 1 € to 500 000 €), the EPCI line at most that total.
balanced_budgets = st.integers(100, 50_000_000).flatmap(
    lambda cents: st.integers(0, cents).flatmap(
        lambda asked: forecast_budgets(Decimal(cents) / 100, Decimal(asked) / 100)))
