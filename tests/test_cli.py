"""The command line, mostly through click's runner, plus end-to-end runs in a real subprocess."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import cli_doc
import pytest
from click.testing import CliRunner, Result

from ami_workflow.calendar import SystemClock, parse_instant
from ami_workflow.cli import main

REF = "ami-cohesion-sociale-2021-{:04d}"

#: Sets the simulated system clock the command line dates its acts by (ISO text, Paris time).
SetClock = Callable[[str], None]


def run(db: Path, *args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(main, ["--db", str(db), *args], catch_exceptions=False)
    assert result.exit_code == code, (result.output, result.stderr if hasattr(result, "stderr") else "")
    return result


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> SetClock:
    """The command line dates every act by the system clock: a test walking 2021 moves it forward day by day."""
    now = [parse_instant("2021-03-01T09:00")]
    monkeypatch.setattr(SystemClock, "now", lambda self: now[0])

    def set_to(when: str) -> None:
        moment = parse_instant(when)
        assert moment >= now[0], f"the simulated clock only moves forward ({now[0]} -> {moment})"
        now[0] = moment

    return set_to


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The demo (on its own simulated 2021 clock), once for the module: the database and what it printed.

    Without its documents, which tests/test_i18n.py's French demo issues; the tests here issue the few they read.
    """
    db = tmp_path_factory.mktemp("demo") / "ami.db"
    result = run(db, "demo", "--no-documents")
    assert "Journal:" in result.output and "intact" in result.output
    return db, result.output


@pytest.fixture(scope="module")
def demo_db(demo_run: tuple[Path, str]) -> Path:
    return demo_run[0]


def _copy(db: Path, to: Path) -> Path:
    """A consistent copy of a database, for a test that writes to it."""
    with sqlite3.connect(db) as source, sqlite3.connect(to) as target:
        source.backup(target)
    source.close()
    target.close()
    return to


def _shown(db: Path, ref: str) -> dict[str, object]:
    return dict(json.loads(run(db, "dossier", "show", ref, "--json").output)["dossier"])


def _event_count(db: Path) -> int:
    return int(json.loads(run(db, "verify", "--json").output)["events"])


def test_demo_prints_the_whole_campaign_and_a_report_that_adds_up(demo_db: Path) -> None:
    dossiers = json.loads(run(demo_db, "dossier", "list", "--json").output)
    assert len(dossiers) == 30
    approved = sum(Decimal(d["approved"]) for d in dossiers if d["approved"] is not None)
    recovered = sum(Decimal(d["recovery"]["amount"]) for d in dossiers if d["state"] == "recovered")
    paid = sum(Decimal(p["amount"]) for d in dossiers for p in d["payments"]) - recovered
    assert recovered > 0 and 0 < paid <= approved <= Decimal("150000.00")
    # under the usual schedule most grants hold their 80 % advance (approved) until their compte rendu is accepted
    assert {d["state"] for d in dossiers} >= {"approved", "closed", "recovered", "rejected", "withdrawn", "draft"}
    text = run(demo_db, "report").output
    assert "€150,000.00" in text


def test_demo_checkpoints_the_journal_and_says_how_to_check_it(demo_run: tuple[Path, str]) -> None:
    db, output = demo_run
    key, public, anchor = (Path(f"{db}.{suffix}") for suffix in ("key.pem", "pub.pem", "anchor"))
    assert key.exists() and public.exists() and anchor.exists()
    events = _event_count(db)  # the checkpoint signs the head, then journals itself as the last event
    assert (f"Journal: {events} events, intact; head at event {events - 1} signed with {key}, "
            f"the checkpoint recorded as event {events}") in output
    assert f"ami-workflow verify --key {public} --anchor {anchor}" in output
    checked = run(db, "verify", "--key", str(public), "--anchor", str(anchor))
    assert "journal intact" in checked.output


def test_demo_refuses_to_run_twice_without_reset(demo_db: Path, tmp_path: Path) -> None:
    result = run(demo_db, "demo", code=2)
    assert "--reset" in result.output
    copy = tmp_path / "copy.db"
    run(copy, "demo", "--count", "12", "--no-documents")
    run(copy, "demo", "--reset", "--count", "12", "--no-documents")
    assert len(json.loads(run(copy, "dossier", "list", "--json").output)) == 12


