"""The application dossier and its parts, as frozen records.

A dossier never changes in place: every trigger returns a new record, so a
refused trigger trivially changes nothing. Amounts are exact ``Decimal``
euros and every instant is Europe/Paris time.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

import attrs

from .board import BoardMember
from .budget import Budget
from .calendar import to_paris
from .checks import instance_of, optional_free_text, optional_text, required_text, sequence_of
from .errors import InvalidInput, InvalidType
from .i18n import _
from .money import ZERO, euros, optional_euros
from .pieces import PaperOriginal, PieceIssue, PieceReceipt
from .shown import shown

__all__ = [
    "Applicant",
    "Application",
    "CoFunding",
    "Dossier",
    "Instruction",
    "Payment",
    "Period",
    "Recovery",
]


def _opt_count(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(_("a count must be a non-negative int, not {value!r}").format(value=shown(value)))
    return value


def _codes(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        value = (value,)
    out = []
    for code in sequence_of(value, "qpv_codes"):
        if not isinstance(code, str) or not code.strip():
            raise InvalidInput(_("a QPV code must be a non-empty string, not {code!r}").format(code=shown(code)))
        out.append(required_text(code))
    return tuple(dict.fromkeys(out))


def _cofunding_amount(value: object) -> Decimal:
    return euros(value, "cofunding amount")


def _opt_requested(value: object) -> Decimal | None:
    return optional_euros(value, "requested")


def _opt_total_cost(value: object) -> Decimal | None:
    return optional_euros(value, "total_cost")


def _payment_amount(value: object) -> Decimal:
    return euros(value, "payment amount")


@attrs.frozen
class Applicant:
    """Who applies. ``kind`` is a key of the call's ``applicants.kinds``.

    Identifiers are optional here (a residents' collective may have none);
    their format is checked where they are stored and where they are needed
    (the IBAN, at payment).
    """

    name: str = attrs.field(converter=required_text)
    kind: str = attrs.field(converter=required_text)
    siren: str | None = attrs.field(default=None, converter=optional_text)
    siret: str | None = attrs.field(default=None, converter=optional_text)
    rna: str | None = attrs.field(default=None, converter=optional_text)
    iban: str | None = attrs.field(default=None, converter=optional_text)
    legal_representative: str | None = attrs.field(default=None, converter=optional_text)

    @property
    def identity(self) -> str:
        """The key that matches the applicant across campaigns: SIREN, else RNA, else its name."""
        if self.siren:
            return f"siren:{self.siren.replace(' ', '')}"
        if self.siret:
            return f"siren:{self.siret.replace(' ', '')[:9]}"
        if self.rna:
            return f"rna:{self.rna.upper()}"
        return f"name:{self.name.casefold()}"


@attrs.frozen
class Period:
    """The action's period: both days included."""

    start: date
    end: date

    def __attrs_post_init__(self) -> None:
        for day in (self.start, self.end):
            if not isinstance(day, date) or isinstance(day, datetime):
                raise InvalidType(_("the action's period needs dates, got {day!r}").format(day=shown(day)))
        if self.end < self.start:
            raise InvalidInput(_("the action's period ends ({end}) before it starts ({start})").format(
                end=self.end, start=self.start))


@attrs.frozen
class CoFunding:
    """Another funder's declared contribution to the action."""

    funder: str = attrs.field(converter=required_text)
    amount: Decimal = attrs.field(converter=_cofunding_amount)


def _cofunding(value: Iterable[CoFunding]) -> tuple[CoFunding, ...]:
    items = sequence_of(value, "cofunding")
    for item in items:
        if not isinstance(item, CoFunding):
            raise InvalidInput(_("co-funding entries must be CoFunding records, not {item!r}").format(item=shown(item)))
    return typing.cast(tuple[CoFunding, ...], items)


@attrs.frozen
class Application:
    """What the applicant declares about the action.

    Every field may be empty in a draft; ``submit`` lists all that are missing.
    ``cost_nature`` is "fonctionnement" (operating costs) for the 2021 call.
    """

    title: str | None = attrs.field(default=None, converter=optional_text)
    axis: str | None = attrs.field(default=None, converter=optional_text)
    qpv_codes: tuple[str, ...] = attrs.field(default=(), converter=_codes)
    period: Period | None = None
    total_cost: Decimal | None = attrs.field(default=None, converter=_opt_total_cost)
    requested: Decimal | None = attrs.field(default=None, converter=_opt_requested)
    cost_nature: str | None = attrs.field(default="fonctionnement", converter=optional_text)
    participants: int | None = attrs.field(default=None, converter=_opt_count)
    qpv_residents: int | None = attrs.field(default=None, converter=_opt_count)
    young: int | None = attrs.field(default=None, converter=_opt_count)
    women: int | None = attrs.field(default=None, converter=_opt_count)
    sourcing: str | None = attrs.field(default=None, converter=optional_free_text)
    cofunding: tuple[CoFunding, ...] = attrs.field(default=(), converter=_cofunding)
    description: str | None = attrs.field(default=None, converter=optional_free_text)
    budget: Budget | None = None
    """The forecast budget on the lines of the CERFA n° 12156 form; its ``total`` is the « montant total »."""

    def __attrs_post_init__(self) -> None:
        if self.period is not None and not isinstance(self.period, Period):
            raise InvalidInput(_("period must be a Period, not {period!r}").format(period=shown(self.period)))
        if self.budget is not None and not isinstance(self.budget, Budget):
            raise InvalidInput(_("budget must be a Budget, not {budget!r}").format(budget=shown(self.budget)))

    @property
    def other_funding(self) -> Decimal:
        return sum((c.amount for c in self.cofunding), ZERO)


@attrs.frozen
class Instruction:
    """The instructor's findings: the confirmed bonus criteria, the ceiling and the proposed amount."""

    criteria: frozenset[str]
    ceiling: Decimal
    proposed: Decimal
    at: datetime
    actor: str = ""
    note: str = ""


@attrs.frozen
class Payment:
    """One instalment paid."""

    amount: Decimal = attrs.field(converter=_payment_amount)
    at: datetime = attrs.field(converter=to_paris)
    reference: str = ""


@attrs.frozen
class Recovery:
    """A recovery (reversement) of a paid grant: why, what the grant comes to (``due``) and what comes back
    (``amount``); the day the applicant may submit its observations until (CRPA L121-1, L122-1); then the motivated
    decision and its titre de recette (CGCT L1617-5); then the day the money came back."""

    grounds: str
    due: Decimal
    amount: Decimal
    opened_at: datetime
    observations_by: date
    title: str = ""
    decided_at: datetime | None = None
    recovered_at: datetime | None = None
    receipt: str = ""


@attrs.frozen
class Dossier:
    """One application for one campaign, with its state and everything the triggers recorded."""

    reference: str = attrs.field(converter=required_text)
    campaign_id: str = attrs.field(converter=required_text)
    applicant: Applicant = attrs.field(validator=instance_of(Applicant))
    application: Application = attrs.field(factory=Application, validator=instance_of(Application))
    state: str = "draft"
    pieces: tuple[PieceReceipt, ...] = ()
    originals: tuple[PaperOriginal, ...] = ()
    issues: tuple[PieceIssue, ...] = ()
    submitted_at: datetime | None = None
    completed_at: datetime | None = None
    instruction: Instruction | None = None
    hearing: str | None = None
    approved: Decimal | None = None
    payments: tuple[Payment, ...] = ()
    decision_note: str | None = None
    board: tuple[BoardMember, ...] = ()
    """The applicant's board and bureau members, from its pieces (names are personal data)."""
    recovery: Recovery | None = None
    version: int = 0

    @property
    def paid(self) -> Decimal:
        """What the applicant holds of the grant: the payments, less what a recovery brought back."""
        paid = sum((p.amount for p in self.payments), ZERO)
        if self.recovery is not None and self.recovery.recovered_at is not None:
            paid -= self.recovery.amount
        return paid

    def piece(self, key: str) -> PieceReceipt | None:
        for piece in self.pieces:
            if piece.key == key:
                return piece
        return None

    def with_piece(self, piece: PieceReceipt) -> Dossier:
        """A copy holding ``piece``, replacing an earlier one of the same key."""
        kept = tuple(p for p in self.pieces if p.key != piece.key)
        return attrs.evolve(self, pieces=kept + (piece,))

    def with_original(self, original: PaperOriginal) -> Dossier:
        kept = tuple(p for p in self.originals if p.key != original.key)
        return attrs.evolve(self, originals=kept + (original,))
