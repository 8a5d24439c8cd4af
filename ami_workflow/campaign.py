"""The call for projects as data: frozen records loaded from a TOML call file.

``load_campaign("ami-cohesion-sociale-2021")`` loads a call bundled with the
library; ``load_campaign(path)`` loads any other file::

    >>> campaign = load_campaign("ami-cohesion-sociale-2021")
    >>> campaign.envelope.amount, len(campaign.territory.qpv), len(campaign.axes)
    (Decimal('150000.00'), 21, 4)
    >>> campaign.calendar.deadline
    datetime.date(2021, 4, 30)

A malformed or inconsistent file raises :class:`~ami_workflow.errors.CallFileError`,
naming the file, the field and the problem.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
)

from .calendar import Calendar, Window, parse_instant
from .errors import AmiWorkflowError, CallFileError, InvalidInput
from .money import euros, parse_decimal, percent
from .pieces import PieceRequirement
from .rules import CEILING_RULES, FlatCap, RateWithBonus
from .workflow import WorkflowSpec, edge_text, parse_workflow

__all__ = [
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
    "Envelope",
    "Funder",
    "Funding",
    "Person",
    "PublicRule",
    "Qpv",
    "Territory",
    "bundled_calls",
    "converter",
    "load_campaign",
    "parse_campaign",
    "structure_record",
]

FORMAT = 1
_T = TypeVar("_T")


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

    def criterion_keys(self) -> frozenset[str]:
        return frozenset(c.key for c in self.criteria)


@attrs.frozen
class CommitteeCategory:
    key: str
    label: str


@attrs.frozen
class CommitteeRule:
    """Who hears the dossiers: the chair's role and the member categories that must be present."""

    name: str
    chair_role: str
    categories: tuple[CommitteeCategory, ...]
    only_complete_dossiers: bool = True


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


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True)
    conv.register_structure_hook(Decimal, lambda v, _: _decimal_passthrough(v))
    conv.register_unstructure_hook(Decimal, str)
    conv.register_structure_hook(date, _structure_date)
    conv.register_unstructure_hook(date, lambda d: d)
    conv.register_structure_hook(datetime, lambda v, _: parse_instant(v))
    conv.register_unstructure_hook(datetime, lambda d: d.isoformat())
    conv.register_unstructure_hook(frozenset, lambda s: sorted(s))

    def structure_calendar(value: Any, _: type) -> Calendar:
        if not isinstance(value, Mapping):
            raise TypeError("expected a table")
        data = dict(value)
        data.pop("reminder_days_before_deadline", None)
        data.pop("policy", None)
        mode = data.pop("mode", "windows")
        if mode == "rolling":
            opens, closes = conv.structure(data.pop("opens"), date), conv.structure(data.pop("closes"), date)
            if closes < opens:
                raise ValueError(f"the call closes ({closes}) before it opens ({opens})")
            if data:
                raise ValueError(f"unknown keys for a rolling calendar: {', '.join(sorted(data))}")
            return Calendar.rolling_window(Window(opens, closes))
        if mode != "windows":
            raise ValueError(f"calendar mode must be 'windows' or 'rolling', not {mode!r}")
        launch = conv.structure(data.pop("launch"), date)
        deadline = conv.structure(data.pop("deadline"), date)
        if deadline < launch:
            raise ValueError(f"the deadline ({deadline}) is before the launch ({launch})")
        instruction, jury, deliberation = (
            conv.structure(data.pop(name), Window) for name in ("instruction", "jury", "deliberation")
        )
        if data:
            raise ValueError(f"unknown keys: {', '.join(sorted(data))}")
        return Calendar(Window(launch, deadline), instruction, jury, deliberation)

    def unstructure_calendar(cal: Calendar) -> dict[str, Any]:
        if cal.rolling:
            return {"mode": "rolling", "opens": cal.submission.start, "closes": cal.submission.end}
        out: dict[str, Any] = {"launch": cal.launch, "deadline": cal.deadline}
        for name in ("instruction", "jury", "deliberation"):
            window = cal.window(name)
            out[name] = {"start": window.start, "end": window.end}
        return out

    conv.register_structure_hook(Calendar, structure_calendar)
    conv.register_unstructure_hook(Calendar, unstructure_calendar)

    def structure_window(value: Any, _: type) -> Window:
        if not isinstance(value, Mapping) or set(value) != {"start", "end"}:
            raise ValueError("a window is a table with exactly 'start' and 'end' dates")
        start, end = conv.structure(value["start"], date), conv.structure(value["end"], date)
        if end < start:
            raise ValueError(f"the window ends ({end}) before it starts ({start})")
        return Window(start, end)

    conv.register_structure_hook(Window, structure_window)

    def structure_funding(value: Any, _: type) -> Funding:
        if not isinstance(value, Mapping):
            raise TypeError("expected a table")
        data = dict(value)
        name = data.get("ceiling_rule")
        rule_class = CEILING_RULES.get(name) if isinstance(name, str) else None
        if rule_class is None:
            raise ValueError(
                f"unknown ceiling_rule {name!r}; known rules: {', '.join(sorted(CEILING_RULES))}"
            )
        params = data.get("ceiling", {})
        if not isinstance(params, Mapping):
            raise ValueError("funding.ceiling must be a table of the rule's parameters")
        fields = {f.name for f in attrs.fields(rule_class)}
        extra = set(params) - fields
        if extra:
            raise ValueError(f"unknown parameters for {name}: {', '.join(sorted(extra))}")
        data["ceiling"] = rule_class(**params)
        data["criteria"] = conv.structure(data.get("criteria", []), tuple[Criterion, ...])
        extra = set(data) - {f.name for f in attrs.fields(Funding)}
        if extra:
            raise ValueError(f"unknown keys: {', '.join(sorted(extra))}")
        return Funding(**data)

    conv.register_structure_hook(Funding, structure_funding)
    conv.register_structure_hook(WorkflowSpec, lambda v, _: parse_workflow(v))
    conv.register_unstructure_hook(
        WorkflowSpec,
        lambda w: {"edges": [edge_text(e) for e in w.edges], "guards": {t: list(g) for t, g in w.guards.items()}},
    )
    conv.register_unstructure_hook(
        Funding,
        lambda f: {
            "ceiling_rule": f.ceiling_rule,
            "convention_threshold": str(f.convention_threshold),
            "convention_legal_basis": f.convention_legal_basis,
            "ceiling": conv.unstructure(f.ceiling),
            "criteria": conv.unstructure(f.criteria),
            "financial_report_months": f.financial_report_months,
            "financial_report_legal_basis": f.financial_report_legal_basis,
        },
    )
    return conv


