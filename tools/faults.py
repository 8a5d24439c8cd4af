"""Kill the SQLite store's writers with SIGKILL at many random points, and check each file they leave.

    PYTHONPATH=. python tools/faults.py --points 140 [--seed 2021] [--kind batch ...]

The kinds of operations, the checks and the children are in ``tests/fault_workers.py`` (the suite runs 28
points, in ``tests/test_faults.py``). Prints the number of points of each kind, the writes the children
acknowledged before they were killed, and how many kills landed inside a unit (a batch, an import, an erasure,
a migration); exits 1 at the first point whose file fails a check. POSIX only (``fork`` and ``SIGKILL``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

import fault_workers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=140, help="kill points in all, spread over the kinds (140)")
    parser.add_argument("--seed", type=int, default=2021, help="the seed of the random points (2021)")
    parser.add_argument("--kind", action="append", choices=fault_workers.KINDS,
                        help="only this kind of operation (repeatable; every kind by default)")
    args = parser.parse_args(argv)
    kinds = tuple(args.kind or fault_workers.KINDS)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ami-faults-") as folder:
        try:
            counts = fault_workers.kill_points(Path(folder), args.points, args.seed, kinds)
        except AssertionError as problem:
            print(f"FAILED: {problem}", file=sys.stderr)
            return 1
    print(f"{'kind':<12} {'kills':>6} {'inside a unit':>14} {'writes acknowledged':>20}")
    for kind in kinds:
        inside = counts[f"{kind} inside a unit"] if kind in fault_workers.UNITS else "-"
        print(f"{kind:<12} {counts[kind]:>6} {inside:>14} {counts[f'{kind} acknowledged']:>20}")
    total = sum(counts[kind] for kind in kinds)
    print(f"{'all':<12} {total:>6}   every check passed in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
