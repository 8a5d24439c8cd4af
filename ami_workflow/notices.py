"""The documents sent to applicants: the accusé de réception, the demande de pièces and the notice of decision.

Each document is built from the journal as it stood at the act it attests
(the submission, the return for pieces, the approval or the rejection), in
the language in force, then rendered as HTML and PDF
(:mod:`ami_workflow.render`) and stored as issued, its hashes journaled
(:meth:`~ami_workflow.protocol.Backend.issue_document`). :func:`issue` on a
document already issued records nothing and returns the first issue; a
reprint (:func:`reprint`) gives its bytes as issued.

What each one says, and the rule behind it (docs/rules.md):

- **accusé de réception** (CRPA L112-3, R112-5): the date of receipt (or the
  postmark), the service with its postal address, e-mail and phone, the pieces
  received and those still required with the deadline to send them and the rule
  that the time limit runs only from their receipt (L114-5), the date on which
  silence becomes a rejection (L231-4, 3°: a subsidy is a financial request),
  and the voies et délais de recours (CJA R421-1, R421-5);
- **demande de pièces** (L114-5): the pieces sent back and why, the new
  deadline, and the same rule on the time limit;
- **invitation à présenter des observations** and **titre de recette**, for a
  recovery (:mod:`ami_workflow.recovery_notices`);
- **notification de décision**: the deciding body and its date, for a refusal
  the motivation (L211-2, L211-5), the signatory's first name, name and title
  (L212-1) and the voies et délais de recours.

Every document quotes the number and SHA-256 hash of the journal event it
attests, so that it can be checked against the chain
(``ami-workflow verify-receipt``).
"""

from __future__ import annotations

from datetime import date

from .calendar import add_months, paris_date
from .campaign import Campaign
from .document import Block, Document, Facts, Heading, Items, Paragraph, Table
from .dossier import Dossier
from .i18n import _, format_day, format_instant, format_money, ngettext
from .issued import DOCUMENT_KINDS, IssuedDocument
from .journal import ChainedEvent
from .notice_parts import (
    act_of,
    document,
    dossier_as_of,
    event_of,
    identity_rows,
    journal_blocks,
    letterhead,
    piece_label,
    recourse_blocks,
    service_words,
    signature,
)
from .pieces import PieceRequirement, required_pieces
from .protocol import Backend
from .recovery_notices import invitation_observations, titre_recette
from .render import render_html, render_pdf

__all__ = ["build", "called_for", "issue", "issue_all", "letterhead", "reprint", "still_required"]


# -- the pieces -----------------------------------------------------------------------------


def _received(campaign: Campaign, dossier: Dossier) -> list[Block]:
    order = {p.key: i for i, p in enumerate(campaign.pieces)}
    rows = [(piece_label(campaign, p.key), _("digital"), format_day(p.received_on))
            for p in sorted(dossier.pieces, key=lambda p: (order.get(p.key, len(order)), p.key))]
    rows += [(piece_label(campaign, o.key), _("original on paper, signed") if o.signed else _("original on paper"),
              format_day(o.received_on))
             for o in sorted(dossier.originals, key=lambda p: (order.get(p.key, len(order)), p.key))]
    if not rows:
        return [Heading(_("Pieces received")), Paragraph(_("No piece has been received."))]
    return [Heading(_("Pieces received")),
            Table((_("Piece"), _("Form"), _("Received on")), tuple(rows), (0.56, 0.24, 0.20))]


def still_required(campaign: Campaign, dossier: Dossier) -> list[str]:
    """The pieces and paper originals the call requires of this applicant that the dossier does not hold."""
    have = {p.key for p in dossier.pieces}
    papers = {p.key: p for p in dossier.originals}
    out: list[str] = []
    requirement: PieceRequirement
    for requirement in required_pieces(campaign.pieces, dossier.applicant.kind):
        if requirement.key not in have:
            out.append(piece_label(campaign, requirement.key))
        elif requirement.paper_original and requirement.key not in papers:
            out.append(_("{piece}: the original on paper").format(piece=piece_label(campaign, requirement.key)))
        elif requirement.paper_original and requirement.signature and not papers[requirement.key].signed:
            out.append(_("{piece}: the original, signed").format(piece=piece_label(campaign, requirement.key)))
    return out


def _time_limit_rule() -> Paragraph:
    return Paragraph(_("Under article L114-5 of the code des relations entre le public et l'administration, the time "
                       "limit at the end of which an implicit decision arises runs only from the receipt of the "
                       "missing pieces."))


# -- the documents ----------------------------------------------------------------------------


