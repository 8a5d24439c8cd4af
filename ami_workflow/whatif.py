"""What if the rules had been others? The committee's list decided again, in memory, from the stored facts.

:func:`whatif` takes the dossiers the committee heard (with their applications, the criteria the instructor
confirmed, the committee's scores) and decides again under changed rules: another envelope, other bonus points,
another allocation policy, or another call file. It computes each ceiling, the ranking and the allocation anew;
replaying the recorded outcomes would not answer the question. It writes nothing.

Each dossier's claim is the least of the instructor's proposal, its ceiling under the changed rules and its
request; the envelope is shared among them as one list, by the policy in force. An amount the jury set by hand
(a single approval, or a list under the ``committee`` policy) is kept, and flagged where it now breaks a limit
(its ceiling under the changed rules, its request, the envelope); the rest of the envelope is shared among the
others. Under the ``committee`` policy, every recorded amount is the committee's, and is kept.

Each outcome shows what the jury proposed (its approval), what was granted (the council's deliberation may have
granted less, or refused), and what the changed rules give: with the same rules, the what-if gives the jury's
proposals.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import attrs

from .campaign import ALLOCATION_POLICIES, Allocation, Campaign
from .dossier import Dossier
from .errors import InvalidInput
from .guards import dossier_ceiling
from .i18n import _, format_money
from .money import ZERO, euros
from .protocol import Backend
from .rules import SHORTFALLS, RateWithBonus, allocate, allocate_by_rank
from .scoring import ranking
from .shown import shown
from .states import State

__all__ = ["Changes", "Comparison", "Outcome", "jury_proposals", "whatif"]


def _optional_euros(value: object) -> Decimal | None:
    return None if value is None else euros(value, "envelope")


@attrs.frozen
class Changes:
    """The rules changed for the what-if; ``None`` keeps the campaign's."""

    envelope: Decimal | None = attrs.field(default=None, converter=_optional_euros)
    policy: str | None = None
    shortfall: str | None = None
    bonus_points: Decimal | None = None
    """The points each confirmed bonus criterion adds to the base rate (a ``rate_with_bonus`` call only)."""
    campaign: Campaign | None = None
    """Another call file's rules, applied to the same dossiers."""

    def __attrs_post_init__(self) -> None:
        if self.policy is not None and self.policy not in ALLOCATION_POLICIES:
            raise InvalidInput(_("unknown allocation policy {policy!r}: the policies are {policies}").format(
                policy=shown(self.policy), policies=", ".join(ALLOCATION_POLICIES)))
        if self.shortfall is not None and self.shortfall not in SHORTFALLS:
            raise InvalidInput(_("unknown shortfall rule {rule!r}: the rules are {rules}").format(
                rule=shown(self.shortfall), rules=", ".join(SHORTFALLS)))
        if self.bonus_points is not None and (not isinstance(self.bonus_points, Decimal) or self.bonus_points < 0):
            raise InvalidInput(_("bonus_points is a number of points, 0 or more, not {value!r}").format(
                value=shown(self.bonus_points)))


@attrs.frozen
class Outcome:
    """One heard dossier: what was granted, and what the changed rules give."""

    reference: str
    axis: str
    qpv_codes: tuple[str, ...]
    recorded: Decimal
    """What the dossier was granted (0 if not funded, or refused by the council)."""
    whatif: Decimal
    ceiling: Decimal
    """Its ceiling under the changed rules."""
    proposed: Decimal = ZERO
    """What the jury proposed (its approval's amount; 0 if not approved)."""
    hand_set: bool = False
    """The jury set this amount by hand: it is kept, not re-decided."""
    flags: tuple[str, ...] = ()
    """Why a kept amount now breaks a limit, in plain words."""

    @property
    def changed(self) -> bool:
        return self.recorded != self.whatif


@attrs.frozen
class Comparison:
    """Side by side: every heard dossier, the totals by axis and by QPV, and the dossiers whose outcome changes."""

    envelope: Decimal
    policy: str
    outcomes: tuple[Outcome, ...]
    by_axis: Mapping[str, tuple[Decimal, Decimal]]
    """Axis → (recorded, what-if)."""
    by_qpv: Mapping[str, tuple[Decimal, Decimal]]
    """QPV code → (recorded, what-if); a dossier in several QPV counts in each."""
    flags: tuple[str, ...] = ()
    """Why the amounts kept break the changed envelope, in plain words."""

    @property
    def changed(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.changed)


