"""The convention of a grant: its content, the clauses the law expects, its avenants, its publication deadline.

A grant above the convention threshold (23 000 € a year, loi n° 2000-321, art. 10, and décret n° 2001-495,
art. 1) is formalised by a signed convention. Besides its reference and its signature day, a
:class:`Convention` holds what it says: its object, the amount of the grant it formalises (``None``: the
grant as decided), its period (``starts_on`` to ``ends_on``) or its duration in months, the payment terms as
written in it, the conditions of use, the reporting obligations, the due day of the compte rendu financier when
it sets one (``report_due``), and its signatories. A convention may span several years (a *convention
pluriannuelle d'objectifs*): ``years`` gives the amount of each, summing to the amount, the year of the
campaign's grant among them.

Two clauses come from the law, whatever the convention writes (CGCT L1611-4): the beneficiary provides a
certified copy of its budget and accounts of the past financial year, and it does not pass the grant on to
another body unless the convention allows it (``subgranting_allowed``)::

    >>> from datetime import date
    >>> convention = Convention("ami-1", "CONV-1", date(2021, 9, 28))
    >>> [clause.key for clause in convention.clauses()]
    ['certified_accounts', 'no_subgranting']

A change to a signed convention is an :class:`Avenant`: its reference, its signature day, its reason and the
fields it changes. The convention keeps every avenant, in order; :meth:`Convention.current` is the original
with them applied::

    >>> from decimal import Decimal
    >>> amended = convention.with_avenant(Avenant("AV-1", date(2022, 1, 10), {"amount": Decimal("20000.00")}))
    >>> amended.amount, amended.current().amount, amended.version
    (None, Decimal('20000.00'), 2)

The names of the signatories and the reasons of the avenants are personal data: the journal keeps them apart
(by their path in the convention, :func:`convention_personal`), and an applicant's erasure blanks them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs

from .calendar import add_months
from .checks import free_text, is_day, required_text
from .errors import InvalidInput, InvalidType
from .i18n import _, format_day, format_money
from .money import euros, optional_euros
from .personal import ERASED
from .shown import shown

__all__ = [
    "AMENDABLE",
    "PUBLICATION_MONTHS",
    "SIDES",
    "Avenant",
    "Clause",
    "Convention",
    "Signatory",
    "applicant_paths",
    "content_refusals",
    "convention_data",
    "convention_erased",
    "convention_personal",
    "publication_deadline",
]

#: The parties that sign a convention: the beneficiary and the funder.
SIDES = ("beneficiary", "funder")
#: The fields of a convention's content that an avenant may change.
AMENDABLE = ("object", "amount", "starts_on", "ends_on", "duration_months", "payment_terms", "conditions_of_use",
             "reporting", "report_due", "subgranting_allowed", "years")
#: Within how many months of its signature the essential data of a convention above the threshold are published
#: (décret n° 2017-779 du 5 mai 2017, art. 1).
PUBLICATION_MONTHS = 3

_TEXTS = frozenset({"object", "payment_terms", "conditions_of_use", "reporting"})
_DAYS = frozenset({"starts_on", "ends_on", "report_due"})


def _side(instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if value not in SIDES:
        raise InvalidInput(_("a signatory signs for the `beneficiary` or the `funder`, not {value!r}").format(
            value=shown(value)))


@attrs.frozen
class Signatory:
    """A person who signs the convention, their role, and the party they sign for. The name is personal data."""

    name: str = attrs.field(converter=required_text)
    role: str = attrs.field(converter=required_text)
    side: str = attrs.field(default="beneficiary", validator=_side)


def _optional_day(instance: object, attribute: attrs.Attribute[date | None], value: object) -> None:
    if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
        raise InvalidType(_("{name}: expected a date, got {value!r}").format(name=attribute.name, value=shown(value)))


def _months(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(_("duration_months: expected a whole number of months, got {value!r}").format(
            value=shown(value)))
    if not 1 <= value <= 1200:
        raise InvalidInput(_("duration_months: a convention lasts from 1 to 1 200 months, not {value}").format(
            value=value))
    return value


def _flag(instance: object, attribute: attrs.Attribute[bool], value: object) -> None:
    if not isinstance(value, bool):
        raise InvalidType(_("{name}: expected True or False, got {value!r}").format(
            name=attribute.name, value=shown(value)))


def _year(value: object) -> int:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(_("years: a year is a whole number, not {value!r}").format(value=shown(value)))
    if not 1900 <= value <= 9000:
        raise InvalidInput(_("years: {value} is not a plausible year").format(value=value))
    return value


def _years(value: object) -> dict[int, Decimal]:
    if not isinstance(value, Mapping):
        raise InvalidType(_("years: expected a mapping of years to amounts, got {value!r}").format(
            value=shown(value)))
    years = {_year(year): euros(amount, f"years.{year}") for year, amount in value.items()}
    return dict(sorted(years.items()))


def _signatories(value: object) -> tuple[Signatory, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise InvalidType(_("signatories: expected a sequence of Signatory records, got {value!r}").format(
            value=shown(value)))
    for person in value:
        if not isinstance(person, Signatory):
            raise InvalidType(_("signatories: expected Signatory records, got {type}").format(
                type=type(person).__name__))
    return tuple(value)


def _plain_value(key: str, value: object) -> Any:
    """An avenant's new value for ``key``, checked, as the journal writes it (text, a day in ISO form …)."""
    if key in _TEXTS:
        return free_text(value)
    if key == "amount":
        return str(euros(value, "amount"))
    if key in _DAYS:
        if value is None:
            return None
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                raise InvalidInput(_("{name}: {value!r} is not a day (YYYY-MM-DD)").format(
                    name=key, value=shown(value))) from None
        if not isinstance(value, date) or isinstance(value, datetime):
            raise InvalidType(_("{name}: expected a date, got {value!r}").format(name=key, value=shown(value)))
        return value.isoformat()
    if key == "duration_months":
        return _months(value)
    if key == "subgranting_allowed":
        if not isinstance(value, bool):
            raise InvalidType(_("subgranting_allowed: expected True or False, got {value!r}").format(
                value=shown(value)))
        return value
    return {str(year): str(amount) for year, amount in _years(value).items()}  # years