def test_campaign_commands(demo_db: Path, tmp_path: Path) -> None:
    listed = json.loads(run(demo_db, "campaign", "list", "--json").output)
    assert [c["id"] for c in listed["campaigns"]] == ["ami-cohesion-sociale-2021"]
    assert "ami-cohesion-sociale-2021" in listed["bundled"]
    shown = run(demo_db, "campaign", "show").output
    assert "€150,000.00" in shown and "21 QPV" in shown
    assert json.loads(run(demo_db, "campaign", "show", "--json").output)["envelope"]["amount"] == "150000.00"
    fresh = tmp_path / "fresh.db"
    run(fresh, "campaign", "add", "ami-cohesion-sociale-2021")
    assert "ami-cohesion-sociale-2021" in run(fresh, "campaign", "list").output


def test_dossier_show_gives_state_history_missing_pieces_ceiling_and_next(demo_db: Path) -> None:
    out = run(demo_db, "dossier", "show", REF.format(3), "--at", "2021-06-01").output
    assert "[rejected]" in out and "missing pieces:" in out and "statuts" in out and "history:" in out
    data = json.loads(run(demo_db, "dossier", "show", REF.format(9), "--json").output)
    assert data["dossier"]["state"] == "approved"  # 60 % then the rest of the 80 % advance; the balance waits
    assert [h["trigger"] for h in data["history"] if h["trigger"] == "pay"] == ["pay", "pay"]
    assert "close" in data["next"] and "council_refuse" not in data["next"]
    late = json.loads(run(demo_db, "dossier", "show", REF.format(2), "--json", "--at", "2021-05-03").output)
    assert late["dossier"]["state"] == "draft"
    assert any("deadline" in r for r in late["next"]["submit"])


def test_dossier_list_filters(demo_db: Path) -> None:
    paid = json.loads(run(demo_db, "dossier", "list", "--state", "closed", "--json").output)
    assert paid and {d["state"] for d in paid} == {"closed"}
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

[application.budget.charges]
"60" = "1000.00"
"64" = "9000.00"

