"""The command line, mostly through click's runner, plus end-to-end runs in a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import cli_doc
import pytest
from click.testing import CliRunner, Result

from ami_workflow.cli import main

REF = "ami-cohesion-sociale-2021-{:04d}"


def run(db: Path, *args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(main, ["--db", str(db), *args], catch_exceptions=False)
    assert result.exit_code == code, (result.output, result.stderr if hasattr(result, "stderr") else "")
    return result


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("demo") / "ami.db"
    result = run(db, "demo")
    assert "Journal:" in result.output and "intact" in result.output
    return db


def test_demo_prints_the_whole_campaign_and_a_report_that_adds_up(demo_db: Path) -> None:
    dossiers = json.loads(run(demo_db, "dossier", "list", "--json").output)
    assert len(dossiers) == 30
    approved = sum(Decimal(d["approved"]) for d in dossiers if d["approved"] is not None)
    paid = sum(Decimal(p["amount"]) for d in dossiers for p in d["payments"])
    assert 0 < paid <= approved <= Decimal("150000.00")
    assert {d["state"] for d in dossiers} >= {"paid", "rejected", "withdrawn", "draft"}
    text = run(demo_db, "report").output
    assert "150 000,00 €" in text


def test_demo_refuses_to_run_twice_without_reset(demo_db: Path, tmp_path: Path) -> None:
    result = run(demo_db, "demo", code=2)
    assert "--reset" in result.output
    copy = tmp_path / "copy.db"
    run(copy, "demo", "--count", "12")
    run(copy, "demo", "--reset", "--count", "12")
    assert len(json.loads(run(copy, "dossier", "list", "--json").output)) == 12


def test_campaign_commands(demo_db: Path, tmp_path: Path) -> None:
    listed = json.loads(run(demo_db, "campaign", "list", "--json").output)
    assert [c["id"] for c in listed["campaigns"]] == ["ami-cohesion-sociale-2021"]
    assert "ami-cohesion-sociale-2021" in listed["bundled"]
    shown = run(demo_db, "campaign", "show").output
    assert "150 000,00 €" in shown and "21 QPV" in shown
    assert json.loads(run(demo_db, "campaign", "show", "--json").output)["envelope"]["amount"] == "150000.00"
    fresh = tmp_path / "fresh.db"
    run(fresh, "campaign", "add", "ami-cohesion-sociale-2021")
    assert "ami-cohesion-sociale-2021" in run(fresh, "campaign", "list").output


def test_dossier_show_gives_state_history_missing_pieces_ceiling_and_next(demo_db: Path) -> None:
    out = run(demo_db, "dossier", "show", REF.format(3), "--at", "2021-06-01").output
    assert "[rejected]" in out and "missing pieces:" in out and "statuts" in out and "history:" in out
    data = json.loads(run(demo_db, "dossier", "show", REF.format(9), "--json").output)
    assert data["dossier"]["state"] == "paid"
    assert [h["trigger"] for h in data["history"] if h["trigger"] == "pay"] == ["pay", "pay"]
    late = json.loads(run(demo_db, "dossier", "show", REF.format(2), "--json", "--at", "2021-05-03").output)
    assert late["dossier"]["state"] == "draft"
    assert any("deadline" in r for r in late["next"]["submit"])


def test_dossier_list_filters(demo_db: Path) -> None:
    paid = json.loads(run(demo_db, "dossier", "list", "--state", "paid", "--json").output)
    assert paid and {d["state"] for d in paid} == {"paid"}
    axis = json.loads(run(demo_db, "dossier", "list", "--axis", "sante", "--json").output)
    assert axis and {d["application"]["axis"] for d in axis} == {"sante"}
    qpv = json.loads(run(demo_db, "dossier", "list", "--qpv", "QP062024", "--json").output)
    assert all("QP062024" in d["application"]["qpv_codes"] for d in qpv)
    assert "dossiers" in run(demo_db, "dossier", "list").output


def _new(db: Path, tmp_path: Path) -> str:
    source = tmp_path / "dossier.toml"
    source.write_text(
        """
[applicant]
name = "Association Test"
kind = "association"
siren = "732829320"
iban = "FR1420041010050500013M02606"
legal_representative = "Claire Dupont"

