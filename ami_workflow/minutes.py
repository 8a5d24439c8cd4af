"""The minutes (procès-verbal) of a session of the selection committee, as a document from the journal.

They record who sat and in which category, the conflicts of interest and the chair's rulings, the quorum and the
categories for each dossier once its recused members are out, each member's marks and opinion, each dossier's
result and rank, and the jury's proposals with the allocation policy. :func:`build` makes the
:class:`~ami_workflow.document.Document`; :func:`render` its PDF or HTML bytes, from the same renderer as the
letters sent to applicants (French by default). Built from the store as it stands, and deterministic: the same
journal gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time
from decimal import Decimal

from .calendar import PARIS
from .campaign import Campaign
from .committee import CommitteeSession, quorum_problems
from .conflicts import Conflict, hearing_problems, recused_members
from .document import Block, Document, Facts, Heading, Items, Paragraph, Signature, Table
from .dossier import Dossier
from .errors import InvalidInput, NotFound
from .i18n import _, current_language, format_day, format_decimal, format_money, ngettext
from .notices import letterhead
from .protocol import Backend
from .render import render_html, render_pdf
from .scoring import ScoreSheet, result
from .whatif import jury_proposals

__all__ = ["build", "render"]

def _policy_words(campaign: Campaign) -> str:
    allocation = campaign.funding.allocation
    words = {"pro_rata": _("pro rata to the cent"), "rank": _("by rank"),
             "committee": _("amounts set by the committee")}
    text = words.get(allocation.policy, allocation.policy)
    if allocation.policy == "rank":
        text += " " + (_("(the first dossier that does not fit gets what is left)") if allocation.shortfall == "partial"
                       else _("(the allocation stops at the first dossier that does not fit)"))
    return text


def _members(campaign: Campaign, session: CommitteeSession) -> Table:
    labels = {c.key: c.label for c in campaign.committee.categories}
    return Table((_("Member"), _("Category")),
                 [(m.name, labels.get(m.category, m.category)) for m in session.members])


def _conflicts(found: Sequence[Conflict]) -> list[Block]:
    if not found:
        return [Paragraph(_("No possible conflict of interest was found or declared."))]
    words = {"open": _("open"), "confirmed": _("confirmed: recused"), "dismissed": _("dismissed")}
    rows = [(c.name, c.dossier, "; ".join(c.grounds),
             words[c.status] + (f" — {c.ruling.reason}" if c.ruling is not None and c.ruling.reason else ""))
            for c in found]
    return [Table((_("Member"), _("Dossier"), _("Grounds"), _("Chair's ruling")), rows)]


def _weighted(campaign: Campaign, sheet: ScoreSheet) -> str:
    grid = campaign.committee.grid
    mean = result(grid, [sheet]) if grid is not None else None
    return format_decimal(mean, 2) if mean is not None else ""


def _dossier_blocks(campaign: Campaign, session: CommitteeSession, dossier: Dossier, conflicts: Sequence[Conflict],
                    sheets: Sequence[ScoreSheet], rank: int | None) -> list[Block]:
    committee = campaign.committee
    recused = recused_members(conflicts)
    sitting = len(session.members) - len(recused)
    problems = hearing_problems(session, [c for c in conflicts if c.status == "confirmed"],
                                [(c.key, c.label) for c in committee.categories], committee.quorum)
    facts = [
        (_("Applicant"), dossier.applicant.name),
        (_("Action"), dossier.application.title or _("(no title given)")),
    ]
    if dossier.application.requested is not None:
        facts.append((_("Amount requested"), format_money(dossier.application.requested)))
    if dossier.instruction is not None:
        facts.append((_("Amount proposed by the instruction"), format_money(dossier.instruction.proposed)))
    facts.append((_("Members sitting for this dossier"), str(sitting)))
    if recused:
        facts.append((_("Recused"), ", ".join(session.members[i].name for i in sorted(recused))))
    facts.append((_("Quorum and categories"), "; ".join(problems) if problems else _("met")))
    grid = committee.grid
    mean = result(grid, sheets) if grid is not None and sheets else None
    if mean is not None:
        facts.append((_("Result"), _("{result}, rank {rank}").format(result=format_decimal(mean, 2), rank=rank)
                      if rank is not None else format_decimal(mean, 2)))
    blocks: list[Block] = [Heading(f"{dossier.reference} — {dossier.application.title or dossier.applicant.name}"),
                           Facts(facts)]
    if grid is not None and sheets:
        rows = [(session.members[s.member].name, " · ".join(str(s.marks.get(c.key, "")) for c in grid.criteria),
                 _weighted(campaign, s)) for s in sheets]
        blocks.append(Table((_("Member"), _("Marks, in the grid's order"), _("Weighted mean")), rows))
        opinions = [f"{session.members[s.member].name} : {s.opinion}" if current_language() == "fr"
                    else f"{session.members[s.member].name}: {s.opinion}" for s in sheets if s.opinion]
        if opinions:
            blocks.append(Items(opinions))
    return blocks


def build(flow: Backend, session_id: str, campaign_id: str | None = None) -> Document:
    """The minutes of the committee's session ``session_id``; :class:`NotFound` when no such session is recorded."""
    campaign = flow.get_campaign(campaign_id) if campaign_id is not None else flow.campaign
    sessions = {s.id: s for s in flow.sessions(campaign.id)}
    session = sessions.get(session_id)
    if session is None:
        raise NotFound(_("no committee session {session!r} is recorded for the campaign").format(session=session_id))
    heard = [d for d in flow.dossiers(campaign_id=campaign.id) if d.hearing == session.id]
    conflicts = flow.conflicts(session=session.id, campaign_id=campaign.id)
    sheets = [s for s in flow.scores(campaign.id) if s.session == session.id]
    ranks = {r.reference: r.rank for r in flow.ranking(campaign.id)}
    convened = session.convened if session.convened is not None else len(session.members)
    quorum = quorum_problems(session, campaign.committee.quorum)
    grid = campaign.committee.grid
    blocks: list[Block] = [
        Facts([
            (_("Call"), campaign.call.title),
            (_("Session"), f"{session.id}, {format_day(session.day)}"),
            (_("Chair"), f"{session.chair}, {session.chair_role}"),
            (_("Members convened"), str(convened)),
            (_("Members present"), str(len(session.members))),
            (_("Quorum"), quorum[0] if quorum else _("met")),
            (_("Dossiers heard"), str(len(heard))),
        ]),
        Heading(_("Members present")),
        _members(campaign, session),
        Heading(_("Conflicts of interest")),
        *_conflicts(conflicts),
    ]
    if grid is not None:
        blocks += [Heading(_("Scoring grid")),
                   Table((_("Criterion"), _("Label"), _("Weight")),
                         [(c.key, c.label, str(c.weight)) for c in grid.criteria]),
                   Paragraph(_("Each criterion is marked from 0 to {scale}.").format(scale=grid.scale_max)
                             + (f" {grid.reading[:1].upper()}{grid.reading[1:]}." if grid.reading else ""), "note")]
    blocks.append(Heading(_("Dossiers heard")))
    if not heard:
        blocks.append(Paragraph(_("No dossier was heard at this session.")))
    for dossier in sorted(heard, key=lambda d: (ranks.get(d.reference, 10**9), d.reference)):
        blocks += _dossier_blocks(campaign, session, dossier, [c for c in conflicts if c.dossier == dossier.reference],
                                  [s for s in sheets if s.dossier == dossier.reference], ranks.get(dossier.reference))
    blocks += _proposals(flow, campaign, heard, ranks)
    blocks.append(Signature(_("Made on {day}").format(day=format_day(session.day)),
                            (session.chair, session.chair_role)))
    return Document(
        title=_("Minutes of the session of the {committee}").format(committee=campaign.committee.name),
        reference=session.id, lang=current_language(),
        issued_at=datetime.combine(session.day, time(18, 0), tzinfo=PARIS), issuer=letterhead(campaign),
        blocks=tuple(blocks), footer=f"{campaign.call.title} – {session.id}", subject=campaign.call.title,
    )


