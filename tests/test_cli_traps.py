"""The traps a new user met on the command line (issue 13, « The CLI, without traps »): one test per trap."""

from __future__ import annotations

import getpass
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from walk import applicant, application, attach_all, new_flow, walk

from ami_workflow import Workflow
from ami_workflow.calendar import SystemClock, parse_instant
from ami_workflow.cli import app as cli_app
from ami_workflow.cli import main
from ami_workflow.exports import DOSSIER_COLUMNS

REF = "ami-cohesion-sociale-2021-{:04d}"
OTHER_CALL = "fonds-participation-habitants-2021"


def invoke(*args: str, code: int = 0, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False, env=env)
    assert result.exit_code == code, result.output
    return result


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("demo") / "ami.db"
    invoke("--db", str(db), "demo", "--no-documents", "--count", "6")
    return db


def _instructed(tmp_path: Path) -> tuple[Path, str]:
    """A database with one instructed dossier (its next triggers, hear and return_for_pieces, need data)."""
    path = tmp_path / "instructed.db"
    flow = new_flow("sqlite", path=str(path))
    ref = flow.create_dossier(applicant(), application()).reference
    attach_all(flow, ref)
    walk(flow, ref, "instruct")
    flow.close()
    return path, ref


def test_db_before_or_after_the_command_and_from_the_environment(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    after = tmp_path / "after.db"
    invoke("demo", "--db", str(after), "--no-documents", "--count", "2")  # the user's own words
    assert after.exists() and not Path("ami.db").exists()
    assert REF.format(1) in invoke("dossier", "list", "--db", str(after)).output
    assert REF.format(1) in invoke("--db", str(after), "dossier", "list").output
    assert REF.format(1) in invoke("dossier", "list", env={"AMI_WORKFLOW_DB": str(after)}).output
    # After the command, it wins over the one before and over the environment.
    missing = tmp_path / "missing.db"
    assert "no database" in invoke("--db", str(after), "report", "--db", str(missing), code=2).output
    assert "no database" in invoke("report", "--db", str(missing), env={"AMI_WORKFLOW_DB": str(after)},
                                   code=2).output


def test_campaign_add_does_not_switch_silently_to_the_new_campaign(demo_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "two.db"
    db.write_bytes(demo_db.read_bytes())
    added = invoke("--db", str(db), "campaign", "add", OTHER_CALL)
    assert "--campaign" in added.stderr and OTHER_CALL in added.stderr  # how to choose, said at once
    # No command quietly uses the new, empty campaign: each one is refused, naming both.
    for args in (("export", "csv"), ("report",), ("dossier", "list"), ("agenda",), ("diagram",),
                 ("dossier", "show", REF.format(1))):
        refused = invoke("--db", str(db), *args, code=2)
        assert "ami-cohesion-sociale-2021" in refused.stderr and OTHER_CALL in refused.stderr, args
        assert "--campaign" in refused.stderr and refused.stdout == ""
    # Named (before, after, or in the environment), it is used, and said on stderr.
    chosen = invoke("--db", str(db), "--campaign", "ami-cohesion-sociale-2021", "export", "csv")
    assert chosen.stdout.startswith("reference,") and REF.format(1) in chosen.stdout
    assert "campaign ami-cohesion-sociale-2021 (one of 2" in chosen.stderr
    empty = invoke("--db", str(db), "export", "csv", "--campaign", OTHER_CALL)
    assert empty.stdout.splitlines() == [",".join(DOSSIER_COLUMNS)]  # the header, even with no dossier
    assert f"campaign {OTHER_CALL} (one of 2" in empty.stderr
    listed = invoke("--db", str(db), "dossier", "list", env={"AMI_WORKFLOW_CAMPAIGN": "ami-cohesion-sociale-2021"})
    assert REF.format(1) in listed.stdout
    assert OTHER_CALL in invoke("--db", str(db), "campaign", "list").stdout  # every campaign: no choice needed


def test_agenda_without_at_defaults_to_now(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    now = parse_instant("2021-04-20T09:00")
    monkeypatch.setattr(SystemClock, "now", lambda self: now)
    implicit = invoke("--db", str(demo_db), "agenda", "--json").stdout
    assert json.loads(implicit)  # something is due in April 2021
    assert implicit == invoke("--db", str(demo_db), "agenda", "--at", "2021-04-20T09:00", "--json").stdout


def test_dossier_show_says_which_options_to_give_instead_of_a_type_error(tmp_path: Path) -> None:
    db, ref = _instructed(tmp_path)
    out = invoke("--db", str(db), "dossier", "show", ref).stdout
    assert "Args" not in out and "__init__" not in out and "positional argument" not in out
    assert "return_for_pieces needs issues" in out and "hear needs session" in out
    assert f"dossier fire {ref} return_for_pieces --issue PIECE:missing|incorrect|outdated[:NOTE]" in out
    assert f"dossier fire {ref} hear --session SESSION" in out
    data = json.loads(invoke("--db", str(db), "dossier", "show", ref, "--json").stdout)
    assert data["next"]["return_for_pieces"] == ["return_for_pieces needs issues"]
    assert data["next"]["hear"] == ["hear needs session"]


def test_dossier_show_history_names_the_piece_of_each_attach_line(demo_db: Path) -> None:
    out = invoke("--db", str(demo_db), "dossier", "show", REF.format(1)).stdout
    received = [line.split("piece received: ")[1].split()[0] for line in out.splitlines() if "piece received" in line]
    assert len(received) > 1 and len(set(received)) == len(received)  # one line per piece, each named
    assert "statuts" in received
    assert any("paper original received: dossier_demande" in line for line in out.splitlines())


def test_dossier_show_says_when_nothing_is_next(demo_db: Path) -> None:
    store = Workflow.open(demo_db)
    rejected = next(d.reference for d in store.dossiers() if d.state == "rejected")
    store.close()
    out = invoke("--db", str(demo_db), "dossier", "show", rejected).stdout
    assert "next: nothing, rejected is final" in out
    assert not any(line.strip() == "next:" for line in out.splitlines())


def test_json_writes_lists_not_frozensets(demo_db: Path) -> None:
    outputs = [invoke("--db", str(demo_db), *args).stdout for args in (
        ("dossier", "show", REF.format(1), "--json"), ("dossier", "list", "--json"), ("campaign", "show", "--json"),
        ("report", "--json"), ("export", "json"))]
    for text in outputs:
        assert "frozenset" not in text
    shown = json.loads(outputs[0])
    assert isinstance(shown["dossier"]["instruction"]["criteria"], list)


def test_pay_help_lists_only_pays_options() -> None:
    text = invoke("pay", "--help").stdout
    for option in ("--amount", "--payment-ref", "--at", "--actor", "--expected-version"):
        assert option in text
    for option in ("--criteria", "--proposed", "--session", "--motivation", "--issue", "--postmark", "--data",
                   "--reason"):
        assert option not in text
    assert "--criteria" in invoke("dossier", "fire", "--help").stdout  # fire keeps them all


def test_names_are_consistent_and_the_old_ones_are_hidden_aliases(tmp_path: Path) -> None:
    # A call file or bundled call is --call, in diagram and in campaign rollover alike; --from still works.
    assert "--call" in invoke("campaign", "rollover", "--help").stdout
    assert "--from" not in invoke("campaign", "rollover", "--help").stdout
    db = str(tmp_path / "none.db")
    new = invoke("--db", db, "campaign", "rollover", "--year", "2023", "--call", OTHER_CALL).stdout
    assert new == invoke("--db", db, "campaign", "rollover", "--year", "2023", "--from", OTHER_CALL).stdout
    # The legal representative is --legal-representative, as the record's field; --representative still works.
    help_text = invoke("dossier", "new", "--help").stdout
    assert "--legal-representative" in help_text and "--representative " not in help_text
    db = str(tmp_path / "ami.db")
    invoke("--db", db, "campaign", "add", "ami-cohesion-sociale-2021")
    for option, name in (("--legal-representative", "Claire Dupont"), ("--representative", "Paul Martin")):
        made = json.loads(invoke("--db", db, "dossier", "new", "--name", "Asso", "--siren", "732829320", option, name,
                                 "--json").stdout)
        assert made["applicant"]["legal_representative"] == name


def test_actor_defaults_to_the_os_user_everywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(getpass, "getuser", lambda: "agent.dupont")
    db = tmp_path / "ami.db"
    invoke("--db", str(db), "campaign", "add", "ami-cohesion-sociale-2021")
    ref = json.loads(invoke("--db", str(db), "dossier", "new", "--name", "Asso", "--rna", "W622000123",
                                "--json").stdout)["reference"]
    invoke("--db", str(db), "dossier", "fire", ref, "withdraw", "--reason", "r")
    invoke("--db", str(db), "amend-calendar", "jury", "2021-06-01", "2021-07-09", "--reason", "r")
    with sqlite3.connect(db) as conn:
        actors = {row[0] for row in conn.execute("SELECT actor FROM events")}
    assert actors == {"agent.dupont"}
    for command in (("dossier", "fire"), ("pay",), ("dossier", "new"), ("amend-calendar",), ("committee",),
                    ("campaign", "set-funder"), ("checkpoint",)):
        assert "default: the login name" in invoke(*command, "--help").stdout, command


def test_unknown_values_are_refused_with_the_known_values_listed(demo_db: Path, tmp_path: Path) -> None:
    state = invoke("--db", str(demo_db), "dossier", "list", "--state", "payé", code=2).stderr
    assert "unknown state 'payé'" in state and "paid" in state and "draft" in state
    axis = invoke("--db", str(demo_db), "dossier", "list", "--axis", "sport", code=2).stderr
    assert "unknown axis 'sport'" in axis and "education" in axis
    qpv = invoke("--db", str(demo_db), "dossier", "list", "--qpv", "QP999999", code=2).stderr
    assert "unknown QPV code 'QP999999'" in qpv and "QP062024" in qpv
    db = tmp_path / "ami.db"
    invoke("--db", str(db), "campaign", "add", "ami-cohesion-sociale-2021")
    source = tmp_path / "import.json"
    source.write_text(json.dumps([{"applicant": {"name": "Asso", "kind": "association", "siren": "732829320"},
                                   "application": {"title": "t", "axis": "nope"}}]), encoding="utf-8")
    refused = invoke("--db", str(db), "dossier", "import", str(source), code=2).stderr
    assert "entry 1, axis: unknown axis 'nope'; the call knows" in refused and "education" in refused
    assert json.loads(invoke("--db", str(db), "dossier", "list", "--json").stdout) == []


def test_progress_bar_does_not_interleave_with_the_demo_narrative(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_app, "_interactive", lambda: True)  # as on a terminal, where the bars are drawn
    result = invoke("--db", str(tmp_path / "ami.db"), "demo", "--count", "3")
    narrative = result.stdout.splitlines()
    assert narrative[0].startswith("== ")
    assert "Walking" not in result.output  # no bar over the walk: its narrative is its progress
    assert "Issuing the documents" in result.stderr  # the issuing, which prints nothing, keeps its bar
    assert not any("Issuing" in line for line in narrative)


def test_mermaid_diagram_keeps_its_title_and_marks_no_current_state(demo_db: Path) -> None:
    text = invoke("--db", str(demo_db), "diagram").stdout
    lines = text.splitlines()
    assert lines[:3] == ["---", 'title: "Appel à Manifestation d\'Intérêt 2021 (AMI) – Cohésion sociale"', "---"]
    assert lines[3] == "stateDiagram-v2"
    assert not any(line.strip().startswith("Class ") and line.endswith("s_active") for line in lines)
    assert "  Class draft s_default" in lines
    other = invoke("diagram", "--call", OTHER_CALL).stdout
    assert other.splitlines()[1].startswith('title: "Fonds de Participation des Habitants 2021')


def test_a_broken_pipe_exits_quietly(demo_db: Path) -> None:
    """``ami-workflow dossier list | head -0``: no "Broken pipe" message, no traceback, the shell's code 141."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    command = [sys.executable, "-m", "ami_workflow", "--db", str(demo_db), "dossier", "list"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as writer:
        assert writer.stdout is not None and writer.stderr is not None
        writer.stdout.close()  # the only reader is gone before the first line: every write breaks the pipe
        error = writer.stderr.read().decode()
        code = writer.wait(timeout=60)
    assert "Broken pipe" not in error and "Traceback" not in error, error
    assert code == 141


def test_rule_an_interrupted_demo_leaves_no_half_built_database(tmp_path: Path) -> None:
    """``ami-workflow demo | head -0``: the demo is built aside and moved into place only once whole."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    db = tmp_path / "ami.db"
    command = [sys.executable, "-m", "ami_workflow", "--db", str(db), "demo", "--count", "3", "--no-documents"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as writer:
        assert writer.stdout is not None and writer.stderr is not None
        writer.stdout.close()
        error = writer.stderr.read().decode()
        code = writer.wait(timeout=120)
    assert code == 141 and "Traceback" not in error, error
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".pem")) == []  # nothing half-built
    done = subprocess.run(command, capture_output=True, env=env, timeout=120)
    assert done.returncode == 0 and db.exists() and not Path(f"{db}.building").exists()
    assert invoke("--db", str(db), "verify").exit_code == 0


def test_an_internal_error_is_a_message_and_exit_3_never_a_traceback(demo_db: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A defect (an exception the library did not mean to raise) exits 3 with a plain message, not 1 nor 2."""
    from ami_workflow import reports

    def broken(*args: object, **kwargs: object) -> object:
        raise KeyError("axis")

    monkeypatch.setattr(reports, "campaign_report", broken)
    monkeypatch.delenv("AMI_WORKFLOW_DEBUG", raising=False)
    result = CliRunner().invoke(main, ["--db", str(demo_db), "report"], env={"AMI_WORKFLOW_LANG": "en"})
    assert result.exit_code == 3, result.output
    assert "Internal error (KeyError: 'axis')" in result.output and "AMI_WORKFLOW_DEBUG=1" in result.output
    assert ("Traceback" not in result.output and result.exception is None) or isinstance(result.exception, SystemExit)
    debug = CliRunner().invoke(main, ["--db", str(demo_db), "report"], env={"AMI_WORKFLOW_DEBUG": "1"})
    assert isinstance(debug.exception, KeyError)  # with the variable set, the traceback is there to read
