"""The dossier's states and edges, and the state machine that moves a dossier along them.

States: ``draft → submitted → complete → instructed → audited → approved → paid → closed``,
plus ``rejected`` and ``withdrawn``, and ``recovery → recovered`` after a payment.
``audited`` means *heard by the selection committee* (French *audition*, a
hearing), not a financial audit. A grant is ``closed`` (soldé) once its compte
rendu financier is accepted and all that is due is paid; it goes to ``recovery``
(reversement) when the action was not carried out, was under-spent, or the
applicant withdrew after a payment, and is ``recovered`` once the money is back.
The final states are ``closed``, ``recovered``, ``rejected`` and ``withdrawn``.

The engine's catalogue holds every edge the library knows; a call picks the
edges it uses (the 2021 call uses :data:`STANDARD_EDGES`). One
:class:`StateMachine` is built per set of edges and shared by every dossier.
Its definition is a :class:`transitions.Machine` (which also draws the
diagram); a move does not fire it, but looks the edge up in a table read from
that machine once, when the set of edges is first used. A move holds no lock
and keeps no state: the dossier's state goes in, its new state comes out::

    >>> machine = StateMachine.standard()
    >>> machine.allowed_triggers("draft")
    ['submit', 'withdraw']
    >>> machine.move("draft", "submit")
    'submitted'
    >>> machine.move("draft", "pay")
    Traceback (most recent call last):
    ...
    ami_workflow.errors.IllegalTrigger: 'pay' is not possible from state 'draft' (possible here: submit, withdraw)

A person reads a state or a trigger by its label in the current language,
with its key beside it when the two differ (the key is what the commands take)::

    >>> state_label("audited"), state_words("audited"), trigger_label("mark_complete")
    ('heard', 'heard (`audited`)', 'mark complete')

Importing this module imports neither ``attrs`` nor ``transitions``: the
command line reads :data:`TRIGGERS` at start-up.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from .errors import IllegalTrigger, InvalidInput, InvalidType
from .i18n import N_, _

__all__ = [
    "CATALOGUE",
    "COUNCIL_TRIGGERS",
    "FINAL_STATES",
    "STANDARD_EDGES",
    "TRIGGERS",
    "Edge",
    "State",
    "StateMachine",
    "state_label",
    "state_words",
    "trigger_label",
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
    CLOSED = "closed"
    """Soldé: the compte rendu financier is accepted and everything due is paid."""
    RECOVERY = "recovery"
    """A recovery (reversement) is open: the applicant is heard, then the titre de recette is issued."""
    RECOVERED = "recovered"
    """The money to recover is back."""
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


FINAL_STATES = frozenset({State.CLOSED, State.RECOVERED, State.REJECTED, State.WITHDRAWN})

#: What a person calls each state (translated when shown): the key stays what the commands take.
_STATE_LABELS: Mapping[str, str] = {
    State.DRAFT: N_("draft"),
    State.SUBMITTED: N_("submitted"),
    State.COMPLETE: N_("complete"),
    State.INSTRUCTED: N_("instructed"),
    State.AUDITED: N_("heard"),
    State.APPROVED: N_("approved"),
    State.PAID: N_("paid"),
    State.CLOSED: N_("closed"),
    State.RECOVERY: N_("in recovery"),
    State.RECOVERED: N_("recovered"),
    State.REJECTED: N_("rejected"),
    State.WITHDRAWN: N_("withdrawn"),
}


def state_label(state: str) -> str:
    """A person's name for ``state`` in the current language (« brouillon »); an unknown key as it is."""
    label = _STATE_LABELS.get(state)
    return _(label) if label is not None else state


def state_words(state: str) -> str:
    """The state's label with its key beside it when they differ: « déposé (`submitted`) », "draft"."""
    label = state_label(state)
    return label if label == state else _("{label} (`{key}`)").format(label=label, key=state)

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
    "close",
    "start_recovery",
    "order_recovery",
    "recover",
)

