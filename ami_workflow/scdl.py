"""The French open-data schema SCDL « subventions » 2.1 (décret n° 2017-779): the rows, their checks, the CSV.

:func:`scdl_rows` lists the granted subsidies of a campaign as rows of the
schema, :func:`check_scdl_row` says every way a row breaks it, and
:func:`write_scdl` (the command ``export scdl``) writes the CSV streamed from
the backend's ``iter_grants``: one SELECT on the SQLite store. Re-exported by
:mod:`ami_workflow.exports`, beside the other exports.

    >>> check_scdl_row(dict.fromkeys(SCDL_COLUMNS, ""))[:2]
    ['nomAttribuant is required', 'idAttribuant is required (the SIRET of the funder, 14 digits)']
    >>> scdl_amount(Decimal("26000"))
    '26000.00'
"""

from __future__ import annotations

import contextlib
import csv
import functools
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import TextIO, cast

from stdnum.fr import siret as _siret

from .campaign import Campaign
from .cells import text_cell
from .core.figures import GrantRow
from .errors import Refused
from .i18n import N_, _, current_language
from .identifiers import is_rna, is_scdl_rna
from .protocol import Backend
from .schedule import stages
from .shown import shown

__all__ = [
    "OBJET_MAX_LENGTH",
    "SCDL_COLUMNS",
    "SCDL_CONDITIONS",
    "SCDL_NATURES",
    "SCDL_TEXT_COLUMNS",
    "campaign_ids",
    "check_scdl_row",
    "planned_payment_end",
    "scdl_amount",
    "scdl_csv",
    "scdl_objet",
    "scdl_rows",
    "write_scdl",
    "write_scdl_csv",
]

#: The 16 columns of the SCDL « subventions » schema 2.1, in the schema's order.
SCDL_COLUMNS: tuple[str, ...] = (
    "nomAttribuant",
    "idAttribuant",
    "dateConvention",
    "referenceDecision",
    "nomBeneficiaire",
    "idBeneficiaire",
    "rnaBeneficiaire",
    "objet",
    "montant",
    "nature",
    "conditionsVersement",
    "datesPeriodeVersement",
    "idRAE",
    "notificationUE",
    "pourcentageSubvention",
    "dispositifAide",
)

#: The columns of free text, written through :func:`~ami_workflow.cells.text_cell` (no cell reads as a formula);
#: the others are identifiers, days, amounts and the schema's codes, checked by :func:`check_scdl_row`.
SCDL_TEXT_COLUMNS: tuple[str, ...] = ("nomAttribuant", "referenceDecision", "nomBeneficiaire", "objet",
                                      "dispositifAide")

#: The values the schema allows in ``nature``.
SCDL_NATURES: frozenset[str] = frozenset(
    {"aide en numéraire", "aide en nature", "aide en numéraire;aide en nature", "aide en nature;aide en numéraire"}
)

#: The values accepted in ``conditionsVersement``.
SCDL_CONDITIONS: tuple[str, ...] = ("unique", "échelonné", "autre")

#: The schema's longest ``objet``.
OBJET_MAX_LENGTH = 256

