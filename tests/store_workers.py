"""Worker processes for the concurrency and crash tests (run as ``python store_workers.py MODE DB ...``,
or ``open_race`` as a multiprocessing target)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from walk import CAMPAIGN, TIMES, applicant, application, attach_all, walk

from ami_workflow import Deliberation, IllegalTrigger, Refused
from ami_workflow.calendar import PARIS
from ami_workflow.store import Workflow


def open_race(paths: Sequence[str], barrier: Any, results: Any, worker: int) -> None:
    """For each path, wait for the others at ``barrier`` then open it with the campaign; report each outcome."""
    outcomes = []
    for path in paths:
        barrier.wait(timeout=60)
        try:
            Workflow.open(path, CAMPAIGN, synchronous="NORMAL").close()
            outcomes.append("ok")
        except Exception as exc:
            outcomes.append(f"{type(exc).__module__}.{type(exc).__name__}: {exc}")
    results.put((worker, outcomes))


def approve(path: str, refs: list[str]) -> None:
    """Try to approve each dossier; print one line per outcome."""
    with Workflow.open(path, CAMPAIGN, synchronous="NORMAL") as flow:
        for ref in refs:
            try:
                flow.fire(ref, "approve", at=TIMES["approve"], actor=f"worker-{path[-3:]}")
                print(f"approved {ref}", flush=True)
            except Refused:
                print(f"refused {ref}", flush=True)
            except IllegalTrigger:  # another process approved it first
                print(f"already {ref}", flush=True)


def churn(path: str, start: int) -> None:
    """A long batch of writes: create dossiers and walk them to paid, forever (until killed)."""
    with Workflow.open(path, CAMPAIGN, synchronous="NORMAL") as flow:
        n = start
        while True:
            n += 1
            ref = flow.create_dossier(
                applicant(n, name=f"Asso {n}", siren=None, rna=f"W{n:09d}"),
                application(requested=Decimal("10.00"), total_cost=Decimal("100.00")),
                reference=f"crash-{n:06d}",
                at=datetime(2021, 3, 10, tzinfo=PARIS),
            ).reference
            attach_all(flow, ref)
            walk(flow, ref, "approve")
            flow.record_deliberation(Deliberation(f"DEL-{n}", date(2021, 9, 27), [ref]))
            flow.fire(ref, "pay", at=TIMES["pay"], amount=Decimal("4.00"))
            flow.fire(ref, "pay", at=TIMES["pay"])
            print(n, flush=True)


if __name__ == "__main__":
    mode, db = sys.argv[1], sys.argv[2]
    if mode == "approve":
        approve(db, sys.argv[3:])
    elif mode == "churn":
        churn(db, int(sys.argv[3]))
