"""Reading a call file: TOML text to a checked :class:`~ami_workflow.campaign.Campaign`.

``load_campaign("ami-cohesion-sociale-2021")`` loads a call bundled with the
library; ``load_campaign(path)`` loads any other file::

    >>> campaign = load_campaign("ami-cohesion-sociale-2021")
    >>> campaign.envelope.amount, len(campaign.territory.qpv), len(campaign.axes)
    (Decimal('150000.00'), 21, 4)

A malformed or inconsistent file raises :class:`~ami_workflow.errors.CallFileError`,
naming the file, the field and the problem (:func:`check_campaign` lists every
inconsistency across fields, including guard names unknown to
:data:`ami_workflow.guards.GUARDS`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from decimal import Decimal
from importlib import resources
from pathlib import Path

from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
)
from stdnum.fr import siren as _siren
from stdnum.fr import siret as _siret

from .boundary import checked
from .budget import PRODUCT_LINES
from .campaign import ALLOCATION_POLICIES, DATE_POLICIES, FORMAT, PIECE_MAX_BYTES, Campaign
from .checks import LINE_MAX, TEXT_MAX, file_path
from .codec import converter, describe_error, first_problem
from .datafile import data_problem
from .errors import AmiWorkflowError, CallFileError
from .guards import GUARD_TRIGGERS, GUARDS
from .i18n import N_, _
from .rules import SHORTFALLS
from .schedule import schedule_problems
from .shown import shown

__all__ = [
    "DEFAULT_CALL", "IDENTITY_FIELDS", "SUBSIDY_LINES", "bundled_calls", "check_campaign", "load_campaign",
    "parse_campaign",
]

#: The call used when none is named and no database holds one: the 2021 AMI « Cohésion sociale ».
DEFAULT_CALL = "ami-cohesion-sociale-2021"


def bundled_calls() -> list[str]:
    """The names of the calls shipped with the library."""
    folder = resources.files("ami_workflow.calls")
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


@checked
def load_campaign(name_or_path: str | Path) -> Campaign:
    """Load a bundled call by name, or any call file by path."""
    if isinstance(name_or_path, str) and name_or_path in bundled_calls():
        resource = resources.files("ami_workflow.calls") / f"{name_or_path}.toml"
        return parse_campaign(resource.read_text(encoding="utf-8"), source=f"{name_or_path}.toml")
    path = Path(file_path(name_or_path))
    try:
        found = path.is_file()
        text = path.read_text(encoding="utf-8") if found else ""
    except OSError as error:
        raise CallFileError(str(path)[:200], "(file)", error.strerror or str(error)) from None
    except UnicodeDecodeError:
        raise CallFileError(str(path)[:200], "(file)", _("not UTF-8 text")) from None
    if not found:
        raise CallFileError(
            str(name_or_path)[:200],
            "(file)",
            _("no such file, and no bundled call of that name ({calls})").format(calls=", ".join(bundled_calls())),
        )
    return parse_campaign(text, source=str(path))


@checked
def parse_campaign(text: str, source: str = "<string>") -> Campaign:
    """Build a campaign from the text of a call file; ``source`` names it in errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CallFileError(source, "(syntax)", str(exc)) from None
    except (RecursionError, ValueError) as error:
        raise CallFileError(source, "(syntax)", data_problem(error)) from None
    if not isinstance(data.get("calendar"), Mapping):
        raise CallFileError(source, "calendar", _("the [calendar] table is required"))
    data["reminder_days_before_deadline"] = data["calendar"].get("reminder_days_before_deadline", 14)
    if "policy" in data["calendar"]:
        data["calendar_policy"] = data["calendar"]["policy"]
    version = data.get("format", FORMAT)
    if version != FORMAT:
        raise CallFileError(source, "format", _("this library reads call files of format {format}, not {version!r}")
                            .format(format=FORMAT, version=shown(version)))
    try:
        campaign = converter.structure(data, Campaign)
    except (ClassValidationError, IterableValidationError) as exc:
        field, problem = first_problem(exc)
        raise CallFileError(source, field, problem) from None
    except (ForbiddenExtraKeysError, ValueError, TypeError, KeyError, AmiWorkflowError) as exc:
        raise CallFileError(source, "(top level)", describe_error(exc)) from None
    problems = check_campaign(campaign)
    if problems:
        field, problem = problems[0]
        raise CallFileError(source, field, problem)
    return campaign

