"""Real OS processes against one SQLite file: concurrent approvals, and writers killed with SIGKILL.

SQLite only (the in-memory backend has no file to share). Every process opens
the store with a simulated clock and an actor; the workers are in ``store_workers.py``.
"""

from __future__ import annotations

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
from walk import CAMPAIGN, LAUNCH, TIMES, applicant, application, attach_all, walk_all

from ami_workflow.calendar import FixedClock
from ami_workflow.money import from_cents
from ami_workflow.store import Workflow

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
