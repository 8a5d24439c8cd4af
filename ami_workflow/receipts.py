"""Printable receipts: the deposit receipt of a submitted dossier, and the notice of the decision on it.

Each is one standalone HTML document (UTF-8, inline CSS for A4 printing, no
script, no external resource). Every text that comes from an applicant, an
instructor or a file is escaped with :func:`html.escape`. Each document
quotes the hash and sequence number of the journal event it attests, so it
can be checked against the hash-chained journal. A dossier in the wrong
state is refused, with the reason in plain words::

    >>> from datetime import datetime
    >>> from ami_workflow import Applicant, FixedClock, load_campaign
    >>> from ami_workflow.calendar import PARIS
    >>> from ami_workflow.store import Workflow
    >>> flow = Workflow.open(":memory:", load_campaign("ami-cohesion-sociale-2021"), actor="accueil",
    ...                      clock=FixedClock(datetime(2021, 3, 9, 10, tzinfo=PARIS)))
    >>> ref = flow.create_dossier(Applicant("Asso", "association", siren="732829320")).reference
    >>> deposit_receipt(flow, ref)
    Traceback (most recent call last):
    ...
    ami_workflow.errors.Refused: deposit_receipt refused: ami-cohesion-sociale-2021-0001 is a draft:
      it has not been submitted, so there is no deposit to acknowledge
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from html import escape

from .calendar import to_paris
from .campaign import Campaign
from .dossier import Dossier
from .errors import Refused
from .journal import ChainedEvent
from .money import format_euros
from .protocol import Backend
from .states import State

__all__ = ["decision_notice", "deposit_receipt"]

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")

_CSS = """
@page { size: A4; margin: 18mm 20mm; }
* { box-sizing: border-box; }
body { font-family: "Helvetica Neue", Arial, sans-serif; font-size: 11pt; line-height: 1.4; color: #000;
       background: #fff; max-width: 180mm; margin: 0 auto; padding: 8mm 0; }
header { border-bottom: 2px solid #000; padding-bottom: 4mm; margin-bottom: 6mm; }
header .funder { font-weight: bold; font-size: 12pt; margin: 0; }
header .call { margin: 1mm 0 0; }
h1 { font-size: 16pt; margin: 0 0 4mm; }
h2 { font-size: 12pt; margin: 6mm 0 2mm; border-bottom: 1px solid #888; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; vertical-align: top; padding: 1.5mm 2mm; border-bottom: 1px solid #ccc; }
table.facts th { width: 38%; font-weight: normal; color: #333; }
td.amount { white-space: nowrap; }
code, .hash { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 9pt; word-break: break-all; }
.note { font-size: 9.5pt; color: #333; }
blockquote { margin: 2mm 0; padding: 2mm 4mm; border-left: 3px solid #888; white-space: pre-wrap; }
footer { margin-top: 10mm; font-size: 9pt; color: #333; border-top: 1px solid #888; padding-top: 2mm; }
@media print { body { padding: 0; max-width: none; } h2, tr, blockquote { break-inside: avoid; } }
"""

_JOURNAL_NOTE = (
    "This hash identifies the event in the campaign's hash-chained journal: each event's SHA-256 hash covers "
    "its own content and the hash of the event before it, so the event cannot be changed, removed or moved "
    "without breaking the chain. Quote the dossier reference, the event number and this hash to check this "
    "document against the journal."
)


def _day(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _instant(at: datetime) -> str:
    paris = to_paris(at)
    return f"{_day(paris.date())} at {paris:%H:%M} (Paris time)"


def _fr(text: str) -> str:
    """A text of the call, in French."""
    return f'<span lang="fr">{escape(text)}</span>'


def _event(flow: Backend, reference: str, trigger: str) -> ChainedEvent | None:
    """The dossier's last accepted ``trigger`` event in the journal."""
    found = [
        e for e in flow.dossier_events(reference)
        if e.body.get("kind") == "triggered" and (e.body.get("data") or {}).get("trigger") == trigger
    ]
    return found[-1] if found else None


def _facts(rows: Iterable[tuple[str, str]]) -> str:
    """A table of (label, HTML value) rows; the values must already be escaped."""
    body = "\n".join(f"<tr><th scope=\"row\">{escape(label)}</th><td>{value}</td></tr>" for label, value in rows)
    return f'<table class="facts">\n{body}\n</table>'


def _journal(event: ChainedEvent, what: str) -> str:
    return (
        "<h2>Journal</h2>\n"
        f"<p>{escape(what)}: event no. {event.seq} of the journal, "
        f"recorded on {escape(_instant(_event_at(event)))}.</p>\n"
        f'<p>SHA-256 hash of the event: <code class="hash">{escape(event.hash)}</code></p>\n'
        f'<p class="note">{escape(_JOURNAL_NOTE)}</p>'
    )


def _event_at(event: ChainedEvent) -> datetime:
    return datetime.fromisoformat(str(event.body["at"]))


def _document(campaign: Campaign, title: str, reference: str, content: str) -> str:
    funder = campaign.funder
    name = f"{funder.name} ({funder.acronym})" if funder.acronym else funder.name
    service = f"<br>{_fr(funder.service)}" if funder.service else ""
    contact = funder.contact
    reach = ", ".join(escape(x) for x in (contact.email, *contact.phones) if x)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)} – {escape(reference)}</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n"
        f'<header>\n<p class="funder">{_fr(name)}{service}</p>\n'
        f'<p class="call">{_fr(campaign.call.title)}</p>\n</header>\n'
        f"<main>\n<h1>{escape(title)}</h1>\n{content}\n</main>\n"
        f"<footer>{_fr(name)}{' – ' + reach if reach else ''}</footer>\n"
        "</body>\n</html>\n"
    )


def _identity_rows(dossier: Dossier) -> list[tuple[str, str]]:
    return [
        ("Dossier reference", f"<strong>{escape(dossier.reference)}</strong>"),
        ("Applicant", escape(dossier.applicant.name)),
        ("Action", escape(dossier.application.title or "(no title given)")),
    ]


def _pieces(campaign: Campaign, dossier: Dossier) -> str:
    order = {p.key: i for i, p in enumerate(campaign.pieces)}
    rows = []
    for piece in sorted(dossier.pieces, key=lambda p: (order.get(p.key, len(order)), p.key)):
        requirement = campaign.piece(piece.key)
        label = _fr(requirement.label) if requirement is not None else escape(piece.key)
        file = escape(piece.filename) if piece.filename else "(no file name)"
        if piece.sha256:
            file += f'<br><span class="hash">SHA-256 {escape(piece.sha256)}</span>'
        rows.append(f"<tr><td>{label}</td><td>digital</td><td>{escape(_day(piece.received_on))}</td><td>{file}</td></tr>")
    for original in sorted(dossier.originals, key=lambda p: (order.get(p.key, len(order)), p.key)):
        requirement = campaign.piece(original.key)
        label = _fr(requirement.label) if requirement is not None else escape(original.key)
        signed = "signed" if original.signed else "not signed"
        rows.append(
            f"<tr><td>{label}</td><td>original on paper</td>"
            f"<td>{escape(_day(original.received_on))}</td><td>{signed}</td></tr>"
        )
    if not rows:
        return "<h2>Pieces received</h2>\n<p>No piece has been received.</p>"
    head = "".join(f'<th scope="col">{name}</th>' for name in ("Piece", "Form", "Received on", "File"))
    body = "\n".join(rows)
    return f"<h2>Pieces received</h2>\n<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def deposit_receipt(flow: Backend, reference: str) -> str:
    """The deposit receipt of a submitted (or later) dossier, as a printable HTML document.

    It names the funder, the call, the dossier, the applicant and the action,
    gives the submission time in Paris, lists the pieces received (with the
    call's French labels) and quotes the journal's ``submit`` event (its
    number and hash). Raises :class:`~ami_workflow.errors.Refused` for a draft
    and for a dossier withdrawn before it was submitted.
    """
    dossier = flow.get(reference)
    campaign = flow.get_campaign(dossier.campaign_id)
    if dossier.state == State.DRAFT or dossier.submitted_at is None:
        what = "a draft" if dossier.state == State.DRAFT else f"{dossier.state} without having been submitted"
        raise Refused("deposit_receipt", [
            f"{dossier.reference} is {what}: it has not been submitted, so there is no deposit to acknowledge"
        ])
    event = _event(flow, dossier.reference, "submit")
    if event is None:
        raise Refused("deposit_receipt", [f"the journal holds no submission event for {dossier.reference}"])
    rows = _identity_rows(dossier) + [("Submitted on", escape(_instant(dossier.submitted_at)))]
    content = "\n".join([
        f"<p>The {_fr(campaign.funder.name)} acknowledges receipt of the following application "
        "to its call for projects.</p>",
        _facts(rows),
        _pieces(campaign, dossier),
        _journal(event, "The submission is recorded"),
        '<p class="note">This receipt acknowledges the deposit only: it is not a decision on the application, '
        "which is instructed and then heard by the selection committee.</p>",
    ])
    return _document(campaign, "Deposit receipt", dossier.reference, content)


def decision_notice(flow: Backend, reference: str) -> str:
    """The notice of the decision on an approved, paid or rejected dossier, as a printable HTML document.

    For a grant: the amount granted, the ceiling for the confirmed bonus
    criteria, those criteria's labels and the journal's ``approve`` event. For
    a rejection: the written motivation and the journal's ``reject`` event.
    Raises :class:`~ami_workflow.errors.Refused` for any other state.
    """
    dossier = flow.get(reference)
    campaign = flow.get_campaign(dossier.campaign_id)
    if dossier.state in (State.APPROVED, State.PAID):
        trigger, title = "approve", "Notice of grant"
    elif dossier.state == State.REJECTED:
        trigger, title = "reject", "Notice of rejection"
    else:
        raise Refused("decision_notice", [
            f"{dossier.reference} is {dossier.state}: a decision notice is given only for an approved, "
            "paid or rejected dossier"
        ])
    event = _event(flow, dossier.reference, trigger)
    if event is None:
        raise Refused("decision_notice", [f"the journal holds no {trigger} event for {dossier.reference}"])
    decided = "Approved on" if trigger == "approve" else "Rejected on"
    rows = _identity_rows(dossier) + [(decided, escape(_instant(_event_at(event))))]
    if trigger == "approve":
        content = _grant(flow, campaign, dossier, rows)
        what = "The approval is recorded"
    else:
        motivation = dossier.decision_note or "(no motivation recorded)"
        content = "\n".join([
            f"<p>The application below is not retained by the {_fr(campaign.funder.name)}.</p>",
            _facts(rows),
            "<h2>Motivation</h2>",
            f"<blockquote>{escape(motivation)}</blockquote>",
        ])
        what = "The rejection is recorded"
    return _document(campaign, title, dossier.reference, content + "\n" + _journal(event, what))


def _grant(flow: Backend, campaign: Campaign, dossier: Dossier, rows: list[tuple[str, str]]) -> str:
    app = dossier.application
    money = [
        ("Total cost of the action", app.total_cost),
        ("Amount requested", app.requested),
        ("Ceiling for the confirmed criteria", dossier.instruction.ceiling if dossier.instruction else None),
        ("Amount granted", dossier.approved),
    ]
    rows = rows + [(label, f"<span class=\"amount\">{escape(format_euros(amount))}</span>") for label, amount in money
                   if amount is not None]
    if dossier.paid:
        rows.append(("Paid so far", f"<span class=\"amount\">{escape(format_euros(dossier.paid))}</span>"))
    confirmed = dossier.instruction.criteria if dossier.instruction else frozenset()
    labels = [c.label for c in campaign.funding.criteria if c.key in confirmed]
    if labels:
        criteria = "<p>The action:</p>\n<ul>\n" + "\n".join(f"<li>{_fr(label)}</li>" for label in labels) + "\n</ul>"
    else:
        criteria = "<p>No bonus criterion was confirmed: the ceiling is the call's base rate.</p>"
    granting = sorted(
        (d for d in flow.deliberations(campaign.id) if dossier.reference in d.dossiers), key=lambda d: d.day
    )
    if granting:
        legal = "; ".join(f"deliberation {escape(d.reference)} of {escape(_day(d.day))}" for d in granting)
        deliberation = f"<p>The grant is made by the council's {legal}.</p>"
    else:
        window = flow.calendar(campaign.id).deliberation
        deliberation = (
            "<p>The selection committee retained the action; the grant becomes final with the council's "
            f"deliberation, expected between {escape(_day(window.start))} and {escape(_day(window.end))}.</p>"
        )
    return "\n".join([
        f"<p>The {_fr(campaign.funder.name)} grants the following application.</p>",
        _facts(rows),
        "<h2>Bonus criteria confirmed at instruction</h2>",
        criteria,
        deliberation,
    ])
