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
- **notification de décision**: the deciding body and its date, for a refusal
  the motivation (L211-2, L211-5), the signatory's first name, name and title
  (L212-1) and the voies et délais de recours.

Every document quotes the number and SHA-256 hash of the journal event it
attests, so that it can be checked against the chain
(``ami-workflow verify-receipt``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from .calendar import add_months, paris_date
from .campaign import Campaign
from .core.events import Event
from .core.evolve import evolve_dossier
from .document import Block, Code, Document, Facts, Heading, Items, Paragraph, Signature, Table
from .dossier import Dossier
from .errors import InvalidInput, NotFound, Refused
from .i18n import _, current_language, format_day, format_instant, format_money, ngettext
from .issued import DOCUMENT_KINDS, IssuedDocument
from .journal import ChainedEvent
from .pieces import PieceRequirement, required_pieces
from .protocol import Backend
from .render import render_html, render_pdf

__all__ = ["build", "called_for", "issue", "issue_all", "letterhead", "reprint", "still_required"]


def _act(flow: Backend, reference: str, kind: str, attests: int | None) -> ChainedEvent:
    """The journal event the document attests: ``attests``, or the dossier's latest act of the document's kind."""
    if kind not in DOCUMENT_KINDS:
        raise InvalidInput(_("unknown document {kind!r}: the documents are {kinds}").format(
            kind=kind, kinds=", ".join(DOCUMENT_KINDS)))
    triggers = DOCUMENT_KINDS[kind].split("|")
    acts = [e for e in flow.dossier_events(reference)
            if e.body.get("kind") == "triggered" and (e.body.get("data") or {}).get("trigger") in triggers
            and attests in (None, e.seq)]
    if not acts:
        raise Refused("issue_document", [
            _("{reference} has no {triggers} in the journal{which}: there is no {kind} to issue").format(
                reference=reference, triggers=_(" or ").join(f"`{t}`" for t in triggers), kind=kind,
                which="" if attests is None else _(" at event {seq}").format(seq=attests))
        ])
    return acts[-1]


def _as_of(flow: Backend, reference: str, seq: int) -> Dossier:
    """The dossier as the journal stood after event ``seq``."""
    dossier: Dossier | None = None
    for event in flow.history(reference):
        if event.seq is not None and event.seq > seq:
            break
        dossier = evolve_dossier(dossier, event)
    if dossier is None:  # pragma: no cover - the act is one of the dossier's events
        raise NotFound(_("no dossier {reference!r}").format(reference=reference))
    return dossier


def _event_of(flow: Backend, reference: str, seq: int) -> Event:
    return next(e for e in flow.history(reference) if e.seq == seq)


# -- the parts every document shares --------------------------------------------------------


def letterhead(campaign: Campaign) -> tuple[str, ...]:
    """The funder's letterhead lines: its name, service, postal address, e-mail and phone."""
    funder = campaign.funder
    contact = funder.contact
    lines = [f"{funder.name} ({funder.acronym})" if funder.acronym else funder.name]
    if funder.service:
        lines.append(funder.service[:1].upper() + funder.service[1:])
    lines += list(funder.address)
    if contact.email:
        lines.append(_("E-mail: {email}").format(email=contact.email))
    if contact.phones:
        lines.append(_("Phone: {phones}").format(phones=_(" or ").join(contact.phones)))
    return tuple(lines)


def _service(campaign: Campaign) -> str:
    """The service in charge, with its postal address, e-mail and phone, in one text (CRPA R112-5)."""
    funder = campaign.funder
    parts = [funder.service or funder.name, *funder.address]
    if funder.contact.email:
        parts.append(funder.contact.email)
    if funder.contact.phones:
        parts.append(_(" or ").join(funder.contact.phones))
    return ", ".join(parts)


def _label(campaign: Campaign, key: str) -> str:
    requirement = campaign.piece(key)
    label = requirement.label if requirement is not None else key
    return _("{label} (key `{key}`)").format(label=label[:1].upper() + label[1:], key=key)


def _identity(campaign: Campaign, dossier: Dossier) -> list[tuple[str, str]]:
    applicant = dossier.applicant
    ids = [f"SIREN {applicant.siren}" if applicant.siren else "", f"RNA {applicant.rna}" if applicant.rna else ""]
    known = ", ".join(i for i in ids if i)
    rows = [
        (_("Dossier"), dossier.reference),
        (_("Applicant"), f"{applicant.name} ({known})" if known else applicant.name),
        (_("Action"), dossier.application.title or _("(no title given)")),
    ]
    if dossier.application.requested is not None:
        rows.append((_("Amount requested"), format_money(dossier.application.requested)))
    return rows


def _recourse(campaign: Campaign, what: str) -> list[Block]:
    """The voies et délais de recours against ``what`` (CJA R421-1 and R421-5)."""
    funder, notices = campaign.funder, campaign.notices
    months = notices.recourse_months
    author = funder.signatory.title if funder.signatory is not None else funder.name
    tribunal = notices.tribunal
    court = (", ".join([tribunal.name, *tribunal.address]) if tribunal.name
             else _("the territorially competent tribunal administratif"))
    return [
        Heading(_("Voies et délais de recours")),
        Paragraph(ngettext(
            "{what} may be challenged within {n} month of its notification: by a recours gracieux addressed to "
            "the {author}, or by a recours contentieux before the {court} (articles R421-1 and R421-5 of the "
            "code de justice administrative).",
            "{what} may be challenged within {n} months of its notification: by a recours gracieux addressed to "
            "the {author}, or by a recours contentieux before the {court} (articles R421-1 and R421-5 of the "
            "code de justice administrative).", months).format(what=what, n=months, author=author, court=court)),
        Paragraph(_("A recours gracieux extends the time limit of the recours contentieux, which runs again from "
                    "the answer to it, or from its implicit rejection. The tribunal can also be seized online "
                    "through the application Télérecours citoyens (www.telerecours.fr)."), "note"),
    ]


def _journal(event: ChainedEvent, what: str) -> list[Block]:
    return [
        Heading(_("Journal")),
        Paragraph(_("{what}: event no. {seq} of the campaign's journal, recorded on {at}.").format(
            what=what, seq=event.seq, at=format_instant(datetime.fromisoformat(str(event.body["recorded_at"]))))),
        Code(_("SHA-256 hash of the event"), event.hash),
        Paragraph(_("Each event's hash covers its content and the hash of the event before it: the event cannot "
                    "be changed, removed or moved without breaking the chain. Quote the dossier, the event number "
                    "and this hash to check this document against the journal "
                    "(ami-workflow verify-receipt)."), "note"),
    ]


def _signature(campaign: Campaign, day: date, *, signed: bool) -> Signature:
    funder = campaign.funder
    place = (_("Made in {city}, on {day}").format(city=funder.city, day=format_day(day)) if funder.city
             else _("Made on {day}").format(day=format_day(day)))
    signatory = funder.signatory
    if signed and signatory is not None:
        return Signature(place, (f"{signatory.first_name} {signatory.name}", signatory.title))
    return Signature(place, (funder.service or funder.name,))


def _document(campaign: Campaign, title: str, dossier: Dossier, at: datetime, blocks: Sequence[Block]) -> Document:
    return Document(
        title=title, reference=dossier.reference, lang=current_language(), issued_at=at, issuer=letterhead(campaign),
        blocks=tuple(blocks), footer=f"{campaign.call.title} – {dossier.reference}", subject=campaign.call.title,
    )


# -- the pieces -----------------------------------------------------------------------------


def _received(campaign: Campaign, dossier: Dossier) -> list[Block]:
    order = {p.key: i for i, p in enumerate(campaign.pieces)}
    rows = [(_label(campaign, p.key), _("digital"), format_day(p.received_on))
            for p in sorted(dossier.pieces, key=lambda p: (order.get(p.key, len(order)), p.key))]
    rows += [(_label(campaign, o.key), _("original on paper, signed") if o.signed else _("original on paper"),
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
            out.append(_label(campaign, requirement.key))
        elif requirement.paper_original and requirement.key not in papers:
            out.append(_("{piece}: the original on paper").format(piece=_label(campaign, requirement.key)))
        elif requirement.paper_original and requirement.signature and not papers[requirement.key].signed:
            out.append(_("{piece}: the original, signed").format(piece=_label(campaign, requirement.key)))
    return out


def _time_limit_rule() -> Paragraph:
    return Paragraph(_("Under article L114-5 of the code des relations entre le public et l'administration, the time "
                       "limit at the end of which an implicit decision arises runs only from the receipt of the "
                       "missing pieces."))


# -- the documents ----------------------------------------------------------------------------


def _accuse_reception(flow: Backend, campaign: Campaign, dossier: Dossier, act: ChainedEvent) -> Document:
    event = _event_of(flow, dossier.reference, act.seq)
    received = paris_date(event.at)
    postmark = event.data.get("postmark")
    when = format_instant(event.at)
    if postmark:
        when = _("posted on {day} (postmark), received by the service").format(
            day=format_day(date.fromisoformat(postmark)))
    rows = _identity(campaign, dossier) + [(_("Received"), when), (_("Service in charge"), _service(campaign))]
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
    blocks += _recourse(campaign, _("An implicit decision of rejection"))
    heard = any(edge.trigger == "hear" for edge in campaign.workflow.edges)
    blocks.append(Paragraph(_("This acknowledgement is not a decision on your application, which will be instructed, "
                              "then heard by the selection committee.") if heard else
                            _("This acknowledgement is not a decision on your application, which will be instructed."),
                            "note"))
    blocks += _journal(act, _("The submission is recorded"))
    blocks.append(_signature(campaign, received, signed=False))
    return _document(campaign, _("Accusé de réception"), dossier, event.at, blocks)


def _reason(reason: str) -> str:
    return {"missing": _("missing"), "incorrect": _("incorrect"), "outdated": _("outdated")}.get(reason, reason)


def _demande_pieces(flow: Backend, campaign: Campaign, dossier: Dossier, act: ChainedEvent) -> Document:
    event = _event_of(flow, dossier.reference, act.seq)
    day = paris_date(event.at)
    deadline = day.fromordinal(day.toordinal() + campaign.notices.pieces_deadline_days)
    rows = [(_label(campaign, issue.key), _reason(issue.reason.value), issue.note) for issue in dossier.issues]
    blocks: list[Block] = [
        Paragraph(_("The instruction of your application under « {call} » found that pieces are "
                    "missing or must be sent again.").format(call=campaign.call.title)),
        Facts(tuple(_identity(campaign, dossier) + [(_("Service in charge"), _service(campaign))])),
        Heading(_("Pieces to send")),
        Table((_("Piece"), _("Why"), _("Note")), tuple(rows), (0.45, 0.15, 0.40)),
        Paragraph(_("Please send them by {deadline} ({days} days from this request).").format(
            deadline=format_day(deadline), days=campaign.notices.pieces_deadline_days)),
        _time_limit_rule(),
        *_journal(act, _("The request for pieces is recorded")),
        _signature(campaign, day, signed=False),
    ]
    return _document(campaign, _("Demande de pièces"), dossier, event.at, blocks)


def _decision(flow: Backend, campaign: Campaign, dossier: Dossier, act: ChainedEvent) -> Document:
    event = _event_of(flow, dossier.reference, act.seq)
    day = paris_date(event.at)
    granted = event.trigger == "approve"
    rows = _identity(campaign, dossier)
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
    blocks += _recourse(campaign, what)
    blocks += _journal(act, _("The decision is recorded"))
    blocks.append(_signature(campaign, day, signed=True))
    title = _("Notification de décision : attribution de subvention") if granted else _(
        "Notification de décision : refus de subvention")
    return _document(campaign, title, dossier, event.at, blocks)


_BUILDERS = {
    "accuse_reception": _accuse_reception,
    "demande_pieces": _demande_pieces,
    "notification_decision": _decision,
}


# -- the public front -------------------------------------------------------------------------


def build(flow: Backend, reference: str, kind: str, attests: int | None = None) -> tuple[Document, int]:
    """The document ``kind`` for the act ``attests`` (by default the latest), and that act's event number."""
    act = _act(flow, reference, kind, attests)
    dossier = _as_of(flow, reference, act.seq)
    campaign = flow.get_campaign(dossier.campaign_id)
    return _BUILDERS[kind](flow, campaign, dossier, act), act.seq


def issue(flow: Backend, reference: str, kind: str, attests: int | None = None, *, actor: str = "") -> IssuedDocument:
    """Issue the document ``kind`` on the dossier (HTML and PDF, stored as issued), or return the first issue."""
    act = _act(flow, reference, kind, attests)
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
