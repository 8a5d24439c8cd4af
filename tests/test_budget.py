"""The CERFA n° 12156 budget lines: exact amounts, balanced charges and products, contributions in kind apart."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ami_workflow.budget import CHARGE_LINES, IN_KIND_CHARGES, IN_KIND_PRODUCTS, PRODUCT_LINES, Budget, line_label
from ami_workflow.errors import InvalidInput

cents = st.integers(min_value=0, max_value=10_000_000).map(lambda c: Decimal(c) / 100)


@given(st.dictionaries(st.sampled_from(sorted(CHARGE_LINES)), cents),
       st.dictionaries(st.sampled_from(sorted(PRODUCT_LINES)), cents))
def test_totals_are_exact_sums_without_the_contributions_in_kind(charges: dict[str, Decimal],
                                                                  products: dict[str, Decimal]) -> None:
    budget = Budget(charges=charges, products=products)
    assert budget.total == sum((v for k, v in charges.items() if k != IN_KIND_CHARGES), Decimal(0))
    assert budget.total_products == sum((v for k, v in products.items() if k != IN_KIND_PRODUCTS), Decimal(0))
    assert all(v > 0 for v in budget.charges.values())  # lines at zero are dropped
    assert list(budget.charges) == [k for k in CHARGE_LINES if k in budget.charges]  # in the form's order
    assert (budget.problems() == []) == (budget.total == budget.total_products and
                                         budget.in_kind == budget.products.get(IN_KIND_PRODUCTS, Decimal(0)))


def test_cerfa_12156_budget_balanced_charges_equal_products() -> None:
    assert Budget(charges={"60": "100", "64": "900"}, products={"74.epci": "600", "75": "400"}).problems() == []
    unbalanced = Budget(charges={"60": "100"}, products={"74.epci": "99.99"}).problems()
    assert len(unbalanced) == 1 and "not balanced" in unbalanced[0]


def test_cerfa_12156_contributions_in_kind_balance_86_and_87() -> None:
    budget = Budget(charges={"60": "100", "86": "50"}, products={"74.epci": "100", "87": "40"})
    assert budget.total == Decimal("100.00") and budget.in_kind == Decimal("50.00")
    assert [p for p in budget.problems() if "in kind" in p]


@pytest.mark.parametrize("bad", [
    {"charges": {"99": "1"}}, {"products": {"74": "1"}}, {"charges": {"60": 1.5}}, {"charges": {"60": "-1"}},
    {"charges": "60=1"}, {"products": [("70", "1")]}, {"charges": {60: "1"}}, {"charges": {"60": "1.001"}},
])
def test_bad_budgets_are_refused_with_a_clear_error(bad: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        Budget(**bad)


def test_line_labels_name_the_form_lines() -> None:
    assert line_label("74.epci").startswith("74")
    assert line_label("nope") == "nope"
