"""Decide for conflicts of interest: the applicant's board lists and the chair's rulings. Pure, like
:mod:`ami_workflow.core.decide`, which dispatches here; the rules themselves are in :mod:`ami_workflow.conflicts`.
"""

from __future__ import annotations

from datetime import datetime

from ..board import BODY_NAMES, person_key
from ..conflicts import Ruling, conflicts_at
from ..errors import Refused
from ..i18n import _
from ..shown import shown
from ..states import State, state_words
from .commands import RecordBoard, RuleConflict
from .events import Event, Kind
from .plain import plain
from .view import View, find_dossier

__all__ = ["BOARD_STATES", "record_board", "rule_conflict"]

#: The states in which a dossier's board lists may be recorded or replaced: before its hearing.
BOARD_STATES = frozenset({State.DRAFT, State.SUBMITTED, State.COMPLETE, State.INSTRUCTED})


def record_board(view: View, command: RecordBoard, now: datetime) -> Event:
    """The dossier's board and bureau, each list backed by its piece when the call names one."""
    dossier = find_dossier(view, command.reference)
    campaign = view.campaign(dossier.campaign_id)
    reasons = []
    if dossier.state not in BOARD_STATES:
        reasons.append(_("{reference} is {state}: its board lists are recorded before its hearing").format(
            reference=dossier.reference, state=state_words(dossier.state)))
    if not command.members:
        reasons.append(_("a board list names at least one person"))
    committee = campaign.committee
    pieces = {"board": committee.board_piece, "bureau": committee.bureau_piece}
    for body in dict.fromkeys(m.body for m in command.members):
        key = pieces[body]
        if key and dossier.piece(key) is None:
            requirement = campaign.piece(key)
            label = requirement.label if requirement is not None else key
            reasons.append(_("the {body} list comes from the piece « {label} » (key `{key}`), which {reference} "
                             "does not hold").format(body=_(BODY_NAMES[body]), label=label, key=key,
                                                     reference=dossier.reference))
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for member in command.members:
        if (member.body, person_key(member.name)) in seen:
            reasons.append(_("{name} is listed twice on the {body}").format(name=member.name,
                                                                         body=_(BODY_NAMES[member.body])))
        seen.add((member.body, person_key(member.name)))
    if reasons:
        raise Refused("record_board", reasons)
    data = [{"role": m.role, "body": m.body} for m in command.members]
    personal: dict[str, str | None] = {f"board.{i}.name": m.name for i, m in enumerate(command.members)}
    return Event(Kind.BOARD_RECORDED, campaign.id, dossier.reference, now, command.actor, {"board": data}, personal)


def rule_conflict(view: View, command: RuleConflict, now: datetime) -> Event:
    """The chair's ruling on an open possible conflict, before the dossier is heard at that session."""
    dossier = find_dossier(view, command.reference)
    campaign = view.campaign(dossier.campaign_id)
    session = view.sessions(campaign.id).get(command.session)
    if session is None:
        raise Refused("rule_conflict", [_("no committee session {session!r} is recorded for the campaign").format(
            session=shown(command.session))])
    names = [m.name for m in session.members]
    if command.member not in names:
        raise Refused("rule_conflict", [_("{member} was not present at the session {session}").format(
            member=command.member, session=session.id)])
    index = names.index(command.member)
    found = [c for c in conflicts_at(session, dossier.reference, dossier.board, view.rulings(campaign.id))
             if c.member == index]
    reasons = []
    if not found:
        reasons.append(_("no possible conflict of interest of {member} with {reference} is open at the session "
                         "{session}: nothing to rule").format(member=command.member, reference=dossier.reference,
                                                               session=session.id))
    elif found[0].ruling is not None:
        reasons.append(_("the chair has already ruled on the conflict of {member} with {reference} ({status})")
                       .format(member=command.member, reference=dossier.reference,
                               status=_("confirmed") if found[0].ruling.confirmed else _("dismissed")))
    if dossier.hearing == session.id:
        reasons.append(_("{reference} has already been heard at the session {session}").format(
            reference=dossier.reference, session=session.id))
    if reasons:
        raise Refused("rule_conflict", reasons)
    ruling = Ruling(dossier.reference, session.id, index, command.confirmed)
    data = {k: v for k, v in plain(ruling).items() if k != "reason"}
    return Event(Kind.CONFLICT_RULED, campaign.id, None, now, command.actor, {"ruling": data},
                 {"reason": command.reason})