_NATURE = "aide en numéraire"
_REQUIRED = (
    "nomAttribuant",
    "idAttribuant",
    "dateConvention",
    "nomBeneficiaire",
    "objet",
    "montant",
    "nature",
    "conditionsVersement",
    "datesPeriodeVersement",
    "notificationUE",
    "pourcentageSubvention",
)
_IS_REQUIRED = N_("{column} is required")
_HINTS = {"idAttribuant": N_("{column} is required (the SIRET of the funder, 14 digits)")}
_DIGITS14 = re.compile(r"[0-9]{14}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_AMOUNT = re.compile(r"[0-9]+\.[0-9]{2}")
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")
_SPOOL = 8 * 1024 * 1024  # what write_scdl keeps in memory before spooling to disk


def campaign_ids(flow: Backend, campaign_id: str | None) -> list[str]:
    """The campaigns an export covers: every one of ``flow`` for ``None``, else that one (``NotFound`` if unknown)."""
    if campaign_id is None:
        return flow.campaign_ids()
    return [flow.get_campaign(campaign_id).id]


# -- SCDL « subventions » 2.1 ---------------------------------------------------


def scdl_amount(amount: Decimal) -> str:
    """An amount as the schema writes it: a decimal point and two decimals (``"26000.00"``)."""
    return f"{amount:.2f}"


def scdl_objet(title: str | None) -> str:
    """The action's title on one line, cut at a word to at most 256 characters, ending with "…" when cut."""
    text = " ".join((title or "").split())
    if len(text) <= OBJET_MAX_LENGTH:
        return text
    cut = text[: OBJET_MAX_LENGTH - 1]
    if not text[OBJET_MAX_LENGTH - 1].isspace():
        space = cut.rfind(" ")
        if space >= OBJET_MAX_LENGTH // 2:  # a very long word is cut where it must be
            cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + "…"


def planned_payment_end(campaign: Campaign, grant: GrantRow, start: date) -> date:
    """The last day a payment is planned on: the action's last day, else 31 December of the campaign's year.

    Never before ``start`` (a grant is paid after the act that grants it, even for an action already over).
    """
    end = grant.period_end if grant.period_end is not None else date(campaign.envelope.year, 12, 31)
    return max(end, start)


def _payments(grant: GrantRow, start: date, planned_end: date, instalments: bool = False) -> tuple[str, str]:
    """``conditionsVersement`` and ``datesPeriodeVersement``: the payments made, or the period planned for them.

    Nothing paid yet: one payment planned (``unique``), on a day not known yet, so the period it is planned in
    (the schema's words: « ou que la date précise de versement unique est inconnue », a period): from ``start``
    (the date of the convention, or of the deliberation) to ``planned_end``. Paid in part: ``échelonné``, from the
    first payment to the last one planned. Paid in full: the payment's day, or the first and last days. A call
    whose payment schedule has several stages (``instalments``) plans its payments ``échelonné`` from the start.
    """
    days = grant.payment_days
    if not days:
        return "échelonné" if instalments else "unique", f"{start.isoformat()}/{planned_end.isoformat()}"
    if grant.paid < grant.approved:
        return "échelonné", f"{days[0].isoformat()}/{max(days[-1], planned_end).isoformat()}"
    if len(days) == 1:
        return "unique", days[0].isoformat()
    return "échelonné", f"{days[0].isoformat()}/{days[-1].isoformat()}"


def _scdl_row(campaign: Campaign, grant: GrantRow) -> tuple[dict[str, str], list[str]]:
    """The row of one grant, and what stops it from being published (besides the row's own checks).

    A convention is needed when the applicant's grants in the campaign (withdrawn dossiers aside) add
    up to more than the convention threshold (décret n° 2001-495), as the payment guard says.
    """
    reasons = []
    if grant.convention_signed is not None:
        signed = grant.convention_signed
    else:
        signed = grant.deliberation_day
        if grant.applicant_granted > campaign.funding.convention_threshold:
            reasons.append(_("the grant is above {threshold} € for the year but no signed convention is recorded: "
                             "record it (its date is dateConvention)").format(
                threshold=scdl_amount(campaign.funding.convention_threshold)))
    conditions, dates = _payments(grant, signed, planned_payment_end(campaign, grant, signed),
                                  len(stages(campaign.funding.payment_schedule)) > 1)
    values = (
        text_cell(campaign.funder.name),
        _compact_siret(campaign.funder.siret) if campaign.funder.siret else "",
        signed.isoformat(),
        text_cell(grant.deliberation),
        text_cell(grant.name),
        grant.siret or "",
        _scdl_rna(grant.siret, grant.rna),
        scdl_objet(text_cell(" ".join((grant.title or "").split()))),  # cut after the apostrophe: 256 at most
        scdl_amount(grant.approved),
        _NATURE,
        conditions,
        dates,
        "",
        "non",
        "1.00",
        text_cell(campaign.call.title),
    )
    return dict(zip(SCDL_COLUMNS, values, strict=True)), reasons


def _scdl_rna(siret: str | None, rna: str | None) -> str:
    """``rnaBeneficiaire``: the RNA number, left out when the schema cannot take it and the SIRET says who it is."""
    if rna and siret and not is_scdl_rna(rna):
        return ""
    return rna or ""


def scdl_rows(
    flow: Backend, campaign_id: str | None = None, *, above_threshold_only: bool = False
) -> list[dict[str, str]]:
    """The granted subsidies as rows of the SCDL « subventions » schema 2.1, in :data:`SCDL_COLUMNS` order.

    One row per granted subsidy: a dossier approved, paid, closed, or in or after a recovery (with a grant
    above 0) *and*
    listed in a recorded deliberation (the first one by date when several list
    it). With ``above_threshold_only`` only the grants above the call's
    ``funding.convention_threshold`` are kept: those décret n° 2017-779
    requires to publish.

    The columns:

    - ``nomAttribuant``, ``idAttribuant``: the funder's name and 14-digit SIRET (``funder.siret``,
      without the spaces a call file may write in it).
    - ``dateConvention``: the signing date of the dossier's convention. A grant up to the
      threshold (23 000 € a year) needs no convention: there the deliberation's date stands
      in for it, as the deliberation is then the act that grants the subsidy. A grant that
      needs a convention (the applicant's grants of the year are above the threshold) and has
      none recorded yet is a reason to refuse, not a date to guess.
    - ``referenceDecision``: the deliberation's reference.
    - ``nomBeneficiaire``; ``idBeneficiaire`` (the beneficiary's SIRET) and ``rnaBeneficiaire``
      (``W`` + 9 digits), each empty when unknown, but never both. An RNA number with letters
      (older prefectures', see :mod:`ami_workflow.identifiers`) is one the schema rejects: it is
      left out when there is a SIRET, and refused otherwise.
    - ``objet``: the action's title, at most 256 characters (see :func:`scdl_objet`).
    - ``montant``: the approved amount, ``"26000.00"``; ``nature``: ``aide en numéraire``.
    - ``conditionsVersement`` and ``datesPeriodeVersement`` (required by the schema, always filled):
      paid in full, ``unique`` and the payment's day, or ``échelonné`` and ``first/last`` day of the
      payments; paid in part, ``échelonné`` from the first payment to the planned end; nothing paid
      yet, ``unique`` and the period the payment is planned in, as the schema asks when the day of a
      single payment is not known: from ``dateConvention`` to the action's last day (31 December of
      the campaign's year when the application gives no period), never ending before it starts
      (see :func:`planned_payment_end`).
    - ``idRAE``: empty (aids to businesses only); ``notificationUE``: ``non``;
      ``pourcentageSubvention``: ``1.00``, the beneficiary's share of the subsidy (one
      beneficiary per dossier), not the funding rate of the action.
    - ``dispositifAide``: the call's title.

    A free text (:data:`SCDL_TEXT_COLUMNS`) that starts like a formula has an apostrophe before it
    (:func:`~ami_workflow.cells.text_cell`); the other columns are the schema's own formats, unchanged.

    Every row is checked with :func:`check_scdl_row`. Raises
    :class:`~ami_workflow.errors.Refused` (``"export SCDL"``) listing every problem:
    an empty ``funder.siret`` in the call file, a beneficiary with neither identifier,
    a missing convention, any value the schema would reject.
    """
    reasons: list[str] = []
    rows = list(_scdl_checked(flow, campaign_id, above_threshold_only, reasons))
    if reasons:
        raise Refused("export SCDL", reasons)
    return rows


def _scdl_checked(
    flow: Backend, campaign_id: str | None, above_threshold_only: bool, reasons: list[str]
) -> Iterator[dict[str, str]]:
    """Stream the SCDL rows, each checked; every problem found is appended to ``reasons``."""
    for cid in campaign_ids(flow, campaign_id):
        campaign = flow.get_campaign(cid)
        funder_siret_missing = not campaign.funder.siret
        if funder_siret_missing:
            reasons.append(_("{campaign}: no SIRET is known for the funder ({funder}): set it with 'ami-workflow "
                             "campaign set-funder --siret …' (or funder.siret in the call file) with the funder's "
                             "14-digit SIRET (never invent one)").format(campaign=cid, funder=campaign.funder.name))
        for grant in flow.iter_grants(cid):
            if above_threshold_only and grant.approved <= campaign.funding.convention_threshold:
                continue
            row, problems = _scdl_row(campaign, grant)
            checked = check_scdl_row(row)
            if funder_siret_missing:  # already said once for the whole campaign
                checked = [p for p in checked if not p.startswith("idAttribuant")]
            problems += checked
            reasons += [_("{reference} ({name}): {problem}").format(reference=grant.reference, name=grant.name,
                                                                   problem=problem) for problem in problems]
            yield row


@contextlib.contextmanager
def scdl_csv(
    flow: Backend, campaign_id: str | None = None, *, above_threshold_only: bool = False
) -> Iterator[TextIO]:
    """The CSV of :func:`scdl_rows`, checked whole and spooled, rewound for reading: streamed from the store.

    The rows are checked as they are read and written, as :func:`write_scdl_csv`
    writes them, to a spooled temporary file (in memory up to a few MiB, on
    disk beyond). :class:`~ami_workflow.errors.Refused` lists every problem, as
    :func:`scdl_rows` does, before anything is yielded.
    """
    reasons: list[str] = []
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL, mode="w+", encoding="utf-8", newline="") as spool:
        writer = csv.writer(spool)
        writer.writerow(SCDL_COLUMNS)
        writer.writerows(row.values() for row in _scdl_checked(flow, campaign_id, above_threshold_only, reasons))
        if reasons:
            raise Refused("export SCDL", reasons)
        spool.seek(0)
        yield cast(TextIO, spool)


