"""Benchmark of the SQLite store against raw sqlite3, and of whole campaigns stored on disk.

Run from the repository root::

    python benchmarks/bench_store.py                      # ratio at FULL and NORMAL, then 10 000 and 100 000 dossiers
    python benchmarks/bench_store.py --sizes 2000,20000   # smaller scaling runs

1. **One stored trigger vs raw sqlite3.** The store fires ``submit`` on fresh
   drafts (one ``BEGIN IMMEDIATE`` transaction each: re-read, guards, update,
   journal). The baseline, in the same run, on the same disk and with the
   same pragmas, is raw ``sqlite3`` doing the same ``UPDATE`` of the dossier
   row and ``INSERT`` of the journal row in one transaction. Printed: the
   median time of each and their ratio, at ``synchronous=FULL`` and ``NORMAL``.
2. **Scaling.** In a child process per size (so each peak RSS is its own),
   N dossiers are created and walked through their whole life at
   ``synchronous=NORMAL``: 7 pieces and the paper original, submit,
   mark_complete, instruct, hear, approve, a deliberation per 1 000 dossiers,
   and a payment. Printed: time per dossier for each N (flat = linear) and
   the peak resident memory.
"""

from __future__ import annotations

import argparse
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

from walk import TIMES, applicant, application, session

from ami_workflow import Deliberation, PaperOriginal, parse_campaign
from ami_workflow.calendar import PARIS
from ami_workflow.store import Workflow

TEXT = (resources.files("ami_workflow.calls") / "ami-cohesion-sociale-2021.toml").read_text(encoding="utf-8")
BIG = parse_campaign(TEXT.replace('amount = "150000.00"', 'amount = "100000000000.00"', 1))
PIECES = [p.key for p in BIG.pieces]
CREATED = datetime(2021, 3, 10, 9, tzinfo=PARIS)


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


def prepare(path: Path, count: int) -> list[str]:
    """Drafts ready to submit (their digital form attached), built quickly at synchronous=OFF."""
    with Workflow.open(path, BIG, synchronous="OFF") as flow:
        refs = []
        for n in range(count):
            ref = flow.create_dossier(
                applicant(n, siren=None, rna=f"W{n:09d}", name=f"Asso {n}"), application(), at=CREATED
            ).reference
            flow.attach(ref, "dossier_demande", b"form", at=CREATED)
            refs.append(ref)
    return refs


def time_store(path: Path, refs: list[str], level: str) -> list[float]:
    times = []
    with Workflow.open(path, BIG, synchronous=level) as flow:
        for ref in refs:
            start = time.perf_counter()
            flow.fire(ref, "submit", at=TIMES["submit"], actor="bench")
            times.append(time.perf_counter() - start)
    return times


