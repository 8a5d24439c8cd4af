"""The dossiers for a spreadsheet: the CSV in the French dialect, and an XLSX workbook with typed cells.

Both write the rows of :func:`~ami_workflow.exports.iter_dossier_rows`, streamed, in
:data:`~ami_workflow.exports.DOSSIER_COLUMNS` order; both write the header even when there is no dossier.

- :func:`write_dossiers_csv_fr` (``ami-workflow export csv --dialect fr``): what a French spreadsheet
  (Excel, LibreOffice Calc set to French) opens as columns without an import dialog, and saves back in the same
  form: UTF-8 with a byte order mark, ``;`` between cells, amounts with a decimal comma and no thousands
  separator (``1234,50``), days as ``JJ/MM/AAAA`` (``08/04/2021``) and the submission instant as
  ``JJ/MM/AAAA HH:MM:SS`` in Paris time. The column names are the CSV's own (``reference``, ``total_cost`` …),
  in every language, as :mod:`ami_workflow.dossier_import` reads them back.
- :func:`write_dossiers_xlsx` (``ami-workflow export xlsx -o dossiers.xlsx``): one sheet, the headers in the
  reader's language, the amounts as numbers in a euro format, the days as dates, the submission instant as a
  date and time in Paris time, the state as its name in the reader's language.

A text cell never reads as a formula. In the CSV, a text that starts with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return has an apostrophe before it (:func:`~ami_workflow.cells.text_cell`). In the XLSX, every text
is stored as a string cell with its text unchanged (openpyxl would otherwise store ``"=1+1"`` as a formula),
and such a text also gets the cell style's *quote prefix*, so that a spreadsheet keeps it as text when the
cell is edited. The control characters that XML cannot hold (all but the tab and the line breaks) are left out
of the workbook's texts.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from .calendar import to_paris
from .cells import is_dangerous
from .exports import DOSSIER_COLUMNS, DOSSIER_TEXT_COLUMNS, iter_dossier_rows, safe_cells
from .i18n import N_, _
from .protocol import Backend
from .states import state_label

__all__ = [
    "AMOUNT_COLUMNS",
    "DAY_COLUMNS",
    "EURO_FORMAT",
    "FR_DELIMITER",
    "INSTANT_COLUMNS",
    "XLSX_HEADERS",
    "fr_amount",
    "fr_day",
    "fr_instant",
    "write_dossiers_csv_fr",
    "write_dossiers_xlsx",
]

#: The separator of the French dialect (the comma is the decimal separator there).
FR_DELIMITER = ";"
#: The columns of amounts, of days and of instants in :data:`~ami_workflow.exports.DOSSIER_COLUMNS`.
AMOUNT_COLUMNS: frozenset[str] = frozenset({"total_cost", "requested", "ceiling", "proposed", "approved", "paid"})
DAY_COLUMNS: frozenset[str] = frozenset({"period_start", "period_end"})
INSTANT_COLUMNS: frozenset[str] = frozenset({"submitted_at"})
#: The number format of the XLSX's amounts: « 1 234,50 € » in a French spreadsheet, « 1,234.50 € » in an English one.
EURO_FORMAT = '#,##0.00\\ "€"'
_DAY_FORMAT = "DD/MM/YYYY"
_INSTANT_FORMAT = "DD/MM/YYYY HH:MM"

#: The XLSX's header of each column, translated when the workbook is written.
XLSX_HEADERS: dict[str, str] = {
    "reference": N_("Reference"),
    "campaign": N_("Campaign"),
    "state": N_("State"),
    "applicant": N_("Applicant"),
    "kind": N_("Kind of applicant"),
    "siren": N_("SIREN"),
    "siret": N_("SIRET"),
    "rna": N_("RNA"),
    "title": N_("Title of the action"),
    "axis": N_("Axis"),
    "qpv": N_("QPV"),
    "period_start": N_("Start of the action"),
    "period_end": N_("End of the action"),
    "total_cost": N_("Total cost"),
    "requested": N_("Amount requested"),
    "ceiling": N_("Ceiling"),
    "proposed": N_("Amount proposed"),
    "approved": N_("Amount granted"),
    "paid": N_("Amount paid"),
    "submitted_at": N_("Submitted on"),
}
_WIDTHS = {"reference": 16, "applicant": 36, "title": 48, "qpv": 12, "submitted_at": 18}


def fr_amount(cell: str) -> str:
    """An amount cell (``"-1234.50"``) with a decimal comma (``"-1234,50"``); empty stays empty.

    >>> fr_amount("26000.00"), fr_amount("-12.50"), fr_amount("")
    ('26000,00', '-12,50', '')
    """
    return cell.replace(".", ",")


def fr_day(cell: str) -> str:
    """An ISO day (``"2021-04-08"``) as ``"08/04/2021"``; empty stays empty.

    >>> fr_day("2021-04-08")
    '08/04/2021'
    """
    return date.fromisoformat(cell).strftime("%d/%m/%Y") if cell else ""


def fr_instant(cell: str) -> str:
    """An ISO instant as ``"JJ/MM/AAAA HH:MM:SS"`` in Paris time; empty stays empty.

    >>> fr_instant("2021-04-08T12:30:00+00:00")
    '08/04/2021 14:30:00'
    """
    return to_paris(datetime.fromisoformat(cell)).strftime("%d/%m/%Y %H:%M:%S") if cell else ""


def _fr_cells(cells: tuple[str, ...]) -> list[str]:
    out = []
    for column, cell in zip(DOSSIER_COLUMNS, safe_cells(cells), strict=True):
        if column in AMOUNT_COLUMNS:
            cell = fr_amount(cell)
        elif column in DAY_COLUMNS:
            cell = fr_day(cell)
        elif column in INSTANT_COLUMNS:
            cell = fr_instant(cell)
        out.append(cell)
    return out


def write_dossiers_csv_fr(flow: Backend, out: IO[str], campaign_id: str | None = None) -> None:
    """Write the dossiers' CSV in the French dialect (see the module's doc), streamed; the header even when empty.

    ``out`` is a text stream opened with ``encoding="utf-8", newline=""``: the byte order mark is written first.
    """
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=FR_DELIMITER)
    writer.writerow(DOSSIER_COLUMNS)
    writer.writerows(map(_fr_cells, iter_dossier_rows(flow, campaign_id)))


def _typed(column: str, cell: str) -> str | Decimal | date | datetime | None:
    """The value of a CSV cell as the XLSX holds it: a ``Decimal``, a ``date``, a naive Paris ``datetime`` or text."""
    if not cell:
        return None
    if column in AMOUNT_COLUMNS:
        return Decimal(cell)
    if column in DAY_COLUMNS:
        return date.fromisoformat(cell)
    if column in INSTANT_COLUMNS:  # Excel has no time zones: the Paris wall-clock time, to the second
        return to_paris(datetime.fromisoformat(cell)).replace(tzinfo=None, microsecond=0)
    if column == "state":
        return state_label(cell)
    return ILLEGAL_CHARACTERS_RE.sub("", cell)  # control characters (but tab and line breaks) XML cannot hold


def _cell(sheet: WriteOnlyWorksheet, column: str, cell: str) -> Cell:
    value = _typed(column, cell)
    written = Cell(sheet, row=1, column=1, value=value)  # openpyxl's WriteOnlyCell, typed
    if isinstance(value, str):
        written.data_type = "s"  # text, even "=1+1" (openpyxl makes it a formula) or "#N/A" (an error code)
        if is_dangerous(value):
            written.quotePrefix = True
    elif column in AMOUNT_COLUMNS:
        written.number_format = EURO_FORMAT
    elif column in DAY_COLUMNS:
        written.number_format = _DAY_FORMAT
    elif column in INSTANT_COLUMNS:
        written.number_format = _INSTANT_FORMAT
    return written


def _rows(sheet: WriteOnlyWorksheet, flow: Backend, campaign_id: str | None) -> Iterator[list[Cell]]:
    bold = Font(bold=True)
    header = []
    for column in DOSSIER_COLUMNS:
        cell = Cell(sheet, row=1, column=1, value=_(XLSX_HEADERS[column]))
        cell.data_type = "s"
        cell.font = bold
        header.append(cell)
    yield header
    for cells in iter_dossier_rows(flow, campaign_id):
        yield [_cell(sheet, column, cell) for column, cell in zip(DOSSIER_COLUMNS, cells, strict=True)]


def write_dossiers_xlsx(flow: Backend, target: str | Path | IO[bytes], campaign_id: str | None = None) -> None:
    """Write the dossiers as an XLSX workbook (see the module's doc) to a path or a binary stream, streamed."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Dossiers"))
    for index, column in enumerate(DOSSIER_COLUMNS, start=1):
        width = _WIDTHS.get(column, 14 if column not in DOSSIER_TEXT_COLUMNS else 12)
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    for row in _rows(sheet, flow, campaign_id):
        sheet.append(row)
    book.save(target)
