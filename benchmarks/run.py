"""Run every benchmark and print each figure as a ratio against its baseline, measured in the same run.

From the repository root::

    PYTHONPATH=. python benchmarks/run.py                 # every target (the 100 000 sizes run in child processes)
    PYTHONPATH=. python benchmarks/run.py --quick         # smoke test, small sizes
    PYTHONPATH=. python benchmarks/run.py --only store    # the modules whose name contains "store"
    PYTHONPATH=. python benchmarks/run.py --write-readme  # also regenerate the figures in benchmarks/README.md

Each ``benchmarks/bench_*.py`` module exposes ``figures(quick: bool) -> Iterator[Figure]``.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from common import Figure, figures_table, machine  # noqa: E402

BEGIN, END = "<!-- figures: begin (benchmarks/run.py --write-readme) -->", "<!-- figures: end -->"


def modules(only: str | None) -> list[str]:
    names = sorted(p.stem for p in HERE.glob("bench_*.py"))
    return [n for n in names if only is None or only in n]


def write_readme(lines: list[str], quick: bool, seconds: float) -> None:
    readme = HERE / "README.md"
    text = readme.read_text(encoding="utf-8")
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    block = "\n".join([
        BEGIN,
        f"Measured on {stamp}, on {machine()}, by `PYTHONPATH=. python benchmarks/run.py"
        f"{' --quick' if quick else ''}` ({seconds:.0f} s):",
        "",
        "```text",
        *lines,
        "```",
        END,
    ])
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    readme.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke test: small sizes and few rounds")
    parser.add_argument("--only", default=None, help="run only the modules whose name contains this text")
    parser.add_argument("--write-readme", action="store_true", help="regenerate the figures in benchmarks/README.md")
    args = parser.parse_args()
    started = time.perf_counter()
    collected: list[Figure] = []
    print(f"machine: {machine()}", flush=True)
    for name in modules(args.only):
        module = importlib.import_module(name)
        if not hasattr(module, "figures"):
            continue
        print(f"-- {name}", file=sys.stderr, flush=True)
        for figure in module.figures(args.quick):
            collected.append(figure)
            print("\n".join(figures_table([figure])[1:]), flush=True)
    lines = figures_table(collected)
    seconds = time.perf_counter() - started
    print("\n" + "\n".join(lines))
    missed = [f for f in collected if f.met is False]
    print(f"\n{len(collected)} figures, {sum(1 for f in collected if f.met)} targets met, {len(missed)} missed"
          f" ({seconds:.0f} s)")
    if args.write_readme:
        write_readme(lines, args.quick, seconds)


if __name__ == "__main__":
    main()