def time_raw(path: Path, refs: list[str], level: str) -> list[float]:
    """The same UPDATE and INSERT in one transaction, with raw sqlite3 and the same pragmas."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {level}")
    select = "SELECT data, version FROM dossiers WHERE reference = ?"
    rows = {ref: conn.execute(select, (ref,)).fetchone() for ref in refs}
    body = json.dumps({"kind": "trigger", "trigger": "submit", "source": "draft", "dest": "submitted",
                       "at": TIMES["submit"].isoformat(), "actor": "bench", "payload": {}})
    times = []
    seq = conn.execute("SELECT MAX(seq) FROM events").fetchone()[0]
    for ref in refs:
        data, version = rows[ref]
        seq += 1
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE dossiers SET state = 'submitted', version = ?, data = ? WHERE reference = ?",
                     (version + 1, data, ref))
        conn.execute(
            "INSERT INTO events"
            " (seq, campaign_id, dossier, kind, trigger, source, dest, at, actor, body, previous, hash)"
            " VALUES (?, ?, ?, 'trigger', 'submit', 'draft', 'submitted', ?, 'bench', ?, ?, ?)",
            (seq, BIG.id, ref, TIMES["submit"].isoformat(), body, "0" * 64, f"{seq:064x}"),
        )
        conn.execute("COMMIT")
        times.append(time.perf_counter() - start)
    conn.close()
    return times


def ratio_section(folder: Path, count: int) -> None:
    print(f"1. One stored trigger vs raw sqlite3 (UPDATE + INSERT in one transaction), {count} triggers each")
    print(f"   disk: {disk_of(folder)}")
    print(f"   {'synchronous':<12} {'store (median)':>15} {'raw sqlite3':>12} {'ratio':>7}")
    for level in ("FULL", "NORMAL"):
        results = {"store": [], "raw": []}
        for attempt in range(2):  # alternate, so that a noisy moment hits both
            for kind in ("store", "raw") if attempt == 0 else ("raw", "store"):
                path = folder / f"{level}-{kind}-{attempt}.db"
                refs = prepare(path, count)
                runner = time_store if kind == "store" else time_raw
                results[kind] += runner(path, refs, level)
        store, raw = statistics.median(results["store"]), statistics.median(results["raw"])
        print(f"   {level:<12} {store * 1000:>12.3f} ms {raw * 1000:>9.3f} ms {store / raw:>6.2f}x")


def walk_campaign(path: Path, count: int) -> None:
    """Create and walk ``count`` dossiers through their whole life (child process entry point)."""
    with Workflow.open(path, BIG, synchronous="NORMAL") as flow:
        flow.record_session(session())
        start = time.perf_counter()
        pending: list[str] = []
        for n in range(count):
            ref = flow.create_dossier(
                applicant(n, siren=None, rna=f"W{n:09d}", name=f"Asso {n}"), application(), at=CREATED
            ).reference
            for key in PIECES:
                flow.attach(ref, key, f"{key} {n}".encode(), received_on=date(2021, 4, 1), at=CREATED)
            flow.receive_original(ref, PaperOriginal("dossier_demande", date(2021, 4, 2), True, "Claire Dupont"))
            flow.fire(ref, "submit", at=TIMES["submit"])
            flow.fire(ref, "mark_complete", at=TIMES["mark_complete"])
            flow.fire(ref, "instruct", at=TIMES["instruct"], criteria=["innovante"])
            flow.fire(ref, "hear", at=TIMES["hear"], session="comite-2021-06-15")
            flow.fire(ref, "approve", at=TIMES["approve"])
            pending.append(ref)
            if len(pending) == 1000 or n == count - 1:
                flow.record_deliberation(Deliberation(f"DEL-{n}", date(2021, 9, 27), pending))
                for done in pending:
                    flow.fire(done, "pay", at=TIMES["pay"])
                pending = []
        elapsed = time.perf_counter() - start
        assert flow.totals().paid == Decimal("5000.00") * count
        assert flow.verify() is None
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"count": count, "seconds": elapsed, "peak_rss_kib": peak_kib,
                      "db_bytes": path.stat().st_size}))


def scaling_section(folder: Path, sizes: list[int]) -> None:
    print("\n2. Creating and walking N dossiers through their whole life, synchronous=NORMAL (15 writes a dossier)")
    print(f"   {'N':>8} {'total':>10} {'per dossier':>12} {'vs first N':>11} {'peak RSS':>10} {'database':>10}")
    first = None
    for count in sizes:
        path = folder / f"walk-{count}.db"
        out = subprocess.run([sys.executable, __file__, "--walk", str(path), str(count)], check=True,
                             capture_output=True, text=True, env={**os.environ}).stdout
        result = json.loads(out.strip().splitlines()[-1])
        per = result["seconds"] / count
        first = first or per
        print(f"   {count:>8} {result['seconds']:>9.1f}s {per * 1000:>9.3f} ms {per / first:>10.2f}x "
              f"{result['peak_rss_kib'] / 1024:>7.0f} MiB {result['db_bytes'] / 2**20:>6.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--triggers", type=int, default=300, help="triggers timed per run for the ratio (default 300)")
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated N for the scaling runs")
    parser.add_argument("--dir", default=None, help="folder on the disk to measure (default: a temporary folder)")
    parser.add_argument("--walk", nargs=2, metavar=("DB", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.walk:
        walk_campaign(Path(args.walk[0]), int(args.walk[1]))
        return
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folder = Path(tmp)
        ratio_section(folder, args.triggers)
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
        if sizes:
            scaling_section(folder, sizes)


if __name__ == "__main__":
    main()
