"""Spreadsheets: no text cell of any export reads as a formula, the French CSV dialect, the XLSX workbook."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import costs
from test_exports import DELIBERATION_DAY, approve, configured_campaign, create, deliberate, good_row
from walk import CAMPAIGN, applicant, application, new_flow

from ami_workflow.calendar import PARIS
from ami_workflow.cells import DANGEROUS_STARTS, is_dangerous, plain_text, text_cell
from ami_workflow.cli import main
from ami_workflow.exports import (
    DOSSIER_COLUMNS,
    DOSSIER_TEXT_COLUMNS,
    SCDL_COLUMNS,
    dossier_rows,
    scdl_rows,
    write_csv,
    write_dossiers_csv,
    write_scdl,
    write_scdl_csv,
)
from ami_workflow.i18n import use_language
from ami_workflow.protocol import Backend
from ami_workflow.scdl import OBJET_MAX_LENGTH, SCDL_TEXT_COLUMNS
from ami_workflow.sheets import AMOUNT_COLUMNS, EURO_FORMAT, write_dossiers_csv_fr, write_dossiers_xlsx

#: Texts that start like a formula, and any other text.
dangerous = st.builds(lambda start, rest: start + rest, st.sampled_from(DANGEROUS_STARTS),
                      st.text(st.characters(exclude_categories=("Cs",)), max_size=20))
texts = st.one_of(dangerous, st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=20))
names = texts.filter(lambda t: t.strip() != "")
#: The same, as a record's single-line field accepts them: no control characters, no bidirectional controls.
_line_chars = st.characters(exclude_categories=("Cs", "Cc"),
                            exclude_characters="\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
line_texts = st.one_of(st.builds(lambda start, rest: start + rest, st.sampled_from(DANGEROUS_STARTS),
                                 st.text(_line_chars, max_size=20)),
                       st.text(_line_chars, min_size=1, max_size=20))
line_names = line_texts.filter(lambda t: t.strip() != "")


def csv_rows(text: str, delimiter: str = ",") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=delimiter))


def xlsx_sheet(flow: Backend) -> Any:
    out = io.BytesIO()
    write_dossiers_xlsx(flow, out)
    return openpyxl.load_workbook(io.BytesIO(out.getvalue())).active


# -- the cell ----------------------------------------------------------------------------------


@given(texts)
def test_a_text_cell_never_starts_like_a_formula_and_gives_its_text_back(text: str) -> None:
    cell = text_cell(text)
    assert not is_dangerous(cell)
    assert cell == ("'" + text if text.startswith(DANGEROUS_STARTS) else text)
    assert text_cell(cell) == cell
    if not text.startswith("'"):  # a text of its own that starts with an apostrophe reads as neutralised
        assert plain_text(cell) == text


#: What write_csv takes for a number (ami_workflow.exports._NUMBER): written as it is.
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


@given(st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False, allow_infinity=False), texts)
def test_write_csv_keeps_numbers_and_neutralises_text(amount: Decimal, text: str) -> None:
    out = io.StringIO()
    write_csv([{"amount": f"{amount:.2f}", "label": text}], out)
    [row] = csv_rows(out.getvalue())
    assert Decimal(row["amount"]) == amount  # a negative amount is a number: no apostrophe
    if _NUMBER.fullmatch(text):  # a text that is a number ("-0") is written as one: a spreadsheet reads no formula
        assert row["label"] == text
    else:
        assert row["label"] == text_cell(text) and not is_dangerous(row["label"])


# -- every export of the dossiers ---------------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(line_names, line_texts, line_texts, costs)
def test_no_text_cell_of_any_dossier_export_starts_like_a_formula(name: str, title: str, axis: str,
                                                                  cost: Decimal) -> None:
    flow = new_flow("memory")
    flow.create_dossier(applicant(1, name=name, kind="association"),
                        application(title=title, total_cost=cost, requested=None))
    flow.create_dossier(applicant(2, name="=HYPERLINK(\"http://x\",\"y\")"), application(axis=axis))
    out = io.StringIO()
    write_dossiers_csv(flow, out)
    fr = io.StringIO()
    write_dossiers_csv_fr(flow, fr)
    for written in (csv_rows(out.getvalue()), csv_rows(fr.getvalue(), ";")):
        assert len(written) == 2
        for cells in written:
            assert not any(is_dangerous(cells[c]) for c in DOSSIER_TEXT_COLUMNS), cells
        assert [plain_text(c["applicant"]) for c in written] == [r["applicant"] for r in dossier_rows(flow)]
    # the amounts come back exact: decimal point, decimal comma, a number in the workbook
    first_rfc, first_fr = csv_rows(out.getvalue())[0], csv_rows(fr.getvalue(), ";")[0]
    assert Decimal(first_rfc["total_cost"]) == cost == Decimal(first_fr["total_cost"].replace(",", "."))
    sheet = xlsx_sheet(flow)
    cells = list(sheet.iter_rows(min_row=2, values_only=False))
    column = {c: i for i, c in enumerate(DOSSIER_COLUMNS)}
    assert Decimal(str(cells[0][column["total_cost"]].value)) == cost
    for row_cells in cells:
        for c in DOSSIER_TEXT_COLUMNS:
            cell = row_cells[column[c]]
            assert cell.value is None or cell.data_type == "s", (c, cell.value, cell.data_type)  # never a formula
    assert cells[1][column["applicant"]].value == "=HYPERLINK(\"http://x\",\"y\")"


def test_a_cell_holding_a_formula_is_stored_as_text_in_the_workbook(tmp_path: Path) -> None:
    flow = new_flow("memory")
    flow.create_dossier(applicant(1, name="=1+1"), application(title="#N/A"))
    path = tmp_path / "dossiers.xlsx"
    write_dossiers_xlsx(flow, path)
    sheet = openpyxl.load_workbook(path).active
    name = sheet.cell(row=2, column=DOSSIER_COLUMNS.index("applicant") + 1)
    title = sheet.cell(row=2, column=DOSSIER_COLUMNS.index("title") + 1)
    assert (name.value, name.data_type, name.quotePrefix) == ("=1+1", "s", True)
    assert (title.value, title.data_type) == ("#N/A", "s")  # not an error code either


# -- SCDL: the free texts only --------------------------------------------------------------------


@pytest.fixture(scope="module")
def injected() -> Backend:
    """One granted subsidy whose applicant's name and title start like formulas."""
    flow = new_flow("memory", configured_campaign())
    ref = create(flow, 2, who={"name": "=cmd|' /C calc'!A0"}, title="+" + "x" * 290)
    approve(flow, ref)
    deliberate(flow, [ref], "-DEL-1")
    return flow