def _accuse_reception(flow: Backend, campaign: Campaign, dossier: Dossier, act: ChainedEvent) -> Document:
    event = event_of(flow, dossier.reference, act.seq)
    received = paris_date(event.at)
    postmark = event.data.get("postmark")
    when = format_instant(event.at)
    if postmark:
        when = _("posted on {day} (postmark), received by the service").format(
            day=format_day(date.fromisoformat(postmark)))
    rows = identity_rows(campaign, dossier) + [(_("Received"), when), (_("Service in charge"), service_words(campaign))]
    blocks: list[Block] = [
        Paragraph(_("The {service} acknowledges receipt of your application under « {call} ».")
                  .format(service=campaign.funder.service or campaign.funder.name, call=campaign.call.title)),
        Facts(tuple(rows)),
        *_received(campaign, dossier),
    ]
    missing = still_required(campaign, dossier)
    notices = campaign.notices
    if missing:
        deadline = received.fromordinal(received.toordinal() + notices.pieces_deadline_days)
        blocks += [
            Heading(_("Pieces still required")),
            Paragraph(_("Your dossier is incomplete. Please send the following pieces by {deadline} "
                        "({days} days from this acknowledgement):").format(
                deadline=format_day(deadline), days=notices.pieces_deadline_days)),
            Items(tuple(missing)),
            _time_limit_rule(),
        ]
    blocks.append(Heading(_("Implicit decision")))
    months = notices.implicit_rejection_months
    if missing:
        blocks.append(Paragraph(ngettext(
            "A subsidy is a financial request: silence kept by the administration for {n} month is a decision of "
            "rejection (article L231-4, 3°, of the code des relations entre le public et l'administration). That "
            "month runs from the receipt of the last missing piece.",
            "A subsidy is a financial request: silence kept by the administration for {n} months is a decision of "
            "rejection (article L231-4, 3°, of the code des relations entre le public et l'administration). Those "
            "months run from the receipt of the last missing piece.", months).format(n=months)))
    else:
        blocks.append(Paragraph(ngettext(
            "A subsidy is a financial request: silence kept by the administration for {n} month is a decision of "
            "rejection (article L231-4, 3°, of the code des relations entre le public et l'administration). "
            "Without an answer by {day}, your application will be deemed rejected.",
            "A subsidy is a financial request: silence kept by the administration for {n} months is a decision of "
            "rejection (article L231-4, 3°, of the code des relations entre le public et l'administration). "
            "Without an answer by {day}, your application will be deemed rejected.", months).format(
                n=months, day=format_day(add_months(received, months)))))
    blocks += recourse_blocks(campaign, _("An implicit decision of rejection"))
    heard = any(edge.trigger == "hear" for edge in campaign.workflow.edges)
    blocks.append(Paragraph(_("This acknowledgement is not a decision on your application, which will be instructed, "
                              "then heard by the selection committee.") if heard else
                            _("This acknowledgement is not a decision on your application, which will be instructed."),
                            "note"))
    blocks += journal_blocks(act, _("The submission is recorded"))
    blocks.append(signature(campaign, received, signed=False))
    return document(campaign, _("Accusé de réception"), dossier, event.at, blocks)


def _reason(reason: str) -> str:
    return {"missing": _("missing"), "incorrect": _("incorrect"), "outdated": _("outdated")}.get(reason, reason)


def _demande_pieces(flow: Backend, campaign: Campaign, dossier: Dossier, act: ChainedEvent) -> Document:
    event = event_of(flow, dossier.reference, act.seq)
    day = paris_date(event.at)
    deadline = day.fromordinal(day.toordinal() + campaign.notices.pieces_deadline_days)
    rows = [(piece_label(campaign, issue.key), _reason(issue.reason.value), issue.note) for issue in dossier.issues]
    blocks: list[Block] = [
        Paragraph(_("The instruction of your application under « {call} » found that pieces are "
                    "missing or must be sent again.").format(call=campaign.call.title)),
        Facts(tuple(identity_rows(campaign, dossier) + [(_("Service in charge"), service_words(campaign))])),
        Heading(_("Pieces to send")),
        Table((_("Piece"), _("Why"), _("Note")), tuple(rows), (0.45, 0.15, 0.40)),
        Paragraph(_("Please send them by {deadline} ({days} days from this request).").format(
            deadline=format_day(deadline), days=campaign.notices.pieces_deadline_days)),
        _time_limit_rule(),
        *journal_blocks(act, _("The request for pieces is recorded")),
        signature(campaign, day, signed=False),
    ]
    return document(campaign, _("Demande de pièces"), dossier, event.at, blocks)