def check_campaign(campaign: Campaign) -> list[tuple[str, str]]:
    """Consistency checks across fields: every problem as (field, problem)."""
    problems: list[tuple[str, str]] = []
    problems += campaign.calendar.problems()
    if campaign.envelope.amount <= 0:
        problems.append(("envelope.amount", _("the envelope must be above 0")))
    if not campaign.envelope.cost_natures:
        problems.append(("envelope.cost_natures", _("at least one cost nature is required")))
    funder = campaign.funder
    if funder.siren and not _siren.is_valid(funder.siren):
        problems.append(("funder.siren", _("{siren!r} is not a valid SIREN").format(siren=shown(funder.siren))))
    if funder.siret and not _siret.is_valid(funder.siret):
        problems.append(("funder.siret", _("{siret!r} is not a valid SIRET").format(siret=shown(funder.siret))))
    elif funder.siret and funder.siren and _siret.compact(funder.siret)[:9] != _siren.compact(funder.siren):
        problems.append(("funder.siret", _("the SIRET does not start with the funder's SIREN")))
    allocation = campaign.funding.allocation
    if allocation.policy not in ALLOCATION_POLICIES:
        problems.append(("funding.allocation.policy", _("unknown policy {policy!r}: the policies are {policies}")
                         .format(policy=shown(allocation.policy), policies=", ".join(ALLOCATION_POLICIES))))
    if allocation.shortfall not in SHORTFALLS:
        problems.append(("funding.allocation.shortfall", _("unknown shortfall rule {rule!r}: the rules are {rules}")
                         .format(rule=shown(allocation.shortfall), rules=", ".join(SHORTFALLS))))
    if allocation.policy == "rank" and campaign.committee.grid is None:
        problems.append(("funding.allocation.policy", _("allocating by rank needs a scoring grid ([committee.grid])")))
    if campaign.committee.quorum not in ("majority", "none"):
        problems.append(("committee.quorum", _("unknown quorum rule {rule!r}: the rules are majority, none").format(
            rule=shown(campaign.committee.quorum))))
    committee = campaign.committee
    for name in ("board_piece", "bureau_piece"):
        key = getattr(committee, name)
        if key and campaign.piece(key) is None:
            problems.append((f"committee.{name}", _("no piece {key!r} in [[pieces]]").format(key=shown(key))))
    if committee.elected_category and committee.elected_category not in {c.key for c in committee.categories}:
        problems.append(("committee.elected_category", _("no member category {key!r} in [[committee.categories]]")
                         .format(key=shown(committee.elected_category))))
    grid = campaign.committee.grid
    if grid is not None:
        if grid.scale_max < 1:
            problems.append(("committee.grid.scale_max", _("must be at least 1")))
        if not grid.criteria:
            problems.append(("committee.grid.criteria", _("a grid needs at least one criterion")))
        problems += _duplicates("committee.grid.criteria", [c.key for c in grid.criteria], N_("criterion key"))
        for i, criterion in enumerate(grid.criteria):
            if criterion.weight < 1:
                problems.append((f"committee.grid.criteria[{i}].weight", _("must be at least 1")))
    notices = campaign.notices
    for name in ("pieces_deadline_days", "implicit_rejection_months", "recourse_months"):
        if getattr(notices, name) < 1:
            problems.append((f"notices.{name}", _("must be at least 1")))
    territory = campaign.territory
    if territory.valid_until < territory.valid_from:
        problems.append(("territory.valid_until", _("the list's validity ends before it starts")))
    if not territory.qpv:
        problems.append(("territory.qpv", _("at least one QPV is required")))
    problems += _duplicates("territory.qpv", [q.code for q in territory.qpv], N_("QPV code"))
    for i, q in enumerate(territory.qpv):
        if not q.code.strip():
            problems.append((f"territory.qpv[{i}].code", _("a QPV code must not be empty")))
    if not campaign.axes:
        problems.append(("axes", _("at least one axis is required")))
    axis_keys = [a.key for a in campaign.axes]
    problems += _duplicates("axes", axis_keys, N_("axis key"))
    problems += _duplicates("axes", [str(a.number) for a in campaign.axes], N_("axis number"))
    for key in campaign.envelope.by_axis:
        if key not in axis_keys:
            problems.append((f"envelope.by_axis.{key}", _("unknown axis {key!r}; known axes: {keys}").format(
                key=shown(key), keys=", ".join(axis_keys))))
    if sum(campaign.envelope.by_axis.values(), Decimal(0)) > campaign.envelope.amount:
        problems.append(("envelope.by_axis", _("the axes' shares add up to more than the envelope")))
    kinds = campaign.applicants.kinds
    if not campaign.applicants.accepted:
        problems.append(("applicants.accepted", _("at least one applicant kind must be accepted")))
    for kind in campaign.applicants.accepted:
        if kind not in kinds:
            problems.append(
                ("applicants.accepted",
                 _("unknown applicant kind {kind!r}; declare it under [applicants.kinds]").format(kind=shown(kind)))
            )
    problems += _duplicates("pieces", [p.key for p in campaign.pieces], N_("piece key"))
    for i, piece in enumerate(campaign.pieces):
        for kind in piece.kinds:
            if kind not in kinds:
                problems.append((f"pieces[{i}].kinds", _("unknown applicant kind {kind!r}").format(kind=shown(kind))))
        if piece.signature and not piece.paper_original:
            problems.append(
                (f"pieces[{i}].signature", _("a signature is checked on the paper original: set paper_original"))
            )
    problems += _duplicates("funding.criteria", [c.key for c in campaign.funding.criteria], N_("criterion key"))
    if campaign.public.min_qpv_share_percent <= 0:
        problems.append(("public.min_qpv_share_percent", _("the share must be above 0")))
    problems += _duplicates("committee.categories", [c.key for c in campaign.committee.categories], N_("category key"))
    if campaign.reminder_days_before_deadline < 0:
        problems.append(("calendar.reminder_days_before_deadline", _("must not be negative")))
    problems += _workflow_problems(campaign)
    policy = campaign.calendar_policy
    for name in ("deadline", "opening"):
        if getattr(policy, name) not in DATE_POLICIES:
            problems.append((f"calendar.policy.{name}", _("must be one of {policies}").format(
                policies=", ".join(DATE_POLICIES))))
    for key, known_kind in kinds.items():
        for requirement in known_kind.requires:
            bad = [f for f in requirement.split("|") if f not in IDENTITY_FIELDS]
            if bad:
                problems.append((f"applicants.kinds.{key}.requires",
                                 _("unknown field {field!r}; known: {fields}").format(
                                     field=shown(bad[0]), fields=", ".join(IDENTITY_FIELDS))))
    if campaign.funding.financial_report_months < 0:
        problems.append(("funding.financial_report_months", _("must not be negative")))
    schedule = campaign.funding.payment_schedule
    problems += [("funding.payment_schedule", reason) for reason in schedule_problems(schedule)]
    problems += _budget_problems(campaign)
    problems += _limit_problems(campaign)
    if campaign.call.year != campaign.envelope.year:
        years = _("the envelope's year {envelope} is not the call's year {call}").format(
            envelope=campaign.envelope.year, call=campaign.call.year)
        problems.append(("envelope.year", years))
    return problems