def _typed(key: str, value: Any) -> Any:
    """The inverse of :func:`_plain_value`: the value as the convention's field holds it."""
    if key == "amount":
        return Decimal(value)
    if key in _DAYS:
        return None if value is None else date.fromisoformat(value)
    if key == "years":
        return {int(year): Decimal(amount) for year, amount in value.items()}
    return value


def _changes(value: object) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidType(_("an avenant's changes map field names to their new values, not {value!r}").format(
            value=shown(value)))
    unknown = [str(key) for key in value if key not in AMENDABLE]
    if unknown:
        raise InvalidInput(_("an avenant may change {fields}, not {unknown}").format(
            fields=", ".join(AMENDABLE), unknown=", ".join(str(shown(key)) for key in unknown)))
    if not value:
        raise InvalidInput(_("an avenant changes at least one field of the convention"))
    return {key: _plain_value(key, value[key]) for key in AMENDABLE if key in value}


@attrs.frozen
class Avenant:
    """An amendment to a signed convention: its reference, its signature day, the fields it changes (their new
    values, as the journal writes them), and its reason (a free text, kept as personal data)."""

    reference: str = attrs.field(converter=required_text)
    signed_on: date = attrs.field(validator=is_day)
    changes: Mapping[str, Any] = attrs.field(converter=_changes, hash=False)
    reason: str = attrs.field(default="", converter=free_text)


