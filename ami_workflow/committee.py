"""The selection committee: its sessions, who sat, and whether a session can hear dossiers.

French *audition* means a hearing: the committee hears each complete dossier
(the ``hear`` trigger moves it to the ``audited`` state). It is not a
financial audit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import attrs

from .calendar import Calendar
from .campaign import Campaign
from .checks import is_day, required_text
from .errors import InvalidInput

__all__ = ["CommitteeSession", "Member", "session_problems", "session_refusals"]


@attrs.frozen
class Member:
    """One member present at a session, with the call's category key (``elus``, ``habitants`` …)."""

    name: str = attrs.field(converter=required_text)
    category: str = attrs.field(converter=required_text)


def _members(value: Iterable[Member]) -> tuple[Member, ...]:
    members = tuple(value)
    for member in members:
        if not isinstance(member, Member):
            raise InvalidInput(f"committee members must be Member records, not {member!r}")
    return members


@attrs.frozen
class CommitteeSession:
    """A session of the selection committee on one day."""

    id: str = attrs.field(converter=required_text)
    day: date = attrs.field(validator=is_day)
    chair: str = attrs.field(converter=required_text)
    chair_role: str = attrs.field(converter=required_text)
    members: tuple[Member, ...] = attrs.field(converter=_members)


def session_problems(
    session: CommitteeSession, chair_role: str, categories: Iterable[tuple[str, str]]
) -> list[str]:
    """Why ``session`` cannot hear dossiers under the call's committee rule; empty when it can.

    ``categories`` are the call's (key, label) member categories: each needs
    at least one member present.
    """
    problems = []
    if session.chair_role.casefold() != chair_role.casefold():
        problems.append(
            f"the committee must be chaired by the {chair_role}, not by the {session.chair_role}"
        )
    present = {m.category for m in session.members}
    known = dict(categories)
    for key, label in known.items():
        if key not in present:
            problems.append(f"no member of the category '{label}' is present")
    for member in session.members:
        if member.category not in known:
            problems.append(f"{member.name}: unknown member category {member.category!r}")
    return problems


def session_refusals(
    session: CommitteeSession, campaign: Campaign, calendar: Calendar, recorded: Iterable[str]
) -> list[str]:
    """Why ``session`` cannot be recorded for the campaign: a duplicate id, a day outside the jury, or its make-up."""
    reasons = []
    if session.id in set(recorded):
        reasons.append(f"a session {session.id!r} is already recorded")
    if not calendar.jury.contains(session.day):
        reasons.append(f"the session's day {session.day} is outside the jury window ({calendar.jury})")
    committee = campaign.committee
    reasons += session_problems(session, committee.chair_role, [(c.key, c.label) for c in committee.categories])
    return reasons