def _budget_problems(campaign: Campaign) -> list[tuple[str, str]]:
    """The funder's line of the forecast budget is a subsidy line of the CERFA n° 12156 form."""
    line = campaign.funding.budget_line
    if not isinstance(line, str):
        return [("funding.budget_line", _("must be a text, not {value!r}").format(value=shown(line)))]
    if line and line not in SUBSIDY_LINES:
        return [("funding.budget_line", _("unknown subsidy line {line!r}: the lines are {lines}").format(
            line=shown(line), lines=", ".join(SUBSIDY_LINES)))]
    if not isinstance(campaign.funding.budget_required, bool):
        return [("funding.budget_required", _("must be true or false"))]
    return []


#: The product lines of the CERFA n° 12156 budget that a funder's subsidy goes on (``funding.budget_line``).
SUBSIDY_LINES = tuple(key for key in PRODUCT_LINES if key.startswith("74."))


def _limit_problems(campaign: Campaign) -> list[tuple[str, str]]:
    problems = []
    years = campaign.retention.granted_years
    if type(years) is not int or not 0 <= years <= 100:
        problems.append(("retention.granted_years", _("must be a whole number of years from 0 to 100, not {value!r}")
                         .format(value=years)))
    for name, ceiling in (("piece_max_bytes", PIECE_MAX_BYTES), ("line_max", LINE_MAX), ("text_max", TEXT_MAX)):
        value = getattr(campaign.limits, name)
        if type(value) is not int or not 1 <= value <= ceiling:
            problems.append((f"limits.{name}", _("must be a whole number from 1 to {ceiling}, not {value!r}").format(
                ceiling=ceiling, value=shown(value))))
    return problems


#: The applicant fields a kind may require (``applicants.kinds.*.requires``).
IDENTITY_FIELDS = ("siren", "siret", "rna", "iban", "legal_representative")


def _workflow_problems(campaign: Campaign) -> list[tuple[str, str]]:
    problems = []
    for trigger, names in campaign.workflow.guards.items():
        for name in names:
            if name not in GUARDS:
                problems.append((f"workflow.guards.{trigger}",
                                 _("unknown guard {name!r}; known guards: {guards}").format(
                                     name=shown(name), guards=", ".join(sorted(GUARDS)))))
            elif name in GUARD_TRIGGERS and trigger not in GUARD_TRIGGERS[name]:
                problems.append((f"workflow.guards.{trigger}",
                                 _("the guard {name!r} reads the data of {triggers}, not of {trigger}").format(
                                     name=shown(name), triggers=", ".join(sorted(GUARD_TRIGGERS[name])),
                                     trigger=trigger)))
    if campaign.workflow.hearing and not campaign.committee.categories:
        problems.append(("committee.categories", _("a call with a hearing needs its committee's member categories")))
    return problems


def _duplicates(field: str, values: list[str], what: str) -> list[tuple[str, str]]:
    seen: set[str] = set()
    out = []
    for value in values:
        if value in seen:
            out.append((field, _("duplicate {what} {value!r}").format(what=_(what), value=shown(value))))
        seen.add(value)
    return out
