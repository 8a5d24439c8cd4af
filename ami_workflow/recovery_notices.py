"""The documents of a recovery (reversement): the invitation to submit observations, and the titre de recette.

- **invitation à présenter des observations** (CRPA L121-1, L122-1): before a
  grant is withdrawn in part or in whole (L242-2), the association is told the
  facts, the amount the grant would come to and what it would pay back, and the
  day until which it may submit written observations;
- **titre de recette** (CGCT L1617-5): the motivated decision (CRPA L211-2),
  the amount to pay back, the title's reference, and the recourse the call
  file gives (``funding.settlement.recourse``: two months to contest the debt).

Each is built from the journal as it stood at the act it attests, like every
notice (:mod:`ami_workflow.notices`), and quotes that act's event and hash.
"""

from __future__ import annotations

from .calendar import paris_date
from .campaign import Campaign
from .document import Block, Document, Facts, Heading, Paragraph
from .dossier import Dossier, Recovery
from .errors import Refused
from .i18n import _, format_day, format_money
from .journal import ChainedEvent
from .money import ZERO
from .notice_parts import document, event_of, identity_rows, journal_blocks, signature
from .protocol import Backend
from .schedule import GROUNDS

__all__ = ["invitation_observations", "titre_recette"]


def _recovery(dossier: Dossier) -> Recovery:
    if dossier.recovery is None:  # pragma: no cover - the act attested is the recovery's own
        raise Refused("issue_document", [_("no recovery is open on {reference}").format(reference=dossier.reference)])
    return dossier.recovery


def invitation_observations(flow: Backend, campaign: Campaign, dossier: Dossier, act: ChainedEvent) -> Document:
    """The letter inviting the association to submit its observations before a recovery is decided."""
    event = event_of(flow, dossier.reference, act.seq)
    recovery = _recovery(dossier)
    settlement = campaign.funding.settlement
    blocks: list[Block] = [
        Paragraph(_("The service intends to withdraw in part or in whole the subsidy granted to the action below, "
                    "under « {call} », and to ask for the amount below to be paid back.").format(
                        call=campaign.call.title)),
        Facts(tuple(identity_rows(campaign, dossier) + _figures(dossier, recovery))),
    ]
    if dossier.decision_note:
        blocks += [Heading(_("The facts")), Paragraph(dossier.decision_note, "quote")]
    blocks += [
        Heading(_("Your observations")),
        Paragraph(_("Under articles L121-1 and L122-1 of the code des relations entre le public et l'administration, "
                    "you may submit written observations, and ask to be heard, until {day}. No decision will be "
                    "taken before that day.").format(day=format_day(recovery.observations_by))),
    ]
    if settlement.legal_basis:
        blocks.append(Paragraph(_("Legal basis: {basis}.").format(basis=settlement.legal_basis), "note"))
    blocks += journal_blocks(act, _("The recovery is opened"))
    blocks.append(signature(campaign, paris_date(event.at), signed=True))
    return document(campaign, _("Invitation à présenter des observations : reversement de subvention"), dossier,
                    event.at, blocks)


def titre_recette(flow: Backend, campaign: Campaign, dossier: Dossier, act: ChainedEvent) -> Document:
    """The motivated decision to recover, with its titre de recette and the means of recourse."""
    event = event_of(flow, dossier.reference, act.seq)
    recovery = _recovery(dossier)
    settlement = campaign.funding.settlement
    rows = identity_rows(campaign, dossier) + _figures(dossier, recovery) + [
        (_("Titre de recette"), recovery.title),
        (_("Date of the decision"), format_day(paris_date(event.at))),
    ]
    blocks: list[Block] = [
        Paragraph(_("The subsidy granted to the action below, under « {call} », is withdrawn for the part not used "
                    "as agreed (article L242-2 of the code des relations entre le public et l'administration), and "
                    "the amount below is to be paid back.").format(call=campaign.call.title)),
        Facts(tuple(rows)),
        Heading(_("Motivation")),
        Paragraph(_("Under articles L211-2 and L211-5 of the code des relations entre le public et l'administration, "
                    "this decision states the considerations of law and fact on which it rests."), "note"),
        Paragraph(dossier.decision_note or _("(no motivation recorded)"), "quote"),
        Heading(_("Voies et délais de recours")),
        Paragraph(settlement.recourse or _("This titre de recette may be challenged before the competent court "
                                           "within two months of its receipt (article L1617-5 of the code général "
                                           "des collectivités territoriales).")),
    ]
    blocks += journal_blocks(act, _("The recovery is ordered"))
    blocks.append(signature(campaign, paris_date(event.at), signed=True))
    return document(campaign, _("Titre de recette : reversement de subvention"), dossier, event.at, blocks)


def _figures(dossier: Dossier, recovery: Recovery) -> list[tuple[str, str]]:
    paid = sum((p.amount for p in dossier.payments), ZERO)  # what was paid out, before any money came back
    return [
        (_("Grounds"), _(GROUNDS.get(recovery.grounds, recovery.grounds))),
        (_("Amount granted"), format_money(dossier.approved or recovery.due)),
        (_("Amount paid"), format_money(paid)),
        (_("Amount the grant comes to"), format_money(recovery.due)),
        (_("Amount to pay back"), format_money(recovery.amount)),
    ]

