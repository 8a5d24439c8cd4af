"""Hypothesis strategies shared by the test modules."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from hypothesis import strategies as st

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
