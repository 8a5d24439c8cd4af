"""The call for projects as data: frozen records loaded from a TOML call file.

The records only: :mod:`ami_workflow.callfile` reads and checks a call file,
:mod:`ami_workflow.codec` holds the converter that builds these records::

    >>> from ami_workflow.callfile import load_campaign
    >>> campaign = load_campaign("ami-cohesion-sociale-2021")
    >>> campaign.envelope.amount, len(campaign.territory.qpv), len(campaign.axes)
    (Decimal('150000.00'), 21, 4)
    >>> campaign.calendar.deadline
    datetime.date(2021, 4, 30)
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import attrs

from .calendar import Calendar
from .errors import InvalidInput
from .i18n import _
from .money import euros, percent
from .pieces import PieceRequirement
from .rules import FlatCap, RateWithBonus
from .schedule import PaymentStage, Settlement
from .shown import shown
from .workflow import WorkflowSpec

__all__ = [
    "ALLOCATION_POLICIES",
    "Allocation",
    "ApplicantKind",
    "Applicants",
    "Axis",
    "CalendarPolicy",
    "CallInfo",
    "Campaign",
    "CommitteeCategory",
    "CommitteeRule",
    "Contact",
    "Criterion",
    "Limits",
    "Envelope",
    "Funder",
    "Funding",
    "Grid",
    "GridCriterion",
    "Notices",
    "Person",
    "PublicRule",
    "Qpv",
    "Signatory",
    "Territory",
    "Tribunal",
]

FORMAT = 1


def _amount(value: object) -> Decimal:
    return euros(value, "amount")


def _convention_threshold(value: object) -> Decimal:
    return euros(value, "convention_threshold")


def _min_qpv_share_percent(value: object) -> Decimal:
    return percent(value, "min_qpv_share_percent")


@attrs.frozen
class CallInfo:
    id: str
    title: str
    year: int
    legal_basis: str = ""


@attrs.frozen
class Person:
    name: str
    title: str


@attrs.frozen
class Contact:
    manager: str = ""
    people: tuple[str, ...] = ()
    email: str = ""
    phones: tuple[str, ...] = ()


@attrs.frozen
class Signatory:
    """Who signs the funder's decisions: the first name, name and title that a decision must show (CRPA L212-1)."""

    first_name: str
    name: str
    title: str


@attrs.frozen
class Funder:
    """The funder. Identifiers the call does not give stay empty: never invent one."""

    name: str
    acronym: str
    siren: str = ""
    siret: str = ""
    registered_id_prefix: str = ""
    service: str = ""
    addressee: Person | None = None
    contact: Contact = Contact()
    address: tuple[str, ...] = ()
    """The service's postal address, one line each (an accusé de réception gives it: CRPA R112-5)."""
    city: str = ""
    """Where the funder's documents are made (« Fait à Lens »)."""
    signatory: Signatory | None = None

    @property
    def identity(self) -> str:
        """The key that says two calls have one funder: its SIREN, else its name (accents and case kept aside
        only by ``casefold``)."""
        siren = "".join(self.siren.split())
        return f"siren:{siren}" if siren else f"name:{self.name.casefold()}"


def same_grantor(a: Campaign, b: Campaign) -> bool:
    """Whether two campaigns' grants count together for the convention threshold: one funder, one budget year
    (décret 2001-495, art. 1: « le montant annuel … attribué par une autorité administrative »)."""
    return a.funder.identity == b.funder.identity and a.envelope.year == b.envelope.year


@attrs.frozen
class Tribunal:
    """The administrative court where the funder's decisions can be challenged."""

    name: str = ""
    address: tuple[str, ...] = ()


@attrs.frozen
class Notices:
    """The terms that the documents sent to applicants give (the accusé de réception, the notices)."""

    pieces_deadline_days: int = 15
    """The time given to send missing pieces, in days from the document asking for them (CRPA L114-5)."""
    implicit_rejection_months: int = 2
    """Silence kept this long on a complete request is a rejection: a subsidy is financial (CRPA L231-4, 3°)."""
    recourse_months: int = 2
    """The time to challenge a decision, gracieux or before the tribunal (CJA R421-1)."""
    tribunal: Tribunal = Tribunal()


def _axis_amounts(value: Mapping[str, object]) -> dict[str, Decimal]:
    return {key: euros(amount, f"by_axis.{key}") for key, amount in value.items()}


@attrs.frozen
class Envelope:
    """The call's budget for the year, and the nature of the costs it funds."""

    amount: Decimal = attrs.field(converter=_amount)
    year: int
    cost_natures: tuple[str, ...] = ("fonctionnement",)
    by_axis: Mapping[str, Decimal] = attrs.field(factory=dict, converter=_axis_amounts)


