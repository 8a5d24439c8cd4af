"""The parts every document sent to an applicant shares: the act it attests, the dossier as it stood then, the
letterhead, the applicant's identity, the voies et délais de recours, the journal's proof and the signature."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from .campaign import Campaign
from .core.events import Event
from .core.evolve import evolve_dossier
from .document import Block, Code, Document, Heading, Paragraph, Signature
from .dossier import Dossier
from .errors import InvalidInput, NotFound, Refused
from .i18n import _, current_language, format_day, format_instant, format_money, ngettext
from .issued import DOCUMENT_KINDS
from .journal import ChainedEvent
from .protocol import Backend

__all__ = [
    "act_of",
    "document",
    "dossier_as_of",
    "event_of",
    "identity_rows",
    "journal_blocks",
    "letterhead",
    "piece_label",
    "recourse_blocks",
    "service_words",
    "signature",
]


def act_of(flow: Backend, reference: str, kind: str, attests: int | None) -> ChainedEvent:
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


def dossier_as_of(flow: Backend, reference: str, seq: int) -> Dossier:
    """The dossier as the journal stood after event ``seq``."""
    dossier: Dossier | None = None
    for event in flow.history(reference):
        if event.seq is not None and event.seq > seq:
            break
        dossier = evolve_dossier(dossier, event)
    if dossier is None:  # pragma: no cover - the act is one of the dossier's events
        raise NotFound(_("no dossier {reference!r}").format(reference=reference))
    return dossier


def event_of(flow: Backend, reference: str, seq: int) -> Event:
    return next(e for e in flow.history(reference) if e.seq == seq)


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


def service_words(campaign: Campaign) -> str:
    """The service in charge, with its postal address, e-mail and phone, in one text (CRPA R112-5)."""
    funder = campaign.funder
    parts = [funder.service or funder.name, *funder.address]
    if funder.contact.email:
        parts.append(funder.contact.email)
    if funder.contact.phones:
        parts.append(_(" or ").join(funder.contact.phones))
    return ", ".join(parts)


def piece_label(campaign: Campaign, key: str) -> str:
    requirement = campaign.piece(key)
    label = requirement.label if requirement is not None else key
    return _("{label} (key `{key}`)").format(label=label[:1].upper() + label[1:], key=key)


def identity_rows(campaign: Campaign, dossier: Dossier) -> list[tuple[str, str]]:
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


def recourse_blocks(campaign: Campaign, what: str) -> list[Block]:
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


def journal_blocks(event: ChainedEvent, what: str) -> list[Block]:
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


def signature(campaign: Campaign, day: date, *, signed: bool) -> Signature:
    funder = campaign.funder
    place = (_("Made in {city}, on {day}").format(city=funder.city, day=format_day(day)) if funder.city
             else _("Made on {day}").format(day=format_day(day)))
    signatory = funder.signatory
    if signed and signatory is not None:
        return Signature(place, (f"{signatory.first_name} {signatory.name}", signatory.title))
    return Signature(place, (funder.service or funder.name,))


def document(campaign: Campaign, title: str, dossier: Dossier, at: datetime, blocks: Sequence[Block]) -> Document:
    return Document(
        title=title, reference=dossier.reference, lang=current_language(), issued_at=at, issuer=letterhead(campaign),
        blocks=tuple(blocks), footer=f"{campaign.call.title} – {dossier.reference}", subject=campaign.call.title,
    )