[application]
title = "Ateliers"
axis = "education"
qpv_codes = ["QP062024"]
period = { start = 2021-09-01, end = 2022-06-30 }
total_cost = "10000.00"
requested = "5000.00"
participants = 100
qpv_residents = 80
young = 50
women = 50
sourcing = "Centres sociaux"
""",
        encoding="utf-8",
    )
    out = run(db, "dossier", "new", "--from", str(source), "--at", "2021-03-10", "--json").output
    return str(json.loads(out)["reference"])


def test_a_dossier_from_file_to_paid_through_the_cli(tmp_path: Path) -> None:
    db = tmp_path / "ami.db"
    run(db, "campaign", "add", "ami-cohesion-sociale-2021")
    ref = _new(db, tmp_path)
    piece = tmp_path / "piece.pdf"
    piece.write_bytes(b"%PDF")
    keys = ("courrier_demande", "rib", "liste_ca", "liste_bureau", "statuts", "recepisse_declaration")
    for key in (*keys, "dossier_demande"):
        run(db, "dossier", "attach", ref, key, str(piece), "--received", "2021-04-01", "--at", "2021-04-01")
    run(db, "dossier", "original", ref, "dossier_demande", "--received", "2021-04-02", "--signed-by", "Claire Dupont")
    run(db, "dossier", "fire", ref, "submit", "--at", "2021-04-12T10:00")
    run(db, "dossier", "fire", ref, "mark_complete", "--at", "2021-05-03")
    run(db, "dossier", "fire", ref, "instruct", "--at", "2021-05-18", "--criteria", "innovante,jeunes_ou_femmes")
    run(db, "committee", "c1", "2021-06-15", "--chair", "VP", "--member", "A:personnalites", "--member", "B:elus",
        "--member", "C:techniciens", "--member", "D:habitants")
    run(db, "dossier", "fire", ref, "hear", "--at", "2021-06-15T14:00", "--session", "c1")
    run(db, "dossier", "fire", ref, "approve", "--at", "2021-06-15T17:00", "--amount", "5000")
    run(db, "deliberation", "DEL-1", "2021-09-27", "--all-approved")
    run(db, "convention", ref, "CONV-1", "2021-09-28")
    out = run(db, "pay", ref, "--amount", "2000", "--at", "2021-10-01", "--payment-ref", "M1").output
    assert "-> approved" in out
    assert "-> paid" in run(db, "pay", ref, "--at", "2021-11-01").output
    assert "journal intact" in run(db, "verify").output
    receipt = run(db, "receipt", ref).output
    assert "<html" in receipt.lower()
    notice = tmp_path / "notice.html"
    run(db, "receipt", ref, "--decision", "-o", str(notice))
    assert notice.read_text(encoding="utf-8").lower().startswith("<!doctype html")


def test_refused_action_exits_1_with_every_reason(tmp_path: Path) -> None:
    db = tmp_path / "ami.db"
    run(db, "campaign", "add", "ami-cohesion-sociale-2021")
    ref = _new(db, tmp_path)
    result = run(db, "dossier", "fire", ref, "submit", "--at", "2021-05-03", code=1)
    assert "deadline" in result.output and "missing piece" in result.output
    assert "Traceback" not in result.output
    result = run(db, "dossier", "fire", ref, "pay", "--at", "2021-10-01", code=1)
    assert "not possible from state 'draft'" in result.output
    result = run(db, "dossier", "fire", ref, "withdraw", "--expected-version", "7", code=1)
    assert "re-read" in result.output


def test_bad_input_exits_2_without_traceback(tmp_path: Path) -> None:
    db = tmp_path / "ami.db"
    assert "no database" in run(db, "report", code=2).output
    run(db, "campaign", "add", "ami-cohesion-sociale-2021")
    ref = _new(db, tmp_path)
    for args in (
        ("dossier", "show", "nope"),
        ("dossier", "fire", ref, "approve", "--amount", "12,5.3"),
        ("dossier", "fire", ref, "submit", "--at", "2021-03-28T02:30"),
        ("dossier", "fire", ref, "submit", "--data", "oops"),
        ("dossier", "fire", ref, "explode"),
        ("dossier", "new", "--name", "X", "--siren", "123"),
        ("amend-calendar", "jury", "2021-07-09", "2021-07-01", "--reason", "x"),
        ("committee", "c", "2021-06-15", "--chair", "X", "--member", "nocategory"),
        ("campaign", "add", "/no/such/call.toml"),
        ("agenda", "--at", "hier"),
    ):
        result = run(db, *args, code=2)
        assert "Traceback" not in result.output, args
        assert result.output.strip(), args


def test_agenda_export_diagram_and_amendments(demo_db: Path, tmp_path: Path) -> None:
    assert run(demo_db, "agenda", "--at", "2021-04-20").output.strip()
    items = json.loads(run(demo_db, "agenda", "--at", "2021-04-20", "--json").output)
    assert isinstance(items, list)
    csv_file = tmp_path / "d.csv"
    run(demo_db, "export", "csv", "-o", str(csv_file))
    assert csv_file.read_text(encoding="utf-8").count("\n") == 31
    assert len(json.loads(run(demo_db, "export", "json").output)) == 30
    scdl = run(demo_db, "export", "scdl", code=1)
    assert "siret" in scdl.output.lower()
    assert "registered_id_prefix" in run(demo_db, "export", "360giving", code=1).output
    assert run(demo_db, "diagram").output.startswith("---")
    copy = tmp_path / "amend.db"
    run(copy, "campaign", "add", "ami-cohesion-sociale-2021")
    assert "2021-07-09" in run(copy, "amend-calendar", "jury", "2021-06-01", "2021-07-09", "--reason", "report").output


def test_verify_exits_1_on_a_tampered_journal(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "ami.db"
    run(db, "campaign", "add", "ami-cohesion-sociale-2021")
    _new(db, tmp_path)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE events SET actor = 'mallory' WHERE seq = 2")
    conn.execute("UPDATE events SET body = replace(body, '\"actor\":\"\"', '\"actor\":\"mallory\"') WHERE seq = 2")
    conn.commit()
    conn.close()
    result = run(db, "verify", code=1)
    assert "NOT intact" in result.output and "event 2" in result.output


def test_cli_doc_is_in_sync_with_help() -> None:
    assert cli_doc.DOC.read_text(encoding="utf-8") == cli_doc.render(), "run: python tests/cli_doc.py"


def _subprocess(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join([str(Path(__file__).parent.parent), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    return subprocess.run([sys.executable, "-m", "ami_workflow", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_end_to_end_demo_in_a_subprocess_is_quiet_when_piped(tmp_path: Path) -> None:
    done = _subprocess(["demo"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "ami.db").exists()
    assert "Walking" not in done.stderr  # no progress bar when not on a terminal
    assert "150 000,00 €" in done.stdout
    again = _subprocess(["demo"], tmp_path)
    assert again.returncode == 2 and "--reset" in again.stderr and "Traceback" not in again.stderr
    refused = _subprocess(["dossier", "fire", REF.format(2), "submit", "--at", "2021-05-03"], tmp_path)
    assert refused.returncode == 1 and "deadline" in refused.stderr


def test_dossier_import_checks_everything_before_writing(tmp_path: Path) -> None:
    db = tmp_path / "ami.db"
    run(db, "campaign", "add", "ami-cohesion-sociale-2021")
    entries = [
        {"applicant": {"name": f"Association {n}", "kind": "association"},
         "application": {"title": f"Action {n}", "axis": "sante", "qpv_codes": ["QP062024"]}}
        for n in range(5)
    ]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(entries + [{"applicant": {"name": "X", "kind": "association", "siren": "123"}}]),
                   encoding="utf-8")
    assert "siren" in run(db, "dossier", "import", str(bad), code=2).output
    assert json.loads(run(db, "dossier", "list", "--json").output) == []
    good = tmp_path / "good.json"
    good.write_text(json.dumps(entries), encoding="utf-8")
    created = json.loads(run(db, "dossier", "import", str(good), "--at", "2021-03-10", "--json").output)
    assert len(created) == 5 and len(json.loads(run(db, "dossier", "list", "--json").output)) == 5
    assert json.loads(run(db, "verify", "--json").output)["intact"] is True


def test_dossier_import_is_all_or_nothing_on_references(tmp_path: Path) -> None:
    db = tmp_path / "ami.db"
    run(db, "campaign", "add", "ami-cohesion-sociale-2021")
    twice = [{"applicant": {"name": "A", "kind": "association"}, "reference": "X"},
             {"applicant": {"name": "B", "kind": "association"}, "reference": "X"}]
    source = tmp_path / "twice.json"
    source.write_text(json.dumps(twice), encoding="utf-8")
    assert "entry 2" in run(db, "dossier", "import", str(source), code=2).output
    assert json.loads(run(db, "dossier", "list", "--json").output) == []
    french = tmp_path / "french.json"
    french.write_text(json.dumps([{"applicant": {"name": "C", "kind": "association"},
                                   "application": {"total_cost": "1 500,00"}}]), encoding="utf-8")
    run(db, "dossier", "import", str(french))
    assert json.loads(run(db, "dossier", "list", "--json").output)[0]["application"]["total_cost"] == "1500.00"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"applicant": {"name": "D", "kind": "association"},
                                "application": {"total_cost": "beaucoup"}}]), encoding="utf-8")
    assert "entry 1: application.total_cost" in run(db, "dossier", "import", str(bad), code=2).output
    not_a_database = tmp_path / "notes.db"
    not_a_database.write_text("this is not SQLite", encoding="utf-8")
    result = run(not_a_database, "report", code=2)
    assert "cannot be used" in result.output and "Traceback" not in result.output


def test_personal_data_export_and_erase_commands(tmp_path: Path) -> None:
    db = tmp_path / "ami.db"
    run(db, "campaign", "add", "ami-cohesion-sociale-2021")
    _new(db, tmp_path)
    exported = json.loads(run(db, "applicant", "export", "siren:732829320").output)
    assert {p["value"] for p in exported["personal_data"]} == {"Claire Dupont"}
    out = tmp_path / "export.json"
    run(db, "applicant", "export", "siren:732829320", "-o", str(out))
    assert "Claire Dupont" in out.read_text(encoding="utf-8")
    erased = run(db, "applicant", "erase", "siren:732829320", "--reason", "demande")
    assert "1 personal data items erased" in erased.output
    assert "Claire Dupont" not in run(db, "applicant", "export", "siren:732829320").output
    assert "no applicant" in run(db, "applicant", "export", "siren:000000000", code=2).output
    run(db, "committee", "c1", "2021-06-15", "--chair", "VP", "--member", "Ana:personnalites", "--member", "B:elus",
        "--member", "C:techniciens", "--member", "Dan:habitants")
    assert "erased from 1 committee sessions" in run(db, "erase-member", "Dan", "--reason", "demande").output
    assert "journal intact" in run(db, "verify").output
