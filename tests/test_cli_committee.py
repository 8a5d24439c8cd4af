"""The committee's and the council's commands (issue "The committee and the decision") through the command line."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from walk import SESSION_ID, TIMES, applicant, application, at, attach_all, new_flow, walk_all

from ami_workflow import load_campaign
from ami_workflow.calendar import PARIS, SystemClock, parse_instant
from ami_workflow.cli import main

CAMPAIGN = load_campaign("ami-cohesion-sociale-2021")
GRID = CAMPAIGN.committee.grid
assert GRID is not None


#: The simulated system clock the command line dates its acts by (set by the fixture, moved by :func:`run`).
_CLOCK = [datetime(2021, 6, 15, 14, tzinfo=PARIS)]


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """The command line dates its acts by the system clock: set here, as tests/test_cli.py does."""
    _CLOCK[0] = datetime(2021, 6, 15, 14, tzinfo=PARIS)
    monkeypatch.setattr(SystemClock, "now", lambda self: _CLOCK[0])
    return _CLOCK


def run(db: Path, *args: str, code: int = 0, when: str) -> Result:
    _CLOCK[0] = max(_CLOCK[0], parse_instant(when))
    result = CliRunner().invoke(main, ["--db", str(db), *args])
    assert result.exit_code == code, result.output
    return result


def test_board_conflicts_scores_and_the_council_through_the_cli(tmp_path: Path, now: list[datetime]) -> None:
    db = tmp_path / "ami.db"
    flow = new_flow("sqlite", path=str(db))
    refs = [str(flow.create_dossier(applicant(n), application()).reference) for n in (1, 2, 3)]
    for ref in refs:
        attach_all(flow, ref)
    walk_all(flow, refs, "instruct")
    at(flow, TIMES["hear"])
    flow.close()
    hearing = "2021-06-15T14:00"
    run(db, "board", refs[0], "--board", "Luc Gris=président", "--bureau", "Zoé Vert=trésorière", when=hearing)
    run(db, "board", refs[0], "--board", "Luc Gris", code=2, when=hearing)  # NAME=ROLE
    run(db, "committee", SESSION_ID, "2021-06-15", "--chair", "VP", "--member", "A:personnalites", "--member",
        "B:elus", "--member", "C:techniciens", "--member", "D:habitants", "--member", "Luc Gris:elus",
        "--declares", f"C={refs[1]}", when=hearing)
    found = json.loads(run(db, "conflicts", "--json", when=hearing).output)
    assert {(c["member"], c["dossier"], c["status"]) for c in found} == {("Luc Gris", refs[0], "open"),
                                                                         ("C", refs[1], "open")}
    run(db, "dossier", "fire", refs[0], "hear", "--session", SESSION_ID, "--no-document", code=1, when=hearing)
    run(db, "rule-conflict", refs[0], SESSION_ID, "Luc Gris", "--confirm", "--reason", "Président.", when=hearing)
    run(db, "rule-conflict", refs[1], SESSION_ID, "C", "--dismiss", "--reason", "Lien ancien.", when=hearing)
    for ref in refs:
        run(db, "dossier", "fire", ref, "hear", "--session", SESSION_ID, "--no-document", when=hearing)
    marks = [arg for c in GRID.criteria for arg in ("--mark", f"{c.key}=4")]
    run(db, "score", refs[0], SESSION_ID, "Luc Gris", *marks, code=1, when=hearing)  # recused
    run(db, "score", refs[0], SESSION_ID, "B", *marks, "--opinion", "Solide.", when=hearing)
    run(db, "score", refs[0], SESSION_ID, "B", "--mark", "priorites=x", code=2, when=hearing)
    for ref in refs:
        run(db, "dossier", "fire", ref, "approve", "--no-document", when="2021-06-15T17:00")
    later = "2021-09-27T18:00"
    run(db, "deliberation", "DEL-1", "2021-09-27", refs[0], "--amount", f"{refs[1]}=4000", "--refuse",
        f"{refs[2]}=Hors priorités.", when=later, code=1)  # Luc Gris, elected and interested, must be absent
    out = run(db, "deliberation", "DEL-1", "2021-09-27", refs[0], "--amount", f"{refs[1]}=4000", "--refuse",
              f"{refs[2]}=Hors priorités.", "--absent", "Luc Gris", when=later).output
    assert "grants 2 dossiers" in out and "refuses 1 proposal" in out
    shown = json.loads(run(db, "dossier", "show", refs[2], "--json", when=later).output)
    assert shown["dossier"]["state"] == "rejected"
    run(db, "enforceable", "DEL-1", "2021-09-28", when="2021-09-29T09:00")
    run(db, "pay", refs[1], when="2021-10-05T10:00")
    paid = json.loads(run(db, "dossier", "show", refs[1], "--json", when="2021-10-05T10:00").output)
    assert paid["dossier"]["state"] == "paid" and paid["dossier"]["approved"] == "4000.00"
