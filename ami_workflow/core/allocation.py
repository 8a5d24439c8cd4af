"""How a committee's list shares what is left of the envelope: the call file's allocation policy.

``[funding.allocation] policy`` (see :class:`~ami_workflow.campaign.Allocation`):

- ``pro_rata``: when the claims exceed what is left, each is scaled down alike, to the cent
  (:func:`~ami_workflow.rules.allocate`);
- ``rank``: in the order of the committee's ranking (:func:`~ami_workflow.scoring.ranking`), each dossier funded
  in full until the envelope is used; the first that does not fit gets what is left or nothing, as
  ``shortfall`` says (:func:`~ami_workflow.rules.allocate_by_rank`); every listed dossier must have been scored;
- ``committee``: the amounts the committee sets, each given explicitly, refused with every reason if one exceeds
  its ceiling or its request, or if together they exceed what is left.

A dossier's claim is the least of its proposal (the amount given, or the instructor's), its ceiling and its
request; under ``committee`` the amount given is the claim, and is never lowered.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import attrs

from ..errors import Refused
from ..guards import dossier_ceiling
from ..i18n import _, format_money
from ..money import ZERO
from ..rules import allocate, allocate_by_rank
from ..scoring import ranking
from ..shown import shown
from ..triggers import ApproveArgs
from .view import View

__all__ = ["BatchPlan", "plan_batch"]


@attrs.frozen
class BatchPlan:
    """Each listed dossier's share of what is left of the envelope, whether some were scaled down, and the policy."""

    shares: Mapping[str, Decimal]
    scaled: bool
    policy: str = "pro_rata"


def plan_batch(view: View, campaign_id: str, proposals: Mapping[str, Decimal | None]) -> BatchPlan:
    """The committee's list, shared by the call's allocation policy; :class:`Refused` with every reason."""
    campaign = view.campaign(campaign_id)
    policy = campaign.funding.allocation
    claims: list[tuple[str, Decimal]] = []
    reasons: list[str] = []
    listed = []
    for ref, given in proposals.items():
        dossier = view.find(ref)
        if dossier is None or dossier.campaign_id != campaign_id:
            reasons.append(_("no dossier {reference!r}").format(reference=shown(ref)))
            continue
        if dossier.instruction is None:
            reasons.append(_("{reference}: the dossier has not been instructed").format(reference=ref))
            continue
        listed.append(dossier)
        proposal = ApproveArgs(given).amount
        limit = dossier_ceiling(campaign, dossier, dossier.instruction.criteria)
        requested = dossier.application.requested or ZERO
        if policy.policy == "committee":
            if proposal is None:
                reasons.append(_("{reference}: the committee sets each amount (funding.allocation.policy = "
                                 "\"committee\"): give it").format(reference=ref))
                continue
            for what, bound in ((_("its ceiling"), limit), (_("its request"), requested)):
                if proposal > bound:
                    reasons.append(_("{reference}: {amount} is above {what}, {bound}").format(
                        reference=ref, amount=format_money(proposal), what=what, bound=format_money(bound)))
            claims.append((ref, proposal))
            continue
        claims.append((ref, min(proposal if proposal is not None else dossier.instruction.proposed, limit, requested)))
    remaining = max(campaign.envelope.amount - view.approved_total(campaign_id), ZERO)
    if policy.policy == "rank":
        ranked = {r.reference: r.rank for r in ranking(campaign, listed, view.scores(campaign_id).values())}
        unscored = [d.reference for d in listed if d.reference not in ranked]
        if unscored:
            reasons.append(_("{references}: not scored by the committee, and the call allocates by rank "
                             "(funding.allocation.policy = \"rank\")").format(references=", ".join(unscored)))
    if policy.policy == "committee" and sum((c for _, c in claims), ZERO) > remaining:
        reasons.append(_("the amounts set, {total}, are above what is left of the envelope, {left}").format(
            total=format_money(sum((c for _, c in claims), ZERO)), left=format_money(remaining)))
    if reasons:
        raise Refused("approve_batch", reasons)
    if policy.policy == "rank":
        claims.sort(key=lambda claim: ranked[claim[0]])
        shares = allocate_by_rank(remaining, claims, policy.shortfall)
    elif policy.policy == "committee":
        shares = dict(claims)
    else:
        shares = allocate(remaining, claims)
    return BatchPlan(shares, sum(shares.values(), ZERO) < sum((c for _, c in claims), ZERO), policy.policy)
