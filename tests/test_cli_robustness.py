"""The command line's error contract (issue 14): exit codes, arguments that are not UTF-8, hostile files.

Exit codes: 0 ok; 1 refused by a guard, the dossier's state or a stale version, and only then; 2 bad input
(a usage error, an ``InvalidInput``, an unknown record, a database the library cannot use), the field named;
3 an internal error (tests/test_cli_traps.py). Never a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from walk import applicant, application, new_flow

from ami_workflow.cli import main

ROOT = Path(__file__).parent.parent
DEEP = 50_000


def run(*args: str, code: int) -> Result:
    result = CliRunner().invoke(main, list(args), env={"AMI_WORKFLOW_LANG": "en"})
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += _commands(command, (*path, name))
        else:
            found.append((*path, name))
    return found


COMMANDS = _commands(main)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with one draft dossier, D1 (no pieces)."""
    path = tmp_path_factory.mktemp("cli") / "ami.db"
    flow = new_flow("sqlite", path=str(path))
    flow.create_dossier(applicant(1), application(), reference="D1")
    flow.close()
    return path


def test_every_command_is_enumerated() -> None:
    assert len(COMMANDS) > 35 and ("dossier", "show") in COMMANDS and ("campaign", "add") in COMMANDS


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_an_argument_that_is_not_utf8_is_refused_with_exit_2(command: tuple[str, ...], db: Path) -> None:
    # b"\xff" as Python hands it over on Linux (PEP 383): a lone surrogate.
    result = run("--db", str(db), *command, "\udcff", code=2)
    assert "is not valid UTF-8" in result.output and "\\xff" in result.output


def test_a_real_non_utf8_argv_is_refused_in_a_subprocess(db: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AMI_WORKFLOW_LANG": "en"}
    done = subprocess.run([sys.executable, "-m", "ami_workflow", "--db", str(db).encode(), "dossier", "show",
                           b"D\xff1"], capture_output=True, env=env, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    assert b"argument 5 (D\\xff1) is not valid UTF-8" in done.stderr and b"Traceback" not in done.stderr


@pytest.mark.parametrize("text", [
    "[" * DEEP + "]" * DEEP,
    '[{"applicant": ' + "[" * DEEP + "]" * DEEP + "}]",
    "[" + "9" * 5000 + "]",
    '[{"applicant": {"name": "A", "kind": "association"}, "application": {"participants": ' + "9" * 5000 + "}}]",
    '[{"applicant": []}]',
    '[{"applicant": {"name": "A", "kind": "association"}, "application": {"total_cost": 1e999999}}]',
], ids=["deep", "deep-applicant", "5000-digits", "5000-digit-count", "applicant-list", "huge-float"])
def test_dossier_import_of_a_hostile_json_file_is_a_clear_error(text: str, db: Path, tmp_path: Path) -> None:
    source = tmp_path / "entries.json"
    source.write_text(text, encoding="utf-8")
    result = run("--db", str(db), "dossier", "import", str(source), code=2)
    assert "Error" in result.output and ("entries.json" in result.output or "entry 1" in result.output)


@pytest.mark.parametrize("text", [
    "a = " + "[" * DEEP + "]" * DEEP,
    "[calendar]\nlaunch = " + "9" * 5000,
    "x = " + "{ a = " * 2000 + "1" + " }" * 2000,
], ids=["deep-array", "5000-digits", "deep-table"])
@pytest.mark.parametrize("command", [("campaign", "add"), ("campaign", "rollover", "--year", "2022", "--from"),
                                     ("dossier", "new", "--from")], ids=" ".join)
def test_a_hostile_toml_file_is_a_clear_error(text: str, command: tuple[str, ...], db: Path,
                                              tmp_path: Path) -> None:
    source = tmp_path / "call.toml"
    source.write_text(text, encoding="utf-8")
    result = run("--db", str(db), *command, str(source), code=2)
    assert "call.toml" in result.output
    assert "nested too deeply" in result.output or "4 300 digits" in result.output or "Invalid" in result.output


def test_a_deep_json_file_for_dossier_new_is_a_clear_error(db: Path, tmp_path: Path) -> None:
    source = tmp_path / "dossier.json"
    source.write_text(json.dumps({"applicant": 1})[:-1] + ", \"x\": " + "[" * DEEP + "]" * DEEP + "}",
                      encoding="utf-8")
    assert "arrays or tables nested too deeply" in run("--db", str(db), "dossier", "new", "--from", str(source),
                                                       code=2).output


def test_bad_input_exits_2_with_the_field_named(db: Path) -> None:
    assert "'30/04/2021' is not an ISO date" in run("--db", str(db), "enforceable", "D1", "30/04/2021",
                                                    code=2).output
    usage = run("--db", str(db), "pay", "D1", "--amount", "abc", code=2).output
    assert "amount" in usage


def test_an_unknown_dossier_exits_2(db: Path) -> None:
    assert "NOPE" in run("--db", str(db), "dossier", "show", "NOPE", code=2).output


def test_a_file_that_is_not_a_database_exits_2(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"not a database, only text" * 100)
    assert "Error" in run("--db", str(bogus), "dossier", "list", code=2).output


def test_a_usage_error_exits_2() -> None:
    assert "No such command" in run("dossier", "explode", code=2).output


def test_a_refusal_by_a_guard_or_the_state_exits_1_and_only_it(db: Path) -> None:
    refused = run("--db", str(db), "dossier", "fire", "D1", "submit", code=1).output
    assert "submit refused" in refused  # the pieces are missing
    illegal = run("--db", str(db), "dossier", "fire", "D1", "approve", code=1).output
    assert "not possible from state 'draft'" in illegal


def test_the_errors_are_in_french_by_default(db: Path, tmp_path: Path) -> None:
    french = CliRunner().invoke(main, ["--db", str(db), "dossier", "show", "\udcff"], env={"AMI_WORKFLOW_LANG": "fr"})
    assert french.exit_code == 2
    assert "Erreur : l'argument 5 (\\xff) n'est pas du texte UTF-8 valide" in french.output
    source = tmp_path / "entries.json"
    source.write_text("[" * DEEP, encoding="utf-8")
    deep = CliRunner().invoke(main, ["--db", str(db), "dossier", "import", str(source)],
                              env={"AMI_WORKFLOW_LANG": "fr"})
    assert deep.exit_code == 2 and "tableaux ou tables imbriqués trop profondément" in deep.output
