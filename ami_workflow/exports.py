"""Exports of a campaign's dossiers and grants: flat CSV rows, JSON records, SCDL and 360Giving.

Pure functions over a :class:`~ami_workflow.protocol.Backend` (either backend): they only read.
Amounts are written from exact ``Decimal`` euros, never through a float, and
every date is ISO 8601 (``YYYY-MM-DD``).

- :func:`dossier_rows` / :func:`write_csv`: one flat row per dossier, for a spreadsheet;
  :func:`write_dossiers_csv` writes the same CSV streamed (the command ``export csv``).
- :func:`dossiers_json`: the full records, JSON-ready (personal data included: not for publication).
- :func:`scdl_rows` / :func:`write_scdl_csv`: the French open-data schema SCDL « subventions » 2.1
  (décret n° 2017-779), checked row by row with :func:`check_scdl_row`; :func:`write_scdl` writes
  the same CSV streamed (the command ``export scdl``). They live in :mod:`ami_workflow.scdl`.
- :func:`giving360`: the grants in the 360Giving data standard's JSON.

The flat rows and the grants are read through the backend's ``iter_dossier_rows``
and ``iter_grants``: on the SQLite store, one SELECT on the projection tables,
streamed, with no dossier structured in Python.

An identifier the call file does not give is never invented: while
``funder.siret`` (SCDL) or ``funder.registered_id_prefix`` (360Giving) is empty,
the export is refused and says which field to fill::

    >>> check_scdl_row(dict.fromkeys(SCDL_COLUMNS, ""))[:2]
    ['nomAttribuant is required', 'idAttribuant is required (the SIRET of the funder, 14 digits)']
    >>> scdl_amount(Decimal("26000"))
    '26000.00'
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TextIO

import attrs
from stdnum.fr import siret as _siret

from .calendar import paris_date
from .campaign import Campaign
from .cells import text_cell
from .codec import converter
from .core.figures import GrantRow
from .dossier import Dossier
from .errors import InvalidInput, Refused
from .i18n import _
from .money import from_cents
from .protocol import Backend
from .scdl import (
    OBJET_MAX_LENGTH,
    SCDL_COLUMNS,
    SCDL_CONDITIONS,
    SCDL_NATURES,
    campaign_ids,
    check_scdl_row,
    scdl_amount,
    scdl_csv,
    scdl_objet,
    scdl_rows,
    write_scdl,
    write_scdl_csv,
)

__all__ = [
    "DOSSIER_COLUMNS",
    "DOSSIER_TEXT_COLUMNS",
    "GIVING_AMOUNT_MAX",
    "OBJET_MAX_LENGTH",
    "SCDL_COLUMNS",
    "SCDL_CONDITIONS",
    "SCDL_NATURES",
    "check_scdl_row",
    "dossier_rows",
    "dossiers_json",
    "giving360",
    "giving_amount",
    "iter_dossier_rows",
    "safe_cells",
    "scdl_amount",
    "scdl_csv",
    "scdl_objet",
    "scdl_rows",
    "write_csv",
    "write_dossiers_csv",
    "write_scdl",
    "write_scdl_csv",
]

#: The columns of :func:`dossier_rows`, in order.
DOSSIER_COLUMNS: tuple[str, ...] = (
    "reference",
    "campaign",
    "state",
    "applicant",
    "kind",
    "siren",
    "siret",
    "rna",
    "title",
    "axis",
    "qpv",
    "period_start",
    "period_end",
    "total_cost",
    "requested",
    "ceiling",
    "proposed",
    "approved",
    "paid",
    "submitted_at",
)

#: The columns of :data:`DOSSIER_COLUMNS` that hold free text or codes (the others are amounts, days and an
#: instant): the writers pass them through :func:`~ami_workflow.cells.text_cell`.
DOSSIER_TEXT_COLUMNS: frozenset[str] = frozenset(DOSSIER_COLUMNS[:11])
_TEXT_AT = tuple(i for i, column in enumerate(DOSSIER_COLUMNS) if column in DOSSIER_TEXT_COLUMNS)
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


# -- flat rows and full records ------------------------------------------------


def _text(value: object) -> str:
    """A cell: empty for ``None``, ``"1234.50"`` for an amount, ISO for a date or an instant."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return scdl_amount(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def _dossiers(flow: Backend, campaign_id: str | None) -> list[Dossier]:
    if campaign_id is None:
        return flow.dossiers()
    return flow.dossiers(campaign_id=flow.get_campaign(campaign_id).id)


