"""Conflicts of interest at the selection committee: the applicant's board lists, links declared by the members,
the chair's rulings, and the recusals that follow.

A member of the committee who also sits on an applicant's board or bureau is *intéressé* to that dossier (CGCT
L2131-11 for a councillor, applied to the CALL by L5211-3; Code pénal 432-12): the library extends recusal to every
member of the committee, as its reading. A possible conflict opens when a member's name matches a name on the
dossier's board lists (accents, case, hyphens and the order of the names aside), or when the member declared a
link with the dossier at the session. The chair confirms or dismisses it, with a reason; while it is open, the
dossier cannot be heard at that session, and once confirmed the member is recused from it.

Names match as :func:`ami_workflow.board.same_person` says: the same words, whatever their accents, case and order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from .board import BODY_NAMES, BoardMember, same_person
from .checks import required_text
from .committee import CommitteeSession, Member, quorum_problems
from .i18n import _

__all__ = [
    "Conflict",
    "Ruling",
    "conflicts_at",
    "hearing_problems",
    "recused_members",
    "ruling_key",
]

def ruling_key(dossier: str, session: str, member: int) -> str:
    """How a ruling is filed: one per dossier, session and member (as a score sheet)."""
    return f"{dossier}|{session}|{member}"


@attrs.frozen
class Ruling:
    """The chair's ruling on a possible conflict: confirmed (the member is recused) or dismissed, with the reason.

    ``member`` is the member's place in the session's list; the reason is a personal value, kept outside the chain.
    """

    dossier: str = attrs.field(converter=required_text)
    session: str = attrs.field(converter=required_text)
    member: int
    confirmed: bool
    reason: str = ""

    @property
    def key(self) -> str:
        return ruling_key(self.dossier, self.session, self.member)


@attrs.frozen
class Conflict:
    """A possible conflict of interest of one member of a session with one dossier, and where it stands."""

    dossier: str
    session: str
    member: int
    name: str
    grounds: tuple[str, ...]
    """Why it opened, in plain words (a name on the board lists, a declared link)."""
    ruling: Ruling | None = None

    @property
    def status(self) -> str:
        """``"open"`` until the chair rules, then ``"confirmed"`` or ``"dismissed"``."""
        if self.ruling is None:
            return "open"
        return "confirmed" if self.ruling.confirmed else "dismissed"


def _grounds(member: Member, reference: str, board: Iterable[BoardMember]) -> list[str]:
    grounds = [_("{name} is on the applicant's {body} as {role}").format(
        name=person.name, body=_(BODY_NAMES[person.body]), role=person.role)
        for person in board if same_person(person.name, member.name)]
    if reference in member.declared:
        grounds.append(_("{name} declared a link with the dossier").format(name=member.name))
    return grounds


def conflicts_at(
    session: CommitteeSession, reference: str, board: Iterable[BoardMember], rulings: Mapping[str, Ruling]
) -> list[Conflict]:
    """The possible conflicts of the members of ``session`` with the dossier ``reference`` of board lists ``board``.

    ``rulings`` are the campaign's, by :func:`ruling_key`.
    """
    board = tuple(board)
    found = []
    for index, member in enumerate(session.members):
        grounds = _grounds(member, reference, board)
        if grounds:
            ruling = rulings.get(ruling_key(reference, session.id, index))
            found.append(Conflict(reference, session.id, index, member.name, tuple(grounds), ruling))
    return found


def recused_members(conflicts: Iterable[Conflict]) -> set[int]:
    """The members (by place in the session) recused by a confirmed conflict."""
    return {c.member for c in conflicts if c.status == "confirmed"}


def hearing_problems(
    session: CommitteeSession,
    conflicts: Iterable[Conflict],
    categories: Iterable[tuple[str, str]],
    quorum: str,
) -> list[str]:
    """Why ``session`` cannot hear a dossier given its possible ``conflicts`` with it; empty when it can.

    An open conflict stops the hearing until the chair rules. The members recused by a confirmed conflict take no
    part in it: every category must still sit without them, and the quorum be met.
    """
    conflicts = tuple(conflicts)
    reasons = [_("a possible conflict of interest of {name} with {reference} is open ({grounds}): the chair "
                 "confirms or dismisses it before the hearing").format(
                     name=c.name, reference=c.dossier, grounds="; ".join(c.grounds))
               for c in conflicts if c.status == "open"]
    recused = recused_members(conflicts)
    if not recused:
        return reasons
    sitting = tuple(m for i, m in enumerate(session.members) if i not in recused)
    names = ", ".join(session.members[i].name for i in sorted(recused))
    present = {m.category for m in sitting}
    for key, label in categories:
        if key not in present:
            reasons.append(_("once {names} recused, no member of the category '{label}' (key `{key}`) sits for "
                             "this dossier").format(names=names, label=label, key=key))
    without = _sitting(session, sitting)
    reasons += [_("once {names} recused: {problem}").format(names=names, problem=problem)
                for problem in quorum_problems(without, quorum)]
    return reasons


def _sitting(session: CommitteeSession, members: tuple[Member, ...]) -> CommitteeSession:
    """The session as it sits for one dossier: the recused members out, the members convened unchanged."""
    convened = session.convened if session.convened is not None else len(session.members)
    return attrs.evolve(session, members=members, convened=convened)


