"""Import draft dossiers from a spreadsheet's CSV (French format) or a JSON file, idempotent by their reference.

The reference is the external id: the file's ``reference`` column (or key) names each dossier, and becomes its
reference in the campaign. :func:`import_dossiers` creates the dossiers whose reference is new and counts those
already there as *already imported*, so running the same import again creates nothing (a changed file's new
lines are created). A reference already taken by another applicant's dossier, or by a dossier of another
campaign, is refused. A JSON entry without a reference is created every time: give references to import twice.

:func:`read_csv` reads the CSV a French spreadsheet writes (what
:func:`~ami_workflow.sheets.write_dossiers_csv_fr` writes, the columns named as in the export):

- UTF-8, with or without a byte order mark; ``;`` between cells (``,`` when the header line has no ``;``);
- amounts with a decimal comma or point, spaces as thousands separators (``1 500,00``), days as ``JJ/MM/AAAA`` or
  ISO (``2021-09-01``); the target QPV codes separated by spaces;
- the columns: ``reference`` and ``applicant`` (the applicant's name) are required; then ``kind`` (default
  ``association``), ``siren``, ``siret``, ``rna``, ``iban``, ``representative``, ``title``, ``description``,
  ``axis``, ``qpv``, ``period_start``, ``period_end``, ``total_cost``, ``requested``, ``participants``,
  ``qpv_residents``, ``young``, ``women``, ``sourcing``; the forecast budget, one column per line of the CERFA
  n° 12156 form that the action uses, named ``budget_`` and the line (``budget_60``, ``budget_64``,
  ``budget_74.epci``, ``budget_86``, ``budget_87``: the line says whether it is a charge or a product, see
  :mod:`ami_workflow.budget`); the export's computed columns (``campaign``, ``state``,
  ``ceiling``, ``proposed``, ``approved``, ``paid``, ``submitted_at``) are ignored, so that an exported file
  can be imported; any other column is refused.

Every line is checked (identifiers, kind, axis and QPV against the campaign's call) before anything is written:
:class:`~ami_workflow.errors.InvalidInput` names every bad line and column.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import attrs

from .budget import CHARGE_LINES, PRODUCT_LINES, Budget
from .campaign import Campaign
from .cells import plain_text
from .codec import structure_record
from .datafile import load_json
from .dossier import Applicant, Application, Period
from .errors import InvalidInput, NotFound
from .i18n import _
from .identity import identity_problems
from .money import euros
from .protocol import Backend
from .shown import shown

__all__ = ["CSV_COLUMNS", "Entry", "ImportResult", "import_dossiers", "read_csv", "read_json"]

#: One dossier to create, as :meth:`~ami_workflow.protocol.Backend.create_dossiers` takes it.
Entry = tuple[Applicant, Application, str | None]

_APPLICANT = {"applicant": "name", "kind": "kind", "siren": "siren", "siret": "siret", "rna": "rna", "iban": "iban",
              "representative": "legal_representative"}
_TEXTS = {"title": "title", "description": "description", "axis": "axis", "sourcing": "sourcing"}
_AMOUNTS = ("total_cost", "requested")
_COUNTS = ("participants", "qpv_residents", "young", "women")
_IDENTIFIERS = ("siren", "siret", "rna", "iban")
_IGNORED = ("campaign", "state", "ceiling", "proposed", "approved", "paid", "submitted_at")
#: The forecast budget's columns: ``budget_`` and a line of the CERFA n° 12156 form, charges then products.
_BUDGET = {f"budget_{key}": key for key in (*CHARGE_LINES, *PRODUCT_LINES)}
#: The columns :func:`read_csv` takes, in the order it lists them.
CSV_COLUMNS: tuple[str, ...] = (("reference", *_APPLICANT, *_TEXTS, "qpv", "period_start", "period_end")
                                + _AMOUNTS + _COUNTS + tuple(_BUDGET))
_FR_DAY = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_MOST_PROBLEMS = 50


@attrs.frozen
class ImportResult:
    """What an import did: the references created, and those already there (created by an earlier import)."""

    created: tuple[str, ...]
    already_imported: tuple[str, ...]


def _day(text: str) -> date:
    match = _FR_DAY.fullmatch(text)
    try:
        if match:
            return date(int(match[3]), int(match[2]), int(match[1]))
        return date.fromisoformat(text)
    except ValueError:
        pass
    raise InvalidInput(_("{value!r} is not a day (JJ/MM/AAAA or YYYY-MM-DD)").format(value=shown(text)))


def _count(text: str) -> int:
    digits = text.replace(" ", "").replace("\u202f", "").replace("\xa0", "")
    if not digits.isascii() or not digits.isdigit():
        raise InvalidInput(_("{value!r} is not a whole number of people").format(value=shown(text)))
    return int(digits)


def _line_entry(cells: dict[str, str], campaign: Campaign) -> tuple[Entry | None, list[tuple[str, str]]]:
    """The entry of one line, or ``None``, and its problems as (column, problem)."""
    problems: list[tuple[str, str]] = []
    applicant: dict[str, Any] = {field: cells.get(column) or None for column, field in _APPLICANT.items()}
    applicant["kind"] = applicant["kind"] or "association"
    application: dict[str, Any] = {field: cells[column] for column, field in _TEXTS.items() if cells.get(column)}
    if cells.get("qpv"):
        application["qpv_codes"] = cells["qpv"].split()
    for column in _AMOUNTS:
        if cells.get(column):
            try:
                application[column] = euros(cells[column], column)
            except InvalidInput as exc:
                problems.append((column, str(exc)))
    for column in _COUNTS:
        if cells.get(column):
            try:
                application[column] = _count(cells[column])
            except InvalidInput as exc:
                problems.append((column, str(exc)))
    budget = {column: cells[column] for column in _BUDGET if cells.get(column)}
    if budget:
        lines = {}
        for column, cell in budget.items():
            try:
                lines[_BUDGET[column]] = euros(cell, column)
            except InvalidInput as exc:
                problems.append((column, str(exc)))
        application["budget"] = Budget(charges={k: v for k, v in lines.items() if k in CHARGE_LINES},
                                       products={k: v for k, v in lines.items() if k in PRODUCT_LINES})
    days: dict[str, date] = {}
    for column in ("period_start", "period_end"):
        if cells.get(column):
            try:
                days[column] = _day(cells[column])
            except InvalidInput as exc:
                problems.append((column, str(exc)))
    if len(days) == 2:
        if days["period_end"] < days["period_start"]:
            problems.append(("period_end", _("the action ends before it starts")))
        else:
            application["period"] = Period(days["period_start"], days["period_end"])
    elif len(days) == 1 and not problems:
        missing = "period_end" if "period_start" in days else "period_start"
        problems.append((missing, _("give both days of the action's period, or neither")))
    if not cells.get("reference"):
        problems.append(("reference", _("the reference (the external id) is required")))
    if not applicant["name"]:
        problems.append(("applicant", _("the applicant's name is required")))
    if problems:
        return None, problems
    try:
        who = Applicant(**applicant)
        what = Application(**application)
    except InvalidInput as exc:
        return None, [("", str(exc))]
    for problem in identity_problems(who):  # "siren: '123' is not a valid SIREN"
        column, _sep, rest = problem.partition(": ")
        problems.append((column, rest) if column in _IDENTIFIERS else ("", problem))
    problems += _call_problems(who, what, campaign)
    return (who, what, cells["reference"]), problems


def _call_problems(applicant: Applicant, application: Application, campaign: Campaign) -> list[tuple[str, str]]:
    """What the campaign's call does not know: the applicant's kind, the axis, a QPV code."""
    problems = []
    if applicant.kind not in campaign.applicants.kinds:
        problems.append(("kind", _("unknown applicant kind {kind!r}; the call knows {known}").format(
            kind=shown(applicant.kind), known=", ".join(sorted(campaign.applicants.kinds)))))
    if application.axis is not None and campaign.axis(application.axis) is None:
        problems.append(("axis", _("unknown axis {axis!r}; the call knows {known}").format(
            axis=shown(application.axis), known=", ".join(a.key for a in campaign.axes))))
    unknown = [code for code in application.qpv_codes if campaign.territory.get(code) is None]
    if unknown:
        problems.append(("qpv", _("QPV codes not in the call's territory: {codes}").format(codes=", ".join(unknown))))
    return problems


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    header = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";" if ";" in header else ",", strict=True)
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as exc:
        raise InvalidInput(_("line {line}: {problem}").format(line=reader.line_num, problem=exc)) from None


def read_csv(text: str, campaign: Campaign) -> list[tuple[int, Entry]]:
    """The entries of a CSV (see the module's doc), each with its line; every problem named by line and column.

    ``text`` is the file's text (a byte order mark is skipped). Empty lines are skipped.
    """
    rows = _rows(text.removeprefix("\ufeff"))
    header = next(rows, (1, []))[1]
    columns = [column.strip() for column in header]
    unknown = [c for c in columns if c not in CSV_COLUMNS and c not in _IGNORED]
    missing = [c for c in ("reference", "applicant") if c not in columns]
    doubled = sorted({c for c in columns if columns.count(c) > 1})
    if unknown or missing or doubled:
        raise InvalidInput(_("line 1: the columns must be among {known}; unknown: {unknown}; missing: {missing}; "
                             "twice: {doubled}").format(known=", ".join(CSV_COLUMNS), unknown=", ".join(unknown) or "-",
                                                        missing=", ".join(missing) or "-",
                                                        doubled=", ".join(doubled) or "-"))
    entries: list[tuple[int, Entry]] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            problems.append(_("line {line}: {count} cells, for {columns} columns").format(
                line=line, count=len(row), columns=len(columns)))
            continue
        cells = {column: plain_text(cell.strip()) for column, cell in zip(columns, row, strict=True)}
        entry, found = _line_entry(cells, campaign)
        reference = cells["reference"]
        if reference and reference in seen:
            found.append(("reference", _("{reference!r} is already on line {line}").format(
                reference=shown(reference), line=seen[reference])))
        seen.setdefault(reference, line)
        problems += [_("line {line}, column {column}: {problem}").format(line=line, column=column, problem=problem)
                     if column else _("line {line}: {problem}").format(line=line, problem=problem)
                     for column, problem in found]
        if entry is not None and not found:
            entries.append((line, entry))
    if problems:
        more = len(problems) - _MOST_PROBLEMS
        listed = problems[:_MOST_PROBLEMS] + ([_("… and {count} more").format(count=more)] if more > 0 else [])
        raise InvalidInput("\n".join(listed))
    return entries


def read_json(text: str, source: str, campaign: Campaign | None = None) -> list[tuple[int, Entry]]:
    """The entries of a JSON list of ``{"applicant": …, "application": …, "reference": …}``, each with its position.

    With ``campaign``, an applicant's kind, an axis or a QPV code that its call does not know is refused, with the
    known ones, every problem named by its entry.
    """
    data = load_json(text, source)
    if not isinstance(data, list):
        raise InvalidInput(_("{path}: expected a JSON list of dossiers").format(path=source))
    entries: list[tuple[int, Entry]] = []
    problems: list[str] = []
    for position, item in enumerate(data, start=1):
        if not isinstance(item, dict) or "applicant" not in item:
            raise InvalidInput(_("{path}: entry {position} needs an 'applicant' object")
                               .format(path=source, position=position))
        applicant = structure_record(item["applicant"], Applicant,
                                     _("entry {position}: applicant").format(position=position))
        application = structure_record(item.get("application", {}), Application,
                                       _("entry {position}: application").format(position=position))
        if campaign is not None:
            problems += [_("entry {position}, {field}: {problem}").format(position=position, field=field,
                                                                          problem=problem)
                         for field, problem in _call_problems(applicant, application, campaign)]
        entries.append((position, (applicant, application, item.get("reference"))))
    if problems:
        more = len(problems) - _MOST_PROBLEMS
        listed = problems[:_MOST_PROBLEMS] + ([_("… and {count} more").format(count=more)] if more > 0 else [])
        raise InvalidInput("\n".join(listed))
    return entries


def read_file(path: str | Path, campaign: Campaign, file_format: str | None = None) -> list[tuple[int, Entry]]:
    """The entries of a CSV or JSON file (``file_format`` ``"csv"`` or ``"json"``, else from its name's ending)."""
    path = Path(path)
    chosen = file_format or ("csv" if path.suffix.lower() == ".csv" else "json")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(_("{path}: not UTF-8 text: save it as « CSV UTF-8 »").format(path=path)) from None
    if chosen == "csv":
        return read_csv(text, campaign)
    return read_json(text.removeprefix("\ufeff"), str(path), campaign)


def import_dossiers(
    flow: Backend,
    entries: Sequence[tuple[int, Entry]],
    *,
    actor: str = "",
    campaign_id: str | None = None,
    what: str = "line",
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Create the drafts whose reference is new, in one transaction; count the others as already imported.

    ``entries`` are (line or position, entry), as :func:`read_csv` and :func:`read_json` give them. A reference
    already used by a dossier of another campaign, or of another applicant (another name), is refused with its
    line (``what`` says ``"line"`` or ``"entry"``), before anything is written.
    """
    cid = flow.get_campaign(campaign_id).id if campaign_id is not None else flow.campaign.id
    new: list[Entry] = []
    already: list[str] = []
    problems: list[str] = []
    for where, (applicant, application, reference) in entries:
        if reference is None:
            new.append((applicant, application, reference))
            continue
        try:
            existing = flow.get(reference)
        except NotFound:
            new.append((applicant, application, reference))
            continue
        if existing.campaign_id != cid or existing.applicant.name.casefold() != applicant.name.casefold():
            taken = (_("line {where}: the reference {reference!r} is already the dossier of {name} ({campaign})")
                     if what == "line" else
                     _("entry {where}: the reference {reference!r} is already the dossier of {name} ({campaign})"))
            problems.append(taken.format(where=where, reference=reference, name=existing.applicant.name,
                                         campaign=existing.campaign_id))
        else:
            already.append(reference)
    if problems:
        raise InvalidInput("\n".join(problems))
    created = flow.create_dossiers(new, campaign_id=cid, actor=actor, progress=progress) if new else []
    return ImportResult(tuple(d.reference for d in created), tuple(already))