#: The triggers that only the council's deliberation fires (``record_deliberation``), never a caller.
COUNCIL_TRIGGERS = ("council_refuse",)

#: What a person calls each trigger (translated when shown).
_TRIGGER_LABELS: Mapping[str, str] = {
    "submit": N_("submit"),
    "mark_complete": N_("mark complete"),
    "return_for_pieces": N_("return for pieces"),
    "instruct": N_("instruct"),
    "hear": N_("hear"),
    "approve": N_("approve"),
    "reject": N_("reject"),
    "withdraw": N_("withdraw"),
    "pay": N_("pay"),
    "close": N_("close"),
    "start_recovery": N_("start a recovery"),
    "order_recovery": N_("order the recovery"),
    "recover": N_("record the recovery"),
    "council_refuse": N_("refused by the council"),
}


def trigger_label(trigger: str) -> str:
    """A person's name for ``trigger`` in the current language (« déposer »); an unknown key as it is."""
    label = _TRIGGER_LABELS.get(trigger)
    return _(label) if label is not None else trigger


class Edge(NamedTuple):
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
    + _edges("council_refuse", [State.APPROVED], State.REJECTED)
    + _edges("close", [State.PAID, State.APPROVED], State.CLOSED)
    + _edges("start_recovery", [State.APPROVED, State.PAID], State.RECOVERY)
    + _edges("order_recovery", [State.RECOVERY], State.RECOVERY)
    + _edges("recover", [State.RECOVERY], State.RECOVERED)
)

#: The 2021 call's edges: every dossier is heard before it is approved.
STANDARD_EDGES: tuple[Edge, ...] = tuple(
    e for e in CATALOGUE if not (e.trigger == "approve" and e.source == State.INSTRUCTED)
)


class StateMachine:
    """A set of edges, checked against the catalogue; moves look the edge up in a table read from its definition."""

    def __init__(self, edges: Sequence[Edge]) -> None:
        if not isinstance(edges, (list, tuple)) or not all(
            isinstance(e, Edge) and all(isinstance(f, str) for f in e) for e in edges):
            raise InvalidType(_("edges: expected a sequence of Edge, got {type}").format(type=type(edges).__name__))
        edges = tuple(edges)
        unknown = [e for e in edges if e not in CATALOGUE]
        if unknown:
            raise InvalidInput(_("edges not in the engine's catalogue: {edges}").format(
                edges=", ".join(f"{e.trigger}: {e.source} -> {e.dest}" for e in unknown)))
        if not edges:
            raise InvalidInput(_("a state machine needs at least one edge"))
        self.edges = edges
        self.states: tuple[str, ...] = tuple(
            s.value for s in State if any(s in (e.source, e.dest) for e in edges) or s == State.DRAFT
        )
        self.definition = _definition(self.states, edges)
        self._table: Mapping[tuple[str, str], tuple[str, ...]] = _edge_table(self.definition)
        self._allowed = {
            state: tuple(dict.fromkeys(e.trigger for e in edges if e.source == state)) for state in self.states
        }

    @classmethod
    def standard(cls) -> StateMachine:
        """The shared machine of the standard edges."""
        return _machine_for(STANDARD_EDGES)

    @classmethod
    def for_edges(cls, edges: Sequence[Edge]) -> StateMachine:
        """The shared machine of ``edges`` (built once per distinct set)."""
        kept = _LAST_EDGES.get(id(edges))
        if kept is not None and kept[0] is edges:  # the same tuple again: no need to hash its edges
            return kept[1]
        machine = _machine_for(tuple(edges))
        if isinstance(edges, tuple):
            if len(_LAST_EDGES) >= 32:
                _LAST_EDGES.clear()
            _LAST_EDGES[id(edges)] = (edges, machine)
        return machine

    def allowed_triggers(self, state: str) -> list[str]:
        """The triggers with an edge out of ``state``, in the order of the machine's edges."""
        return list(self._allowed.get(state, ()))

    def destinations(self, state: str, trigger: str) -> list[str]:
        """The states ``trigger`` may lead to from ``state``."""
        return list(self._table.get((state, trigger), ()))

    def check(self, state: str, trigger: str) -> None:
        """Raise :class:`IllegalTrigger` unless ``trigger`` has an edge out of ``state``."""
        if (state, trigger) not in self._table:
            raise IllegalTrigger(trigger, state, self.allowed_triggers(state))

    def is_final(self, state: str) -> bool:
        return state in FINAL_STATES or not self._allowed.get(state)

    def move(self, state: str, trigger: str, dest: str | None = None) -> str:
        """The state ``trigger`` takes a dossier in ``state`` to; :class:`IllegalTrigger` if there is no such edge.

        ``dest`` picks among several edges of one trigger (``pay`` stays
        ``approved`` until the grant is paid in full); without it, the first
        edge. Guards are not run here: the engine's guard layer runs them first,
        and reports every reason for a refusal.
        """
        targets = self._table.get((state, trigger))
        if targets is None:
            raise IllegalTrigger(trigger, state, self.allowed_triggers(state))
        if dest is None:
            return targets[0]
        if dest not in targets:
            raise IllegalTrigger(f"{trigger} to {dest}", state, self.allowed_triggers(state))
        return dest

    def mermaid(self, title: str = "Dossier states") -> str:
        """The state diagram as Mermaid text, generated from the machine's own definition."""
        # The diagram extension pulls in asyncio and every other extension of transitions: only for the diagram.
        from transitions.extensions.diagrams import GraphMachine

        graph = GraphMachine(
            model=_DiagramModel(),
            states=list(self.states),
            transitions=[{"trigger": e.trigger, "source": e.source, "dest": e.dest} for e in self.edges],
            initial=State.DRAFT.value,
            auto_transitions=False,
            graph_engine="mermaid",
            title=title,
            show_state_attributes=False,
        )
        source = str(getattr(graph.get_combined_graph(), "source"))  # noqa: B009 - not in GraphProtocol
        return _mermaid_fixed(source, title)


