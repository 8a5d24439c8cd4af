"""Benchmark of the SQLite store against raw sqlite3, and of whole campaigns stored on disk.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_store.py                      # ratio at FULL and NORMAL, 10 000 and 100 000
    PYTHONPATH=. python benchmarks/bench_store.py --sizes 2000,20000   # smaller scaling runs
    PYTHONPATH=. python benchmarks/bench_store.py --quick              # smoke test, a few seconds

Every store is opened with ``Workflow.open(path, campaign, clock=FixedClock(...), actor="bench")``
and its simulated clock is moved forward along the 2021 call's dates.

1. **One stored trigger vs raw sqlite3.** The store fires ``submit``, ``instruct``, ``approve`` and ``pay`` on
   dossiers walked to the state before (one ``BEGIN IMMEDIATE`` transaction each: read the dossier and the
   journal's head, run decide and its guards, chain the event, append it and
   update the projections). The baseline, in the same run, on the same disk
   and with the same journal mode and ``synchronous`` level (the store's own
   ``secure_delete`` and ``foreign_keys`` are part of its cost), is raw ``sqlite3`` doing, inside its timer, the
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
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from common import Figure, disk_of
from walk import DELIBERATION_AT, LAUNCH, PIECES_AT, TIMES, applicant, application, session

from ami_workflow import Deliberation, PaperOriginal, parse_campaign
from ami_workflow.calendar import FixedClock
from ami_workflow.store import Workflow

TEXT = (resources.files("ami_workflow.calls") / "ami-cohesion-sociale-2021.toml").read_text(encoding="utf-8")
BIG = parse_campaign(TEXT.replace('amount = "150000.00"', 'amount = "100000000000.00"', 1))
PIECES = [p.key for p in BIG.pieces]
ACTOR = "bench"


def open_store(path: Path, start: datetime, synchronous: str) -> Workflow:
    """The store at ``path`` on a simulated clock set to ``start``."""
    return Workflow.open(path, BIG, clock=FixedClock(start), actor=ACTOR, synchronous=synchronous)


def move_clock(flow: Workflow, when: datetime) -> None:
    """Move the store's simulated clock forward to ``when`` (never back)."""
    clock = flow.clock
    assert isinstance(clock, FixedClock)
    clock.set(max(when, clock.now()))


ORDER = ("submit", "mark_complete", "instruct", "hear", "approve", "pay")
TIMED = ("submit", "instruct", "approve", "pay")
DATA: dict[str, dict[str, object]] = {"instruct": {"criteria": ["innovante"]}, "hear": {"session": "comite-2021-06-15"}}
AFTER = {"submit": "submitted", "mark_complete": "complete", "instruct": "instructed", "hear": "audited",
         "approve": "approved", "pay": "paid"}


def prepare(path: Path, count: int, trigger: str = "submit") -> list[str]:
    """Dossiers ready for ``trigger`` (walked through the triggers before it), built in batches at synchronous=OFF."""
    with open_store(path, LAUNCH, "OFF") as flow, flow.batch():
        refs = [
            flow.create_dossier(applicant(n, siren=None, rna=f"W{n:09d}", name=f"Asso {n}"),
                                application()).reference
            for n in range(count)
        ]
        move_clock(flow, PIECES_AT)
        for ref in refs:
            for key in PIECES:
                flow.attach(ref, key, f"{key} {ref}".encode())
            flow.receive_original(ref, PaperOriginal("dossier_demande", date(2021, 4, 2), True, "Claire Dupont"))
        for step in ORDER[:ORDER.index(trigger)]:
            move_clock(flow, TIMES[step])
            if step == "hear":
                flow.record_session(session())
            for ref in refs:
                flow.fire(ref, step, **DATA.get(step, {}))
        if trigger == "hear":
            flow.record_session(session())
        if trigger == "pay":
            move_clock(flow, DELIBERATION_AT)
            for first in range(0, count, 1000):
                flow.record_deliberation(Deliberation(f"DEL-{first}", DELIBERATION_AT.date(),
                                                      tuple(refs[first:first + 1000]),
                                                      enforceable_on=DELIBERATION_AT.date()))
    return refs