def test_scdl_neutralises_its_free_texts_and_keeps_its_formats(injected: Backend) -> None:
    [row] = scdl_rows(injected)
    assert row["nomBeneficiaire"] == "'=cmd|' /C calc'!A0" and row["referenceDecision"] == "'-DEL-1"
    assert row["objet"].startswith("'+xxx") and len(row["objet"]) <= OBJET_MAX_LENGTH
    assert (row["montant"], row["dateConvention"]) == ("5000.00", DELIBERATION_DAY.isoformat())
    out = io.StringIO()
    write_scdl(injected, out)
    [written] = csv_rows(out.getvalue())
    assert written == row and not any(is_dangerous(written[c]) for c in SCDL_COLUMNS)


@given(st.sampled_from(SCDL_TEXT_COLUMNS), dangerous.filter(lambda t: t.strip() != ""))
def test_write_scdl_csv_neutralises_the_rows_it_is_given(column: str, text: str) -> None:
    out = io.StringIO()
    write_scdl_csv([{**good_row(), column: text[:200]}], out)
    [written] = csv_rows(out.getvalue())
    assert written[column] == "'" + text[:200]
    assert {c: v for c, v in written.items() if c != column} == {c: v for c, v in good_row().items() if c != column}


# -- the French dialect ----------------------------------------------------------------------------


def test_the_french_dialect(tmp_path: Path) -> None:
    flow = new_flow("sqlite", CAMPAIGN)
    flow.create_dossier(applicant(1), application(total_cost=Decimal("12345.50")))
    out = io.StringIO(newline="")
    write_dossiers_csv_fr(flow, out)
    text = out.getvalue()
    assert text.startswith("\ufeffreference;campaign;state;")
    [row] = csv_rows(text, ";")
    assert (row["total_cost"], row["requested"], row["paid"]) == ("12345,50", "5000,00", "0,00")
    assert (row["period_start"], row["period_end"]) == ("01/09/2021", "30/06/2022")
    empty = io.StringIO()
    write_dossiers_csv_fr(new_flow("memory"), empty)
    assert empty.getvalue() == "\ufeff" + ";".join(DOSSIER_COLUMNS) + "\r\n"  # the header, even without a dossier


def test_export_csv_dialect_and_xlsx_through_the_command_line(tmp_path: Path) -> None:
    db = tmp_path / "ami.db"
    runner = CliRunner()
    assert runner.invoke(main, ["--db", str(db), "demo", "--no-documents", "--count", "6"]).exit_code == 0
    fr = tmp_path / "dossiers.csv"
    result = runner.invoke(main, ["--db", str(db), "export", "csv", "--dialect", "fr", "-o", str(fr)])
    assert result.exit_code == 0, result.output
    assert fr.read_bytes().startswith(b"\xef\xbb\xbfreference;")
    plain = runner.invoke(main, ["--db", str(db), "export", "csv"]).output
    assert plain.startswith("reference,campaign,")  # the default stays the machine's CSV
    book = tmp_path / "dossiers.xlsx"
    result = runner.invoke(main, ["--db", str(db), "--lang", "fr", "export", "xlsx", "-o", str(book)])
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(book).active
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["Référence", "Campagne", "État", "Porteur de projet"]
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == len(csv_rows(plain)) == 6
    amounts = [DOSSIER_COLUMNS.index(c) for c in AMOUNT_COLUMNS]
    typed = [r[i] for r in rows for i in amounts if r[i].value is not None]
    assert typed and all(c.data_type == "n" and c.number_format == EURO_FORMAT for c in typed)
    start = rows[0][DOSSIER_COLUMNS.index("period_start")]
    assert isinstance(start.value, datetime) and start.is_date
    submitted = DOSSIER_COLUMNS.index("submitted_at")
    instants = {r[0].value: r[submitted].value for r in rows if r[submitted].value is not None}
    assert instants  # the demo submits dossiers: each instant is the CSV's, in Paris wall-clock time
    for cells in csv_rows(plain):
        if cells["submitted_at"]:
            moment = datetime.fromisoformat(cells["submitted_at"]).astimezone(PARIS)
            assert instants[cells["reference"]] == moment.replace(tzinfo=None, microsecond=0)
    assert runner.invoke(main, ["--db", str(db), "export", "xlsx"]).exit_code == 2  # a workbook needs a file
    assert runner.invoke(main, ["--db", str(db), "export", "json", "--dialect", "fr"]).exit_code == 2


def test_the_workbook_speaks_english_on_request() -> None:
    flow = new_flow("memory")
    flow.create_dossier(applicant(1), application())
    with use_language("en"):
        sheet = xlsx_sheet(flow)
    assert [c.value for c in sheet[1]][:3] == ["Reference", "Campaign", "State"]
    assert sheet.cell(row=2, column=3).value == "draft"
