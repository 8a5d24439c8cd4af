"""The CSV import (French format) and the JSON import: idempotent by reference, every bad line named first."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn
from strategies import costs
from walk import CAMPAIGN, applicant, application, new_flow

from ami_workflow.cli import main
from ami_workflow.dossier_import import import_dossiers, read_csv, read_json
from ami_workflow.errors import InvalidInput
from ami_workflow.exports import dossier_rows
from ami_workflow.sheets import write_dossiers_csv_fr

HEADER = "reference;applicant;kind;siren;title;axis;qpv;period_start;period_end;total_cost;requested;participants"


def siren(n: int) -> str:
    """A valid SIREN of its own for the n-th association (the 2021 call requires a SIREN or an RNA)."""
    base = f"73282{n:03d}"
    return base + luhn.calc_check_digit(base)


def line(n: int, **cells: str) -> str:
    values = {"reference": f"EXT-{n:03d}", "applicant": f"Association {n}", "kind": "association",
              "siren": siren(n), "title": f"Action {n}", "axis": "numerique", "qpv": "QP062024",
              "period_start": "01/09/2021", "period_end": "30/06/2022", "total_cost": "12 000,50",
              "requested": "5000,00", "participants": "40"} | cells
    return ";".join(values[c] for c in HEADER.split(";"))


def sheet(*lines: str, bom: bool = True) -> str:
    return ("\ufeff" if bom else "") + "\r\n".join((HEADER, *lines)) + "\r\n"


def run(db: Path, *args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(main, ["--db", str(db), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def test_a_french_sheet_is_read_with_its_amounts_days_and_counts() -> None:
    [(number, (who, what, reference))] = read_csv(sheet(line(1, title="'=1+1")), CAMPAIGN)
    assert (number, reference, who.name, who.kind) == (2, "EXT-001", "Association 1", "association")
    assert (what.total_cost, what.requested, what.participants) == (Decimal("12000.50"), Decimal("5000.00"), 40)
    assert what.period is not None and (what.period.start.isoformat(), what.period.end.isoformat()) == (
        "2021-09-01", "2022-06-30")
    assert what.title == "=1+1"  # the export's apostrophe taken off again
    [(_, (_, iso, _))] = read_csv(sheet(line(1, period_start="2021-09-01", period_end="2022-06-30")), CAMPAIGN)
    assert iso.period == what.period


def test_every_bad_line_is_named_with_its_column_before_anything_is_written() -> None:
    text = sheet(line(1), line(2, total_cost="beaucoup"), line(3, period_start="31/02/2021"),
                 line(4, axis="cuisine"), line(5, siren="123"), line(6, reference="EXT-001"), "EXT-7;trop court")
    with pytest.raises(InvalidInput) as caught:
        read_csv(text, CAMPAIGN)
    said = str(caught.value).splitlines()
    assert said[0].startswith("line 3, column total_cost:") and "beaucoup" in said[0]
    assert said[1].startswith("line 4, column period_start:") and "31/02/2021" in said[1]
    assert said[2].startswith("line 5, column axis: unknown axis 'cuisine'") and "numerique" in said[2]
    assert said[3].startswith("line 6, column siren:")
    assert said[4] == "line 7, column reference: 'EXT-001' is already on line 2"
    assert said[5] == "line 8: 2 cells, for 12 columns"
    with pytest.raises(InvalidInput, match=r"line 1: .*unknown: colour"):
        read_csv("reference;applicant;colour\r\nX;Y;bleu\r\n", CAMPAIGN)
    with pytest.raises(InvalidInput, match="missing: reference"):
        read_csv("applicant;title\r\nY;Z\r\n", CAMPAIGN)


def test_the_import_is_idempotent_by_reference() -> None:
    flow = new_flow("sqlite")
    entries = read_csv(sheet(*(line(n) for n in range(1, 13))), CAMPAIGN)
    first = import_dossiers(flow, entries)
    assert (len(first.created), first.already_imported) == (12, ())
    again = import_dossiers(flow, entries)
    assert (again.created, len(again.already_imported)) == ((), 12)
    grown = import_dossiers(flow, read_csv(sheet(*(line(n) for n in range(1, 14))), CAMPAIGN))
    assert (grown.created, len(grown.already_imported)) == (("EXT-013",), 12)
    assert len(flow.dossiers()) == 13
    with pytest.raises(InvalidInput, match="line 2: the reference 'EXT-001' is already the dossier of Association 1"):
        import_dossiers(flow, read_csv(sheet(line(1, applicant="Quelqu'un d'autre")), CAMPAIGN))


@settings(max_examples=25, deadline=None)
@given(st.lists(costs, min_size=1, max_size=4), st.sampled_from(["=SUM(A1)", "+33 1 02", "-5 %", "@x", "Atelier"]))
def test_the_french_export_reads_back_into_the_same_dossiers(amounts: list[Decimal], title: str) -> None:
    source = new_flow("memory")
    for n, amount in enumerate(amounts, start=1):
        source.create_dossier(applicant(n, name=f"{title} {n}"), application(title=title, total_cost=amount),
                              reference=f"EXT-{n}")
    out = io.StringIO()
    write_dossiers_csv_fr(source, out)
    target = new_flow("memory")
    result = import_dossiers(target, read_csv(out.getvalue(), CAMPAIGN))
    assert result.created == tuple(f"EXT-{n}" for n in range(1, len(amounts) + 1))
    keep = ("reference", "applicant", "kind", "siren", "title", "axis", "qpv", "period_start", "period_end",
            "total_cost", "requested")
    assert [{k: r[k] for k in keep} for r in dossier_rows(target)] == [
        {k: r[k] for k in keep} for r in dossier_rows(source)]


def test_the_command_line_imports_a_csv_twice_and_says_so(tmp_path: Path) -> None:
    db = tmp_path / "ami.db"
    run(db, "campaign", "add", "ami-cohesion-sociale-2021")
    source = tmp_path / "dossiers.csv"
    source.write_text(sheet(*(line(n) for n in range(1, 13))), encoding="utf-8")
    assert run(db, "--lang", "fr", "dossier", "import", str(source)).output.startswith(
        "12 dossiers créés, 0 déjà importé\n")
    assert run(db, "--lang", "fr", "dossier", "import", str(source)).output == "0 dossier créé, 12 déjà importés\n"
    said = json.loads(run(db, "dossier", "import", "--format", "csv", str(source), "--json").output)
    assert (said["created"], len(said["already_imported"])) == ([], 12)
    bad = tmp_path / "bad.csv"
    bad.write_text(sheet(line(20), line(21, requested="-5")), encoding="utf-8")
    result = run(db, "--lang", "fr", "dossier", "import", str(bad), code=2)
    assert "ligne 3, colonne requested" in result.output and "Traceback" not in result.output
    assert len(json.loads(run(db, "dossier", "list", "--json").output)) == 12  # nothing written
    latin = tmp_path / "latin.csv"
    latin.write_bytes(sheet(line(30, applicant="Société"), bom=False).encode("cp1252"))
    assert "CSV UTF-8" in run(db, "dossier", "import", str(latin), code=2).output


def test_the_json_import_is_idempotent_with_references(tmp_path: Path) -> None:
    db = tmp_path / "ami.db"
    run(db, "campaign", "add", "ami-cohesion-sociale-2021")
    entries = [{"reference": f"J-{n}", "applicant": {"name": f"Association {n}", "kind": "association",
                                                     "siren": siren(n)}} for n in range(3)]
    source = tmp_path / "dossiers.json"
    source.write_text(json.dumps(entries), encoding="utf-8")
    assert json.loads(run(db, "dossier", "import", str(source), "--json").output)["created"] == ["J-0", "J-1", "J-2"]
    assert run(db, "dossier", "import", str(source)).output == "0 dossiers created, 3 already imported\n"
    clash = tmp_path / "clash.json"
    clash.write_text(json.dumps([{"reference": "J-1", "applicant": {"name": "Autre", "kind": "association",
                                                               "siren": siren(9)}}]),
                     encoding="utf-8")
    assert "entry 1: the reference 'J-1' is already the dossier of Association 1" in run(
        db, "dossier", "import", str(clash), code=2).output
    assert [e[0] for e in read_json(json.dumps(entries), "x.json")] == [1, 2, 3]
