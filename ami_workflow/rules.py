"""Funding and eligibility arithmetic: pure functions on exact amounts.

Nothing here reads a file, a clock or a database. Amounts are ``Decimal``
euros checked by :func:`ami_workflow.money.euros`; rates are percentages.

The 2021 call's ceiling ("plafonné à 50 %", "bonification pouvant aller
jusqu'à 80 %") with the library's default reading of 7.5 points a confirmed
bonus criterion::

    >>> from decimal import Decimal
    >>> rule = RateWithBonus(Decimal(50), Decimal(80), Decimal("7.5"))
    >>> rule.rate(0), rule.rate(2), rule.rate(4)
    (Decimal('50.0'), Decimal('65.0'), Decimal('80.0'))
    >>> ceiling(rule, Decimal("10000.00"), 2)
    Decimal('6500.00')
    >>> qpv_share_met(participants=50, qpv_residents=30, min_percent=Decimal(60))
    True
    >>> allocate(Decimal("100.00"), [("a", Decimal("100.00")), ("b", Decimal("50.00"))])
    {'a': Decimal('66.67'), 'b': Decimal('33.33')}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Protocol

import attrs

from .boundary import checked
from .errors import InvalidInput, InvalidType
from .i18n import _
from .money import ZERO, euros, floor_to_cent, from_cents, percent, to_cents
from .shown import shown

__all__ = [
    "CEILING_RULES",
    "CeilingRule",
    "FlatCap",
    "RateWithBonus",
    "SHORTFALLS",
    "Totals",
    "allocate",
    "allocate_by_rank",
    "ceiling",
    "cofunding_fits",
    "qpv_share_met",
    "totals",
]


class CeilingRule(Protocol):
    """How the most a dossier may receive is computed from its cost.

    ``criteria`` is the number of bonus criteria the instructor confirmed.
    """

    def limit(self, total_cost: Decimal, criteria: int) -> Decimal: ...

    def rate(self, criteria: int) -> Decimal | None: ...


def _amount(value: object) -> Decimal:
    return euros(value, "amount")


def _base_rate_percent(value: object) -> Decimal:
    return percent(value, "base_rate_percent")


def _max_rate_percent(value: object) -> Decimal:
    return percent(value, "max_rate_percent")


def _points_per_criterion_percent(value: object) -> Decimal:
    return percent(value, "points_per_criterion")


def _rate_percent(value: object) -> Decimal:
    return percent(value, "rate_percent")


@attrs.frozen
class RateWithBonus:
    """A base rate of the total cost, raised by points per confirmed criterion, up to a maximum rate."""

    base_rate_percent: Decimal = attrs.field(converter=_base_rate_percent)
    max_rate_percent: Decimal = attrs.field(converter=_max_rate_percent)
    points_per_criterion: Decimal = attrs.field(converter=_points_per_criterion_percent)

    def __attrs_post_init__(self) -> None:
        if self.base_rate_percent > self.max_rate_percent:
            raise InvalidInput(
                _("base_rate_percent ({base_rate_percent}) is above max_rate_percent ({max_rate_percent})").format(
                    base_rate_percent=self.base_rate_percent, max_rate_percent=self.max_rate_percent)
            )

    def rate(self, criteria: int) -> Decimal:
        """The rate in percent for ``criteria`` confirmed bonus criteria, capped at the maximum."""
        _check_count(criteria)
        return min(self.base_rate_percent + self.points_per_criterion * criteria, self.max_rate_percent)

    def limit(self, total_cost: Decimal, criteria: int) -> Decimal:
        return floor_to_cent(euros(total_cost, "total_cost") * self.rate(criteria) / 100)


@attrs.frozen
class FlatCap:
    """A fixed amount per dossier, and never more than ``rate_percent`` of the cost (100 % by default)."""

    amount: Decimal = attrs.field(converter=_amount)
    rate_percent: Decimal = attrs.field(default=Decimal(100), converter=_rate_percent)

    def rate(self, criteria: int) -> Decimal:
        _check_count(criteria)
        return self.rate_percent

    def limit(self, total_cost: Decimal, criteria: int) -> Decimal:
        by_rate = floor_to_cent(euros(total_cost, "total_cost") * self.rate(criteria) / 100)
        return min(self.amount, by_rate)


#: The ceiling rules a call file may name in ``funding.ceiling_rule``.
CEILING_RULES: Mapping[str, type[RateWithBonus] | type[FlatCap]] = {
    "rate_with_bonus": RateWithBonus,
    "flat_cap": FlatCap,
}


def _check_count(criteria: int) -> None:
    if isinstance(criteria, bool) or not isinstance(criteria, int) or criteria < 0:
        raise InvalidInput(_("the number of confirmed criteria must be a non-negative int, not {criteria!r}").format(
            criteria=shown(criteria)))


def ceiling(
    rule: CeilingRule,
    total_cost: Decimal,
    criteria: int = 0,
    other_funding: Decimal = ZERO,
) -> Decimal:
    """The most the funder may grant: the rule's limit, and never more than the cost left by co-funders.

    The result is rounded down to the cent, so it never exceeds rate × cost.

    >>> from decimal import Decimal
    >>> rule = RateWithBonus(Decimal(50), Decimal(80), Decimal("7.5"))
    >>> ceiling(rule, Decimal("1000.00"), 4, other_funding=Decimal("900.00"))
    Decimal('100.00')
    """
    if not callable(getattr(rule, "limit", None)):
        raise InvalidType(_("rule: expected a ceiling rule (FlatCap, RateWithBonus), got {type}").format(
            type=type(rule).__name__))
    cost = euros(total_cost, "total_cost")
    others = euros(other_funding, "other_funding")
    left = max(cost - others, ZERO)
    return min(rule.limit(cost, criteria), left)


def cofunding_fits(total_cost: Decimal, funder_amount: Decimal, other_funding: Decimal) -> bool:
    """Whether the funder's amount plus the other declared co-funding stays within the action's cost."""
    return euros(funder_amount) + euros(other_funding) <= euros(total_cost)


def qpv_share_met(participants: int, qpv_residents: int, min_percent: Decimal) -> bool:
    """The public rule: at least ``min_percent`` % of the participants live in a listed QPV.

    Exact: ``qpv_residents × 100 ≥ min_percent × participants``, with no division.
    An action with no participant does not meet it.
    """
    for name, value in (("participants", participants), ("qpv_residents", qpv_residents)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidInput(_("{name} must be a non-negative int, not {value!r}").format(
                name=name, value=shown(value)))
    if participants == 0 or qpv_residents > participants:
        return False
    return qpv_residents * 100 >= percent(min_percent) * participants


@attrs.frozen
class Totals:
    """Where the envelope stands."""

    envelope: Decimal
    approved: Decimal
    paid: Decimal

    @property
    def remaining(self) -> Decimal:
        """What is left to approve: the envelope less the approved total."""
        return self.envelope - self.approved

    @property
    def to_pay(self) -> Decimal:
        """Approved but not yet paid."""
        return self.approved - self.paid


def totals(envelope: Decimal, approved: Iterable[Decimal], paid: Iterable[Decimal]) -> Totals:
    """The campaign's totals from the approved and paid amounts."""
    return Totals(
        envelope=euros(envelope, "envelope"),
        approved=sum((euros(a, "approved") for a in approved), ZERO),
        paid=sum((euros(p, "paid") for p in paid), ZERO),
    )


