"""The committee's scores: a member's marks on a heard dossier, the dossier's result, and the ranking.

At a session, each member present marks each criterion of the call's grid
(``[committee.grid]``) for each dossier heard, and may write an opinion (avis,
a personal value kept outside the chain). A dossier's **result** is the mean,
over the members who scored it, of each member's weighted mean of marks, on
the grid's scale, to the hundredth (half up)::

    >>> from ami_workflow.campaign import Grid, GridCriterion
    >>> grid = Grid(5, (GridCriterion("a", "A", 3), GridCriterion("b", "B", 1)))
    >>> sheets = [ScoreSheet("d-1", "s", 0, {"a": 4, "b": 0}), ScoreSheet("d-1", "s", 1, {"a": 5, "b": 5})]
    >>> result(grid, sheets)  # (3×4 + 1×0) / 4 = 3, and 5: their mean
    Decimal('4.00')

**The ranking** puts the best result first. Ties are broken by the larger
share of QPV residents among the participants (the call's first priority),
then by the earlier submission, then by the dossier's reference: the order
never depends on the order of the rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

import attrs

from .campaign import Campaign, Grid
from .checks import required_text
from .committee import CommitteeSession
from .dossier import Dossier
from .errors import InvalidInput
from .i18n import _
from .shown import shown
from .states import State, state_words

__all__ = ["Ranked", "ScoreSheet", "marks_of", "ranking", "result", "score_refusals", "sheet_key"]

_HUNDREDTH = Decimal("0.01")


def marks_of(value: object) -> dict[str, int]:
    """The marks by criterion, checked for type (whole numbers for text keys) and sorted by key."""
    if not isinstance(value, Mapping):
        raise InvalidInput(_("the marks are given by criterion: {{criterion: mark}}, not {value!r}").format(
            value=shown(value)))
    out = {}
    for key, mark in value.items():
        if not isinstance(key, str) or type(mark) is not int:
            raise InvalidInput(_("a mark is a whole number for a criterion's key, not {key!r}: {mark!r}").format(
                key=shown(key), mark=shown(mark)))
        out[key] = mark
    return dict(sorted(out.items()))


def _member(instance: object, attribute: attrs.Attribute[int], value: object) -> None:
    if type(value) is not int or value < 0:
        raise InvalidInput(_("a member is named by their place in the session (0, 1 …), not {value!r}").format(
            value=shown(value)))


@attrs.frozen
class ScoreSheet:
    """One member's marks on one dossier heard at one session, and their opinion (personal: ``""`` once erased)."""

    dossier: str = attrs.field(converter=required_text)
    session: str = attrs.field(converter=required_text)
    member: int = attrs.field(validator=_member)
    """The member's place in the session's list of members (their name stays in the session's personal data)."""
    marks: Mapping[str, int] = attrs.field(converter=marks_of)
    opinion: str = ""


def sheet_key(dossier: str, session: str, member: int) -> str:
    """How a sheet is filed: one per dossier, session and member."""
    return f"{dossier}|{session}|{member}"


def score_refusals(
    campaign: Campaign,
    dossier: Dossier,
    session: CommitteeSession | None,
    session_id: str,
    member: str,
    marks: Mapping[str, int],
    scored: Iterable[ScoreSheet],
) -> list[str]:
    """Why ``member`` cannot score ``dossier`` at ``session`` with ``marks``; empty when they can."""
    grid = campaign.committee.grid
    if grid is None:
        return [_("the call {campaign} has no scoring grid ([committee.grid]): nothing is scored").format(
            campaign=campaign.id)]
    if session is None:
        return [_("no committee session {session!r} is recorded: a dossier is scored at a recorded session").format(
            session=shown(session_id))]
    reasons = []
    names = [m.name for m in session.members]
    if member not in names:
        reasons.append(_("{member} was not present at the session {session}: only a member present scores").format(
            member=member, session=session.id))
    if dossier.hearing != session.id or dossier.state not in (State.AUDITED, State.APPROVED, State.PAID):
        reasons.append(_("{reference} was not heard at the session {session} (it is {state}): a member scores the "
                         "dossiers heard").format(reference=dossier.reference, session=session.id,
                                                  state=state_words(dossier.state)))
    if member in names and any(s.dossier == dossier.reference and s.session == session.id
                               and s.member == names.index(member) for s in scored):
        reasons.append(_("{member} has already scored {reference} at this session").format(
            member=member, reference=dossier.reference))
    keys = [c.key for c in grid.criteria]
    missing = [k for k in keys if k not in marks]
    if missing:
        reasons.append(_("no mark for {criteria}: every criterion of the grid is marked").format(
            criteria=", ".join(f"`{k}`" for k in missing)))
    unknown = sorted(set(marks) - set(keys))
    if unknown:
        reasons.append(_("unknown criteria {unknown}: the grid's are {known}").format(
            unknown=", ".join(f"`{k}`" for k in unknown), known=", ".join(f"`{k}`" for k in keys)))
    for key in keys:
        mark = marks.get(key)
        if mark is not None and not 0 <= mark <= grid.scale_max:
            reasons.append(_("the mark {mark} for `{key}` is outside the scale, 0 to {top}").format(
                mark=mark, key=key, top=grid.scale_max))
    return reasons


def _weighted(grid: Grid, sheet: ScoreSheet) -> Decimal:
    total = sum(c.weight for c in grid.criteria)
    return Decimal(sum(c.weight * sheet.marks[c.key] for c in grid.criteria)) / Decimal(total)


def result(grid: Grid, sheets: Sequence[ScoreSheet]) -> Decimal | None:
    """The mean of the members' weighted means, to the hundredth (half up); ``None`` before any score."""
    if not sheets:
        return None
    mean = sum((_weighted(grid, s) for s in sheets), Decimal(0)) / len(sheets)
    return mean.quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)


@attrs.frozen
class Ranked:
    """A dossier's place in the ranking: its rank (1 is the best), its result and how many members scored it."""

    rank: int
    reference: str
    result: Decimal
    members: int


def _qpv_share(dossier: Dossier) -> Decimal:
    app = dossier.application
    if not app.participants or app.qpv_residents is None:
        return Decimal(0)
    return Decimal(app.qpv_residents) / Decimal(app.participants)


def ranking(campaign: Campaign, dossiers: Iterable[Dossier], sheets: Iterable[ScoreSheet]) -> list[Ranked]:
    """The scored dossiers, best first (ties: larger QPV share, earlier submission, then reference)."""
    grid = campaign.committee.grid
    if grid is None:
        return []
    by_dossier: dict[str, list[ScoreSheet]] = {}
    for sheet in sheets:
        by_dossier.setdefault(sheet.dossier, []).append(sheet)
    scored = []
    for dossier in dossiers:
        own = by_dossier.get(dossier.reference)
        if not own:
            continue
        value = result(grid, own)
        assert value is not None
        submitted = dossier.submitted_at.timestamp() if dossier.submitted_at else float("inf")
        scored.append(((-value, -_qpv_share(dossier), submitted, dossier.reference), value, len(own)))
    scored.sort(key=lambda item: item[0])
    return [Ranked(i, key[3], value, count) for i, (key, value, count) in enumerate(scored, start=1)]