def _mermaid_fixed(source: str, title: str) -> str:
    """transitions' Mermaid text, made right: the title as the front matter's ``title:`` (a bare line there is not
    read as one), and no state marked as the current one (the diagram is of the call, not of a dossier)."""
    lines = source.split("\n")
    if len(lines) > 2 and lines[0] == "---" and lines[2] == "---":
        import json

        lines[1] = "title: " + json.dumps(title, ensure_ascii=False)  # a JSON string is a YAML string
    return "\n".join(line.replace(" s_active", " s_default") if line.startswith("  Class ") else line
                     for line in lines)


class _DiagramModel:
    """What the diagram machine binds its state to (``transitions`` draws a model's graph)."""


def _definition(states: Sequence[str], edges: Sequence[Edge]) -> Any:
    """The :class:`transitions.Machine` of ``edges``, with no model: the definition that the edge table is read from."""
    from transitions import Machine  # here, not at start-up: the command line imports this module for TRIGGERS

    return Machine(
        model=None,
        states=list(states),
        transitions=[{"trigger": e.trigger, "source": e.source, "dest": e.dest} for e in edges],
        initial=State.DRAFT.value,
        auto_transitions=False,
    )


def _edge_table(definition: Any) -> dict[tuple[str, str], tuple[str, ...]]:
    """``(source, trigger) -> destinations``, in the definition's order, read from a ``transitions.Machine``."""
    table: dict[tuple[str, str], list[str]] = {}
    for trigger, event in definition.events.items():
        for source, transitions in event.transitions.items():
            table.setdefault((source, trigger), []).extend(t.dest for t in transitions)
    return {key: tuple(dests) for key, dests in table.items()}


#: The machines last asked for, by the identity of their edges' tuple (held here, so the identity stays theirs).
_LAST_EDGES: dict[int, tuple[Sequence[Edge], StateMachine]] = {}


@functools.lru_cache(maxsize=32)
def _machine_for(edges: tuple[Edge, ...]) -> StateMachine:
    return StateMachine(edges)
