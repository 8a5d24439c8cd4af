"""The state machine: its edges, its errors, and the diagram kept in sync with docs/states.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from ami_workflow.errors import IllegalTrigger, InvalidInput
from ami_workflow.states import CATALOGUE, FINAL_STATES, STANDARD_EDGES, TRIGGERS, Edge, State, StateMachine

DOC = Path(__file__).parent.parent / "docs" / "states.md"


def test_every_trigger_has_an_edge() -> None:
    assert {e.trigger for e in STANDARD_EDGES} == set(TRIGGERS)


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


def test_shared_machine_binds_one_token_whatever_the_number_of_moves() -> None:
    machine = StateMachine.standard()
    for _ in range(100):
        machine.move("draft", "submit")
        machine.move("approved", "pay", "paid")
    assert len(machine._machine.models) == 1


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
