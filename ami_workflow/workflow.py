"""What a call chooses from the engine's catalogue: its edges and each trigger's guards.

A call file may leave ``[workflow]`` out (the 2021 call does): it then uses
the standard edges, where every dossier is heard by the committee, and the
default guards. Another call may drop the hearing and declare the edge
``approve: instructed -> approved``, and name its own guards::

    >>> spec = parse_workflow({"edges": ["submit: draft -> submitted", "withdraw: draft -> withdrawn"]})
    >>> [edge_text(e) for e in spec.edges]
    ['submit: draft -> submitted', 'withdraw: draft -> withdrawn']
    >>> parse_workflow({"edges": ["fly: draft -> paid"]})
    Traceback (most recent call last):
    ...
    ami_workflow.errors.InvalidInput: edges not in the engine's catalogue: fly: draft -> paid
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs

from .errors import InvalidInput
from .i18n import _
from .shown import shown
from .states import CATALOGUE, STANDARD_EDGES, TRIGGERS, Edge, StateMachine

__all__ = ["DEFAULT_GUARDS", "WorkflowSpec", "edge_text", "parse_edge", "parse_workflow"]

#: The guards each trigger runs by default (the 2021 call's); names from :data:`ami_workflow.guards.GUARDS`.
DEFAULT_GUARDS: Mapping[str, tuple[str, ...]] = {
    "submit": ("submission_window", "submission_content", "submission_pieces"),
    "mark_complete": ("completion_window", "pieces_complete", "applicant_identity"),
    "return_for_pieces": ("piece_issues",),
    "instruct": ("instruction_window", "eligibility", "financial_reports"),
    "hear": ("jury_window", "committee_session", "heard_complete"),
    "approve": ("jury_window", "approval_amount", "envelope"),
    "reject": ("motivation",),
    "withdraw": ("not_paid_yet",),
    "pay": ("deliberation", "bank_account", "convention", "payment_amount", "payment_schedule"),
    "close": ("settled",),
    "start_recovery": ("recovery_grounds",),
    "order_recovery": ("recovery_decision",),
    "recover": ("recovery_title",),
}

_EDGE = re.compile(r"^\s*(\w+)\s*:\s*(\w+)\s*->\s*(\w+)\s*$")


def parse_edge(text: str) -> Edge:
    """``"approve: instructed -> approved"`` as an :class:`Edge` (not yet checked against the catalogue)."""
    match = _EDGE.match(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidInput(_("an edge is written 'trigger: source -> dest', not {text!r}").format(text=shown(text)))
    return Edge(*match.groups())


def edge_text(edge: Edge) -> str:
    """The file's spelling of an edge: ``"trigger: source -> dest"``."""
    return str(edge)


@attrs.frozen
class WorkflowSpec:
    """A call's edges (a subset of the catalogue) and the guards each trigger runs."""

    edges: tuple[Edge, ...] = STANDARD_EDGES
    guards: Mapping[str, tuple[str, ...]] = attrs.field(factory=lambda: dict(DEFAULT_GUARDS))

    def machine(self) -> StateMachine:
        """The shared state machine of these edges."""
        return StateMachine.for_edges(self.edges)

    @property
    def hearing(self) -> bool:
        """Whether dossiers are heard by a committee under this workflow."""
        return any(e.trigger == "hear" for e in self.edges)


def parse_workflow(data: Mapping[str, Any]) -> WorkflowSpec:
    """Read a call file's ``[workflow]`` table; ``InvalidInput`` names what is unknown.

    Guard names are checked against the registry by the call file's loader.
    """
    if not isinstance(data, Mapping):
        raise InvalidInput(_("[workflow] must be a table"))
    unknown_keys = set(data) - {"edges", "guards"}
    if unknown_keys:
        raise InvalidInput(_("unknown keys: {keys}").format(keys=', '.join(sorted(unknown_keys))))
    raw_edges = data.get("edges")
    edges = STANDARD_EDGES if raw_edges is None else tuple(parse_edge(e) for e in _list(raw_edges, "edges"))
    missing = [e for e in edges if e not in CATALOGUE]
    if missing:
        raise InvalidInput(_("edges not in the engine's catalogue: {edges}").format(
            edges=", ".join(edge_text(e) for e in missing)))
    StateMachine.for_edges(edges)
    guards = dict(DEFAULT_GUARDS)
    raw_guards = data.get("guards", {})
    if not isinstance(raw_guards, Mapping):
        raise InvalidInput(_("[workflow.guards] must be a table of trigger = [guard names]"))
    for trigger, names in raw_guards.items():
        if trigger not in TRIGGERS:
            raise InvalidInput(_("guards for an unknown trigger {trigger!r}; the triggers are {triggers}").format(
                trigger=shown(trigger), triggers=', '.join(TRIGGERS)))
        guards[trigger] = tuple(_list(names, f"guards.{trigger}"))
    return WorkflowSpec(edges, guards)


def _list(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(_("{name} must be a list of strings").format(name=name))
    return value
