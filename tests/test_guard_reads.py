"""Guards declare the context they read (``guards.GUARD_READS``), and read nothing else.

The SQL store builds only the declared fields of a trigger's context, so a guard reading an undeclared field would
judge on an empty value. Each guard here runs on every dossier of the demo, at every date of the call, with every
undeclared field replaced by a value that raises on any use.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NoReturn

import attrs
import pytest
from walk import TIMES

from ami_workflow import MemoryWorkflow, load_campaign
from ami_workflow.calendar import PARIS, FixedClock
from ami_workflow.core.view import WorldView
from ami_workflow.errors import AmiWorkflowError
from ami_workflow.guards import CONTEXT_FIELDS, GUARD_READS, GUARD_TRIGGERS, GUARDS, GuardInput, context_reads
from ami_workflow.sample import run_demo
from ami_workflow.triggers import parse_args

_DATA: dict[str, dict[str, Any]] = {
    "hear": {"session": "comite-2021-06-15"},
    "approve": {"amount": "1000.00"},
    "reject": {"motivation": "hors du champ de l'appel"},
    "pay": {"amount": "1000.00"},
    "return_for_pieces": {"issues": [{"key": "statuts", "reason": "incorrect", "note": "illisible"}]},
    "instruct": {"criteria": []},
    "start_recovery": {"grounds": "under_spent", "observations_by": "2022-04-01"},
    "order_recovery": {"title": "TR-2022-0001", "motivation": "Action réalisée à moitié."},
}


class Undeclared:
    """A context value the guard did not declare: any use of it fails the test."""

    def __init__(self, name: str) -> None:
        self._name = name

    def _fail(self, *_: object, **__: object) -> NoReturn:
        pytest.fail(f"a guard read the undeclared context field {self._name!r}")

    __getattr__ = __getitem__ = __iter__ = __len__ = __contains__ = __add__ = __radd__ = __sub__ = _fail
    __lt__ = __le__ = __gt__ = __ge__ = __eq__ = __bool__ = __hash__ = __str__ = __format__ = _fail  # type: ignore[assignment]


@pytest.fixture(scope="module")
def demo() -> MemoryWorkflow:
    flow = MemoryWorkflow(load_campaign("ami-cohesion-sociale-2021"),
                          clock=FixedClock(datetime(2021, 3, 8, 9, tzinfo=PARIS)), actor="demo")
    run_demo(flow, echo=lambda _: None)
    return flow


@pytest.mark.parametrize("name", sorted(GUARDS))
def test_each_guard_reads_only_what_it_declares(demo: MemoryWorkflow, name: str) -> None:
    view = WorldView(demo.world)
    declared = GUARD_READS.get(name, frozenset())
    triggers = sorted(GUARD_TRIGGERS.get(name, _DATA.keys() | {"submit", "mark_complete", "withdraw"}))
    judged = 0
    for dossier in demo.dossiers():
        for at in TIMES.values():
            full = view.context(dossier, at, CONTEXT_FIELDS)
            poisoned = attrs.evolve(full, **{f: Undeclared(f) for f in CONTEXT_FIELDS - declared})
            for trigger in triggers:
                try:
                    args = parse_args(trigger, _DATA.get(trigger, {}))
                except AmiWorkflowError:
                    continue
                expected = GUARDS[name](GuardInput(dossier, at, args, full))
                assert GUARDS[name](GuardInput(dossier, at, args, poisoned)) == expected
                judged += 1
    assert judged > 0


def test_a_trigger_reads_the_union_of_its_guards() -> None:
    campaign = load_campaign("ami-cohesion-sociale-2021")
    assert context_reads(campaign.workflow.guards["submit"]) == frozenset()
    assert {"approved_total", "approved_by_axis"} <= context_reads(campaign.workflow.guards["approve"])
    assert "deliberations" in context_reads(campaign.workflow.guards["pay"])
    assert context_reads(None) == CONTEXT_FIELDS
