"""The selection committee: its sessions, who sat, and whether a session can hear dossiers.

French *audition* means a hearing: the committee hears each complete dossier
(the ``hear`` trigger moves it to the ``audited`` state). It is not a
financial audit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import attrs

from .calendar import Calendar, window_words
from .campaign import Campaign
from .checks import is_day, required_text, sequence_of
from .errors import InvalidInput
from .i18n import _, format_day

__all__ = ["QUORUM_RULES", "CommitteeSession", "Member", "quorum_problems", "session_problems", "session_refusals"]

#: The quorum rules a call file may name (``[committee] quorum``).
QUORUM_RULES = ("majority", "none")


def _declared(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise InvalidInput(_("a member declares links as a sequence of dossier references, not one string"))
    return tuple(dict.fromkeys(required_text(v) for v in sequence_of(value, "declared")))


@attrs.frozen
class Member:
    """One member present at a session, with the call's category key (``elus``, ``habitants`` …).

    ``declared`` are the dossiers the member declared a link with at the opening of the session (a possible
    conflict of interest, see :mod:`ami_workflow.conflicts`).
    """

    name: str = attrs.field(converter=required_text)
    category: str = attrs.field(converter=required_text)
    declared: tuple[str, ...] = attrs.field(default=(), converter=_declared)


def _members(value: Iterable[Member]) -> tuple[Member, ...]:
    members = []
    for member in sequence_of(value, "members"):
        if not isinstance(member, Member):
            raise InvalidInput(_("committee members must be Member records, not {value!r}").format(value=member))
        members.append(member)
    return tuple(members)


def _convened(instance: CommitteeSession, attribute: attrs.Attribute[int | None], value: object) -> None:
    if value is None:
        return
    if type(value) is not int or value < 1:
        raise InvalidInput(_("convened is a number of members, at least 1, not {value!r}").format(value=value))
    if value < len(instance.members):
        raise InvalidInput(_("{present} members are present, more than the {convened} convened").format(
            present=len(instance.members), convened=value))


@attrs.frozen
class CommitteeSession:
    """A session of the selection committee on one day."""

    id: str = attrs.field(converter=required_text)
    day: date = attrs.field(validator=is_day)
    chair: str = attrs.field(converter=required_text)
    chair_role: str = attrs.field(converter=required_text)
    members: tuple[Member, ...] = attrs.field(converter=_members)
    convened: int | None = attrs.field(default=None, validator=_convened)
    """How many members were convened; ``None`` counts those present as the members convened."""


def session_problems(
    session: CommitteeSession, chair_role: str, categories: Iterable[tuple[str, str]]
) -> list[str]:
    """Why ``session`` cannot hear dossiers under the call's committee rule; empty when it can.

    ``categories`` are the call's (key, label) member categories: each needs
    at least one member present.
    """
    problems = []
    if session.chair_role.casefold() != chair_role.casefold():
        problems.append(_("the committee must be chaired by the {role}, not by the {chair}").format(
            role=chair_role, chair=session.chair_role))
    present = {m.category for m in session.members}
    known = dict(categories)
    for key, label in known.items():
        if key not in present:
            problems.append(_("no member of the category '{label}' (key `{key}`) is present").format(
                label=label, key=key))
    for member in session.members:
        if member.category not in known:
            problems.append(_("{name}: unknown member category {category!r}").format(
                name=member.name, category=member.category))
    return problems


def quorum_problems(session: CommitteeSession, quorum: str) -> list[str]:
    """Why ``session`` lacks its quorum (``[committee] quorum``): ``"majority"`` of the members convened, or
    ``"none"``; empty when it has it."""
    if quorum == "none":
        return []
    convened = session.convened if session.convened is not None else len(session.members)
    needed = convened // 2 + 1
    if len(session.members) < needed:
        return [_("no quorum: {present} members present of {convened} convened, a majority is {needed}").format(
            present=len(session.members), convened=convened, needed=needed)]
    return []


def session_refusals(
    session: CommitteeSession, campaign: Campaign, calendar: Calendar, recorded: Iterable[str]
) -> list[str]:
    """Why ``session`` cannot be recorded for the campaign: a duplicate id, a day outside the jury, or its make-up."""
    reasons = []
    if session.id in set(recorded):
        reasons.append(_("a session {session!r} is already recorded").format(session=session.id))
    if not calendar.jury.contains(session.day):
        reasons.append(_("the session's day {day} is outside the jury window ({window})").format(
            day=format_day(session.day), window=window_words(calendar.jury)))
    committee = campaign.committee
    reasons += session_problems(session, committee.chair_role, [(c.key, c.label) for c in committee.categories])
    reasons += quorum_problems(session, committee.quorum)
    return reasons
