"""Many documents at once: rendered in a pool of processes, stored in order, the same bytes as one by one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from ami_workflow import FixedClock, MemoryWorkflow, load_campaign, notices
from ami_workflow.calendar import PARIS
from ami_workflow.errors import InvalidInput
from ami_workflow.i18n import use_language
from ami_workflow.issuance import issue_many, to_issue
from ami_workflow.render import render_files
from ami_workflow.sample import run_demo


def _demo(count: int = 8) -> tuple[Any, list[str]]:
    flow = MemoryWorkflow(load_campaign("ami-cohesion-sociale-2021"),
                          clock=FixedClock(datetime(2021, 3, 8, 9, tzinfo=PARIS)), actor="test")
    return flow, run_demo(flow, echo=lambda line: None, count=count)


def test_a_pool_issues_what_one_by_one_issues_byte_for_byte() -> None:
    pooled, refs = _demo()
    with use_language("fr"):
        wanted = to_issue(pooled, refs)
        ticks: list[None] = []
        issued = issue_many(pooled, wanted, workers=2, tick=lambda: ticks.append(None))
        # Rendered here, one by one, from the same journal: the bytes the pool stored.
        here = [render_files(notices.build(pooled, ref, kind, seq)[0]) for ref, kind, seq in wanted]
    assert len(issued) == len(wanted) == len(ticks) >= 8
    assert [(d.dossier, d.kind, d.attests) for d in issued] == wanted  # stored in the order asked
    for document, files in zip(issued, here, strict=True):
        assert pooled.document_bytes(document.dossier, document.kind, "pdf") == files["pdf"]
        assert pooled.document_bytes(document.dossier, document.kind, "html") == files["html"]
    assert to_issue(pooled, refs) == []  # nothing left to issue
    assert issue_many(pooled, [], workers=2) == []
    assert pooled.verify() is None


def test_workers_must_be_a_count_of_processes() -> None:
    flow, refs = _demo(2)
    for bad in (0, -1, 1.5, "2", True):
        with pytest.raises(InvalidInput, match="number of processes"):
            issue_many(flow, to_issue(flow, refs), workers=bad)  # type: ignore[arg-type]
    assert flow.documents(refs[0]) == []  # nothing written
