"""The command line shows the data's escape sequences on a terminal, never obeys them (CWE-150).

The hostile name is stored through the library with the input checks set aside, as a database written before
them would hold it; the command line then reads it back.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from walk import applicant, application, new_flow

from ami_workflow import checks
from ami_workflow.cli import main, terminal
from ami_workflow.errors import InvalidInput

HOSTILE = "Asso \x1b[31mrouge\x1b[0m \x1b]0;pwned\x07\x9b2J\u202egnp.exe\rX"
TITLE = "Ateliers\x1b[2J"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "old.db"
    with monkeypatch.context() as m:
        m.setattr(checks, "_problem", lambda *args: None)  # an older library, before the checks
        flow = new_flow("sqlite", path=str(path))
        flow.create_dossier(applicant(1, name=HOSTILE), application(title=TITLE))
        flow.conn.close()
    return path


def _run(db: Path, *args: str, terminal_out: bool, monkeypatch: pytest.MonkeyPatch) -> Result:
    monkeypatch.setattr(terminal, "is_terminal", lambda stream: terminal_out)
    result = CliRunner().invoke(main, ["--db", str(db), *args], catch_exceptions=False, color=True)
    assert result.exit_code == 0, result.output
    return result


def _no_control(text: str) -> bool:
    return not any((ord(ch) < 0x20 and ch not in "\n\t") or 0x7F <= ord(ch) <= 0x9F or ch == "\u202e" for ch in text)


def test_the_new_checks_would_refuse_that_name() -> None:
    with pytest.raises(InvalidInput, match=r"U\+001B"):
        applicant(1, name=HOSTILE)


@pytest.mark.parametrize("command", [("dossier", "list"), ("dossier", "show", "ami-cohesion-sociale-2021-0001")])
def test_rule_a_terminal_is_shown_the_escape_sequences_not_sent_them(
    db: Path, command: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _run(db, *command, terminal_out=True, monkeypatch=monkeypatch).output
    assert "Asso \\x1b[31mrouge\\x1b[0m \\x1b]0;pwned\\x07\\u009b2J\\u202egnp.exe\\x0dX" in out
    assert _no_control(out)
    if command[1] == "show":
        assert "Ateliers\\x1b[2J" in out


def test_piped_output_is_written_as_it_is(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = _run(db, "dossier", "list", terminal_out=False, monkeypatch=monkeypatch).output
    assert "\x1b[31m" in out  # not a terminal: the bytes are the data's (color=True: click strips nothing)


def test_rule_json_on_a_terminal_stays_exact_json(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = _run(db, "dossier", "list", "--json", terminal_out=True, monkeypatch=monkeypatch).output
    assert _no_control(out)
    assert json.loads(out)[0]["applicant"]["name"] == HOSTILE.strip()


def test_neutralise_keeps_newlines_tabs_and_text() -> None:
    assert terminal.neutralise("Lens\tLiévin\n«ok»") == "Lens\tLiévin\n«ok»"
    assert terminal.neutralise("\x00\x7f") == "\\x00\\u007f"