def _decision(flow: Backend, campaign: Campaign, dossier: Dossier, act: ChainedEvent) -> Document:
    event = event_of(flow, dossier.reference, act.seq)
    day = paris_date(event.at)
    granted = event.trigger == "approve"
    rows = identity_rows(campaign, dossier)
    sessions = {s.id: s for s in flow.sessions(campaign.id)}
    heard = sessions.get(dossier.hearing or "")
    if heard is not None:
        rows.append((_("Heard by the selection committee"), format_day(heard.day)))
    # The deliberations taken by the day of the decision: the notice says what was known at the act it attests.
    deliberations = sorted((d for d in flow.deliberations(campaign.id)
                            if dossier.reference in d.dossiers and d.day <= day), key=lambda d: d.day)
    signatory = campaign.funder.signatory
    author = signatory.title if signatory is not None else campaign.funder.name
    if granted:
        assert dossier.approved is not None
        app = dossier.application
        if app.total_cost is not None:
            rows.append((_("Total cost of the action"), format_money(app.total_cost)))
        if dossier.instruction is not None:
            rows.append((_("Ceiling for the confirmed criteria"), format_money(dossier.instruction.ceiling)))
        rows += [(_("Decision"), _("subsidy granted")), (_("Amount granted"), format_money(dossier.approved)),
                 (_("Decided by"), (_("the {author}, on the proposal of the selection committee") if heard is not None
                                    else _("the {author}")).format(author=author)),
                 (_("Date of the decision"), format_day(day))]
        if deliberations:
            rows.append((_("Deliberation"), "; ".join(
                _("no. {number} of {day}").format(number=d.reference, day=format_day(d.day)) for d in deliberations)))
        blocks: list[Block] = [
            Paragraph(_("The {author} grants a subsidy to the action below, under « {call} ».")
                      .format(author=author, call=campaign.call.title)),
            Facts(tuple(rows)),
        ]
        confirmed = dossier.instruction.criteria if dossier.instruction else frozenset()
        labels = [c.label for c in campaign.funding.criteria if c.key in confirmed]
        if labels:
            blocks += [Heading(_("Bonus criteria confirmed at instruction")), Items(tuple(labels))]
        if not deliberations:
            window = flow.calendar(campaign.id).deliberation
            blocks.append(Paragraph(_("The grant becomes final with the council's deliberation, expected between "
                                      "{start} and {end}.").format(start=format_day(window.start),
                                                                    end=format_day(window.end))))
        what = _("This decision")
    else:
        council = event.data.get("deliberation")
        rows += [(_("Decision"), _("application not retained")),
                 (_("Decided by"), (_("the council, by its deliberation no. {number}").format(number=council)
                                    if council else _("the {author}").format(author=author))),
                 (_("Date of the decision"), format_day(day))]
        motivation = dossier.decision_note or _("(no motivation recorded)")
        blocks = [
            Paragraph(_("The {author} does not retain the application below under « {call} ».")
                      .format(author=author, call=campaign.call.title)),
            Facts(tuple(rows)),
            Heading(_("Motivation")),
            Paragraph(_("Under articles L211-2 and L211-5 of the code des relations entre le public et "
                        "l'administration, this refusal states the considerations of law and fact on which it rests. "
                        "The call's legal basis: {basis}.").format(
                basis=campaign.call.legal_basis or campaign.call.title)),
            Paragraph(motivation, "quote"),
        ]
        what = _("This refusal")
    blocks += recourse_blocks(campaign, what)
    blocks += journal_blocks(act, _("The decision is recorded"))
    blocks.append(signature(campaign, day, signed=True))
    title = _("Notification de décision : attribution de subvention") if granted else _(
        "Notification de décision : refus de subvention")
    return document(campaign, title, dossier, event.at, blocks)


_BUILDERS = {
    "accuse_reception": _accuse_reception,
    "demande_pieces": _demande_pieces,
    "notification_decision": _decision,
    "invitation_observations": invitation_observations,
    "titre_recette": titre_recette,
}


# -- the public front -------------------------------------------------------------------------


def build(flow: Backend, reference: str, kind: str, attests: int | None = None) -> tuple[Document, int]:
    """The document ``kind`` for the act ``attests`` (by default the latest), and that act's event number."""
    act = act_of(flow, reference, kind, attests)
    dossier = dossier_as_of(flow, reference, act.seq)
    campaign = flow.get_campaign(dossier.campaign_id)
    return _BUILDERS[kind](flow, campaign, dossier, act), act.seq


def issue(flow: Backend, reference: str, kind: str, attests: int | None = None, *, actor: str = "") -> IssuedDocument:
    """Issue the document ``kind`` on the dossier (HTML and PDF, stored as issued), or return the first issue."""
    act = act_of(flow, reference, kind, attests)
    for existing in flow.documents(reference):
        if existing.kind == kind and existing.attests == act.seq:
            return existing
    document, seq = build(flow, reference, kind, act.seq)
    files = {"pdf": render_pdf(document), "html": render_html(document)}
    return flow.issue_document(reference, kind, seq, files, language=document.lang, actor=actor)


def called_for(flow: Backend, reference: str) -> list[tuple[str, int]]:
    """The documents the dossier's journal calls for, as (kind, attested event): one per submission, return for
    pieces and decision, oldest first."""
    out = []
    for event in flow.dossier_events(reference):
        trigger = (event.body.get("data") or {}).get("trigger") if event.body.get("kind") == "triggered" else None
        out += [(kind, event.seq) for kind, triggers in DOCUMENT_KINDS.items() if trigger in triggers.split("|")]
    return out


def issue_all(flow: Backend, reference: str, *, actor: str = "") -> list[IssuedDocument]:
    """Issue every document the dossier's journal calls for (those issued already are returned as they were)."""
    return [issue(flow, reference, kind, seq, actor=actor) for kind, seq in called_for(flow, reference)]


def reprint(flow: Backend, reference: str, kind: str, fmt: str = "pdf", attests: int | None = None) -> bytes:
    """The bytes of a document as it was issued."""
    return flow.document_bytes(reference, kind, fmt, attests)