def _decimal_passthrough(value: Any) -> Decimal:
    """Numbers in call files and records: a Decimal, an int or text such as "1 500,50"; never a float."""
    if isinstance(value, (Decimal, int, str)) and not isinstance(value, bool):
        return parse_decimal(value, "number")
    raise TypeError(f"expected a number written as a string or an int, got {value!r}")


def _structure_date(value: Any, _: type) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value)
    raise TypeError(f"expected a date, got {value!r}")


#: The one configured converter for every record of the library.
converter = _make_converter()


def structure_record(data: Any, cls: type[_T], what: str) -> _T:
    """Build a record (an Applicant, an Application …) from plain data; ``InvalidInput`` names the bad field.

    >>> from ami_workflow.dossier import Application
    >>> structure_record({"total_cost": "1 500,00"}, Application, "application").total_cost
    Decimal('1500.00')
    >>> structure_record({"total_cost": "beaucoup"}, Application, "application")
    Traceback (most recent call last):
    ...
    ami_workflow.errors.InvalidInput: application.total_cost: number: 'beaucoup' is not an amount
    """
    try:
        record: _T = converter.structure(data, cls)
        return record
    except (ClassValidationError, IterableValidationError) as exc:
        field, problem = _first_problem(exc)
        raise InvalidInput(f"{what}.{field}: {problem}") from None
    except (ForbiddenExtraKeysError, ValueError, TypeError, KeyError) as exc:
        raise InvalidInput(f"{what}: {_describe(exc)}") from None


def bundled_calls() -> list[str]:
    """The names of the calls shipped with the library."""
    folder = resources.files("ami_workflow.calls")
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def load_campaign(name_or_path: str | Path) -> Campaign:
    """Load a bundled call by name, or any call file by path."""
    if isinstance(name_or_path, str) and name_or_path in bundled_calls():
        resource = resources.files("ami_workflow.calls") / f"{name_or_path}.toml"
        return parse_campaign(resource.read_text(encoding="utf-8"), source=f"{name_or_path}.toml")
    path = Path(name_or_path)
    if not path.is_file():
        raise CallFileError(
            str(name_or_path),
            "(file)",
            f"no such file, and no bundled call of that name ({', '.join(bundled_calls())})",
        )
    return parse_campaign(path.read_text(encoding="utf-8"), source=str(path))


