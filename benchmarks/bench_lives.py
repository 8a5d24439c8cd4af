"""Whole dossier lives on the SQLite store: batches against single transactions, and a flat cost up to 100 000.

Run through ``benchmarks/run.py`` (``--only lives``), or alone::

    PYTHONPATH=. python benchmarks/bench_lives.py [--quick] [--sizes 1000,100000]

A *life* is the 16 operations of one dossier through the 2021 call: its creation, 7 pieces and the paper
original, submit, mark_complete, instruct, hear, approve and pay (with one committee session and one
deliberation per 1 000 dossiers, recorded on their days). Every store runs on a simulated clock moved along the
call's dates, phase by phase, so that all dossiers walk in step.

1. **Batches.** N lives (10 000; ``--quick``: 500) in batches of 100 operations (``with flow.batch():``), at
   ``synchronous=FULL`` against the same at ``OFF``: the per-operation cost at FULL must stay within 1.2× of OFF,
   i.e. the commit's fsync is amortised and nothing else is paid per operation. Also printed: one transaction per
   operation at FULL (on N / 10 lives), against the batch at FULL.
2. **Flat cost.** In one child process per size N (1 000 and 100 000; ``--quick``: 200 and 2 000): N lives are
   built in batches at ``synchronous=OFF``, and phase by phase, 200 further lives run one transaction per operation
   at the default ``FULL``; the CPU time (``time.process_time``) of each of those lives is summed over its
   operations. Printed: the median at the largest N against the smallest (target ≤ 1.1×), and the peak RSS of the
   largest (target ≤ 100 MiB).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from bench_store import ACTOR, BIG, PIECES  # the 2021 call with an envelope large enough for any N
from common import Figure
from walk import DELIBERATION_AT, LAUNCH, PIECES_AT, TIMES, applicant, application, session

from ami_workflow import Deliberation, PaperOriginal
from ami_workflow.calendar import FixedClock
from ami_workflow.store import Workflow

BATCH = 100
STEPS = (("submit", {}), ("mark_complete", {}), ("instruct", {"criteria": ["innovante"]}),
         ("hear", {"session": "comite-2021-06-15"}), ("approve", {}), ("pay", {}))


def _open(path: Path, synchronous: str) -> Workflow:
    return Workflow.open(path, BIG, clock=FixedClock(LAUNCH), actor=ACTOR, synchronous=synchronous)


def _move(flow: Workflow, when: object) -> None:
    clock = flow.clock
    assert isinstance(clock, FixedClock)
    clock.set(max(when, clock.now()))  # type: ignore[type-var]


Operation = tuple[int, Callable[[], object]]  # (the dossier's number, the operation)
Runner = Callable[[Iterable[Operation]], None]  # operations come as a stream: 100 000 lives are not held at once


def walk_groups(flow: Workflow, groups: list[tuple[int, int, Runner]]) -> list[list[str]]:
    """Walk groups of new lives in step, phase by phase; each group is (first number, count, runner).

    Each phase's operations of a group are handed to its runner (which batches them, or times them one by one).
    """
    refs: list[list[str]] = [[] for _ in groups]

    def create(group: list[str], n: int) -> Callable[[], object]:
        return lambda: group.append(flow.create_dossier(
            applicant(n, siren=None, rna=f"W{n:09d}", name=f"Asso {n}"), application()).reference)

    for (first, count, run), group in zip(groups, refs, strict=True):
        run((first + i, create(group, first + i)) for i in range(count))
    _move(flow, PIECES_AT)
    def pieces(group: list[str], first: int) -> Iterator[Operation]:
        for n, ref in enumerate(group, start=first):
            for key in PIECES:
                yield n, lambda r=ref, k=key, n=n: flow.attach(r, k, f"{k} {n}".encode())
            yield n, lambda r=ref: flow.receive_original(
                r, PaperOriginal("dossier_demande", date(2021, 4, 2), True, "Claire Dupont"))

    for (first, _, run), group in zip(groups, refs, strict=True):
        run(pieces(group, first))
    everyone = [ref for group in refs for ref in group]
    for trigger, data in STEPS:
        _move(flow, TIMES[trigger])
        if trigger == "hear":
            flow.record_session(session())
        if trigger == "pay":
            _move(flow, DELIBERATION_AT)
            for start in range(0, len(everyone), 1000):
                flow.record_deliberation(Deliberation(f"DEL-{start}", DELIBERATION_AT.date(),
                                                      tuple(everyone[start:start + 1000]),
                                                      enforceable_on=DELIBERATION_AT.date()))
            _move(flow, TIMES["pay"])
        for (first, _, run), group in zip(groups, refs, strict=True):
            run((n, lambda r=ref, t=trigger, d=data: flow.fire(r, t, **d)) for n, ref in enumerate(group, first))
    return refs


def batched(flow: Workflow) -> Runner:
    """Run the operations in batches of :data:`BATCH`, one transaction each."""
    def run(operations: Iterable[Operation]) -> None:
        stream = iter(operations)
        while chunk := list(itertools.islice(stream, BATCH)):
            with flow.batch():
                for _, operation in chunk:
                    operation()
    return run


def single(operations: Iterable[Operation]) -> None:
    """Run the operations one transaction each."""
    for _, operation in operations:
        operation()


def timed(flow: Workflow, cpu: dict[int, float], synchronous: str) -> Runner:
    """Run the operations one transaction each at ``synchronous``, adding each one's CPU time to its dossier's."""
    def run(operations: Iterable[Operation]) -> None:
        flow.conn.execute(f"PRAGMA synchronous = {synchronous}")
        for n, operation in operations:
            start = time.process_time()
            operation()
            cpu[n] = cpu.get(n, 0.0) + time.process_time() - start
        flow.conn.execute("PRAGMA synchronous = OFF")
    return run


def time_lives(folder: Path, name: str, count: int, synchronous: str, batch: bool) -> float:
    """Seconds per operation for ``count`` lives (16 operations each) on a new store."""
    path = folder / f"{name}.db"
    with _open(path, synchronous) as flow:
        start = time.perf_counter()
        walk_groups(flow, [(0, count, batched(flow) if batch else single)])
        elapsed = time.perf_counter() - start
        assert flow.totals().paid > 0
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return elapsed / (count * 16)


def batch_figures(count: int) -> Iterator[Figure]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        full = time_lives(folder, "full-batch", count, "FULL", True)
        off = time_lives(folder, "off-batch", count, "OFF", True)
        full2 = time_lives(folder, "full-batch-2", count, "FULL", True)  # the other order, so noise hits both
        off2 = time_lives(folder, "off-batch-2", count, "OFF", True)
        single_full = time_lives(folder, "full-single", max(count // 10, 50), "FULL", False)
    batch_full, batch_off = statistics.median([full, full2]), statistics.median([off, off2])
    yield Figure("batch", f"{count} lives in batches of {BATCH}, FULL, per operation", batch_full * 1e3,
                 batch_off * 1e3, "the same batches at synchronous=OFF", "ms", 1.2)
    yield Figure("batch", "one transaction per operation, FULL, per operation", single_full * 1e3, batch_full * 1e3,
                 f"batches of {BATCH} at FULL ({max(count // 10, 50)} lives one by one)", "ms")


def scale_child(path: Path, size: int, measured: int) -> None:
    """Build ``size`` lives in batches at OFF, with ``measured`` more timed one by one at FULL (child process)."""
    cpu: dict[int, float] = {}
    with _open(path, "OFF") as flow:
        _, mine = walk_groups(flow, [(0, size, batched(flow)), (size, measured, timed(flow, cpu, "FULL"))])
        assert all(flow.get(ref).state == "paid" for ref in mine)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"size": size, "median_cpu": statistics.median(cpu.values()), "peak_rss_kib": peak_kib,
                      "db_bytes": path.stat().st_size}))


def scale_figures(sizes: list[int], measured: int = 200, rounds: int = 1) -> Iterator[Figure]:
    """The flat-cost figures: a child process per size and round, the sizes alternated from round to round (so
    that a noisy moment hits both), each size's figure the median of its rounds."""
    runs: dict[int, list[dict[str, Any]]] = {size: [] for size in sizes}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(rounds):
            for size in sizes if round_ % 2 == 0 else sizes[::-1]:
                path = Path(tmp) / f"scale-{size}-{round_}.db"
                out = subprocess.run([sys.executable, __file__, "--child", str(path), str(size), str(measured)],
                                     check=True, capture_output=True, text=True, env={**os.environ}).stdout
                runs[size].append(json.loads(out.strip().splitlines()[-1]))
                for leftover in path.parent.glob(path.name + "*"):
                    leftover.unlink()
    small, big = runs[sizes[0]], runs[sizes[-1]]
    how = f"median of {measured} lives" + (f", median of {rounds} alternated runs" if rounds > 1 else "")
    yield Figure("scale", f"CPU of one whole life in a store holding {sizes[-1]} dossiers",
                 statistics.median(r["median_cpu"] for r in big) * 1e3,
                 statistics.median(r["median_cpu"] for r in small) * 1e3,
                 f"the same in a store holding {sizes[0]} ({how})", "ms", 1.1)
    small_rss, big_rss = max(r["peak_rss_kib"] for r in small) / 1024, max(r["peak_rss_kib"] for r in big) / 1024
    yield Figure("scale", f"peak RSS at {sizes[-1]} dossiers", big_rss, small_rss,
                 f"the peak at {sizes[0]}; target ≤ 100 MiB absolute", "MiB", 100 / small_rss,
                 f"database {big[-1]['db_bytes'] / 2**20:.0f} MiB")


def figures(quick: bool) -> Iterator[Figure]:
    yield from batch_figures(500 if quick else 10_000)
    yield from scale_figures([200, 2000] if quick else [1000, 100_000], 200, 3 if quick else 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sizes", default=None, help="comma-separated sizes for the flat-cost figure")
    parser.add_argument("--batch", type=int, default=None, help="lives for the batch figure (0: skip it)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        scale_child(Path(args.child[0]), int(args.child[1]), int(args.child[2]))
        return
    from common import figures_table

    found: list[Figure] = []
    count = args.batch if args.batch is not None else (500 if args.quick else 10_000)
    if count:
        found += batch_figures(count)
    sizes = [int(s) for s in (args.sizes or ("200,2000" if args.quick else "1000,100000")).split(",") if s]
    if sizes:
        found += scale_figures(sizes, 200, 3 if args.quick else 1)
    print("\n".join(figures_table(found)))


if __name__ == "__main__":
    main()