[application.budget.products]
"74.epci" = "5000.00"
"74.etat" = "5000.00"
""",
        encoding="utf-8",
    )
    out = run(db, "dossier", "new", "--from", str(source), "--json").output
    return str(json.loads(out)["reference"])


def test_a_dossier_from_file_to_paid_through_the_cli(tmp_path: Path, clock: SetClock) -> None:
    db = tmp_path / "ami.db"
    run(db, "campaign", "add", "ami-cohesion-sociale-2021")
    clock("2021-03-10T09:00")
    ref = _new(db, tmp_path)
    piece = tmp_path / "piece.pdf"
    piece.write_bytes(b"%PDF")
    keys = ("courrier_demande", "rib", "liste_ca", "liste_bureau", "statuts", "recepisse_declaration")
    clock("2021-04-01T09:00")
    for key in keys:
        run(db, "dossier", "attach", ref, key, str(piece))
    run(db, "dossier", "attach", ref, "dossier_demande", str(piece), "--postmark", "2021-03-31")
    clock("2021-04-02T09:00")
    run(db, "dossier", "original", ref, "dossier_demande", "--signed-by", "Claire Dupont")
    clock("2021-04-12T10:00")
    run(db, "dossier", "fire", ref, "submit")
    clock("2021-05-03T09:00")
    run(db, "dossier", "fire", ref, "mark_complete")
    clock("2021-05-18T09:00")
    run(db, "dossier", "fire", ref, "instruct", "--criteria", "innovante,jeunes_ou_femmes")
    clock("2021-06-15T09:00")
    run(db, "committee", "c1", "2021-06-15", "--chair", "VP", "--member", "A:personnalites", "--member", "B:elus",
        "--member", "C:techniciens", "--member", "D:habitants")
    clock("2021-06-15T14:00")
    run(db, "dossier", "fire", ref, "hear", "--session", "c1")
    clock("2021-06-15T17:00")
    run(db, "dossier", "fire", ref, "approve", "--amount", "5000")
    clock("2021-09-27T18:00")
    run(db, "deliberation", "DEL-1", "2021-09-27", "--all-approved")
    clock("2021-09-28T18:00")
    assert "enforceable from 28 September 2021" in run(db, "enforceable", "DEL-1", "2021-09-28").output
    run(db, "convention", ref, "CONV-1", "2021-09-28")
    clock("2021-10-04T09:00")  # the payment of 1 October, recorded the next working day
    out = run(db, "pay", ref, "--amount", "2000", "--at", "2021-10-01", "--payment-ref", "M1").output
    assert "-> approved" in out
    clock("2021-11-01T09:00")
    assert "-> paid" in run(db, "pay", ref).output
    shown = json.loads(run(db, "dossier", "show", ref, "--json").output)
    dates = {h["trigger"]: h["at"][:10] for h in shown["history"] if h["trigger"] in ("submit", "approve")}
    assert dates == {"submit": "2021-04-12", "approve": "2021-06-15"}
    assert [Decimal(p["amount"]) for p in shown["dossier"]["payments"]] == [Decimal("2000.00"), Decimal("3000.00")]
    originals = shown["dossier"]["originals"]
    assert [o["received_on"] for o in originals] == ["2021-04-02"]  # dated by its receipt, not by the caller
    assert "journal intact" in run(db, "verify").output
    issued = run(db, "document", "issue", ref).output
    assert "accuse_reception of event" in issued and "notification_decision of event" in issued
    assert "already issued" in run(db, "document", "issue", ref, "--kind", "accuse_reception").output
    receipt = run(db, "document", "print", ref, "--kind", "accuse_reception", "--format", "html").output
    assert "<html" in receipt.lower()
    notice = tmp_path / "notice.pdf"
    run(db, "document", "print", ref, "--kind", "notification_decision", "-o", str(notice))
    assert notice.read_bytes().startswith(b"%PDF-")
    listed = json.loads(run(db, "document", "list", ref, "--json").output)
    assert [d["kind"] for d in listed] == ["accuse_reception", "notification_decision"]
    assert "journal intact" in run(db, "verify").output


def test_refused_action_exits_1_with_every_reason(tmp_path: Path, clock: SetClock) -> None:
    db = tmp_path / "ami.db"
    run(db, "campaign", "add", "ami-cohesion-sociale-2021")
    clock("2021-03-10T09:00")
    ref = _new(db, tmp_path)
    before, events = _shown(db, ref), _event_count(db)
    clock("2021-05-03T09:00")  # after the deadline of 30 April
    result = run(db, "dossier", "fire", ref, "submit", code=1)
    assert "deadline" in result.output and "missing piece" in result.output
    assert "Traceback" not in result.output
    result = run(db, "dossier", "fire", ref, "pay", code=1)
    assert "not possible from state 'draft'" in result.output
    result = run(db, "dossier", "fire", ref, "withdraw", "--expected-version", "7", code=1)
    assert "re-read" in result.output
    assert _shown(db, ref) == before and _event_count(db) == events


def test_submit_refuses_at_the_submission_is_dated_by_its_receipt(tmp_path: Path, clock: SetClock) -> None:
    db = tmp_path / "ami.db"
    run(db, "campaign", "add", "ami-cohesion-sociale-2021")
    clock("2021-03-10T09:00")
    ref = _new(db, tmp_path)
    before, events = _shown(db, ref), _event_count(db)
    clock("2021-04-12T10:00")
    result = run(db, "dossier", "fire", ref, "submit", "--at", "2021-04-12T09:00", code=2)
    assert "dated when the service receives it" in result.output and "Traceback" not in result.output
    assert _shown(db, ref) == before and _event_count(db) == events


def test_an_act_dated_after_now_or_before_the_dossiers_last_act_is_refused(tmp_path: Path, clock: SetClock) -> None:
    db = tmp_path / "ami.db"
    run(db, "campaign", "add", "ami-cohesion-sociale-2021")
    clock("2021-03-10T09:00")
    ref = _new(db, tmp_path)
    before, events = _shown(db, ref), _event_count(db)
    clock("2021-03-12T09:00")
    later = run(db, "dossier", "fire", ref, "withdraw", "--reason", "r", "--at", "2021-03-13", code=1)
    assert "withdraw refused" in later.output and "after the moment it is recorded" in later.output
    earlier = run(db, "dossier", "fire", ref, "withdraw", "--reason", "r", "--at", "2021-03-09", code=1)
    assert "before the dossier's last recorded act" in earlier.output
    assert _shown(db, ref) == before and _event_count(db) == events
    assert "-> withdrawn" in run(db, "dossier", "fire", ref, "withdraw", "--reason", "r", "--at", "2021-03-11").output


def test_bad_input_exits_2_without_traceback(tmp_path: Path, clock: SetClock) -> None:
    db = tmp_path / "ami.db"
    assert "no database" in run(db, "report", code=2).output
    run(db, "campaign", "add", "ami-cohesion-sociale-2021")
    clock("2021-03-10T09:00")
    ref = _new(db, tmp_path)
    for args in (
        ("dossier", "show", "nope"),
        ("dossier", "fire", ref, "approve", "--amount", "12,5.3"),
        ("dossier", "fire", ref, "withdraw", "--reason", "r", "--at", "2021-03-28T02:30"),  # no such Paris time
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
    amended = run(copy, "amend-calendar", "jury", "2021-06-01", "2021-07-09", "--reason", "report").output
    assert "the jury window now runs from 1 June 2021 to 9 July 2021" in amended


def test_verify_exits_1_on_a_tampered_journal(tmp_path: Path, clock: SetClock) -> None:
    db = tmp_path / "ami.db"
    run(db, "campaign", "add", "ami-cohesion-sociale-2021")
    clock("2021-03-10T09:00")
    _new(db, tmp_path)
    conn = sqlite3.connect(db)
    (actor,) = conn.execute("SELECT actor FROM events WHERE seq = 2").fetchone()
    assert actor  # the login name, by default
    # A consistent rewrite of who acted, in the column and in the hashed body: only the chain can tell.
    conn.execute("UPDATE events SET actor = 'mallory' WHERE seq = 2")
    conn.execute("UPDATE events SET body = replace(body, ?, ?) WHERE seq = 2",
                 (json.dumps({"actor": actor}, separators=(",", ":"))[1:-1], '"actor":"mallory"'))
    assert conn.execute("SELECT body FROM events WHERE seq = 2").fetchone()[0].count('"actor":"mallory"') == 1
    conn.commit()
    conn.close()
    result = run(db, "verify", code=1)
    assert "NOT intact" in result.output and "event 2" in result.output


def test_checkpoint_and_verify_with_the_key_detect_a_cut_tail(demo_db: Path, tmp_path: Path) -> None:
    db = _copy(demo_db, tmp_path / "ami.db")
    private, public, anchor = tmp_path / "service.key.pem", tmp_path / "service.pub.pem", tmp_path / "ami.anchor"
    assert "keep it secret" in run(db, "keygen", str(private), str(public)).output
    assert private.exists() and public.exists()
    head = _event_count(db)
    signed = run(db, "checkpoint", "--key", str(private), "--anchor", str(anchor)).output
    assert f"checkpoint at event {head}," in signed and anchor.exists()
    assert _event_count(db) == head + 1  # the checkpoint is journaled too
    assert "journal intact" in run(db, "verify", "--key", str(public), "--anchor", str(anchor)).output
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM events WHERE seq > ?", (head - 2,))  # the last three events, the checkpoint's too
    conn.commit()
    conn.close()
    result = run(db, "verify", "--key", str(public), "--anchor", str(anchor), code=1)
    assert "NOT intact" in result.output and "Traceback" not in result.output
    assert f"cut: the journal ends at seq {head - 2}, but a checkpoint was signed at seq {head}" in result.output
    assert "give both --key and --anchor" in run(db, "verify", "--key", str(public), code=2).output


def test_verify_receipt_finds_the_hash_a_receipt_quotes(demo_db: Path) -> None:
    def quoted(ref: str) -> str:
        run(demo_db, "document", "issue", ref, "--kind", "accuse_reception")
        html = run(demo_db, "document", "print", ref, "--kind", "accuse_reception", "--format", "html").output
        found = re.search(r'<code class="hash">([0-9a-f]{64})</code>', html)
        assert found, ref
        return found.group(1)

    paid, other = quoted(REF.format(9)), quoted(REF.format(8))
    assert "is an event of" in run(demo_db, "verify-receipt", REF.format(9), paid).output
    made_up = "0" * 64
    assert "NOT an event" in run(demo_db, "verify-receipt", REF.format(9), made_up, code=1).output
    assert "NOT an event" in run(demo_db, "verify-receipt", REF.format(9), other, code=1).output


def test_cli_doc_is_in_sync_with_help() -> None:
    assert cli_doc.DOC.read_text(encoding="utf-8") == cli_doc.render(), "run: python tests/cli_doc.py"


def _subprocess(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join([str(Path(__file__).parent.parent), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    return subprocess.run([sys.executable, "-m", "ami_workflow", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_end_to_end_demo_in_a_subprocess_is_quiet_when_piped(tmp_path: Path) -> None:
    done = _subprocess(["demo", "--no-documents"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "ami.db").exists()
    assert "Walking" not in done.stderr  # no progress bar when not on a terminal
    assert "€150,000.00" in done.stdout and "the checkpoint recorded as event" in done.stdout
    again = _subprocess(["demo", "--no-documents"], tmp_path)
    assert again.returncode == 2 and "--reset" in again.stderr and "Traceback" not in again.stderr
    # Dated by the real clock, long after the 2021 deadline.
    refused = _subprocess(["dossier", "fire", REF.format(2), "submit"], tmp_path)
    assert refused.returncode == 1 and "deadline" in refused.stderr


def test_dossier_import_checks_everything_before_writing(tmp_path: Path, clock: SetClock) -> None:
    db = tmp_path / "ami.db"
    run(db, "campaign", "add", "ami-cohesion-sociale-2021")
    clock("2021-03-10T09:00")
    entries = [
        {"applicant": {"name": f"Association {n}", "kind": "association", "rna": f"W62200{n:04d}"},
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
    created = json.loads(run(db, "dossier", "import", str(good), "--json").output)["created"]
    assert len(created) == 5 and len(json.loads(run(db, "dossier", "list", "--json").output)) == 5
    assert json.loads(run(db, "verify", "--json").output)["intact"] is True


def test_dossier_import_is_all_or_nothing_on_references(tmp_path: Path) -> None:
    db = tmp_path / "ami.db"
    run(db, "campaign", "add", "ami-cohesion-sociale-2021")
    twice = [{"applicant": {"name": "A", "kind": "association", "rna": "W622000001"}, "reference": "X"},
             {"applicant": {"name": "B", "kind": "association", "rna": "W622000002"}, "reference": "X"}]
    source = tmp_path / "twice.json"
    source.write_text(json.dumps(twice), encoding="utf-8")
    assert "entry 2" in run(db, "dossier", "import", str(source), code=2).output
    assert json.loads(run(db, "dossier", "list", "--json").output) == []
    french = tmp_path / "french.json"
    french.write_text(json.dumps([{"applicant": {"name": "C", "kind": "association", "rna": "W622000003"},
                                   "application": {"total_cost": "1 500,00"}}]), encoding="utf-8")
    run(db, "dossier", "import", str(french))
    assert json.loads(run(db, "dossier", "list", "--json").output)[0]["application"]["total_cost"] == "1500.00"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"applicant": {"name": "D", "kind": "association", "rna": "W622000004"},
                                "application": {"total_cost": "beaucoup"}}]), encoding="utf-8")
    assert "entry 1: application.total_cost" in run(db, "dossier", "import", str(bad), code=2).output
    not_a_database = tmp_path / "notes.db"
    not_a_database.write_text("this is not SQLite", encoding="utf-8")
    result = run(not_a_database, "report", code=2)
    assert "cannot be used" in result.output and "Traceback" not in result.output


def test_personal_data_export_and_erase_commands(tmp_path: Path, clock: SetClock) -> None:
    db = tmp_path / "ami.db"
    run(db, "campaign", "add", "ami-cohesion-sociale-2021")
    clock("2021-03-10T09:00")
    _new(db, tmp_path)
    exported = json.loads(run(db, "applicant", "export", "siren:732829320").output)
    personal = {v for e in exported["events"] for v in e["personal"].values()}
    assert personal == {"Claire Dupont", "FR1420041010050500013M02606"}
    out = tmp_path / "export.json"
    run(db, "applicant", "export", "siren:732829320", "-o", str(out))
    assert "Claire Dupont" in out.read_text(encoding="utf-8")
    erased = run(db, "applicant", "erase", "siren:732829320", "--reason", "demande")
    assert "2 personal data items erased" in erased.output  # the legal representative's name and the IBAN
    assert "Claire Dupont" not in run(db, "applicant", "export", "siren:732829320").output
    assert "no applicant" in run(db, "applicant", "export", "siren:000000000", code=2).output
    clock("2021-06-15T09:00")  # a session is recorded on its day, not before
    run(db, "committee", "c1", "2021-06-15", "--chair", "VP", "--member", "Ana:personnalites", "--member", "B:elus",
        "--member", "C:techniciens", "--member", "Dan:habitants")
    assert "erased from 1 committee session" in run(db, "erase-member", "Dan", "--reason", "demande").output
    assert "journal intact" in run(db, "verify").output
