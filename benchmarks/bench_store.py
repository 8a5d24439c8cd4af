"""Benchmark of the SQLite store against raw sqlite3, and of whole campaigns stored on disk.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_store.py                      # ratio at FULL and NORMAL, 10 000 and 100 000
    PYTHONPATH=. python benchmarks/bench_store.py --sizes 2000,20000   # smaller scaling runs
    PYTHONPATH=. python benchmarks/bench_store.py --quick              # smoke test, a few seconds

Every store is opened with ``Workflow.open(path, campaign, clock=FixedClock(...), actor="bench")``
and its simulated clock is moved forward along the 2021 call's dates.

1. **One stored trigger vs raw sqlite3.** The store fires ``submit`` on fresh
   drafts (one ``BEGIN IMMEDIATE`` transaction each: read the dossier and the
   journal's head, run decide and its guards, chain the event, append it and
   update the projections). The baseline, in the same run, on the same disk
   and with the same pragmas, is raw ``sqlite3`` doing, inside its timer, the
   minimum a hash-chained journal needs: ``BEGIN IMMEDIATE``, read the head
   and the dossier's row, ``UPDATE`` the row, ``json.dumps`` of the event,
   the SHA-256 link to the head, ``INSERT`` of the event, ``COMMIT``. Printed:
   the median time of each and their ratio, at ``synchronous=FULL`` and
   ``NORMAL``.
2. **Scaling.** In a child process per size (so each peak RSS is its own),
   N dossiers are created and walked, all in step on the clock, through their
   whole life at ``synchronous=NORMAL``: 7 pieces and the paper original,
   submit, mark_complete, instruct, hear, approve, a deliberation per 1 000
   dossiers, and a payment (16 events a dossier), then ``verify()`` replays
   the journal. Printed: time per dossier for each N (flat = linear), the
   verification's time, the peak resident memory and the database's size.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from walk import DELIBERATION_AT, LAUNCH, PIECES_AT, TIMES, applicant, application, session

from ami_workflow import Deliberation, PaperOriginal, parse_campaign
from ami_workflow.calendar import FixedClock
from ami_workflow.store import Workflow

TEXT = (resources.files("ami_workflow.calls") / "ami-cohesion-sociale-2021.toml").read_text(encoding="utf-8")
BIG = parse_campaign(TEXT.replace('amount = "150000.00"', 'amount = "100000000000.00"', 1))
PIECES = [p.key for p in BIG.pieces]
ACTOR = "bench"


def disk_of(path: Path) -> str:
    """The file system that holds ``path``, from /proc/mounts."""
    best = ("", "?", "?")
    try:
        for line in Path("/proc/mounts").read_text().splitlines():
            device, mount, kind = line.split()[:3]
            if str(path.resolve()).startswith(mount) and len(mount) >= len(best[0]):
                best = (mount, kind, device)
    except OSError:
        pass
    return f"{best[2]} mounted on {best[0]} ({best[1]})"


def open_store(path: Path, start: datetime, synchronous: str) -> Workflow:
    """The store at ``path`` on a simulated clock set to ``start``."""
    return Workflow.open(path, BIG, clock=FixedClock(start), actor=ACTOR, synchronous=synchronous)


def move_clock(flow: Workflow, when: datetime) -> None:
    """Move the store's simulated clock forward to ``when`` (never back)."""
    clock = flow.clock
    assert isinstance(clock, FixedClock)
    clock.set(max(when, clock.now()))


def prepare(path: Path, count: int) -> list[str]:
    """Drafts ready to submit (their digital form attached), built quickly at synchronous=OFF."""
    with open_store(path, LAUNCH, "OFF") as flow:
        refs = [
            flow.create_dossier(applicant(n, siren=None, rna=f"W{n:09d}", name=f"Asso {n}"), application()).reference
            for n in range(count)
        ]
        move_clock(flow, PIECES_AT)
        for ref in refs:
            flow.attach(ref, "dossier_demande", b"form")
    return refs


def time_store(path: Path, refs: list[str], level: str) -> list[float]:
    times = []
    with open_store(path, TIMES["submit"], level) as flow:
        for ref in refs:
            start = time.perf_counter()
            flow.fire(ref, "submit")
            times.append(time.perf_counter() - start)
        assert all(flow.get(ref).state == "submitted" for ref in refs)
    return times