def _avenants(value: object) -> tuple[Avenant, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise InvalidType(_("avenants: expected a sequence of Avenant records, got {value!r}").format(
            value=shown(value)))
    return tuple(value)


@attrs.frozen
class Clause:
    """A clause of the convention that the law expects: its key, its words (translated when shown), its source."""

    key: str
    text: str
    source: str


@attrs.frozen
class Convention:
    """The signed convention (agreement) for one dossier, with its content and its avenants.

    Every field but the first three is optional: a convention recorded by its reference and its day alone (as
    earlier versions did) holds the defaults. ``amount`` ``None`` stands for the grant as decided.
    """

    dossier: str = attrs.field(converter=required_text)
    reference: str = attrs.field(converter=required_text)
    signed_on: date = attrs.field(validator=is_day)
    object: str = attrs.field(default="", converter=free_text)
    amount: Decimal | None = attrs.field(default=None, converter=optional_euros)
    starts_on: date | None = attrs.field(default=None, validator=_optional_day)
    ends_on: date | None = attrs.field(default=None, validator=_optional_day)
    duration_months: int | None = attrs.field(default=None, converter=_months)
    payment_terms: str = attrs.field(default="", converter=free_text)
    conditions_of_use: str = attrs.field(default="", converter=free_text)
    reporting: str = attrs.field(default="", converter=free_text)
    report_due: date | None = attrs.field(default=None, validator=_optional_day)
    """The due day of the compte rendu financier, when the convention sets one."""
    subgranting_allowed: bool = attrs.field(default=False, validator=_flag)
    """Whether the convention expressly allows the grant to be passed on to other bodies (CGCT L1611-4)."""
    years: Mapping[int, Decimal] = attrs.field(factory=dict, converter=_years, hash=False)
    """A convention pluriannuelle d'objectifs: the amount of each year (empty for a single-year convention)."""
    signatories: tuple[Signatory, ...] = attrs.field(default=(), converter=_signatories)
    avenants: tuple[Avenant, ...] = attrs.field(default=(), converter=_avenants)

    @property
    def version(self) -> int:
        """1 for the convention as signed, one more for each avenant."""
        return 1 + len(self.avenants)

    def current(self) -> Convention:
        """The content in force: the original with every avenant applied, in order (the avenants kept)."""
        changes: dict[str, Any] = {}
        for avenant in self.avenants:
            changes.update({key: _typed(key, value) for key, value in avenant.changes.items()})
        return attrs.evolve(self, **changes) if changes else self

    def with_avenant(self, avenant: Avenant) -> Convention:
        """The convention with ``avenant`` added after the others."""
        return attrs.evolve(self, avenants=(*self.avenants, avenant))

    def clauses(self) -> list[Clause]:
        """The clauses the law expects in it (CGCT L1611-4), as they apply to its current content."""
        source = "CGCT L1611-4"
        found = [Clause("certified_accounts", _("The beneficiary provides the funder with a certified copy of its "
                                                "budget and of its accounts of the past financial year, and any "
                                                "document showing the results of its activity."), source)]
        if self.current().subgranting_allowed:
            found.append(Clause("subgranting_allowed", _("The convention expressly allows the beneficiary to pass "
                                                         "part of the grant on to other bodies."), source))
        else:
            found.append(Clause("no_subgranting", _("The beneficiary does not use any part of the grant for grants "
                                                    "to other associations, bodies or companies."), source))
        return found


def content_refusals(convention: Convention, *, granted: Decimal, paid: Decimal, grant_year: int) -> list[str]:
    """Why ``convention``'s current content cannot stand for a grant of ``granted`` of which ``paid`` is paid:
    an amount above the grant or below what is paid, a period that ends before it starts, yearly amounts that
    do not add up to the amount, or that leave out the year of the grant or fall outside the period."""
    current = convention.current()
    amount = granted if current.amount is None else current.amount
    reasons = []
    if amount > granted:
        reasons.append(_("the convention's amount ({amount}) is above what the council granted ({granted})").format(
            amount=format_money(amount), granted=format_money(granted)))
    if amount < paid:
        reasons.append(_("the convention's amount ({amount}) is below what has already been paid ({paid})").format(
            amount=format_money(amount), paid=format_money(paid)))
    if current.starts_on is not None and current.ends_on is not None and current.ends_on < current.starts_on:
        reasons.append(_("the convention's period ends on {end}, before it starts ({start})").format(
            end=format_day(current.ends_on), start=format_day(current.starts_on)))
    if current.years:
        total = sum(current.years.values(), Decimal("0.00"))
        if total != amount:
            reasons.append(_("the yearly amounts add up to {total}, not to the convention's amount ({amount})")
                           .format(total=format_money(total), amount=format_money(amount)))
        if grant_year not in current.years:
            reasons.append(_("the yearly amounts leave out {year}, the year of the grant").format(year=grant_year))
        first = current.starts_on.year if current.starts_on is not None else None
        last = current.ends_on.year if current.ends_on is not None else None
        outside = [year for year in current.years
                   if (first is not None and year < first) or (last is not None and year > last)]
        if outside:
            reasons.append(_("some yearly amounts fall outside the convention's period: {years}").format(
                years=", ".join(str(year) for year in outside)))
    return reasons


def publication_deadline(convention: Convention) -> date:
    """The last day to publish the essential data of the convention: three months after its signature (décret
    n° 2017-779 du 5 mai 2017, art. 1: « au plus tard trois mois à compter de la date de signature de la
    convention »)."""
    return add_months(convention.signed_on, PUBLICATION_MONTHS)


#: The plain value of each optional field left at its default, which a ``convention_recorded`` event leaves out.
_DEFAULTS: Mapping[str, Any] = {
    "object": "", "amount": None, "starts_on": None, "ends_on": None, "duration_months": None, "payment_terms": "",
    "conditions_of_use": "", "reporting": "", "report_due": None, "subgranting_allowed": False, "years": {},
    "signatories": [], "avenants": [],
}


def convention_data(plain: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """A ``convention_recorded`` event's data and personal values from the convention's plain data: the fields
    left at their default are left out (an old three-field convention writes what it always wrote), the
    avenants (journaled by their own events) too, and the signatories' names go to the personal values."""
    data = {key: value for key, value in plain.items()
            if key != "avenants" and (key not in _DEFAULTS or value != _DEFAULTS[key])}
    personal: dict[str, str] = {}
    signatories = []
    for i, person in enumerate(data.get("signatories", ())):
        person = dict(person)
        personal[f"signatories.{i}.name"] = person.pop("name")
        signatories.append(person)
    if signatories:
        data["signatories"] = signatories
    return data, personal


def convention_personal(data: Mapping[str, Any], values: Mapping[str, str | None]) -> dict[str, Any]:
    """The convention's plain data with its signatories' names put back from ``values`` (:data:`ERASED` when
    gone): the inverse of :func:`convention_data` (apart from the defaults, which structuring fills in)."""
    record = dict(data)
    record["signatories"] = [{**person, "name": values.get(f"signatories.{i}.name") or ERASED}
                             for i, person in enumerate(data.get("signatories", ()))]
    return record


def convention_erased(convention: Convention, path: str) -> Convention:
    """``convention`` with the personal value at ``path`` erased: a signatory's name (``signatories.N.name``) or
    an avenant's reason (``avenants.N.reason``)."""
    kind, index, _field = path.split(".")
    i = int(index)
    if kind == "signatories":
        people = list(convention.signatories)
        people[i] = attrs.evolve(people[i], name=ERASED)
        return attrs.evolve(convention, signatories=tuple(people))
    avenants = list(convention.avenants)
    avenants[i] = attrs.evolve(avenants[i], reason=ERASED)
    return attrs.evolve(convention, avenants=tuple(avenants))


def applicant_paths(convention: Convention) -> Iterable[str]:
    """The paths of the personal values an erasure of the beneficiary's personal data blanks: the names of the
    people who signed for it, and the avenants' reasons (free texts that may name them), unless already erased.
    The funder's signatories (its elected officials, in their public capacity) are kept."""
    for i, person in enumerate(convention.signatories):
        if person.side == "beneficiary" and person.name != ERASED:
            yield f"signatories.{i}.name"
    for i, avenant in enumerate(convention.avenants):
        if avenant.reason and avenant.reason != ERASED:
            yield f"avenants.{i}.reason"