def _amount_cell(cents: int | None) -> str:
    """An amount cell from integer cents: ``"1234.50"``, empty for ``None``."""
    if cents is None:
        return ""
    if cents < 0:
        return scdl_amount(from_cents(cents))
    return f"{cents // 100}.{cents % 100:02d}"


def iter_dossier_rows(flow: Backend, campaign_id: str | None = None) -> Iterator[tuple[str, ...]]:
    """Stream the cells of :func:`dossier_rows`, one tuple of text in :data:`DOSSIER_COLUMNS` order per dossier.

    The rows come from the backend's :meth:`~ami_workflow.protocol.Backend.iter_dossier_rows`: one SELECT on
    the SQLite store, so that a campaign of any size is written in flat memory.
    """
    amount = _amount_cell
    for row in flow.iter_dossier_rows(campaign_id):
        ref, cid, state, name, kind, siren, siret, rna, title, axis, qpv, start, end = row[:13]
        yield (
            ref, cid, state, name, kind, siren or "", siret or "", rna or "", title or "", axis or "", qpv,
            start or "", end or "", amount(row[13]), amount(row[14]), amount(row[15]), amount(row[16]),
            amount(row[17]), amount(row[18]), row[19] or "",
        )


def dossier_rows(flow: Backend, campaign_id: str | None = None) -> list[dict[str, str]]:
    """One flat row per dossier (every campaign when ``campaign_id`` is ``None``), in reference order.

    The keys are :data:`DOSSIER_COLUMNS`; every value is text: amounts as
    ``"1234.50"``, dates ISO, ``submitted_at`` an ISO instant with its Paris
    offset, the target QPV codes joined by a space, and ``""`` for what is not
    known yet (a draft has no ceiling). :func:`write_dossiers_csv` writes the
    same rows as they are read, without holding them.
    """
    return [dict(zip(DOSSIER_COLUMNS, cells, strict=True)) for cells in iter_dossier_rows(flow, campaign_id)]


def safe_cells(cells: tuple[str, ...]) -> tuple[str, ...]:
    """A row of :func:`iter_dossier_rows` for a spreadsheet: its text cells through :func:`~.cells.text_cell`.

    The amounts, days and the instant are left as they are (``"-150.00"`` is a number).
    """
    return tuple(text_cell(cell) if i in _TEXT_AT else cell for i, cell in enumerate(cells))


def _csv_cell(cell: str) -> str:
    """A cell of :func:`write_csv`, whose columns have no type: a number stays as it is, any other text is safe."""
    return cell if _NUMBER.fullmatch(cell) else text_cell(cell)


def write_csv(rows: Iterable[Mapping[str, str]], out: TextIO) -> None:
    """Write ``rows`` as CSV (comma, RFC 4180 quoting); the header is the first row's keys.

    Every cell that is not a number (``"-150.00"``) goes through :func:`~ami_workflow.cells.text_cell`, so that
    no cell reads as a formula. Nothing is written when there is no row. Open a file with
    ``open(path, "w", encoding="utf-8", newline="")`` so that the file is UTF-8
    and the csv module's line endings are kept.
    """
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    writer = csv.DictWriter(out, fieldnames=list(first))
    writer.writeheader()
    for row in itertools.chain((first,), rows):
        writer.writerow({column: _csv_cell(cell) for column, cell in row.items()})


def write_dossiers_csv(flow: Backend, out: TextIO, campaign_id: str | None = None) -> None:
    """Write :func:`dossier_rows` as :func:`write_csv` does, streamed; the header even when there is no dossier
    (a file with no header would not say what it is).

    The text columns (:data:`DOSSIER_TEXT_COLUMNS`) go through :func:`~ami_workflow.cells.text_cell`.
    """
    writer = csv.writer(out)
    writer.writerow(DOSSIER_COLUMNS)
    writer.writerows(map(safe_cells, iter_dossier_rows(flow, campaign_id)))


def _json_ready(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_json_ready(v) for v in value]
        return sorted(items) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, (date, datetime, Decimal)):
        return _text(value)
    return value


def dossiers_json(flow: Backend, campaign_id: str | None = None) -> list[dict[str, Any]]:
    """The full dossier records, JSON-ready: ``json.dumps`` needs no ``default``.

    Each record is ``converter.unstructure(dossier)`` with dates and instants
    ISO and amounts as decimal strings (``"1234.50"``). The records hold
    personal data (the legal representative, the IBAN): for the funder's own
    use, not for publication.
    """
    return [_json_ready(converter.unstructure(d)) for d in _dossiers(flow, campaign_id)]


