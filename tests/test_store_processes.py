"""Real OS processes against one SQLite file: concurrent approvals, writers killed with SIGKILL, racing openers.

SQLite only (the in-memory backend has no file to share). Every process opens
the store with a simulated clock and an actor; the workers are in ``store_workers.py``.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import store_workers
from walk import CAMPAIGN, LAUNCH, TIMES, applicant, application, attach_all, walk_all

from ami_workflow.calendar import FixedClock
from ami_workflow.money import from_cents
from ami_workflow.store import SCHEMA_MIGRATIONS, SchemaError, Workflow
from ami_workflow.store.connection import connect, migrate

HERE = Path(__file__).parent
WORKER = str(HERE / "store_workers.py")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), str(HERE.parent), env.get("PYTHONPATH", "")])
    return env


def _reader(path: str) -> Workflow:
    """The store opened to check it, on a clock after every act of the tests."""
    return Workflow.open(path, CAMPAIGN.id, clock=FixedClock(TIMES["pay"]), actor="test")


def test_concurrent_approvals_never_exceed_the_envelope(tmp_path: Path) -> None:
    """4 processes race to approve 40 dossiers whose requests add up to twice the envelope."""
    path = str(tmp_path / "race.db")
    rng = random.Random(2021)
    amounts = {}
    with Workflow.open(path, CAMPAIGN, synchronous="OFF", clock=FixedClock(LAUNCH), actor="test") as flow:
        for n in range(40):
            requested = Decimal(rng.randrange(4_000, 11_000))
            ref = flow.create_dossier(
                applicant(n, siren=None, rna=f"W{n:09d}", name=f"Asso {n}"),
                application(total_cost=requested * 2, requested=requested),
            ).reference
            amounts[ref] = requested
        for ref in amounts:
            attach_all(flow, ref)
        walk_all(flow, list(amounts), "hear")  # in step: the session is recorded on its day, once
        assert {d.state for d in flow.dossiers()} == {"audited"}
    assert sum(amounts.values()) > 2 * Decimal(100_000)
    refs = list(amounts)
    procs = []
    for i in range(4):
        order = refs[:]
        random.Random(i).shuffle(order)
        procs.append(subprocess.Popen([sys.executable, WORKER, "approve", path, *order], env=_env(),
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outputs = [p.communicate(timeout=240) for p in procs]
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
    approved_lines = [line for out, _ in outputs for line in out.splitlines() if line.startswith("approved")]
    with _reader(path) as flow:
        totals = flow.totals()
        approved = {d.reference: d.approved for d in flow.dossiers(state="approved")}
        assert flow.verify() is None
        approvals = [e for ref in refs for e in flow.history(ref) if e.trigger == "approve"]
    assert len(approved_lines) == len(approved) == len(approvals)  # each dossier approved exactly once
    # Each approval names its worker and is dated by the worker's clock (a microsecond after the last event at most).
    assert {e.actor for e in approvals} <= {f"worker-{p.pid}" for p in procs}
    assert all(TIMES["approve"] <= e.at < TIMES["approve"] + timedelta(seconds=1) for e in approvals)
    assert totals.approved == sum(approved.values()) <= CAMPAIGN.envelope.amount
    # Every approval that fits is accepted: whatever is left over is too small for any refused request.
    refused = [amounts[ref] for ref in refs if ref not in approved]
    assert refused and all(amount > totals.remaining for amount in refused)


def _check_consistent(path: str) -> int:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute(
            """SELECT d.reference, d.state, d.version,
                      (SELECT COUNT(*) FROM events e WHERE e.dossier = d.reference),
                      COALESCE((SELECT e.dest FROM events e WHERE e.dossier = d.reference AND e.dest IS NOT NULL
                                ORDER BY seq DESC LIMIT 1), 'draft'),
                      d.paid_cents, d.approved_cents
               FROM dossiers d"""
        ).fetchall()
    finally:
        conn.close()
    for reference, state, version, count, last_dest, paid, approved in rows:
        assert state == last_dest, f"{reference}: state {state} but last event goes to {last_dest}"
        assert count == version + 1, f"{reference}: {count} events for version {version}"
        assert paid <= (approved or 0)
    with _reader(path) as flow:
        assert flow.verify() is None
        assert flow.replayed_states() == {r[0]: r[1] for r in rows}
        approved = sum(flow.totals(cid).approved for cid in flow.campaign_ids())
        assert approved == from_cents(sum(r[6] or 0 for r in rows))
    return len(rows)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkilled_writer_leaves_a_consistent_database(tmp_path: Path) -> None:
    """Kill a writer at 8 random points of a long batch; after each kill the file is consistent."""
    path = str(tmp_path / "crash.db")
    Workflow.open(path, CAMPAIGN, synchronous="NORMAL", clock=FixedClock(LAUNCH), actor="test").close()
    rng = random.Random(7)
    kills, start = 8, 0
    seen = []
    for _ in range(kills):
        proc = subprocess.Popen([sys.executable, WORKER, "churn", path, str(start)], env=_env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        # Wait until it has really started writing, then kill it at a random moment.
        while time.monotonic() < deadline and proc.poll() is None:
            line = proc.stdout.readline() if proc.stdout else ""
            if line:
                break
        time.sleep(rng.uniform(0.0, 0.4))
        proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL, err
        count = _check_consistent(path)
        seen.append(count)
        start = count + 1000 * len(seen)
    assert seen == sorted(seen) and seen[-1] > seen[0]


OPENERS, ROUNDS = 8, 10


def _race_open(paths: list[str]) -> list[str]:
    """8 processes open each path at the same moment (a Barrier per round); the failures, if any."""
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(OPENERS), ctx.Queue()
    procs = [ctx.Process(target=store_workers.open_race, args=(paths, barrier, results, n)) for n in range(OPENERS)]
    for proc in procs:
        proc.start()
    try:
        outcomes = [results.get(timeout=120) for _ in procs]
    finally:
        for proc in procs:
            proc.join(timeout=30)
    assert all(proc.exitcode == 0 for proc in procs), [proc.exitcode for proc in procs]
    return [
        f"{path}: {outcome}" for _, row in outcomes for path, outcome in zip(paths, row, strict=True) if outcome != "ok"
    ]


def _schema(path: str) -> list[tuple[str, str, str]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
        ).fetchall()
    finally:
        conn.close()


def _check_opened_once(path: str, reference_schema: list[tuple[str, str, str]]) -> None:
    """Complete schema, every migration recorded once, one campaign row and one add_campaign event."""
    assert _schema(path) == reference_schema
    with Workflow.open(path, CAMPAIGN) as flow:
        names = [r[0] for r in flow.conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
        assert names == [m.name for m in SCHEMA_MIGRATIONS._migrations]
        assert flow.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert flow.campaign_ids() == [CAMPAIGN.id]
        assert [e.body["kind"] for e in flow.events()] == ["campaign_added"]
        assert flow.verify() is None


def _reference_schema(tmp_path: Path) -> list[tuple[str, str, str]]:
    path = str(tmp_path / "reference.db")
    Workflow.open(path, CAMPAIGN).close()
    return _schema(path)


def test_processes_opening_a_new_file_at_once_all_succeed(tmp_path: Path) -> None:
    """8 processes x 10 rounds create the same new file at the same moment: no raw sqlite3 error, one campaign."""
    paths = [str(tmp_path / f"new-{n}.db") for n in range(ROUNDS)]
    assert _race_open(paths) == []
    reference = _reference_schema(tmp_path)
    for path in paths:
        _check_opened_once(path, reference)


def _older_schema_file(path: str) -> None:
    """A file at the first schema only (m001), as an older ami_workflow left it."""
    from sqlite_utils import Database

    db = Database(path)
    SCHEMA_MIGRATIONS.apply(db, stop_before="m002_totals_links_personal_data")
    db.close()


def test_processes_opening_an_older_file_at_once_all_succeed(tmp_path: Path) -> None:
    """8 processes x 10 rounds open the same first-schema file at once: it is migrated exactly once."""
    paths = [str(tmp_path / f"old-{n}.db") for n in range(ROUNDS)]
    for path in paths:
        _older_schema_file(path)
    assert _race_open(paths) == []
    reference = _reference_schema(tmp_path)
    for path in paths:
        _check_opened_once(path, reference)


def test_migrate_twice_is_a_no_op(tmp_path: Path) -> None:
    """The second run changes nothing; only the missing migrations are applied to an older file."""
    path = str(tmp_path / "old.db")
    _older_schema_file(path)
    first = sqlite3.connect(path).execute("SELECT id, name, applied_at FROM _sqlite_migrations").fetchall()
    conn = connect(path)
    try:
        migrate(conn)
        rows = conn.execute("SELECT id, name, applied_at FROM _sqlite_migrations ORDER BY id").fetchall()
        assert rows[:1] == first and [r[1] for r in rows] == [m.name for m in SCHEMA_MIGRATIONS._migrations]
        schema, changes = _schema(path), conn.total_changes
        migrate(conn)
        assert conn.total_changes == changes and not conn.in_transaction
        assert _schema(path) == schema
        assert conn.execute("SELECT id, name, applied_at FROM _sqlite_migrations ORDER BY id").fetchall() == rows
    finally:
        conn.close()


def test_migrated_files_stay_compatible_with_sqlite_utils(tmp_path: Path) -> None:
    """``_sqlite_migrations`` is the table sqlite-utils makes, and sqlite-utils sees nothing pending."""
    from sqlite_utils import Database

    ours, theirs = str(tmp_path / "ours.db"), str(tmp_path / "theirs.db")
    conn = connect(ours)
    migrate(conn)
    conn.close()
    db = Database(theirs)
    SCHEMA_MIGRATIONS.apply(db)
    db.close()
    assert _schema(ours) == _schema(theirs)
    db = Database(ours)
    assert SCHEMA_MIGRATIONS.pending(db) == []
    db.close()


def test_unusable_files_still_raise_schema_error(tmp_path: Path) -> None:
    """A foreign SQLite file, a newer version's file and a file that is not SQLite: SchemaError, left untouched."""
    foreign = tmp_path / "foreign.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE budget (x)")
    conn.commit()
    conn.close()
    newer = tmp_path / "newer.db"
    Workflow.open(newer, CAMPAIGN).close()
    conn = sqlite3.connect(newer)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('ami_workflow', 'm999', 'x')"
    )
    conn.commit()
    conn.close()
    garbage = tmp_path / "notes.db"
    garbage.write_text("not a database, just some notes\n" * 100)
    for path, message in ((foreign, "not an ami_workflow one"), (newer, "newer ami_workflow .* m999"),
                          (garbage, "not a SQLite database")):
        before = _schema(str(path)) if path != garbage else None
        with pytest.raises(SchemaError, match=message):
            Workflow.open(path, CAMPAIGN)
        if before is not None:
            assert _schema(str(path)) == before
            conn = connect(path)
            try:
                with pytest.raises(SchemaError, match=message):
                    migrate(conn)
                assert not conn.in_transaction
            finally:
                conn.close()
    assert garbage.read_text().startswith("not a database")