@attrs.frozen
class Qpv:
    """A priority neighbourhood (quartier prioritaire de la politique de la ville).

    ``communes`` are the funder's communes it spans; ``communes_outside`` those
    the annex writes in brackets, which lie outside the funder's territory.
    Codes are plain strings: the 2024 national list uses new ones.
    """

    code: str
    name: str
    communes: tuple[str, ...]
    communes_outside: tuple[str, ...] = ()


@attrs.frozen
class Territory:
    name: str
    valid_from: int
    valid_until: int
    qpv: tuple[Qpv, ...]
    communes_total: int | None = None

    def codes(self) -> frozenset[str]:
        return frozenset(q.code for q in self.qpv)

    def get(self, code: str) -> Qpv | None:
        for q in self.qpv:
            if q.code == code:
                return q
        return None

    def communes(self) -> list[str]:
        """The funder's communes with at least one QPV, sorted."""
        return sorted({c for q in self.qpv for c in q.communes})


@attrs.frozen
class Axis:
    key: str
    number: int
    label: str
    objectives: tuple[str, ...] = ()


@attrs.frozen
class ApplicantKind:
    """A kind of applicant the call knows, and the identity data it must give (``requires``).

    Each entry of ``requires`` names an applicant field (``siren``, ``siret``,
    ``rna``, ``iban``, ``legal_representative``), or alternatives joined by
    ``|`` (``"siren|rna"``: one of the two).
    """

    label: str
    signer_label: str = ""
    requires: tuple[str, ...] = ()


@attrs.frozen
class Applicants:
    """Which kinds of applicant the call accepts, among the kinds it knows."""

    accepted: tuple[str, ...]
    kinds: Mapping[str, ApplicantKind]


@attrs.frozen
class PublicRule:
    """At least ``min_qpv_share_percent`` % of participants live in a listed QPV."""

    min_qpv_share_percent: Decimal = attrs.field(converter=_min_qpv_share_percent)
    priority_publics: tuple[str, ...] = ()
    sourcing_required: bool = True


@attrs.frozen
class Criterion:
    key: str
    label: str


#: How the committee's list shares the envelope (``[funding.allocation] policy``).
ALLOCATION_POLICIES = ("pro_rata", "rank", "committee")


@attrs.frozen
class Allocation:
    """How a committee's list shares what is left of the envelope, when the claims exceed it.

    ``pro_rata``: each claim scaled down alike, to the cent; ``rank``: in the committee's ranking order, each
    funded in full until the envelope is used, the first that does not fit getting what is left (``shortfall =
    "partial"``) or nothing (``"stop"``); ``committee``: the amounts the committee sets, refused if they exceed a
    ceiling, a request or the envelope.
    """

    policy: str = "pro_rata"
    shortfall: str = "partial"


@attrs.frozen
class Funding:
    """The funding rule: a ceiling rule picked by name, its bonus criteria, and the convention threshold."""

    ceiling_rule: str
    ceiling: RateWithBonus | FlatCap
    convention_threshold: Decimal = attrs.field(converter=_convention_threshold)
    convention_legal_basis: str = ""
    criteria: tuple[Criterion, ...] = ()
    financial_report_months: int = 6
    """The compte rendu financier is due this many months after the end of the year of the grant."""
    financial_report_legal_basis: str = ""
    allocation: Allocation = Allocation()
    payment_schedule: tuple[PaymentStage, ...] = ()
    """The payment stages (``[[funding.payment_schedule]]``); none: the whole grant once it is enforceable."""
    settlement: Settlement = attrs.field(factory=Settlement)
    """How the grant is settled on its compte rendu financier, and how a recovery runs."""
    budget_line: str = ""
    """The product line of the forecast budget (CERFA n° 12156) that holds the amount requested from this funder,
    such as ``"74.epci"`` for an intercommunalité; ``""`` checks no line."""
    budget_required: bool = False
    """Whether an application needs its forecast budget at ``submit``."""

    def criterion_keys(self) -> frozenset[str]:
        return frozenset(c.key for c in self.criteria)


@attrs.frozen
class CommitteeCategory:
    key: str
    label: str


@attrs.frozen
class GridCriterion:
    """One criterion of the committee's scoring grid: its key, its label and its weight in the weighted mean."""

    key: str
    label: str
    weight: int = 1


@attrs.frozen
class Grid:
    """The committee's scoring grid: each present member marks each criterion from 0 to ``scale_max``."""

    scale_max: int
    criteria: tuple[GridCriterion, ...]
    reading: str = ""
    """Where the grid comes from (the call gives none for the AMI 2021: the library's reading, in words)."""


