"""verify on a large store: the chain pass and the full verification, against raw sqlite3 doing the same reading.

Run through ``benchmarks/run.py`` (``--only verify``), or alone::

    PYTHONPATH=. python benchmarks/bench_verify.py [--quick] [--size 100000] [--rounds 3]

The store holds N whole lives (1 000 with ``--quick``, else 100 000) of the 2021 call, 16 operations each (as in
bench_lives.py: creation, 7 pieces and the paper original, submit, mark_complete, instruct, hear, approve, pay,
with a committee session and a deliberation per 1 000 dossiers), built by the public API in batches at
``synchronous=OFF`` in a child process. A second child process then measures, in interleaved rounds (medians):

1. **The chain pass**: what ``verify`` runs first, :func:`ami_workflow.stored_chain.verify_texts` over the stored
   rows ``(seq, body, previous, hash)``, against raw sqlite3 doing ``SELECT`` of the same columns and the
   SHA-256 of ``previous + "\\n" + body`` compared with ``hash``. Target: ≥ 100 000 events/s, i.e. a ratio of at
   most (10 µs) / (the baseline's µs per event) in the same run.
2. **The full verify** without re-hashing the pieces' bytes, ``verify(files=False)``: the chain, the personal
   values and every projection against the replay of the journal; against the same raw pass plus ``json.loads``
   of every body. Target: ≥ 20 000 events/s, i.e. a ratio of at most (50 µs) / (the baseline's µs per event).
3. **Peak RSS** of the measuring process (which ran every verify) against its RSS before the first one: the
   target, ≤ 100 MiB absolute, is printed as the matching ratio.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from bench_lives import _open, batched, walk_groups  # the same lives, in batches at synchronous=OFF
from common import Figure, interleaved

from ami_workflow.store import Workflow
from ami_workflow.stored_chain import verify_texts

SELECT = "SELECT seq, body, previous, hash FROM events ORDER BY seq"


def build(path: Path, count: int) -> None:
    """``count`` whole lives in a new store at ``path`` (child process entry point)."""
    with _open(path, "OFF") as flow:
        walk_groups(flow, [(0, count, batched(flow))])
        assert flow.totals().paid > 0
    print(json.dumps({"built": count}))


def raw_chain(conn: sqlite3.Connection) -> int:
    """The baseline of the chain pass: read the rows and check each hash, nothing else."""
    count = 0
    for _, body, previous, digest in conn.execute(SELECT):
        if hashlib.sha256(f"{previous}\n{body}".encode()).hexdigest() != digest:
            raise AssertionError("the chain is broken")
        count += 1
    return count


def raw_full(conn: sqlite3.Connection) -> int:
    """The baseline of the full verify: the same, and parse every body."""
    count = 0
    for _, body, previous, digest in conn.execute(SELECT):
        if hashlib.sha256(f"{previous}\n{body}".encode()).hexdigest() != digest:
            raise AssertionError("the chain is broken")
        json.loads(body)
        count += 1
    return count


def _rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(path: Path, rounds: int) -> dict[str, float]:
    """Seconds of each side (medians of interleaved rounds), and the RSS before and after (child process)."""
    conn = sqlite3.connect(path)
    events = int(conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])
    with Workflow.open(path) as flow:
        before = _rss_kib()

        def chain() -> float:
            start = time.process_time()
            assert verify_texts(flow._chain_rows()) is None
            return time.process_time() - start

        def full() -> float:
            start = time.process_time()
            assert flow.verify(files=False) is None
            return time.process_time() - start

        def timed_raw(function: object) -> float:
            start = time.process_time()
            assert function(conn) == events  # type: ignore[operator]
            return time.process_time() - start

        times = interleaved({"chain": chain, "raw chain": lambda: timed_raw(raw_chain)}, rounds)
        times |= interleaved({"full": full, "raw full": lambda: timed_raw(raw_full)}, rounds)
        after = _rss_kib()
    conn.close()
    return {**times, "events": events, "rss_before_kib": before, "rss_after_kib": after,
            "db_bytes": path.stat().st_size}


def _child(*arguments: str) -> str:
    done = subprocess.run([sys.executable, __file__, *arguments], check=True, capture_output=True, text=True,
                          env={**os.environ})
    return done.stdout.strip().splitlines()[-1]


def run(size: int, rounds: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"verify-{size}.db"
        start = time.perf_counter()
        _child("--build", str(path), str(size))
        built = time.perf_counter() - start
        result: dict[str, float] = json.loads(_child("--measure", str(path), str(rounds)))
    return {**result, "build_seconds": built}


def figures_of(size: int, result: dict[str, float]) -> Iterator[Figure]:
    per = 1e6 / result["events"]  # seconds of a pass to µs per event
    chain, raw_chain_us = result["chain"] * per, result["raw chain"] * per
    full, raw_full_us = result["full"] * per, result["raw full"] * per
    events = f"{result['events']:.0f} events of {size} dossiers"
    yield Figure("verify", f"chain pass, {size} dossiers, per event", chain, raw_chain_us,
                 "raw sqlite3 SELECT of the same columns + hashlib.sha256 of each row", "µs", 10 / raw_chain_us,
                 f"{1e6 / chain:,.0f} events/s (target ≥ 100,000 ev/s: ratio ≤ 10 µs / baseline); {events}")
    yield Figure("verify", f"verify(files=False), {size} dossiers, per event", full, raw_full_us,
                 "the same raw pass + json.loads of every body", "µs", 50 / raw_full_us,
                 f"{1e6 / full:,.0f} events/s (target ≥ 20,000 ev/s: ratio ≤ 50 µs / baseline); "
                 f"database {result['db_bytes'] / 2**20:.0f} MiB built in {result['build_seconds']:.0f} s")
    before, after = result["rss_before_kib"] / 1024, result["rss_after_kib"] / 1024
    yield Figure("verify", f"peak RSS of verify, {size} dossiers", after, before,
                 "the same process before its first verify (store open); target ≤ 100 MiB absolute", "MiB",
                 100 / before)


def figures(quick: bool) -> Iterator[Figure]:
    size = 1000 if quick else 100_000
    yield from figures_of(size, run(size, 5 if quick else 3))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--size", type=int, default=None, help="dossiers in the store (default 100 000)")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--build", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--measure", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        build(Path(args.build[0]), int(args.build[1]))
        return
    if args.measure:
        print(json.dumps(measure(Path(args.measure[0]), int(args.measure[1]))))
        return
    from common import figures_table

    size = args.size or (1000 if args.quick else 100_000)
    rounds = args.rounds or (5 if args.quick else 3)
    print("\n".join(figures_table(list(figures_of(size, run(size, rounds))))))


if __name__ == "__main__":
    main()
