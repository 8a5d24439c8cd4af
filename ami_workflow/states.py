"""The dossier's states and edges, and the shared state machine (on ``transitions``).

States: ``draft → submitted → complete → instructed → audited → approved → paid``,
plus ``rejected`` and ``withdrawn``. ``audited`` means *heard by the selection
committee* (French *audition*, a hearing), not a financial audit. The final
states are ``paid``, ``rejected`` and ``withdrawn``.

The engine's catalogue holds every edge the library knows; a call picks the
edges it uses (the 2021 call uses :data:`STANDARD_EDGES`). One
:class:`transitions.Machine` is built per set of edges and shared by every
dossier: the machine is bound once to one thin token, whose state is set
from the dossier under a lock before each trigger, so neither the cost nor
the memory grows with the number of dossiers::

    >>> machine = StateMachine.standard()
    >>> machine.allowed_triggers("draft")
    ['submit', 'withdraw']
    >>> machine.move("draft", "submit")
    'submitted'
    >>> machine.move("draft", "pay")
    Traceback (most recent call last):
    ...
    ami_workflow.errors.IllegalTrigger: 'pay' is not possible from state 'draft' (possible here: submit, withdraw)
"""

from __future__ import annotations

import enum
import functools
import threading
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
from transitions import Machine
from transitions.extensions.diagrams import GraphMachine

from .errors import IllegalTrigger, InvalidInput

__all__ = [
    "CATALOGUE",
    "FINAL_STATES",
    "STANDARD_EDGES",
    "TRIGGERS",
    "Edge",
    "State",
    "StateMachine",
]


