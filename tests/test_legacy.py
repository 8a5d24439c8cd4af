"""Databases from version 0.1: opened, their old events kept and verified, their tables rebuilt from the journal.

``tests/data/ami-0.1-demo-8-dossiers.db`` was written by ami_workflow 0.1 (commit 704dcb6):
``ami-workflow demo --count 8``, then ``erase-member "M. l'Habitant"`` and ``applicant erase siren:097829733``.
``…report.json`` is what that version's ``report --json`` printed for it.
"""

from __future__ import annotations

import itertools
import json
import shutil
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from ami_workflow import FixedClock, Kind
from ami_workflow.calendar import PARIS
from ami_workflow.journal import verify_chain
from ami_workflow.personal import ERASED
from ami_workflow.reports import campaign_report, report_dict
from ami_workflow.store import Workflow
from ami_workflow.store.legacy import IMPORT_ACTOR

DATA = Path(__file__).parent / "data"
OLD = DATA / "ami-0.1-demo-8-dossiers.db"
NOW = datetime(2026, 12, 1, 9, tzinfo=PARIS)


@pytest.fixture
def old_file(tmp_path: Path) -> Path:
    path = tmp_path / "ami.db"
    shutil.copy(OLD, path)
    return path


def _old_chain(path: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT seq, hash FROM events ORDER BY seq").fetchall()


def test_an_old_file_opens_verifies_and_keeps_its_events(old_file: Path) -> None:
    before = _old_chain(old_file)
    with Workflow.open(old_file, clock=FixedClock(NOW), actor="test") as flow:
        assert flow.verify() is None
        chained = flow.events()
        assert [(e.seq, e.hash) for e in chained[: len(before)]] == before  # the old events are untouched
        assert verify_chain(chained) is None
        journal = list(flow.iter_journal())
        assert {e.kind for e in journal[: len(before)]} == {Kind.LEGACY}
        imported = journal[len(before):]
        assert {e.actor for e in imported} == {IMPORT_ACTOR}
        assert sum(e.kind is Kind.DOSSIER_IMPORTED for e in imported) == len(flow.dossiers()) == 8
        stamps = [e.recorded_at for e in imported]
        assert all(a is not None and b is not None and a < b for a, b in itertools.pairwise(stamps))


def test_an_old_file_reports_what_it_reported_before(old_file: Path) -> None:
    expected = json.loads((DATA / "ami-0.1-demo-8-dossiers.report.json").read_text(encoding="utf-8"))
    with Workflow.open(old_file, clock=FixedClock(NOW), actor="test") as flow:
        assert json.loads(json.dumps(report_dict(campaign_report(flow)), default=str)) == expected


def test_erasures_made_by_the_old_version_stay_erased(old_file: Path) -> None:
    with Workflow.open(old_file, clock=FixedClock(NOW), actor="test") as flow:
        [session] = flow.sessions()
        assert ERASED in [m.name for m in session.members]
        erased = [d for d in flow.dossiers() if d.applicant.identity == "siren:097829733"]
        assert erased and all(d.applicant.legal_representative == ERASED for d in erased)
        kept = [d for d in flow.dossiers() if d.applicant.identity != "siren:097829733"]
        assert any(d.applicant.legal_representative not in (None, ERASED) for d in kept)


def test_the_import_runs_once_and_then_tampering_is_found(old_file: Path) -> None:
    with Workflow.open(old_file, clock=FixedClock(NOW), actor="test") as flow:
        count = len(flow.events())
    with Workflow.open(old_file, clock=FixedClock(NOW), actor="test") as flow:
        assert len(flow.events()) == count
    with sqlite3.connect(old_file) as conn:
        conn.execute("UPDATE dossiers SET approved_cents = approved_cents + 100 WHERE approved_cents IS NOT NULL")
    with Workflow.open(old_file, clock=FixedClock(NOW), actor="test") as flow:
        problem = flow.verify()
        assert problem is not None and "approved_cents" in problem.reason


def test_an_imported_dossier_goes_on_as_any_other(old_file: Path) -> None:
    with Workflow.open(old_file, clock=FixedClock(NOW), actor="test") as flow:
        granted = next(d for d in flow.dossiers() if d.state in ("approved", "paid"))
        flow.record_financial_report(granted.reference, NOW.date())
        received = {r.dossier: r.received_on for r in flow.financial_reports()}
        assert received[granted.reference] == NOW.date()
        history = flow.history(granted.reference)
        assert history[0].kind is Kind.LEGACY and history[0].trigger == "create"
        assert flow.verify() is None
