"""The committee's work: its sessions, the applicants' board lists, conflicts of interest and the chair's rulings,
and the members' scores."""

from __future__ import annotations

from collections.abc import Sequence

import click

from ..errors import InvalidInput
from ..i18n import _, format_day, ngettext
from .app import _actor_option, _day, _emit, _pair, _State, _table, main


@main.command()
@click.argument("session_id")
@click.argument("day")
@click.option("--chair", required=True, help="The chair's name.")
@click.option("--chair-role", help="The chair's role (default: the call's).")
@click.option("--member", "members", multiple=True, required=True, help="NAME:CATEGORY, e.g. 'A. Martin:elus'.")
@click.option("--declares", "declared", multiple=True,
              help="NAME=DOSSIER: a member declares a link with a dossier (a possible conflict of interest).")
@_actor_option
@click.option("--convened", type=int, default=None,
              help="How many members were convened (the quorum is a majority of them; default: those present).")
@click.pass_obj
def committee(state: _State, session_id: str, day: str, chair: str, chair_role: str | None,
              members: Sequence[str], declared: Sequence[str], convened: int | None, actor: str) -> None:
    """Record a session of the selection committee on DAY."""
    from ..committee import CommitteeSession, Member

    links: dict[str, list[str]] = {}
    for name, reference in (_pair(item, "--declares") for item in declared):
        links.setdefault(name, []).append(reference)
    parsed = [Member(name, category, links.pop(name, ())) for name, category in
              (_pair(item, "--member") for item in members)]
    if links:
        raise InvalidInput(_("--declares names {names}, who are not among the members").format(names=", ".join(links)))
    with state.flow() as flow:
        session = CommitteeSession(session_id, _day(day), chair, chair_role or flow.campaign.committee.chair_role,
                                   tuple(parsed), convened)
        flow.record_session(session, actor=actor)
    click.echo(ngettext("committee session {session} of {day} recorded ({count} member)",
                        "committee session {session} of {day} recorded ({count} members)", len(parsed))
               .format(session=session_id, day=format_day(session.day), count=len(parsed)))


@main.command()
@click.argument("reference")
@click.option("--board", "board", multiple=True, help="NAME=ROLE of a member of the board (conseil d'administration).")
@click.option("--bureau", "bureau", multiple=True, help="NAME=ROLE of a member of the bureau.")
@_actor_option
@click.pass_obj
def board(state: _State, reference: str, board: Sequence[str], bureau: Sequence[str], actor: str) -> None:
    """Record the applicant's board and bureau members for dossier REFERENCE, from its pieces (replacing them)."""
    from ..board import BoardMember

    members = [BoardMember(name, role, "board") for name, role in (_pair(i, "--board") for i in board)]
    members += [BoardMember(name, role, "bureau") for name, role in (_pair(i, "--bureau") for i in bureau)]
    with state.flow() as flow:
        flow.record_board(reference, members, actor=actor)
    click.echo(ngettext("{reference}: {count} board member recorded", "{reference}: {count} board members recorded",
                        len(members)).format(reference=reference, count=len(members)))



@main.command()
@click.option("--session", help="Only this session's conflicts.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def conflicts(state: _State, session: str | None, as_json: bool) -> None:
    """The possible conflicts of interest of the committee's members with the dossiers, and the chair's rulings."""
    with state.flow() as flow:
        found = flow.conflicts(session=session)
    words = {"open": _("open"), "confirmed": _("confirmed: recused"), "dismissed": _("dismissed")}
    data = [{"session": c.session, "member": c.name, "dossier": c.dossier, "status": c.status,
             "grounds": list(c.grounds), "reason": c.ruling.reason if c.ruling else None} for c in found]
    _emit(data, as_json, lambda: _table(
        [(c.session, c.name, c.dossier, words[c.status], "; ".join(c.grounds)) for c in found],
        (_("session"), _("member"), _("dossier"), _("status"), _("grounds")),
    ) if found else [_("no possible conflict of interest")])


@main.command("rule-conflict")
@click.argument("reference")
@click.argument("session")
@click.argument("member")
@click.option("--confirm/--dismiss", "confirmed", required=True,
              help="Confirm the conflict (the member is recused from the dossier) or dismiss it.")
@click.option("--reason", required=True, help="Why, in words (kept outside the chain, like the other free texts).")
@_actor_option
@click.pass_obj
def rule_conflict(state: _State, reference: str, session: str, member: str, confirmed: bool, reason: str,
                  actor: str) -> None:
    """The chair's ruling on MEMBER's possible conflict of interest with dossier REFERENCE at SESSION."""
    with state.flow() as flow:
        flow.rule_conflict(reference, session, member, confirmed=confirmed, reason=reason, actor=actor)
    click.echo((_("{member} is recused for {reference}") if confirmed else
                _("the possible conflict of {member} with {reference} is dismissed")).format(
        member=member, reference=reference))


@main.command()
@click.argument("reference")
@click.argument("session")
@click.argument("member")
@click.option("--mark", "marks", multiple=True, required=True, help="CRITERION=MARK, one per criterion of the grid.")
@click.option("--opinion", default="", help="The member's written opinion (avis), kept outside the chain.")
@_actor_option
@click.pass_obj
def score(state: _State, reference: str, session: str, member: str, marks: Sequence[str], opinion: str,
          actor: str) -> None:
    """Record MEMBER's marks on dossier REFERENCE, heard at SESSION, on the call's grid."""
    parsed: dict[str, int] = {}
    for key, mark in (_pair(item, "--mark") for item in marks):
        if not mark.isdigit():
            raise InvalidInput(_("--mark {key}= takes a whole number, not {mark!r}").format(key=key, mark=mark))
        parsed[key] = int(mark)
    with state.flow() as flow:
        flow.record_scores(reference, session, member, parsed, opinion=opinion, actor=actor)
    click.echo(_("{member}'s marks on {reference} recorded").format(member=member, reference=reference))