def _changed_campaign(campaign: Campaign, changes: Changes) -> Campaign:
    rules = changes.campaign or campaign
    funding = rules.funding
    if changes.bonus_points is not None:
        if not isinstance(funding.ceiling, RateWithBonus):
            raise InvalidInput(_("bonus points apply to a rate_with_bonus ceiling, not to {rule}").format(
                rule=funding.ceiling_rule))
        funding = attrs.evolve(funding, ceiling=attrs.evolve(funding.ceiling,
                                                             points_per_criterion=changes.bonus_points))
    allocation = Allocation(changes.policy or funding.allocation.policy,
                            changes.shortfall or funding.allocation.shortfall)
    funding = attrs.evolve(funding, allocation=allocation)
    envelope = rules.envelope if changes.envelope is None else attrs.evolve(rules.envelope, amount=changes.envelope)
    return attrs.evolve(rules, funding=funding, envelope=envelope)


def _heard(dossier: Dossier) -> bool:
    return dossier.hearing is not None and dossier.instruction is not None and dossier.state != State.WITHDRAWN


def jury_proposals(flow: Backend, references: set[str]) -> dict[str, tuple[Decimal, bool]]:
    """Each dossier's last approval by the jury: its amount, and whether the jury set it by hand (a single
    approval, or a list under the ``committee`` policy), from one pass over the journal."""
    found: dict[str, tuple[Decimal, bool]] = {}
    for event in flow.iter_journal():
        if event.dossier in references and event.trigger == "approve":
            allocation = event.data.get("allocation")
            found[str(event.dossier)] = (Decimal(str(event.data["amount"])), allocation in (None, "committee"))
    return found


def _flags(amount: Decimal, ceiling: Decimal, requested: Decimal) -> tuple[str, ...]:
    flags = []
    if amount > ceiling:
        flags.append(_("set by hand at {amount}, above its ceiling under these rules ({ceiling})").format(
            amount=format_money(amount), ceiling=format_money(ceiling)))
    if amount > requested:
        flags.append(_("set by hand at {amount}, above its request ({requested})").format(
            amount=format_money(amount), requested=format_money(requested)))
    return tuple(flags)


def whatif(flow: Backend, campaign_id: str | None = None, changes: Changes | None = None) -> Comparison:
    """The committee's list decided again under ``changes``, beside what was recorded; the store is not written."""
    changes = changes or Changes()
    cid = campaign_id or flow.campaign.id
    campaign = _changed_campaign(flow.get_campaign(cid), changes)
    heard = [d for d in flow.dossiers(campaign_id=cid) if _heard(d)]
    proposals = jury_proposals(flow, {d.reference for d in heard})
    policy = campaign.funding.allocation
    kept = {ref: amount for ref, (amount, by_hand) in proposals.items() if by_hand or policy.policy == "committee"}
    claims: list[tuple[str, Decimal]] = []
    limits: dict[str, Decimal] = {}
    for dossier in heard:
        assert dossier.instruction is not None
        limits[dossier.reference] = dossier_ceiling(campaign, dossier, dossier.instruction.criteria)
        claim = min(dossier.instruction.proposed, limits[dossier.reference], dossier.application.requested or ZERO)
        if dossier.reference not in kept and policy.policy != "committee":
            claims.append((dossier.reference, claim))
    envelope = campaign.envelope.amount
    held = sum(kept.values(), ZERO)
    left = max(envelope - held, ZERO)
    if policy.policy == "rank":
        if campaign.committee.grid is None:
            raise InvalidInput(_("allocating by rank needs a scoring grid ([committee.grid])"))
        order = {r.reference: r.rank for r in ranking(campaign, heard, flow.scores(cid))}
        unscored = [ref for ref, _ in claims if ref not in order]
        if unscored:
            raise InvalidInput(_("{references}: not scored by the committee, and the call allocates by rank "
                                 "(funding.allocation.policy = \"rank\")").format(references=", ".join(unscored)))
        shares = allocate_by_rank(left, sorted(claims, key=lambda c: order[c[0]]), policy.shortfall)
    elif policy.policy == "committee":
        shares = {}
    else:
        shares = allocate(left, claims)
    shares = {**shares, **kept}
    outcomes = tuple(
        Outcome(d.reference, d.application.axis or "", tuple(d.application.qpv_codes), d.approved or ZERO,
                shares.get(d.reference, ZERO), limits[d.reference], proposals.get(d.reference, (ZERO, False))[0],
                d.reference in kept,
                _flags(kept[d.reference], limits[d.reference], d.application.requested or ZERO)
                if d.reference in kept else ())
        for d in heard
    )
    flags = (_("the amounts kept add up to {held}, more than the envelope {envelope}").format(
        held=format_money(held), envelope=format_money(envelope)),) if held > envelope else ()
    by_axis: dict[str, tuple[Decimal, Decimal]] = {}
    by_qpv: dict[str, tuple[Decimal, Decimal]] = {}
    for o in outcomes:
        for table, key in [(by_axis, o.axis)] + [(by_qpv, q) for q in o.qpv_codes]:
            before, after = table.get(key, (ZERO, ZERO))
            table[key] = (before + o.recorded, after + o.whatif)
    return Comparison(envelope, policy.policy, outcomes, dict(sorted(by_axis.items())), dict(sorted(by_qpv.items())),
                      flags)