def write_scdl(
    flow: Backend, out: TextIO, campaign_id: str | None = None, *, above_threshold_only: bool = False
) -> None:
    """Write :func:`scdl_csv` to ``out``: the bytes :func:`write_scdl_csv` writes, and nothing when refused."""
    with scdl_csv(flow, campaign_id, above_threshold_only=above_threshold_only) as checked:
        shutil.copyfileobj(checked, out)


def write_scdl_csv(rows: Iterable[Mapping[str, str]], out: TextIO) -> None:
    """Write SCDL rows as the schema's CSV: a header in :data:`SCDL_COLUMNS` order, comma-separated.

    The header is written even when there is no row. The text columns (:data:`SCDL_TEXT_COLUMNS`) go through
    :func:`~ami_workflow.cells.text_cell` (as :func:`scdl_rows` already wrote them), then each row is checked
    again with :func:`check_scdl_row`; a bad one refuses the whole file
    (nothing is written). Open a file with ``encoding="utf-8", newline=""``.
    """
    rows = [{column: text_cell(cell) if column in SCDL_TEXT_COLUMNS and isinstance(cell, str) else cell
             for column, cell in row.items()} for row in rows]
    reasons = [_("row {number}: {problem}").format(number=i, problem=problem)
               for i, row in enumerate(rows, start=1) for problem in check_scdl_row(row)]
    if reasons:
        raise Refused("export SCDL", reasons)
    writer = csv.DictWriter(out, fieldnames=list(SCDL_COLUMNS))
    writer.writeheader()
    writer.writerows(rows)