def time_raw(path: Path, refs: list[str], level: str) -> list[float]:
    """What a hash-chained journal minimally does per trigger, with raw sqlite3 and the same pragmas."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {level}")
    when = TIMES["submit"].isoformat()
    times = []
    for ref in refs:
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        seq, previous = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        data, version = conn.execute("SELECT data, version FROM dossiers WHERE reference = ?", (ref,)).fetchone()
        conn.execute("UPDATE dossiers SET state = 'submitted', version = ?, data = ? WHERE reference = ?",
                     (version + 1, data, ref))
        seq += 1
        text = json.dumps({"kind": "triggered", "campaign": BIG.id, "dossier": ref, "at": when, "recorded_at": when,
                           "actor": ACTOR, "data": {"trigger": "submit", "source": "draft", "dest": "submitted"},
                           "personal": {}, "seq": seq}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = hashlib.sha256(f"{previous}\n{text}".encode()).hexdigest()
        conn.execute(
            "INSERT INTO events (seq, campaign_id, dossier, kind, trigger, source, dest, at, recorded_at, actor, body,"
            " previous, hash) VALUES (?, ?, ?, 'triggered', 'submit', 'draft', 'submitted', ?, ?, ?, ?, ?, ?)",
            (seq, BIG.id, ref, when, when, ACTOR, text, previous, digest),
        )
        conn.execute("COMMIT")
        times.append(time.perf_counter() - start)
    conn.close()
    return times


def ratio_section(folder: Path, count: int) -> None:
    print("1. One stored trigger vs raw sqlite3 (head, row, UPDATE, json.dumps, SHA-256, INSERT in one transaction),"
          f" {count} triggers each")
    print(f"   disk: {disk_of(folder)}")
    print(f"   {'synchronous':<12} {'store (median)':>15} {'raw sqlite3':>12} {'ratio':>7}")
    for level in ("FULL", "NORMAL"):
        results: dict[str, list[float]] = {"store": [], "raw": []}
        for attempt in range(2):  # alternate, so that a noisy moment hits both
            for kind in ("store", "raw") if attempt == 0 else ("raw", "store"):
                path = folder / f"{level}-{kind}-{attempt}.db"
                refs = prepare(path, count)
                runner = time_store if kind == "store" else time_raw
                results[kind] += runner(path, refs, level)
        store, raw = statistics.median(results["store"]), statistics.median(results["raw"])
        print(f"   {level:<12} {store * 1000:>12.3f} ms {raw * 1000:>9.3f} ms {store / raw:>6.2f}x")


def walk_campaign(path: Path, count: int) -> None:
    """Create and walk ``count`` dossiers in step through their whole life (child process entry point)."""
    with open_store(path, LAUNCH, "NORMAL") as flow:
        start = time.perf_counter()
        refs = [
            flow.create_dossier(applicant(n, siren=None, rna=f"W{n:09d}", name=f"Asso {n}"), application()).reference
            for n in range(count)
        ]
        move_clock(flow, PIECES_AT)
        for n, ref in enumerate(refs):
            for key in PIECES:
                flow.attach(ref, key, f"{key} {n}".encode())
            flow.receive_original(ref, PaperOriginal("dossier_demande", date(2021, 4, 2), True, "Claire Dupont"))
        steps = (("submit", {}), ("mark_complete", {}), ("instruct", {"criteria": ["innovante"]}),
                 ("hear", {"session": "comite-2021-06-15"}), ("approve", {}))
        for trigger, data in steps:
            move_clock(flow, TIMES[trigger])
            if trigger == "hear":
                flow.record_session(session())
            for ref in refs:
                flow.fire(ref, trigger, **data)
        move_clock(flow, DELIBERATION_AT)
        for first in range(0, count, 1000):
            flow.record_deliberation(Deliberation(f"DEL-{first}", DELIBERATION_AT.date(), refs[first:first + 1000]))
        move_clock(flow, TIMES["pay"])
        for ref in refs:
            flow.fire(ref, "pay")
        elapsed = time.perf_counter() - start
        assert flow.totals().paid == Decimal("5000.00") * count
        checked = time.perf_counter()
        assert flow.verify() is None
        verify_seconds = time.perf_counter() - checked
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"count": count, "seconds": elapsed, "verify_seconds": verify_seconds, "peak_rss_kib": peak_kib,
                      "db_bytes": path.stat().st_size}))


def scaling_section(folder: Path, sizes: list[int]) -> None:
    print("\n2. Creating and walking N dossiers in step through their whole life, synchronous=NORMAL "
          "(16 events a dossier), then verify()")
    print(f"   {'N':>8} {'total':>10} {'per dossier':>12} {'vs first N':>11} {'verify/dossier':>15} "
          f"{'peak RSS':>10} {'database':>10}")
    first = None
    for count in sizes:
        path = folder / f"walk-{count}.db"
        out = subprocess.run([sys.executable, __file__, "--walk", str(path), str(count)], check=True,
                             capture_output=True, text=True, env={**os.environ}).stdout
        result = json.loads(out.strip().splitlines()[-1])
        per = result["seconds"] / count
        first = first or per
        print(f"   {count:>8} {result['seconds']:>9.1f}s {per * 1000:>9.3f} ms {per / first:>10.2f}x "
              f"{result['verify_seconds'] / count * 1000:>12.3f} ms "
              f"{result['peak_rss_kib'] / 1024:>7.0f} MiB {result['db_bytes'] / 2**20:>6.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--triggers", type=int, default=300, help="triggers timed per run for the ratio (default 300)")
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated N for the scaling runs")
    parser.add_argument("--quick", action="store_true", help="smoke test: 50 triggers and N = 100, 200")
    parser.add_argument("--dir", default=None, help="folder on the disk to measure (default: a temporary folder)")
    parser.add_argument("--walk", nargs=2, metavar=("DB", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.walk:
        walk_campaign(Path(args.walk[0]), int(args.walk[1]))
        return
    triggers, sizes_text = (50, "100,200") if args.quick else (args.triggers, args.sizes)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folder = Path(tmp)
        ratio_section(folder, triggers)
        sizes = [int(s) for s in sizes_text.split(",") if s.strip()]
        if sizes:
            scaling_section(folder, sizes)
    print(f"\n(whole benchmark: {time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
