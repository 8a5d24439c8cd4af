"""Run the stateful machine of tests/test_stateful.py on both stores in lockstep, and count its steps.

    PYTHONPATH=. python tools/lockstep.py [--profile lockstep] [--examples N]

Loads a Hypothesis profile of tests/conftest.py (``lockstep`` by default: 250 runs of up to 60 steps, at least
10 000 steps in all), runs :class:`LockstepMachine` (each rule on the in-memory and the SQLite store, which must
agree after every step), and prints the runs' steps and time. Exits 1 on a failure, which Hypothesis prints
with the shortest sequence of steps it found.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from hypothesis import settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

import test_stateful

import conftest  # noqa: F401  (registers the profiles)


def _steps() -> int:
    machine = test_stateful.LockstepMachine
    return machine.checks - machine.runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="lockstep", help="the Hypothesis profile (tests/conftest.py)")
    parser.add_argument("--examples", type=int, help="the number of runs (default: the profile's, halved)")
    args = parser.parse_args(argv)
    os.environ.setdefault("AMI_WORKFLOW_LANG", "en")  # the messages of a failure, as in the suite
    profile = settings.get_profile(args.profile)
    case = test_stateful.LockstepMachine.TestCase
    examples = args.examples if args.examples is not None else max(1, profile.max_examples // 2)
    case.settings = settings(profile, max_examples=examples, stateful_step_count=profile.stateful_step_count,
                             deadline=None)
    started = time.monotonic()
    try:
        case().runTest()
    except Exception as failure:
        print(f"FAILED after {_steps()} steps: {failure}", file=sys.stderr)
        return 1
    print(f"{_steps()} steps in {test_stateful.LockstepMachine.runs} runs of at most "
          f"{case.settings.stateful_step_count} steps, both stores agreeing, in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
