"""The funder's decisions recorded for a campaign: deliberations and conventions.

The jury *proposes* in June; the legal grant is the council's deliberation in
September. For each dossier proposed, it grants the proposal, grants less, or
refuses (with a motivation); it names the councillors who did not take part,
and becomes enforceable once transmitted to the prefecture and published
(CGCT L2131-1, by L5211-3): payments wait for that day. A grant above the
convention threshold (23 000 € a year, décret 2001-495) needs a signed
convention before its first payment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal

import attrs

from .budget import Budget
from .calendar import Calendar, window_words
from .checks import free_text, is_day, required_text
from .conventions import Convention
from .errors import InvalidInput, InvalidType
from .i18n import _, format_day
from .money import euros
from .shown import shown
from .states import state_words

__all__ = [
    "REPORT_STATUSES",
    "Convention",
    "Deliberation",
    "FinancialReport",
    "FinancialReportStatus",
    "deliberation_refusals",
]


def _refs(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidInput(_("a deliberation lists its dossiers as a sequence of references, not one string"))
    return tuple(dict.fromkeys(required_text(v) for v in value))


def _amounts(value: object) -> dict[str, Decimal]:
    if not isinstance(value, Mapping):
        raise InvalidInput(_("a deliberation's amounts map dossier references to amounts, not {value!r}").format(
            value=value))
    return {required_text(ref): euros(amount, str(ref)) for ref, amount in value.items()}


def _names(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise InvalidInput(_("the councillors who did not take part are a sequence of names, not one string"))
    return tuple(required_text(v) for v in value)


def _optional_day(instance: object, attribute: attrs.Attribute[date | None], value: object) -> None:
    if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
        raise InvalidType(_("{name}: expected a date, got {value!r}").format(name=attribute.name, value=value))


@attrs.frozen
class Deliberation:
    """A deliberation of the funder's council: its reference, its date, and its decision on each proposal.

    ``dossiers`` are the dossiers it grants, each at the jury's proposal unless ``amounts`` gives a lower amount;
    ``refused`` are the proposals it refuses (each with its motivation, given when it is recorded). The
    councillors who did not take part (``not_taking_part``) are personal data. ``enforceable_on`` is the day it
    became enforceable (transmission to the prefecture and publication); ``None`` until then.
    """

    reference: str = attrs.field(converter=required_text)
    day: date = attrs.field(validator=is_day)
    dossiers: tuple[str, ...] = attrs.field(converter=_refs)
    amounts: Mapping[str, Decimal] = attrs.field(factory=dict, converter=_amounts, hash=False)
    refused: tuple[str, ...] = attrs.field(default=(), converter=_refs)
    not_taking_part: tuple[str, ...] = attrs.field(default=(), converter=_names)
    enforceable_on: date | None = attrs.field(default=None, validator=_optional_day)

    @property
    def decided(self) -> tuple[str, ...]:
        """Every dossier it decides on: granted, then refused."""
        return self.dossiers + tuple(r for r in self.refused if r not in self.dossiers)


def _count(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(_("a count of people is a whole number of at least 0, not {value!r}").format(
            value=shown(value)))
    return value


def _budget(value: object) -> Budget | None:
    if value is None or isinstance(value, Budget):
        return value
    if isinstance(value, Mapping):
        unknown = set(value) - {"charges", "products"}
        if unknown:
            raise InvalidInput(_("a budget has charges and products, not {keys}").format(
                keys=", ".join(sorted(map(str, unknown)))))
        return Budget(charges=value.get("charges", {}), products=value.get("products", {}))
    raise InvalidType(_("realised: expected a Budget, got {type}").format(type=type(value).__name__))


def _status(value: object) -> str:
    if value not in REPORT_STATUSES:
        raise InvalidInput(_("unknown status {value!r} of a compte rendu financier: {statuses}").format(
            value=shown(value), statuses=", ".join(REPORT_STATUSES)))
    return str(value)


#: Where a compte rendu financier stands: received, questions asked by the instructor, or accepted.
REPORT_STATUSES = ("received", "questions", "accepted")


@attrs.frozen
class FinancialReport:
    """The compte rendu financier of a granted dossier (close to the CERFA n° 15059 form), received on a day.

    ``realised`` is the realised budget on the forecast's lines; the counts are the people the action actually
    reached; ``carried_out`` is false when the action did not take place. The evaluation and the instructor's
    questions are free texts (personal values, erasable). ``status`` is set by the instructor's review:
    ``questions`` with a day to answer by (``answer_by``), or ``accepted``.
    """

    dossier: str = attrs.field(converter=required_text)
    received_on: date = attrs.field(validator=is_day)
    realised: Budget | None = attrs.field(default=None, converter=_budget)
    carried_out: bool = attrs.field(default=True, validator=attrs.validators.instance_of(bool))
    action_end: date | None = attrs.field(default=None, validator=_optional_day)
    participants: int | None = attrs.field(default=None, converter=_count)
    qpv_residents: int | None = attrs.field(default=None, converter=_count)
    young: int | None = attrs.field(default=None, converter=_count)
    women: int | None = attrs.field(default=None, converter=_count)
    evaluation: str = attrs.field(default="", converter=free_text)
    status: str = attrs.field(default="received", converter=_status)
    reviewed_on: date | None = attrs.field(default=None, validator=_optional_day)
    questions: str = attrs.field(default="", converter=free_text)
    answer_by: date | None = attrs.field(default=None, validator=_optional_day)

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"

    def problems(self) -> list[str]:
        """Why the content cannot be received: more QPV residents, young people or women than participants, or a
        realised budget that is not balanced."""
        reasons = []
        for name, count in (("qpv_residents", self.qpv_residents), ("young", self.young), ("women", self.women)):
            if count is not None and self.participants is not None and count > self.participants:
                reasons.append(_("{name}: {count} is more than the {participants} participants reached").format(
                    name=name, count=count, participants=self.participants))
        if self.realised is not None:
            reasons += self.realised.problems()
        if not self.carried_out and self.realised is not None and self.realised.total:
            reasons.append(_("an action not carried out has no realised charges"))
        return reasons


@attrs.frozen
class FinancialReportStatus:
    """Where a granted dossier's compte rendu financier stands: due on a day, received, under questions to answer
    by a day, or accepted."""

    dossier: str
    due: date
    received_on: date | None
    status: str = ""
    answer_by: date | None = None

    def late(self, today: date) -> bool:
        """Not received by its due day, or questions not answered by their day."""
        if self.received_on is None:
            return today > self.due
        return self.status == "questions" and self.answer_by is not None and today > self.answer_by


def deliberation_refusals(
    deliberation: Deliberation,
    calendar: Calendar,
    recorded: Iterable[str],
    states: Mapping[str, str | None],
) -> list[str]:
    """Why ``deliberation`` cannot be recorded: a duplicate reference, a day outside the window, unapproved dossiers,
    a dossier both granted and refused, an amount for a dossier not granted, or an enforceable day before its day.

    ``states`` maps each dossier it decides on to its state (``None`` when unknown).
    """
    reasons = []
    if deliberation.reference in set(recorded):
        reasons.append(_("a deliberation {reference!r} is already recorded").format(reference=deliberation.reference))
    window = calendar.deliberation
    if not window.contains(deliberation.day):
        reasons.append(_("the deliberation's day {day} is outside the deliberation window ({window})").format(
            day=format_day(deliberation.day), window=window_words(window)))
    if not deliberation.decided:
        reasons.append(_("a deliberation lists at least one dossier"))
    for ref in deliberation.decided:
        state = states.get(ref)
        if state is None:
            reasons.append(_("no dossier {reference!r}").format(reference=ref))
        elif state not in ("approved", "paid") or (state == "paid" and ref in deliberation.refused):
            reasons.append(_("{reference} is {state}, not {approved}").format(
                reference=ref, state=state_words(state), approved=state_words("approved")))
    for ref in deliberation.dossiers:
        if ref in deliberation.refused:
            reasons.append(_("{reference} is both granted and refused").format(reference=ref))
    for ref in deliberation.amounts:
        if ref not in deliberation.dossiers:
            reasons.append(_("{reference} is given an amount but is not granted by the deliberation").format(
                reference=ref))
    if deliberation.enforceable_on is not None and deliberation.enforceable_on < deliberation.day:
        reasons.append(_("the deliberation cannot be enforceable on {day}, before the deliberation ({taken})").format(
            day=format_day(deliberation.enforceable_on), taken=format_day(deliberation.day)))
    return reasons