@checked
def allocate(envelope: Decimal, claims: Sequence[tuple[str, Decimal]]) -> dict[str, Decimal]:
    """Share ``envelope`` among ``claims`` (key, most the claim may get), to the cent.

    When the claims fit, each gets its full amount. Otherwise each gets its
    pro-rata share of the envelope, rounded down to the cent, and the cents left
    over go one each to the largest remainders (ties in the order given), so
    that the shares add up to the envelope exactly. No share exceeds its claim.
    The caller passes as the claim the least of the proposal, the ceiling and
    the request.
    """
    available = to_cents(euros(envelope, "envelope"))
    keys = [key for key, _ in claims]
    if len(set(keys)) != len(keys):
        raise InvalidInput(_("allocate: every claim needs a distinct key"))
    wanted = [to_cents(euros(amount, f"claim {key}")) for key, amount in claims]
    total = sum(wanted)
    if total <= available:
        return {key: from_cents(cents) for key, cents in zip(keys, wanted, strict=True)}
    floors = [cents * available // total for cents in wanted]
    remainders = [cents * available % total for cents in wanted]
    left = available - sum(floors)
    order = sorted(range(len(keys)), key=lambda i: -remainders[i])
    for i in order[:left]:
        floors[i] += 1
    return {key: from_cents(cents) for key, cents in zip(keys, floors, strict=True)}


#: What allocating by rank does with the first dossier that does not fit: it gets what is left, or nothing and the
#: allocation stops there.
SHORTFALLS = ("partial", "stop")


def allocate_by_rank(envelope: Decimal, claims: Sequence[tuple[str, Decimal]], shortfall: str = "partial"
                     ) -> dict[str, Decimal]:
    """Fund ``claims`` (key, most the claim may get) in the order given, the best ranked first, until ``envelope``
    is used.

    Each dossier gets its full claim while it fits. The first that does not fit gets what is left (``partial``),
    or nothing (``stop``); every dossier after it gets nothing. No share exceeds its claim, and the shares never
    add up to more than the envelope::

        >>> claims = [("a", Decimal("60")), ("b", Decimal("50")), ("c", Decimal("10"))]
        >>> allocate_by_rank(Decimal("100"), claims)
        {'a': Decimal('60.00'), 'b': Decimal('40.00'), 'c': Decimal('0.00')}
        >>> allocate_by_rank(Decimal("100"), claims, "stop")
        {'a': Decimal('60.00'), 'b': Decimal('0.00'), 'c': Decimal('0.00')}
    """
    if shortfall not in SHORTFALLS:
        raise InvalidInput(_("unknown shortfall rule {rule!r}: the rules are {rules}").format(
            rule=shown(shortfall), rules=", ".join(SHORTFALLS)))
    left = to_cents(euros(envelope, "envelope"))
    keys = [key for key, _ in claims]
    if len(set(keys)) != len(keys):
        raise InvalidInput(_("allocate: every claim needs a distinct key"))
    out: dict[str, Decimal] = {}
    stopped = False
    for key, amount in claims:
        wanted = to_cents(euros(amount, f"claim {key}"))
        share = 0 if stopped else wanted if wanted <= left else (left if shortfall == "partial" else 0)
        stopped = stopped or share < wanted
        left -= share
        out[key] = from_cents(share)
    return out