class State(enum.StrEnum):
    """Where a dossier stands."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    COMPLETE = "complete"
    INSTRUCTED = "instructed"
    AUDITED = "audited"
    """Heard by the selection committee (*audition* = hearing)."""
    APPROVED = "approved"
    PAID = "paid"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


FINAL_STATES = frozenset({State.PAID, State.REJECTED, State.WITHDRAWN})

#: The public trigger names.
TRIGGERS = (
    "submit",
    "mark_complete",
    "return_for_pieces",
    "instruct",
    "hear",
    "approve",
    "reject",
    "withdraw",
    "pay",
)


@attrs.frozen
class Edge:
    """One legal move: ``trigger`` takes a dossier from ``source`` to ``dest``."""

    trigger: str
    source: str
    dest: str

    def __str__(self) -> str:
        return f"{self.trigger}: {self.source} -> {self.dest}"


def _edges(trigger: str, sources: Iterable[State], dest: State) -> list[Edge]:
    return [Edge(trigger, str(source), str(dest)) for source in sources]


_BEFORE_PAYMENT = (State.DRAFT, State.SUBMITTED, State.COMPLETE, State.INSTRUCTED, State.AUDITED, State.APPROVED)

#: Every edge the engine knows. A call's file may pick a subset.
CATALOGUE: tuple[Edge, ...] = tuple(
    _edges("submit", [State.DRAFT], State.SUBMITTED)
    + _edges("mark_complete", [State.SUBMITTED], State.COMPLETE)
    + _edges("return_for_pieces", [State.COMPLETE, State.INSTRUCTED], State.SUBMITTED)
    + _edges("instruct", [State.COMPLETE], State.INSTRUCTED)
    + _edges("hear", [State.INSTRUCTED], State.AUDITED)
    + _edges("approve", [State.AUDITED, State.INSTRUCTED], State.APPROVED)
    + _edges("reject", [State.SUBMITTED, State.COMPLETE, State.INSTRUCTED, State.AUDITED], State.REJECTED)
    + _edges("withdraw", _BEFORE_PAYMENT, State.WITHDRAWN)
    + _edges("pay", [State.APPROVED], State.APPROVED)
    + _edges("pay", [State.APPROVED], State.PAID)
)

#: The 2021 call's edges: every dossier is heard before it is approved.
STANDARD_EDGES: tuple[Edge, ...] = tuple(
    e for e in CATALOGUE if not (e.trigger == "approve" and e.source == State.INSTRUCTED)
)


@attrs.define(eq=False, slots=False)
class _Token:
    """The thin model bound to the shared machine for one trigger.

    Not slotted, because ``transitions`` binds methods on it; identity equality,
    because ``Machine.add_model`` and ``remove_model`` search a list with ``==``.
    """

    state: str
    dest: str


def _dest_is(dest: str, event: Any) -> bool:
    return bool(event.model.dest == dest)


class StateMachine:
    """A set of edges, checked against the catalogue, with its shared ``transitions.Machine``."""

    def __init__(self, edges: Sequence[Edge]) -> None:
        edges = tuple(edges)
        unknown = [e for e in edges if e not in CATALOGUE]
        if unknown:
            raise InvalidInput(
                "edges not in the engine's catalogue: "
                + ", ".join(f"{e.trigger}: {e.source} -> {e.dest}" for e in unknown)
            )
        if not edges:
            raise InvalidInput("a state machine needs at least one edge")
        self.edges = edges
        self.states: tuple[str, ...] = tuple(
            s.value for s in State if any(s in (e.source, e.dest) for e in edges) or s == State.DRAFT
        )
        self._lock = threading.Lock()
        # One long-lived token per machine (not per dossier): each move sets its state under the lock and
        # fires. Binding a fresh token per move (add_model/remove_model) costs ~5x more and leaves cyclic
        # garbage; binding one per dossier would cost ~25 KiB a dossier and make add_model quadratic.
        self._token = _Token(state=State.DRAFT.value, dest="")
        self._machine = Machine(
            model=self._token,
            states=list(self.states),
            transitions=self._transition_specs(),
            initial=State.DRAFT.value,
            auto_transitions=False,
            send_event=True,
        )

    @classmethod
    def standard(cls) -> StateMachine:
        """The shared machine of the standard edges."""
        return _machine_for(STANDARD_EDGES)

    @classmethod
    def for_edges(cls, edges: Sequence[Edge]) -> StateMachine:
        """The shared machine of ``edges`` (built once per distinct set)."""
        return _machine_for(tuple(edges))

    def _transition_specs(self) -> list[dict[str, Any]]:
        return [
            {
                "trigger": e.trigger,
                "source": e.source,
                "dest": e.dest,
                "conditions": [functools.partial(_dest_is, e.dest)],
            }
            for e in self.edges
        ]

    def allowed_triggers(self, state: str) -> list[str]:
        """The triggers with an edge out of ``state``, in the catalogue's order."""
        seen = dict.fromkeys(e.trigger for e in self.edges if e.source == state)
        return list(seen)

    def destinations(self, state: str, trigger: str) -> list[str]:
        """The states ``trigger`` may lead to from ``state``."""
        return [e.dest for e in self.edges if e.source == state and e.trigger == trigger]

    def check(self, state: str, trigger: str) -> None:
        """Raise :class:`IllegalTrigger` unless ``trigger`` has an edge out of ``state``."""
        if not self.destinations(state, trigger):
            raise IllegalTrigger(trigger, state, self.allowed_triggers(state))

    def is_final(self, state: str) -> bool:
        return state in FINAL_STATES or not self.allowed_triggers(state)

    def move(self, state: str, trigger: str, dest: str | None = None) -> str:
        """Fire ``trigger`` on the shared machine from ``state`` and return the new state.

        ``dest`` picks among several edges of one trigger (``pay`` stays
        ``approved`` until the grant is paid in full). Guards are not run here:
        the engine's guard layer runs them first, because ``transitions`` only
        reports a failed condition as ``False``, without its reasons.
        """
        self.check(state, trigger)
        targets = self.destinations(state, trigger)
        target = dest if dest is not None else targets[0]
        if target not in targets:
            raise IllegalTrigger(f"{trigger} to {target}", state, self.allowed_triggers(state))
        with self._lock:
            token = self._token
            token.dest = target
            self._machine.set_state(state, model=token)
            moved = getattr(token, "trigger")(trigger)  # noqa: B009 - bound by transitions, unknown to mypy
        if not moved:  # pragma: no cover - the edge was checked above
            raise IllegalTrigger(trigger, state, self.allowed_triggers(state))
        return token.state

    def mermaid(self, title: str = "Dossier states") -> str:
        """The state diagram as Mermaid text, generated from the machine's own definition."""
        holder = _Token(state=State.DRAFT.value, dest="")
        graph = GraphMachine(
            model=holder,
            states=list(self.states),
            transitions=[{"trigger": e.trigger, "source": e.source, "dest": e.dest} for e in self.edges],
            initial=State.DRAFT.value,
            auto_transitions=False,
            graph_engine="mermaid",
            title=title,
            show_state_attributes=False,
        )
        return str(getattr(graph.get_combined_graph(), "source"))  # noqa: B009 - not in GraphProtocol


@functools.lru_cache(maxsize=32)
def _machine_for(edges: tuple[Edge, ...]) -> StateMachine:
    return StateMachine(edges)