def parse_campaign(text: str, source: str = "<string>") -> Campaign:
    """Build a campaign from the text of a call file; ``source`` names it in errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CallFileError(source, "(syntax)", str(exc)) from None
    if not isinstance(data.get("calendar"), Mapping):
        raise CallFileError(source, "calendar", "the [calendar] table is required")
    data["reminder_days_before_deadline"] = data["calendar"].get("reminder_days_before_deadline", 14)
    if "policy" in data["calendar"]:
        data["calendar_policy"] = data["calendar"]["policy"]
    version = data.get("format", FORMAT)
    if version != FORMAT:
        raise CallFileError(source, "format", f"this library reads call files of format {FORMAT}, not {version!r}")
    try:
        campaign = converter.structure(data, Campaign)
    except (ClassValidationError, IterableValidationError) as exc:
        field, problem = _first_problem(exc)
        raise CallFileError(source, field, problem) from None
    except (ForbiddenExtraKeysError, ValueError, TypeError, KeyError, AmiWorkflowError) as exc:
        raise CallFileError(source, "(top level)", _describe(exc)) from None
    problems = check_campaign(campaign)
    if problems:
        field, problem = problems[0]
        raise CallFileError(source, field, problem)
    return campaign


def _describe(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"required field {exc.args[0]!r} is missing"
    if isinstance(exc, ForbiddenExtraKeysError):
        return f"unknown keys: {', '.join(sorted(exc.extra_fields))}"
    return str(exc)


def _first_problem(exc: BaseException, path: str = "") -> tuple[str, str]:
    """Walk a cattrs exception group down to its first leaf, building the dotted field path."""
    if isinstance(exc, (ClassValidationError, IterableValidationError)):
        inner = exc.exceptions[0]
        note = next(iter(getattr(inner, "__notes__", []) or []), None)
        step = ""
        if note is not None:
            name = getattr(note, "name", None)
            index = getattr(note, "index", None)
            if name is not None:
                step = str(name)
            elif index is not None:
                step = f"[{index}]"
        if isinstance(inner, KeyError) and step:
            return _join(path, step), "required field is missing"
        return _first_problem(inner, _join(path, step))
    return path or "(top level)", _describe(exc)


def _join(path: str, step: str) -> str:
    if not step:
        return path
    if step.startswith("["):
        return path + step
    return f"{path}.{step}" if path else step


def check_campaign(campaign: Campaign) -> list[tuple[str, str]]:
    """Consistency checks across fields: every problem as (field, problem)."""
    from stdnum.fr import siren as _siren
    from stdnum.fr import siret as _siret

    problems: list[tuple[str, str]] = []
    problems += campaign.calendar.problems()
    if campaign.envelope.amount <= 0:
        problems.append(("envelope.amount", "the envelope must be above 0"))
    if not campaign.envelope.cost_natures:
        problems.append(("envelope.cost_natures", "at least one cost nature is required"))
    funder = campaign.funder
    if funder.siren and not _siren.is_valid(funder.siren):
        problems.append(("funder.siren", f"{funder.siren!r} is not a valid SIREN"))
    if funder.siret and not _siret.is_valid(funder.siret):
        problems.append(("funder.siret", f"{funder.siret!r} is not a valid SIRET"))
    elif funder.siret and funder.siren and _siret.compact(funder.siret)[:9] != _siren.compact(funder.siren):
        problems.append(("funder.siret", "the SIRET does not start with the funder's SIREN"))
    territory = campaign.territory
    if territory.valid_until < territory.valid_from:
        problems.append(("territory.valid_until", "the list's validity ends before it starts"))
    if not territory.qpv:
        problems.append(("territory.qpv", "at least one QPV is required"))
    problems += _duplicates("territory.qpv", [q.code for q in territory.qpv], "QPV code")
    for i, q in enumerate(territory.qpv):
        if not q.code.strip():
            problems.append((f"territory.qpv[{i}].code", "a QPV code must not be empty"))
    if not campaign.axes:
        problems.append(("axes", "at least one axis is required"))
    axis_keys = [a.key for a in campaign.axes]
    problems += _duplicates("axes", axis_keys, "axis key")
    problems += _duplicates("axes", [str(a.number) for a in campaign.axes], "axis number")
    for key in campaign.envelope.by_axis:
        if key not in axis_keys:
            problems.append((f"envelope.by_axis.{key}", f"unknown axis {key!r}; known axes: {', '.join(axis_keys)}"))
    if sum(campaign.envelope.by_axis.values(), Decimal(0)) > campaign.envelope.amount:
        problems.append(("envelope.by_axis", "the axes' shares add up to more than the envelope"))
    kinds = campaign.applicants.kinds
    if not campaign.applicants.accepted:
        problems.append(("applicants.accepted", "at least one applicant kind must be accepted"))
    for kind in campaign.applicants.accepted:
        if kind not in kinds:
            problems.append(
                ("applicants.accepted", f"unknown applicant kind {kind!r}; declare it under [applicants.kinds]")
            )
    problems += _duplicates("pieces", [p.key for p in campaign.pieces], "piece key")
    for i, piece in enumerate(campaign.pieces):
        for kind in piece.kinds:
            if kind not in kinds:
                problems.append((f"pieces[{i}].kinds", f"unknown applicant kind {kind!r}"))
        if piece.signature and not piece.paper_original:
            problems.append(
                (f"pieces[{i}].signature", "a signature is checked on the paper original: set paper_original")
            )
    problems += _duplicates("funding.criteria", [c.key for c in campaign.funding.criteria], "criterion key")
    if campaign.public.min_qpv_share_percent <= 0:
        problems.append(("public.min_qpv_share_percent", "the share must be above 0"))
    problems += _duplicates("committee.categories", [c.key for c in campaign.committee.categories], "category key")
    if campaign.reminder_days_before_deadline < 0:
        problems.append(("calendar.reminder_days_before_deadline", "must not be negative"))
    problems += _workflow_problems(campaign)
    policy = campaign.calendar_policy
    for name in ("deadline", "opening"):
        if getattr(policy, name) not in DATE_POLICIES:
            problems.append((f"calendar.policy.{name}", f"must be one of {', '.join(DATE_POLICIES)}"))
    for key, known_kind in kinds.items():
        for requirement in known_kind.requires:
            bad = [f for f in requirement.split("|") if f not in IDENTITY_FIELDS]
            if bad:
                problems.append((f"applicants.kinds.{key}.requires",
                                 f"unknown field {bad[0]!r}; known: {', '.join(IDENTITY_FIELDS)}"))
    if campaign.funding.financial_report_months < 0:
        problems.append(("funding.financial_report_months", "must not be negative"))
    if campaign.call.year != campaign.envelope.year:
        years = f"the envelope's year {campaign.envelope.year} is not the call's year {campaign.call.year}"
        problems.append(("envelope.year", years))
    return problems


#: The applicant fields a kind may require (``applicants.kinds.*.requires``).
IDENTITY_FIELDS = ("siren", "siret", "rna", "iban", "legal_representative")


def _workflow_problems(campaign: Campaign) -> list[tuple[str, str]]:
    from .guards import (  # guards import this module: look them up once both are loaded
        GUARD_TRIGGERS,
        GUARDS,
    )

    problems = []
    for trigger, names in campaign.workflow.guards.items():
        for name in names:
            if name not in GUARDS:
                problems.append((f"workflow.guards.{trigger}",
                                 f"unknown guard {name!r}; known guards: {', '.join(sorted(GUARDS))}"))
            elif name in GUARD_TRIGGERS and trigger not in GUARD_TRIGGERS[name]:
                problems.append((f"workflow.guards.{trigger}",
                                 f"the guard {name!r} reads the data of {', '.join(sorted(GUARD_TRIGGERS[name]))}, "
                                 f"not of {trigger}"))
    if campaign.workflow.hearing and not campaign.committee.categories:
        problems.append(("committee.categories", "a call with a hearing needs its committee's member categories"))
    return problems


def _duplicates(field: str, values: list[str], what: str) -> list[tuple[str, str]]:
    seen: set[str] = set()
    out = []
    for value in values:
        if value in seen:
            out.append((field, f"duplicate {what} {value!r}"))
        seen.add(value)
    return out
