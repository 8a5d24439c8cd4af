"""Start-up: ``ami-workflow --help`` against Python's own start-up, in the same run.

Each sample is the wall time of one fresh interpreter (``subprocess.run``, output discarded), from the repository
root with it on ``PYTHONPATH``, reading its bytecode from a cache that a first, untimed run of each side wrote
(as an installed package has its ``.pyc`` files):

- ``python -m ami_workflow --help`` (what the ``ami-workflow`` console script runs: ``ami_workflow.cli:main``);
- the baseline, ``python -c pass``: the interpreter and its ``site``, which no command can go below;
- for comparison, with no target, ``import click`` alone (what any click command line pays), and the library
  imported whole (every module, the SQLite store, the rollover's
  holidays, the anchors' cryptography, the diagram's extension of transitions): what ``--help`` paid when the
  package and the command line imported everything up front.

The issue's target is absolute, ``--help`` ≤ 150 ms median; the figure's target ratio is 150 ms over the
baseline measured in the same run (rounded down to the hundredth), so that it is met only when the
median is at most 150 ms.

    PYTHONPATH=. python benchmarks/run.py --only startup
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from common import Figure, interleaved, timed

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 150.0

EVERYTHING = (
    "import ami_workflow.cli, ami_workflow.store, ami_workflow.memory, ami_workflow.reports, ami_workflow.exports,"
    " ami_workflow.agenda, ami_workflow.notices, ami_workflow.rollover, ami_workflow.sample, ami_workflow.demo,"
    " holidays, cryptography.hazmat.primitives.serialization, transitions.extensions.diagrams"
)


def interpreter(*arguments: str, cache: Path) -> Callable[[], float]:
    """The wall time, in ms, of one ``python *arguments`` run from the repository root.

    Bytecode is cached in ``cache`` (``PYTHONPYCACHEPREFIX``), written by the first run and read by the others,
    as an installed package's is, even where ``PYTHONDONTWRITEBYTECODE`` is set: without it every run would
    compile the modules changed since their last ``.pyc``.
    """
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env |= {"PYTHONPATH": path, "PYTHONPYCACHEPREFIX": str(cache)}
    command = [sys.executable, *arguments]

    def run() -> float:
        return 1000 * timed(lambda: subprocess.run(command, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL))

    return run


def figures(quick: bool) -> Iterator[Figure]:
    rounds = 5 if quick else 20
    with tempfile.TemporaryDirectory(prefix="ami-startup-pycache-") as cache:
        sides = {
            "help": interpreter("-m", "ami_workflow", "--help", cache=Path(cache)),
            "pass": interpreter("-c", "pass", cache=Path(cache)),
            "click": interpreter("-c", "import click", cache=Path(cache)),
            "everything": interpreter("-c", EVERYTHING, cache=Path(cache)),
        }
        for side in sides.values():
            side()  # warm up: writes the bytecode cache, fills the page cache
        medians = interleaved(sides, rounds)
    note = f"wall time of a fresh process, median of {rounds} interleaved runs; target: --help ≤ {TARGET_MS:g} ms"
    target = math.floor(TARGET_MS / medians["pass"] * 100) / 100  # rounded down: never looser than 150 ms
    yield Figure("startup", "ami-workflow --help", medians["help"], medians["pass"], "python -c pass", "ms",
                 target, note)
    yield Figure("startup", "import click alone (the floor of a click command line)", medians["click"],
                 medians["pass"], "python -c pass", "ms", None, f"median of {rounds} interleaved runs")
    yield Figure("startup", "the whole library imported up front", medians["everything"], medians["pass"],
                 "python -c pass", "ms", None,
                 f"what --help imported before its imports were made lazy; median of {rounds} interleaved runs")