@attrs.frozen
class CommitteeRule:
    """Who hears the dossiers: the chair's role and the member categories that must be present."""

    name: str
    chair_role: str
    categories: tuple[CommitteeCategory, ...]
    only_complete_dossiers: bool = True
    quorum: str = "majority"
    """How many members must sit for a session to hear dossiers: ``"majority"`` of those convened, or ``"none"``."""
    grid: Grid | None = None
    """How the committee scores a dossier it heard; without a grid, nothing is scored."""
    board_piece: str = ""
    """The piece that lists the applicant's board (conseil d'administration); ``""`` when the call asks for none."""
    bureau_piece: str = ""
    """The piece that lists the applicant's bureau; ``""`` when the call asks for none."""
    elected_category: str = ""
    """The member category of the elected councillors (``elus``), who take no part in the council's deliberation on
    a dossier they are interested in; ``""`` when the committee has none."""


#: A mebibyte, in bytes.
MIB = 1024 * 1024
#: The library's ceiling on a piece's size: a piece is held in memory while it is stored, and SQLite refuses a
#: value above 10⁹ bytes (``SQLITE_MAX_LENGTH``).
PIECE_MAX_BYTES = 512 * MIB


@attrs.frozen
class Limits:
    """What the call accepts (``[limits]``): a piece's size in bytes, and the length in characters of a
    single-line text (a name, a reference, a title) and of a free text (a motivation, a note, an opinion)."""

    piece_max_bytes: int = 20 * MIB
    line_max: int = 300
    text_max: int = 10_000


@attrs.frozen
class Retention:
    """How long the call's dossiers are kept (``[retention]``): a dossier granted a subsidy for ``granted_years``
    after the end of the year of its last act; its personal data cannot be erased before (RGPD art. 17(3)(b)).
    ``0`` (the default) keeps nothing past the request."""

    granted_years: int = 0
    reading: str = ""
    """Where the period comes from, in words."""


#: How a rollover moves a point date that falls on a weekend or a public holiday.
DATE_POLICIES = ("previous_working_day", "next_working_day", "keep")


@attrs.frozen
class CalendarPolicy:
    """The rollover's rules for dates (``[calendar.policy]``)."""

    deadline: str = "previous_working_day"
    opening: str = "next_working_day"
    holidays: str = "FR"


@attrs.frozen
class Campaign:
    """One call for projects for one year, exactly as its file says."""

    call: CallInfo
    funder: Funder
    envelope: Envelope
    calendar: Calendar
    territory: Territory
    axes: tuple[Axis, ...]
    applicants: Applicants
    public: PublicRule
    funding: Funding
    pieces: tuple[PieceRequirement, ...]
    committee: CommitteeRule
    reminder_days_before_deadline: int = 14
    calendar_policy: CalendarPolicy = CalendarPolicy()
    workflow: WorkflowSpec = attrs.field(factory=WorkflowSpec)
    notices: Notices = Notices()
    limits: Limits = Limits()
    retention: Retention = Retention()
    format: int = FORMAT

    @property
    def id(self) -> str:
        return self.call.id

    def axis(self, key: str) -> Axis | None:
        for axis in self.axes:
            if axis.key == key:
                return axis
        return None

    def piece(self, key: str) -> PieceRequirement | None:
        for piece in self.pieces:
            if piece.key == key:
                return piece
        return None

    def check_filters(self, *, state: str | None = None, axis: str | None = None, qpv: str | None = None) -> None:
        """Raise :class:`InvalidInput` for a state, an axis or a QPV code that this call does not know, listing
        the known ones (a filter on a misspelt key would silently find nothing)::

            >>> from ami_workflow.callfile import load_campaign
            >>> load_campaign("ami-cohesion-sociale-2021").check_filters(state="payé")  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            ami_workflow.errors.InvalidInput: unknown state 'payé'; the states are draft, submitted, ...
        """
        problems = []
        states = self.workflow.machine().states
        if state is not None and state not in states:
            problems.append(_("unknown state {state!r}; the states are {known}").format(
                state=shown(state), known=", ".join(states)))
        if axis is not None and self.axis(axis) is None:
            problems.append(_("unknown axis {axis!r}; the call knows {known}").format(
                axis=shown(axis), known=", ".join(a.key for a in self.axes)))
        if qpv is not None and self.territory.get(qpv) is None:
            problems.append(_("unknown QPV code {code!r}; the call's territory has {known}").format(
                code=shown(qpv), known=", ".join(q.code for q in self.territory.qpv)))
        if problems:
            raise InvalidInput("; ".join(problems))
