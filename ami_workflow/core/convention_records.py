"""Decide for a convention's content and its avenants. Pure, like :mod:`ami_workflow.core.decide`, which
dispatches here; the rules themselves are in :mod:`ami_workflow.conventions`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time
from typing import Any

from ..calendar import paris_date
from ..conventions import Convention, applicant_paths, content_refusals
from ..dossier import Dossier
from ..errors import Refused
from ..i18n import _, format_day
from ..money import ZERO
from ..states import State, state_words
from .commands import AmendConvention
from .events import Event, Kind
from .view import View, find_dossier

__all__ = ["amend_convention", "convention_content_refusals", "convention_targets"]

#: The states in which a dossier's convention may be amended: granted, paid in part or in whole.
AMENDABLE_STATES = frozenset({State.APPROVED, State.PAID})


def convention_content_refusals(view: View, dossier: Dossier, convention: Convention) -> list[str]:
    """Why ``convention``'s current content cannot stand for the dossier's grant (see
    :func:`~ami_workflow.conventions.content_refusals`)."""
    campaign = view.campaign(dossier.campaign_id)
    return content_refusals(convention, granted=dossier.approved or ZERO, paid=dossier.paid,
                            grant_year=campaign.envelope.year)


def amend_convention(view: View, command: AmendConvention, now: datetime) -> Event:
    """An avenant to the dossier's convention, dated by its signature; refused, with every reason, when the
    dossier has no convention or is no longer granted, when its reference is taken, when it is signed after
    today or before the convention (or its last avenant), or when the amended content would not stand (an
    amount below what is paid or above the grant, yearly amounts that do not add up …)."""
    dossier = find_dossier(view, command.reference)
    avenant = command.avenant
    convention = view.convention(dossier.reference)
    reasons = []
    if dossier.state not in AMENDABLE_STATES:
        reasons.append(_("{reference} is {state}: only the convention of a granted subsidy takes an avenant").format(
            reference=dossier.reference, state=state_words(dossier.state)))
    if convention is None:
        reasons.append(_("{reference} has no convention to amend: record it first").format(
            reference=dossier.reference))
    else:
        taken = {convention.reference, *(a.reference for a in convention.avenants)}
        if avenant.reference in taken:
            reasons.append(_("the reference {avenant} is already the convention's or one of its avenants'").format(
                avenant=avenant.reference))
        last = convention.avenants[-1].signed_on if convention.avenants else convention.signed_on
        if avenant.signed_on < last:
            reasons.append(_("the avenant is signed on {day}, before the convention as it stands ({last})").format(
                day=format_day(avenant.signed_on), last=format_day(last)))
        reasons += convention_content_refusals(view, dossier, convention.with_avenant(avenant))
    if avenant.signed_on > paris_date(now):
        reasons.append(_("the avenant is signed on {day}, after today ({today})").format(
            day=format_day(avenant.signed_on), today=format_day(paris_date(now))))
    if reasons:
        raise Refused("amend_convention", reasons)
    assert convention is not None
    data = {"dossier": dossier.reference,
            "avenant": {"reference": avenant.reference, "signed_on": avenant.signed_on.isoformat(),
                        "changes": dict(avenant.changes)}}
    personal: dict[str, str | None] = {}
    if avenant.reason:
        personal[f"avenants.{len(convention.avenants)}.reason"] = avenant.reason
    at = datetime.combine(avenant.signed_on, time(0, 0), tzinfo=now.tzinfo)
    return Event(Kind.CONVENTION_AMENDED, dossier.campaign_id, None, at, command.actor, data, personal)


def convention_targets(view: View, dossiers: Iterable[Dossier]) -> list[dict[str, Any]]:
    """What an applicant's erasure blanks in the conventions of its ``dossiers``: the signatories' names and the
    avenants' reasons still held, as targets of a ``member_erased`` event."""
    targets: list[dict[str, Any]] = []
    for dossier in dossiers:
        convention = view.convention(dossier.reference)
        if convention is not None:
            targets += [{"campaign": dossier.campaign_id, "convention": dossier.reference, "path": path}
                        for path in applicant_paths(convention)]
    return targets
