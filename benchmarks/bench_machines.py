"""A guarded trigger in memory: our state machine against python-statemachine and plain transitions.

The three machines have the same states and edges, the call's :data:`~ami_workflow.states.STANDARD_EDGES` (draft,
submitted, complete, instructed, audited, approved, paid, and rejected and withdrawn), and the same guard, one
Python function that reads a flag on the dossier. A timed loop fires ``mark_complete`` and ``return_for_pieces``
in turn (submitted ⇄ complete, the one cycle in the graph, so no side has to reset its state), and both of those
edges carry the guard, so every timed trigger runs it.

- ours: what :func:`ami_workflow.core.decide.check_trigger` and ``_fire`` do with the machine, without the rest of
  ``decide``: ``StateMachine.check(state, trigger)``, the guard, then ``StateMachine.move(state, trigger)``;
- python-statemachine (the release pinned by the ``bench`` extra): a ``StateMachine`` subclass with ``cond=`` on
  those edges, fired with ``send(trigger)``;
- transitions: a ``Machine`` with ``conditions=`` on those edges and ``auto_transitions=False``, fired with the
  model's trigger method.

Each round times one loop of triggers per side, with the garbage collector paused as ``timeit`` does; the sides
alternate (``common.interleaved``) and the figure is the medians' ratio.

    PYTHONPATH=. python benchmarks/run.py --only machines
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from common import Figure, interleaved

from ami_workflow.errors import Refused
from ami_workflow.states import FINAL_STATES, STANDARD_EDGES, State, StateMachine

GUARDED = ("mark_complete", "return_for_pieces")


class Dossier:
    """What the guard reads."""

    def __init__(self) -> None:
        self.complete_enough = True
        self.guarded = 0


def make_guard(dossier: Dossier) -> Callable[[], bool]:
    """The guard: no parameters, so that no side builds arguments for it (python-statemachine injects only what
    a callback's signature names, transitions passes none when it has none)."""

    def guard() -> bool:
        dossier.guarded += 1
        return dossier.complete_enough

    return guard


def is_guarded(trigger: str, source: str) -> bool:
    return trigger in GUARDED and source in (State.SUBMITTED, State.COMPLETE)


Side = tuple[Callable[[], float], Dossier, Callable[[str], bool]]


def ours(triggers: int) -> Side:
    machine, dossier = StateMachine(STANDARD_EDGES), Dossier()
    guard = make_guard(dossier)
    cycles = triggers // 2

    def run() -> float:
        state = "submitted"
        start = time.perf_counter()
        for _ in range(cycles):
            for trigger in GUARDED:
                machine.check(state, trigger)
                if not guard():
                    raise Refused(trigger, ["not complete enough"])
                state = machine.move(state, trigger)
        elapsed = time.perf_counter() - start
        assert state == "submitted"
        return elapsed

    def once(trigger: str) -> bool:
        machine.check("submitted", trigger)
        if not guard():
            return False
        return machine.move("submitted", trigger) != "submitted"

    return run, dossier, once


def python_statemachine(triggers: int) -> Side:
    from statemachine import State as PsmState
    from statemachine import StateMachine as PsmMachine
    from statemachine.exceptions import TransitionNotAllowed

    dossier = Dossier()
    guard = make_guard(dossier)
    body: dict[str, Any] = {
        s.value: PsmState(s.value, value=s.value, initial=s == State.DRAFT, final=s in FINAL_STATES) for s in State
    }
    for edge in STANDARD_EDGES:
        source, dest = body[edge.source], body[edge.dest]
        step = source.to(dest, cond=guard) if is_guarded(edge.trigger, edge.source) else source.to(dest)
        body[edge.trigger] = step if edge.trigger not in body else body[edge.trigger] | step
    machine_class = type(PsmMachine)("DossierMachine", (PsmMachine,), body)
    machine = machine_class(start_value="submitted")
    cycles = triggers // 2

    def run() -> float:
        start = time.perf_counter()
        for _ in range(cycles):
            for trigger in GUARDED:
                machine.send(trigger)
        elapsed = time.perf_counter() - start
        assert machine.current_state_value == "submitted"
        return elapsed

    def once(trigger: str) -> bool:
        probe = machine_class(start_value="submitted")
        try:
            probe.send(trigger)
        except TransitionNotAllowed:
            return False
        return bool(probe.current_state_value != "submitted")

    return run, dossier, once


def transitions_machine(triggers: int) -> Side:
    from transitions import Machine

    dossier = Dossier()
    guard = make_guard(dossier)

    class Model:
        state: str

    model = Model()
    machine = Machine(
        model=model,
        states=[s.value for s in State],
        transitions=[
            {"trigger": e.trigger, "source": e.source, "dest": e.dest,
             **({"conditions": [guard]} if is_guarded(e.trigger, e.source) else {})}
            for e in STANDARD_EDGES
        ],
        initial="submitted",
        auto_transitions=False,
    )
    fire = [getattr(model, trigger) for trigger in GUARDED]
    cycles = triggers // 2

    def run() -> float:
        start = time.perf_counter()
        for _ in range(cycles):
            for trigger in fire:
                trigger()
        elapsed = time.perf_counter() - start
        assert model.state == "submitted"
        return elapsed

    def once(trigger: str) -> bool:
        machine.set_state("submitted", model=model)
        moved = bool(getattr(model, trigger)())
        machine.set_state("submitted", model=model)
        return moved

    return run, dossier, once


def gc_paused(run: Callable[[], float], triggers: int) -> Callable[[], float]:
    """``run``'s time per trigger in µs, with the garbage collector paused (as ``timeit`` does)."""

    def measured() -> float:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return run() / triggers * 1e6
        finally:
            if enabled:
                gc.enable()

    return measured


def figures(quick: bool) -> Iterator[Figure]:
    triggers, rounds = (2_000, 5) if quick else (10_000, 15)
    try:
        import statemachine
    except ImportError:
        statemachine = None
        print("bench_machines: python-statemachine is not installed (pip install -e '.[bench]'):"
              " its figure is NOT measured", file=sys.stderr)
    built = {"ours": ours(triggers), "transitions": transitions_machine(triggers)}
    if statemachine is not None:
        built["python-statemachine"] = python_statemachine(triggers)
    for name, (run, dossier, once) in built.items():  # the same work on every side, checked before timing
        run()  # also the warm-up: first calls, caches
        assert dossier.guarded == triggers, (name, dossier.guarded)
        assert once("mark_complete"), name
        dossier.complete_enough = False
        assert not once("mark_complete"), f"{name} moved although its guard said no"
        dossier.complete_enough = True
    sides = {name: gc_paused(run, triggers) for name, (run, _, _) in built.items()}
    medians = interleaved(sides, rounds)
    note = f"{triggers} guarded triggers a round, median of {rounds} interleaved rounds"
    if statemachine is not None:
        yield Figure(
            "memory", "a guarded trigger: ours / python-statemachine", medians["ours"],
            medians["python-statemachine"], f"python-statemachine {statemachine.__version__}", "µs", 0.2,
            f"{note}; ours {medians['python-statemachine'] / medians['ours']:.0f}x faster",
        )
    yield Figure(
        "memory", "a guarded trigger: ours / transitions", medians["ours"], medians["transitions"],
        f"transitions {_version('transitions')}, auto_transitions=False", "µs", None,
        f"{note}; ours {medians['transitions'] / medians['ours']:.0f}x faster",
    )


def _version(distribution: str) -> str:
    from importlib.metadata import version

    return version(distribution)