# -- granted subsidies ---------------------------------------------------------


@attrs.frozen
class _Grant:
    """A granted subsidy of :func:`_grants`, with its dossier."""

    campaign: Campaign
    row: GrantRow
    dossier: Dossier


def _grants(flow: Backend, campaign_id: str) -> list[_Grant]:
    """The campaign's granted subsidies, in reference order, each with its dossier (for 360Giving)."""
    campaign = flow.get_campaign(campaign_id)
    return [_Grant(campaign, row, flow.get(row.reference)) for row in flow.iter_grants(campaign.id)]


# -- 360Giving -------------------------------------------------------------------


#: The largest amount :func:`giving_amount` writes: 15 significant digits with the cents, which a double keeps.
GIVING_AMOUNT_MAX = Decimal("9999999999999.99")


def giving_amount(amount: Decimal) -> int | float:
    """An amount as a JSON number, exactly: whole euros an ``int``, else the ``float`` that prints as the amount.

    A decimal of at most 15 significant digits comes back unchanged from the nearest double (a double holds
    15.95 decimal digits), and Python and JSON write a float as the shortest text that reads back as the same
    double: ``5000.50`` is written ``5000.5``, the same number. Amounts up to :data:`GIVING_AMOUNT_MAX` (ten
    thousand billion euros, with cents) are therefore exact; a larger one, or one with fractions of a cent, is
    refused rather than rounded.

        >>> giving_amount(Decimal("26000.00")), giving_amount(Decimal("5000.50"))
        (26000, 5000.5)
    """
    if amount == amount.to_integral_value():
        return int(amount)
    number = float(amount)
    if abs(amount) > GIVING_AMOUNT_MAX or Decimal(repr(number)) != amount:
        raise InvalidInput(_("the amount {amount} cannot be written exactly as a JSON number").format(amount=amount))
    return number


def _recipient_id(grant: _Grant) -> str | None:
    applicant = grant.dossier.applicant
    siren = applicant.siren or (applicant.siret[:9] if applicant.siret else None)
    if siren:
        return f"FR-SIREN-{siren}"
    if applicant.rna:
        return f"FR-RNA-{applicant.rna}"
    return None


def _funder_id(campaign: Campaign) -> str | None:
    """The funder's organisation identifier, in the org-id.guide scheme ``FR-SIREN`` (from its SIREN or SIRET)."""
    funder = campaign.funder
    siren = funder.siren.strip() or str(_siret.compact(funder.siret))[:9]
    return f"FR-SIREN-{siren}" if siren else None


def _giving_grant(grant: _Grant, prefix: str, funder_id: str, recipient: str) -> dict[str, Any]:
    campaign, dossier = grant.campaign, grant.dossier
    app = dossier.application
    title = " ".join((app.title or "").split())
    record: dict[str, Any] = {
        "id": f"{prefix}-{dossier.reference}",
        "title": title,
        "description": " ".join((app.description or title).split()),
        "currency": "EUR",
        "amountAwarded": giving_amount(grant.row.approved),
        "awardDate": grant.row.deliberation_day.isoformat(),
    }
    if app.period is not None:
        record["plannedDates"] = [{"startDate": app.period.start.isoformat(), "endDate": app.period.end.isoformat()}]
    record["recipientOrganization"] = [{"id": recipient, "name": dossier.applicant.name}]
    funder: dict[str, str] = {"id": funder_id, "name": campaign.funder.name}
    if campaign.funder.service:
        funder["department"] = campaign.funder.service
    record["fundingOrganization"] = [funder]
    locations = []
    for code in app.qpv_codes:
        qpv = campaign.territory.get(code)
        location = {"name": qpv.name if qpv else code, "geoCode": code, "countryCode": "FR"}
        if qpv is not None and qpv.communes:
            location["description"] = ", ".join(qpv.communes)
        locations.append(location)
    if locations:
        record["beneficiaryLocation"] = locations
    record["grantProgramme"] = [{"code": campaign.id, "title": campaign.call.title}]
    record["fromOpenCall"] = "Yes"
    record["amountDisbursed"] = giving_amount(dossier.paid)
    record["disbursementTransaction"] = _transactions(dossier, record["id"], funder_id, recipient)
    return record