def _proposals(flow: Backend, campaign: Campaign, heard: Sequence[Dossier], ranks: dict[str, int]) -> list[Block]:
    """The jury's proposals for the dossiers heard: the amount approved by the jury (as its approval recorded it)
    or the rejection, with the allocation policy."""
    rows = []
    proposed_refs = []
    total = Decimal(0)
    approvals = jury_proposals(flow, {d.reference for d in heard})  # one pass over the journal
    for dossier in sorted(heard, key=lambda d: (ranks.get(d.reference, 10**9), d.reference)):
        proposed = approvals[dossier.reference][0] if dossier.reference in approvals else None
        if proposed is not None:
            total += proposed
            proposed_refs.append(dossier.reference)
        rank = ranks.get(dossier.reference)
        rows.append((str(rank) if rank is not None else "", dossier.reference,
                     format_money(proposed) if proposed is not None else _("not proposed")))
    if not rows:
        return []
    count = len(proposed_refs)
    summary = ngettext("{count} dossier proposed, {total} in all; the council's deliberation decides.",
                       "{count} dossiers proposed, {total} in all; the council's deliberation decides.", count)
    return [
        Heading(_("The jury's proposals")),
        Paragraph(_("Allocation policy of the call: {policy}.").format(policy=_policy_words(campaign))),
        Table((_("Rank"), _("Dossier"), _("Proposed")), rows),
        Paragraph(summary.format(count=count, total=format_money(total))),
    ]


def render(flow: Backend, session_id: str, fmt: str = "pdf", campaign_id: str | None = None) -> bytes:
    """The minutes' bytes, as ``"pdf"`` or ``"html"``."""
    if fmt not in ("pdf", "html"):
        raise InvalidInput(_("the minutes are printed as pdf or html, not {fmt!r}").format(fmt=fmt))
    doc = build(flow, session_id, campaign_id)
    return render_pdf(doc) if fmt == "pdf" else render_html(doc)
