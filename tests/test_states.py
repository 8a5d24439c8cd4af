"""The state machine: its edges, its errors, and the diagram kept in sync with docs/states.md."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from transitions import Machine

from ami_workflow.errors import IllegalTrigger, InvalidInput
from ami_workflow.states import (
    CATALOGUE,
    COUNCIL_TRIGGERS,
    FINAL_STATES,
    STANDARD_EDGES,
    TRIGGERS,
    Edge,
    State,
    StateMachine,
)

DOC = Path(__file__).parent.parent / "docs" / "states.md"


def test_every_trigger_has_an_edge() -> None:
    assert {e.trigger for e in STANDARD_EDGES} == set(TRIGGERS) | set(COUNCIL_TRIGGERS)


def test_final_states_have_no_way_out() -> None:
    machine = StateMachine.standard()
    for state in FINAL_STATES:
        assert machine.allowed_triggers(state) == []
        assert machine.is_final(state)


def test_standard_path() -> None:
    machine = StateMachine.standard()
    state = "draft"
    for trigger in ("submit", "mark_complete", "instruct", "hear", "approve"):
        state = machine.move(state, trigger)
    assert state == State.APPROVED
    assert machine.move(state, "pay", "approved") == "approved"
    assert machine.move(state, "pay", "paid") == "paid"


def test_no_auto_transitions_or_shortcuts() -> None:
    machine = StateMachine.standard()
    with pytest.raises(IllegalTrigger):
        machine.move("draft", "to_paid")
    with pytest.raises(IllegalTrigger, match="possible here: submit, withdraw"):
        machine.move("draft", "pay")


def test_a_move_binds_nothing_and_keeps_no_state() -> None:
    machine = StateMachine.standard()
    for _ in range(100):
        assert machine.move("draft", "submit") == "submitted"
        assert machine.move("approved", "pay", "paid") == "paid"
    assert machine.definition.models == []  # the transitions definition is read, never fired


class _Model:
    """A model bound to a ``transitions`` machine: ``wanted`` is the destination its conditions let through."""

    state: str
    wanted: str = ""


def _transitions_firing(edges: list[Edge]) -> Callable[[str, str, str], str | None]:
    """Fire the edges' own ``transitions`` machine (a condition choosing ``dest``): the new state, or None."""
    model = _Model()
    machine = Machine(
        model=model,
        states=[s.value for s in State],
        transitions=[
            {"trigger": e.trigger, "source": e.source, "dest": e.dest,
             "conditions": [lambda dest=e.dest: model.wanted == dest]}
            for e in edges
        ],
        initial=State.DRAFT.value,
        auto_transitions=False,
    )

    def fire(state: str, trigger: str, dest: str) -> str | None:
        machine.set_state(state, model=model)
        model.wanted = dest
        if trigger not in machine.get_triggers(state):
            return None
        return model.state if getattr(model, trigger)() else None

    return fire


@settings(max_examples=40, deadline=None)
@given(st.sets(st.sampled_from(CATALOGUE), min_size=1).map(lambda found: [e for e in CATALOGUE if e in found]))
def test_the_edge_table_moves_as_the_transitions_definition_fires(edges: list[Edge]) -> None:
    machine, fire = StateMachine(edges), _transitions_firing(edges)
    for state in (s.value for s in State):
        for trigger in TRIGGERS:
            targets = machine.destinations(state, trigger)
            assert (trigger in machine.allowed_triggers(state)) == bool(targets)
            for dest in (s.value for s in State):
                expected = fire(state, trigger, dest)
                if expected is None:
                    with pytest.raises(IllegalTrigger):
                        machine.move(state, trigger, dest)
                else:
                    assert machine.move(state, trigger, dest) == expected == dest
            if targets:
                machine.check(state, trigger)
                assert machine.move(state, trigger) == targets[0]
            else:
                with pytest.raises(IllegalTrigger):
                    machine.check(state, trigger)


def test_a_call_without_hearing_declares_instructed_to_approved() -> None:
    edges = [e for e in CATALOGUE if "audited" not in (e.source, e.dest)]
    machine = StateMachine.for_edges(edges)
    assert "audited" not in machine.states
    assert machine.move("instructed", "approve") == "approved"


def test_unknown_edge_is_refused() -> None:
    with pytest.raises(InvalidInput, match="not in the engine's catalogue"):
        StateMachine([Edge("submit", "draft", "paid")])


def test_audited_means_heard_by_the_committee() -> None:
    import ami_workflow.states as states

    assert "not a financial audit" in (states.__doc__ or "")
    glossary = Path(__file__).parent.parent.joinpath("docs", "glossary.md").read_text("utf-8")
    assert "not** a financial audit" in glossary or "not a financial audit" in glossary


def test_diagram_doc_is_in_sync_with_the_machine() -> None:
    generated = StateMachine.standard().mermaid()
    text = DOC.read_text(encoding="utf-8")
    assert f"```mermaid\n{generated}\n```" in text, "regenerate the block with StateMachine.standard().mermaid()"