def _transactions(dossier: Dossier, grant_id: str, funder_id: str, recipient: str) -> list[dict[str, Any]]:
    """Each payment as a 360Giving transaction (its mandate reference as description), and the money a recovery
    brought back as a negative one: their values add up to ``amountDisbursed``."""
    out: list[dict[str, Any]] = []
    for i, payment in enumerate(dossier.payments, 1):
        item: dict[str, Any] = {"id": f"{grant_id}-{i}", "transactionDate": paris_date(payment.at).isoformat(),
                                "currency": "EUR", "value": giving_amount(payment.amount), "provider": funder_id,
                                "recipient": recipient}
        if payment.reference:
            item["description"] = payment.reference
        out.append(item)
    recovery = dossier.recovery
    if recovery is not None and recovery.recovered_at is not None and recovery.amount:
        back = paris_date(recovery.recovered_at).isoformat()
        out.append({"id": f"{grant_id}-{len(out) + 1}", "transactionDate": back,
                    "currency": "EUR", "value": giving_amount(-recovery.amount), "provider": recipient,
                    "recipient": funder_id, "description": f"reversement {recovery.title}".strip()})
    return out


def giving360(flow: Backend, campaign_id: str | None = None) -> dict[str, Any]:
    """The granted subsidies (as in :func:`scdl_rows`) in the 360Giving data standard: ``{"grants": [...]}``.

    Each grant holds the standard's required fields (``id``, ``title``,
    ``description``, ``currency``, ``amountAwarded``, ``awardDate``,
    ``recipientOrganization``, ``fundingOrganization``) and ``plannedDates`` (the
    action's period), ``beneficiaryLocation`` (the target QPV, name and code, with
    their communes), ``grantProgramme`` (the call) and ``fromOpenCall``, ``amountDisbursed`` (what was paid,
    net of a recovery) and ``disbursementTransaction`` (each payment, with its mandate reference, and the money a
    recovery brought back as a negative transaction).

    - A grant's id is ``prefix-reference``, the prefix being the one 360Giving registered for the
      funder (``360G-…``): ``funder.registered_id_prefix``, from the call file or set on a live
      campaign by :meth:`~ami_workflow.protocol.Backend.amend_funder`.
    - Organisation ids follow org-id.guide, in the French SIREN register's scheme ``FR-SIREN``: the
      funder's is ``FR-SIREN-<siren>`` (``funder.siren``, else its SIRET's first 9 digits); the
      recipient's is ``FR-SIREN-<siren>`` (the SIREN, or the SIRET's first 9 digits), else
      ``FR-RNA-<rna>``.
    - ``amountAwarded``: a JSON number, as the schema types it, written exactly (see
      :func:`giving_amount`): ``26000`` for whole euros, ``5000.5`` for 5 000,50 €.
    - ``awardDate``: the deliberation's date; ``description``: the action's description, else its title.

    Raises :class:`~ami_workflow.errors.Refused` (``"export 360Giving"``) listing every
    problem: no registered prefix, a funder without SIREN, a recipient with neither SIREN nor RNA.
    The result validates against the 360Giving package schema 1.4.3 (tested with jsonschema).
    """
    grants: list[dict[str, Any]] = []
    reasons: list[str] = []
    for cid in campaign_ids(flow, campaign_id):
        campaign = flow.get_campaign(cid)
        prefix = campaign.funder.registered_id_prefix.strip()
        if not prefix:
            reasons.append(_("{campaign}: no 360Giving identifier prefix is known for the funder: set it with "
                             "'ami-workflow campaign set-funder --prefix 360G-…' (or funder.registered_id_prefix in "
                             "the call file) with the prefix 360Giving registered (never invent one)").format(
                campaign=cid))
        funder_id = _funder_id(campaign)
        if funder_id is None:
            reasons.append(_("{campaign}: the call file gives neither a SIREN nor a SIRET for the funder: fill "
                             "funder.siren (never invent one)").format(campaign=cid))
        for grant in _grants(flow, cid):
            recipient = _recipient_id(grant)
            if recipient is None:
                reasons.append(_("{reference} ({name}): the recipient has neither a SIREN nor an RNA number: record "
                                 "one of them").format(reference=grant.dossier.reference,
                                                      name=grant.dossier.applicant.name))
            elif prefix and funder_id is not None:
                grants.append(_giving_grant(grant, prefix, funder_id, recipient))
    if reasons:
        raise Refused("export 360Giving", reasons)
    return {"grants": grants}