def _iso_day(text: str) -> date | None:
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


@functools.lru_cache(maxsize=4096)
def _siret_problem(column: str, value: str, whose: str, language: str) -> tuple[str, ...]:
    """What is wrong with a SIRET cell (remembered, by language: the funder's is on every row of an export)."""
    if not _DIGITS14.fullmatch(value):
        return (_("{column}: {value!r} is not a SIRET: 14 digits in one block are expected ({whose})").format(
            column=column, value=shown(value), whose=_(whose)),)
    if not _siret.is_valid(value):
        return (_("{column}: {value!r} is not a valid SIRET: its check digit is wrong ({whose})").format(
            column=column, value=shown(value), whose=_(whose)),)
    return ()


@functools.lru_cache(maxsize=64)
def _compact_siret(value: str) -> str:
    return str(_siret.compact(value))


def check_scdl_row(row: Mapping[str, str]) -> list[str]:
    """Every way ``row`` breaks the SCDL « subventions » 2.1 schema (or this library's use of it); empty when valid.

    Checked: the columns (exactly :data:`SCDL_COLUMNS`, in order); the required
    values; ``idAttribuant`` and ``idBeneficiaire`` as 14-digit SIRETs with a valid
    check digit (python-stdnum); ``rnaBeneficiaire`` as ``W`` + 9 digits; at least
    one of the beneficiary's two identifiers; ``dateConvention`` an ISO date;
    ``montant`` above 0 with a decimal point and two decimals; ``nature`` and
    ``conditionsVersement`` among the allowed values; ``datesPeriodeVersement``
    an ISO date or an ISO interval ``start/end`` (an interval for
    ``échelonné``; for ``unique``, an interval when the day is not known yet); ``idRAE`` at most 5 characters;
    ``notificationUE`` ``oui`` or ``non``; ``pourcentageSubvention`` between 0.01
    and 1 with a decimal point; ``objet`` at most 256 characters.
    """
    problems: list[str] = []
    if tuple(row) != SCDL_COLUMNS:
        problems.append(_("the columns must be exactly, in this order: {columns}; got: {got}").format(
            columns=", ".join(SCDL_COLUMNS), got=", ".join(map(str, row))))
    cells: dict[str, str] = {}
    for column in SCDL_COLUMNS:
        value = row.get(column, "")
        if not isinstance(value, str):
            problems.append(_("{column}: expected text, got {type}").format(column=column, type=type(value).__name__))
            value = ""
        cells[column] = value
    problems += [_(_HINTS.get(c, _IS_REQUIRED)).format(column=c)
                 for c in _REQUIRED if not cells[c].strip()]

    language = current_language()
    if cells["idAttribuant"]:
        problems += _siret_problem("idAttribuant", cells["idAttribuant"], N_("the funder"), language)
    if cells["idBeneficiaire"]:
        problems += _siret_problem("idBeneficiaire", cells["idBeneficiaire"], N_("the beneficiary"), language)
    rna = cells["rnaBeneficiaire"]
    if rna and not is_scdl_rna(rna):
        if is_rna(rna):
            problems.append(_("rnaBeneficiaire: {rna!r} is an RNA number, but the SCDL schema only takes W followed by "
                              "9 digits, compact: record the beneficiary's SIRET (idBeneficiaire) instead")
                            .format(rna=shown(rna)))
        else:
            problems.append(_("rnaBeneficiaire: {rna!r} is not an RNA number (W followed by 9 digits)").format(
                rna=shown(rna)))
    if not cells["idBeneficiaire"] and not cells["rnaBeneficiaire"]:
        problems.append(
            _("idBeneficiaire and rnaBeneficiaire are both empty: record the beneficiary's SIRET or RNA number")
        )

    if cells["dateConvention"] and _iso_day(cells["dateConvention"]) is None:
        problems.append(_("dateConvention: {value!r} is not an ISO date (YYYY-MM-DD)").format(
            value=shown(cells["dateConvention"])))
    amount = cells["montant"]
    if amount and not _AMOUNT.fullmatch(amount):
        problems.append(_("montant: {amount!r} must be written with a decimal point and two decimals, e.g. 26000.00")
                        .format(amount=shown(amount)))
    elif amount and Decimal(amount) <= 0:
        problems.append(_("montant: the amount must be above 0"))
    if cells["nature"] and cells["nature"] not in SCDL_NATURES:
        problems.append(_("nature: {value!r} is not one of: {allowed}").format(
            value=shown(cells["nature"]), allowed=", ".join(sorted(SCDL_NATURES))))
    conditions = cells["conditionsVersement"]
    if conditions and conditions not in SCDL_CONDITIONS:
        problems.append(_("conditionsVersement: {value!r} is not one of: {allowed}").format(
            value=shown(conditions), allowed=", ".join(SCDL_CONDITIONS)))

    dates = cells["datesPeriodeVersement"]
    if dates:
        parts = dates.split("/")
        days = [_iso_day(part) for part in parts]
        if len(parts) > 2 or None in days:
            problems.append(_("datesPeriodeVersement: {dates!r} is neither an ISO date nor an ISO interval "
                              "(YYYY-MM-DD/YYYY-MM-DD)").format(dates=shown(dates)))
        elif len(days) == 2 and days[0] is not None and days[1] is not None and days[1] < days[0]:
            problems.append(_("datesPeriodeVersement: the interval {dates!r} ends before it starts").format(
                dates=shown(dates)))
        elif conditions == "échelonné" and len(parts) == 1:
            problems.append(_("datesPeriodeVersement: payments in instalments ('échelonné') need an interval "
                              "start/end"))

    if len(cells["idRAE"]) > 5:
        problems.append(_("idRAE: {value!r} is longer than 5 characters").format(value=shown(cells["idRAE"])))
    if cells["notificationUE"] and cells["notificationUE"] not in ("oui", "non"):
        problems.append(_("notificationUE: {value!r} must be 'oui' or 'non'").format(
            value=shown(cells["notificationUE"])))
    share = cells["pourcentageSubvention"]
    if share:
        if not _DECIMAL.fullmatch(share):
            problems.append(_("pourcentageSubvention: {share!r} must be a number with a decimal point, e.g. 1.00")
                            .format(share=shown(share)))
        elif not Decimal("0.01") <= Decimal(share) <= 1:
            problems.append(_("pourcentageSubvention: {share} is the beneficiary's share, between 0.01 and 1").format(
                share=share))
    if len(cells["objet"]) > OBJET_MAX_LENGTH:
        problems.append(_("objet: {length} characters, more than the {most} allowed").format(
            length=len(cells["objet"]), most=OBJET_MAX_LENGTH))
    return problems


