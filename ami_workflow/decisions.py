"""The funder's decisions recorded for a campaign: deliberations and conventions.

The jury *retains* projects in June; the legal grant is the council's
deliberation in September, which lists the dossiers it grants. A grant above
the convention threshold (23 000 € a year, décret 2001-495) needs a signed
convention before its first payment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

import attrs

from .calendar import Calendar, window_words
from .checks import is_day, required_text
from .errors import InvalidInput
from .i18n import _, format_day
from .states import state_words

__all__ = ["Convention", "Deliberation", "FinancialReport", "FinancialReportStatus", "deliberation_refusals"]


def _refs(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise InvalidInput(_("a deliberation lists its dossiers as a sequence of references, not one string"))
    return tuple(dict.fromkeys(required_text(v) for v in value))


@attrs.frozen
class Deliberation:
    """A deliberation of the funder's council: its reference, its date, and the dossiers it grants."""

    reference: str = attrs.field(converter=required_text)
    day: date = attrs.field(validator=is_day)
    dossiers: tuple[str, ...] = attrs.field(converter=_refs)


@attrs.frozen
class Convention:
    """The signed convention (agreement) for one dossier."""

    dossier: str = attrs.field(converter=required_text)
    reference: str = attrs.field(converter=required_text)
    signed_on: date = attrs.field(validator=is_day)


@attrs.frozen
class FinancialReport:
    """The compte rendu financier of a granted dossier, received on a day."""

    dossier: str = attrs.field(converter=required_text)
    received_on: date = attrs.field(validator=is_day)


@attrs.frozen
class FinancialReportStatus:
    """Where a granted dossier's compte rendu financier stands."""

    dossier: str
    due: date
    received_on: date | None

    def late(self, today: date) -> bool:
        return self.received_on is None and today > self.due


def deliberation_refusals(
    deliberation: Deliberation,
    calendar: Calendar,
    recorded: Iterable[str],
    states: Mapping[str, str | None],
) -> list[str]:
    """Why ``deliberation`` cannot be recorded: a duplicate reference, a day outside the window, or unapproved dossiers.

    ``states`` maps each listed dossier to its state (``None`` when unknown).
    """
    reasons = []
    if deliberation.reference in set(recorded):
        reasons.append(_("a deliberation {reference!r} is already recorded").format(reference=deliberation.reference))
    window = calendar.deliberation
    if not window.contains(deliberation.day):
        reasons.append(_("the deliberation's day {day} is outside the deliberation window ({window})").format(
            day=format_day(deliberation.day), window=window_words(window)))
    if not deliberation.dossiers:
        reasons.append(_("a deliberation lists at least one dossier"))
    for ref in deliberation.dossiers:
        state = states.get(ref)
        if state is None:
            reasons.append(_("no dossier {reference!r}").format(reference=ref))
        elif state not in ("approved", "paid"):
            reasons.append(_("{reference} is {state}, not {approved}").format(
                reference=ref, state=state_words(state), approved=state_words("approved")))
    return reasons
