"""Decide for the council: its deliberation on the jury's proposals, and the day it became enforceable. Pure, like
:mod:`ami_workflow.core.decide`, which dispatches here.

The deliberation is the decision. It records one ``deliberation_recorded`` event, then, for each dossier it grants
below the proposal, a ``grant_reduced`` event, and for each it refuses, the ``council_refuse`` edge (``approved →
rejected``) with its motivation: the dossiers' own events, which every backend folds the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time

from ..board import same_person
from ..calendar import paris_date
from ..conflicts import conflicts_at
from ..decisions import Deliberation, deliberation_refusals
from ..dossier import Dossier
from ..errors import NotFound, Refused
from ..i18n import _, format_day, format_money
from ..states import State
from .commands import DeclareEnforceable, RecordDeliberation
from .events import Event, Kind
from .plain import plain
from .view import View

__all__ = ["declare_enforceable", "record_deliberation"]


def record_deliberation(view: View, command: RecordDeliberation, now: datetime) -> list[Event]:
    campaign = view.campaign(command.campaign_id)
    cid = campaign.id
    deliberation = command.deliberation
    found: dict[str, Dossier] = {}
    for ref in deliberation.decided:
        dossier = view.find(ref)
        if dossier is not None and dossier.campaign_id == cid:
            found[ref] = dossier
    states = {ref: (found[ref].state if ref in found else None) for ref in deliberation.decided}
    reasons = deliberation_refusals(deliberation, view.calendar(cid), view.deliberation_references(cid), states)
    today = paris_date(now)
    if deliberation.day > today:
        reasons.append(_("the deliberation of {day} has not been taken yet (it is {today})").format(
            day=format_day(deliberation.day), today=format_day(today)))
    if deliberation.enforceable_on is not None and deliberation.enforceable_on > today:
        reasons.append(_("the deliberation cannot be enforceable on {day}, after today ({today})").format(
            day=format_day(deliberation.enforceable_on), today=format_day(today)))
    reasons += _amount_problems(deliberation, found)
    reasons += [_("the motivation of {reference}: {length} characters, more than the {limit} the call allows").format(
        reference=ref, length=len(text), limit=campaign.limits.text_max)
        for ref, text in command.motivations.items() if len(text) > campaign.limits.text_max]
    for ref in deliberation.refused:
        if not command.motivations.get(ref):
            reasons.append(_("the refusal of {reference} needs its motivation (CRPA L211-2)").format(reference=ref))
    reasons += [_("a motivation is given for {reference}, which the deliberation does not refuse").format(
        reference=ref) for ref in command.motivations if ref not in deliberation.refused]
    if deliberation.refused and not campaign.workflow.machine().destinations(State.APPROVED, "council_refuse"):
        reasons.append(_("the call's workflow has no edge council_refuse: approved -> rejected"))
    reasons += _interested(view, cid, deliberation, found.values())
    if reasons:
        raise Refused("record_deliberation", reasons)
    at = datetime.combine(deliberation.day, time(0, 0), tzinfo=now.tzinfo)
    data = plain(deliberation)
    personal: dict[str, str | None] = {f"not_taking_part.{i}": name for i, name in enumerate(data.pop(
        "not_taking_part"))}
    data["absent"] = len(personal)
    events = [Event(Kind.DELIBERATION_RECORDED, cid, None, at, command.actor, {"deliberation": data}, personal)]
    for ref, amount in deliberation.amounts.items():
        proposed = found[ref].approved
        if amount != proposed:
            events.append(Event(Kind.GRANT_REDUCED, cid, ref, at, command.actor,
                                {"deliberation": deliberation.reference, "amount": str(amount),
                                 "proposed": str(proposed)}))
    for ref in deliberation.refused:
        events.append(Event(Kind.TRIGGERED, cid, ref, at, command.actor,
                            {"trigger": "council_refuse", "source": State.APPROVED.value,
                             "dest": State.REJECTED.value, "deliberation": deliberation.reference},
                            {"note": command.motivations[ref]}))
    return events


def _amount_problems(deliberation: Deliberation, found: dict[str, Dossier]) -> list[str]:
    """The council grants at most the jury's proposal, more than 0, and no less than what was paid already."""
    reasons = []
    for ref, amount in deliberation.amounts.items():
        dossier = found.get(ref)
        if dossier is None or dossier.approved is None:
            continue
        if amount <= 0:
            reasons.append(_("{reference}: a grant above 0 is given, or the dossier is refused").format(reference=ref))
        elif amount > dossier.approved:
            reasons.append(_("{reference}: {amount} is above the jury's proposal ({proposed}); the council may grant "
                             "less, not more").format(reference=ref, amount=format_money(amount),
                                                      proposed=format_money(dossier.approved)))
        if amount < dossier.paid:
            reasons.append(_("{reference}: {amount} is below what was already paid ({paid})").format(
                reference=ref, amount=format_money(amount), paid=format_money(dossier.paid)))
    return reasons


def _interested(view: View, campaign_id: str, deliberation: Deliberation, dossiers: Iterable[Dossier]) -> list[str]:
    """The elected members of the committee interested in a dossier decided on, who are not listed as not taking
    part (CGCT L2131-11): on its board lists, with a confirmed conflict, or with a declared link."""
    elected = view.campaign(campaign_id).committee.elected_category
    if not elected:
        return []
    rulings = view.rulings(campaign_id)
    reasons: list[str] = []
    seen: set[tuple[str, str]] = set()
    for dossier in dossiers:
        for session in view.sessions(campaign_id).values():
            for conflict in conflicts_at(session, dossier.reference, dossier.board, rulings):
                member = session.members[conflict.member]
                if member.category != elected or conflict.status == "dismissed":
                    continue
                if any(same_person(member.name, name) for name in deliberation.not_taking_part):
                    continue
                if (member.name, dossier.reference) in seen:
                    continue
                seen.add((member.name, dossier.reference))
                reasons.append(_("{name}, an elected member of the committee, is interested in {reference} "
                                 "({grounds}): an interested councillor takes no part in the deliberation (CGCT "
                                 "L2131-11); list them among those who did not take part").format(
                                     name=member.name, reference=dossier.reference,
                                     grounds="; ".join(conflict.grounds)))
    return reasons


def declare_enforceable(view: View, command: DeclareEnforceable, now: datetime) -> Event:
    cid = view.campaign(command.campaign_id).id
    held = [d for d in view.deliberations(cid) if d.reference == command.reference]
    if not held:
        raise NotFound(_("no deliberation {reference!r} is recorded for the campaign").format(
            reference=command.reference))
    deliberation = held[0]
    reasons = []
    if deliberation.enforceable_on is not None:
        reasons.append(_("the deliberation {reference} is already enforceable, since {day}").format(
            reference=deliberation.reference, day=format_day(deliberation.enforceable_on)))
    if command.day < deliberation.day:
        reasons.append(_("the deliberation cannot be enforceable on {day}, before the deliberation ({taken})").format(
            day=format_day(command.day), taken=format_day(deliberation.day)))
    if command.day > paris_date(now):
        reasons.append(_("the deliberation cannot be enforceable on {day}, after today ({today})").format(
            day=format_day(command.day), today=format_day(paris_date(now))))
    if reasons:
        raise Refused("declare_enforceable", reasons)
    return Event(Kind.DELIBERATION_ENFORCEABLE, cid, None, now, command.actor,
                 {"reference": deliberation.reference, "day": command.day.isoformat()})