def time_store(path: Path, refs: list[str], level: str, trigger: str = "submit") -> list[float]:
    times = []
    with open_store(path, TIMES[trigger], level) as flow:
        data = DATA.get(trigger, {})
        for ref in refs:
            start = time.perf_counter()
            flow.fire(ref, trigger, **data)
            times.append(time.perf_counter() - start)
        assert all(flow.get(ref).state == AFTER[trigger] for ref in refs)
    return times


def time_raw(path: Path, refs: list[str], level: str, trigger: str = "submit") -> list[float]:
    """What a hash-chained journal minimally does per trigger, with raw sqlite3, WAL and the same ``synchronous``."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {level}")
    when = TIMES[trigger].isoformat()
    source = {t: AFTER[ORDER[i - 1]] if i else "draft" for i, t in enumerate(ORDER)}[trigger]
    dest = AFTER[trigger]
    times = []
    for ref in refs:
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        seq, previous = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        data, version = conn.execute("SELECT data, version FROM dossiers WHERE reference = ?", (ref,)).fetchone()
        conn.execute("UPDATE dossiers SET state = ?, version = ?, data = ? WHERE reference = ?",
                     (dest, version + 1, data, ref))
        seq += 1
        text = json.dumps({"kind": "triggered", "campaign": BIG.id, "dossier": ref, "at": when, "recorded_at": when,
                           "actor": ACTOR, "data": {"trigger": trigger, "source": source, "dest": dest},
                           "personal": {}, "seq": seq}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = hashlib.sha256(f"{previous}\n{text}".encode()).hexdigest()
        conn.execute(
            "INSERT INTO events (seq, campaign_id, dossier, kind, trigger, source, dest, at, recorded_at, actor, body,"
            " previous, hash) VALUES (?, ?, ?, 'triggered', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (seq, BIG.id, ref, trigger, source, dest, when, when, ACTOR, text, previous, digest),
        )
        conn.execute("COMMIT")
        times.append(time.perf_counter() - start)
    conn.close()
    return times


def trigger_ratios(folder: Path, count: int, triggers: tuple[str, ...] = TIMED) -> Iterator[Figure]:
    """A stored trigger against raw sqlite3 at FULL and NORMAL, each the median of two interleaved runs a side."""
    for level in ("FULL", "NORMAL"):
        for trigger in triggers:
            results: dict[str, list[float]] = {"store": [], "raw": []}
            for attempt in range(2):  # alternate, so that a noisy moment hits both
                for kind in ("store", "raw") if attempt == 0 else ("raw", "store"):
                    path = folder / f"{level}-{trigger}-{kind}-{attempt}.db"
                    refs = prepare(path, count, trigger)
                    runner = time_store if kind == "store" else time_raw
                    results[kind] += runner(path, refs, level, trigger)
            store, raw = statistics.median(results["store"]), statistics.median(results["raw"])
            yield Figure("trigger", f"stored {trigger}, synchronous={level}", store * 1e3, raw * 1e3,
                         "raw sqlite3: head, row, UPDATE, json.dumps, SHA-256, INSERT, COMMIT", "ms",
                         1.5 if level == "FULL" else 3.0, f"{count} triggers a run; disk {disk_of(folder)}")


def figures(quick: bool) -> Iterator[Figure]:
    """The figures for ``benchmarks/run.py``: each trigger against raw sqlite3 (the scaling is bench_lives.py's)."""
    with tempfile.TemporaryDirectory() as tmp:  # 150 with --quick: 50 a run left the medians too noisy to read
        yield from trigger_ratios(Path(tmp), 150 if quick else 300)


def ratio_section(folder: Path, count: int) -> None:
    print("1. One stored trigger vs raw sqlite3 (head, row, UPDATE, json.dumps, SHA-256, INSERT in one transaction),"
          f" {count} triggers each")
    print(f"   disk: {disk_of(folder)}")
    print(f"   {'trigger':<26} {'store (median)':>15} {'raw sqlite3':>12} {'ratio':>7}")
    for figure in trigger_ratios(folder, count):
        print(f"   {figure.name.removeprefix('stored '):<26} {figure.value:>12.3f} ms {figure.baseline:>9.3f} ms"
              f" {figure.ratio:>6.2f}x")


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
            flow.record_deliberation(Deliberation(f"DEL-{first}", DELIBERATION_AT.date(), refs[first:first + 1000],
                                                  enforceable_on=DELIBERATION_AT.date()))
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
