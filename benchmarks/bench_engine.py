"""Benchmark of the pure core (decide + evolve), of the in-memory backend and of a whole campaign walked in memory.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_engine.py [--quick]

Every figure is measured in this run and compared with a baseline measured in
the same run (a plain dict state update for a legal edge); nothing is compared
with hard-coded numbers and nothing passes or fails on timing. The sections:

1. one trigger: the baseline, ``StateMachine.move`` (the shared
   ``transitions`` machine, no guards), the pure core alone
   (:func:`~ami_workflow.core.decide.decide` on a
   :class:`~ami_workflow.core.view.WorldView`, with the call's guards and with
   none; :func:`~ami_workflow.core.evolve.evolve` of the event into the
   :class:`~ami_workflow.core.evolve.World`; the chaining of one event) for a
   cheap trigger (submit) and the heaviest ones (instruct, pay), and a whole
   :meth:`MemoryWorkflow.fire <ami_workflow.MemoryWorkflow.fire>` (decide,
   chain, evolve) on fresh drafts;
2. one ``transitions.Machine`` per dossier (what the design avoids) against
   the shared machine: time and memory (tracemalloc) per dossier;
3. scaling: N dossiers created and walked from draft to paid with
   :class:`~ami_workflow.MemoryWorkflow` on a simulated clock
   (:class:`~ami_workflow.calendar.FixedClock`) moved forward along the 2021
   call's dates, all dossiers in step, for several N; the time per dossier
   shows whether the walk is linear (flat) or quadratic (growing with N).
"""

from __future__ import annotations

import argparse
import copy
import gc
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from typing import Any

import attrs
import transitions
from transitions import Machine

import ami_workflow
from ami_workflow import MemoryWorkflow
from ami_workflow.calendar import PARIS, FixedClock
from ami_workflow.callfile import parse_campaign
from ami_workflow.campaign import Campaign
from ami_workflow.committee import CommitteeSession, Member
from ami_workflow.core.commands import Fire
from ami_workflow.core.decide import decide
from ami_workflow.core.events import Event, Kind, event_body
from ami_workflow.core.evolve import World, evolve
from ami_workflow.core.view import WorldView
from ami_workflow.decisions import Convention, Deliberation
from ami_workflow.demo import SAMPLE_APPLICATION
from ami_workflow.dossier import Applicant, Application, Period
from ami_workflow.journal import GENESIS, link_with_text
from ami_workflow.pieces import PaperOriginal
from ami_workflow.states import STANDARD_EDGES, State, StateMachine
from ami_workflow.triggers import parse_args

perf_counter = time.perf_counter

# ---------------------------------------------------------------------------
# The campaign: the 2021 call, with an envelope large enough for any N.
# ---------------------------------------------------------------------------

CALL = "ami-cohesion-sociale-2021"
HUGE_ENVELOPE = "1000000000000.00"
ACTOR = "bench"


def big_campaign() -> Campaign:
    """The bundled 2021 call, read from its TOML text with a huge envelope."""
    text = (resources.files("ami_workflow.calls") / f"{CALL}.toml").read_text(encoding="utf-8")
    old = 'amount = "150000.00"'
    if text.count(old) != 1:
        raise SystemExit(f"cannot find {old!r} exactly once in {CALL}.toml; update the benchmark")
    return parse_campaign(text.replace(old, f'amount = "{HUGE_ENVELOPE}"'), source=f"{CALL} (huge envelope)")


def without_guards(campaign: Campaign) -> Campaign:
    """The same campaign with no guard on any trigger (what the guards cost, by difference)."""
    return attrs.evolve(campaign, workflow=attrs.evolve(campaign.workflow, guards={}))


def at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=PARIS)


# The 2021 call's dates (as in ami_workflow.demo and tests/walk.py): the clock is moved to each in turn.
LAUNCH = at(2021, 3, 8, 9)
PIECES_AT = at(2021, 4, 1)
ORIGINAL_ON = date(2021, 4, 2)
SUBMIT_AT = at(2021, 4, 12)
COMPLETE_AT = at(2021, 5, 3)
INSTRUCT_AT = at(2021, 5, 18)
SESSION_DAY = date(2021, 6, 15)
HEAR_AT = at(2021, 6, 15, 14)
APPROVE_AT = at(2021, 6, 15, 17)
DELIBERATION_AT = at(2021, 9, 27, 18)
CONVENTION_AT = at(2021, 9, 28)
PAY1_AT = at(2021, 10, 5)
PAY2_AT = at(2022, 7, 4)

PIECES = ("dossier_demande", "courrier_demande", "rib", "liste_ca", "liste_bureau", "statuts", "recepisse_declaration")
CRITERIA = ("jeunes_ou_femmes", "participation_habitants")
IBAN = "FR14 2004 1010 0505 0001 3M02 606"

SESSION = CommitteeSession(
    "comite-2021-06-15",
    SESSION_DAY,
    "Vice-président",
    "Vice-Président en charge de la Cohésion sociale",
    (
        Member("A. Martin", "personnalites"),
        Member("B. Leroy", "elus"),
        Member("C. Petit", "techniciens"),
        Member("D. Moreau", "habitants"),
    ),
)

# Two kinds of application: a large one (grant above the 23 000 € convention
# threshold, like the demo's) and a small one (no convention needed).
LARGE = SAMPLE_APPLICATION
SMALL = Application(
    title="Permanences santé",
    axis="sante",
    qpv_codes=("QP062028",),
    period=Period(date(2021, 9, 1), date(2021, 12, 31)),
    total_cost=Decimal("6000.00"),
    requested=Decimal("3000.00"),
    participants=50,
    qpv_residents=40,
    young=20,
    women=30,
    sourcing="Maisons de quartier.",
)


def applicant(i: int) -> Applicant:
    """A distinct association per dossier (so grants do not add up per applicant)."""
    return Applicant(
        name=f"Association bench n°{i}",
        kind="association",
        iban=IBAN,
        legal_representative="Claire Dupont",
    )


def new_flow(campaign: Campaign) -> MemoryWorkflow:
    """An in-memory store on a simulated clock at the call's launch."""
    return MemoryWorkflow(campaign, clock=FixedClock(LAUNCH), actor=ACTOR)


def move_clock(flow: MemoryWorkflow, when: datetime) -> None:
    """Move the store's simulated clock forward to ``when`` (never back)."""
    clock = flow.clock
    assert isinstance(clock, FixedClock)
    clock.set(max(when, clock.now()))


def add_pieces(flow: MemoryWorkflow, ref: str) -> None:
    """Every piece of an association's dossier, and the signed paper original of the form."""
    for key in PIECES:
        flow.attach(ref, key, f"{key} {ref}".encode(), filename=f"{key}.pdf")
    flow.receive_original(ref, PaperOriginal("dossier_demande", ORIGINAL_ON, True, "Claire Dupont"))


# ---------------------------------------------------------------------------
# Timing helpers
# ---------------------------------------------------------------------------


@contextmanager
def gc_paused() -> Iterator[None]:
    """Like timeit: no garbage collection inside the timed loop."""
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def calibrate(fn: Callable[[], object], target: float) -> int:
    """How many calls of ``fn`` take about ``target`` seconds."""
    number = 1
    with gc_paused():
        while True:
            t0 = perf_counter()
            for _ in range(number):
                fn()
            elapsed = perf_counter() - t0
            if elapsed >= target / 5 or number >= 10_000_000:
                break
            number *= 2
    return max(1, int(number * target / max(elapsed, 1e-9)))


def time_loop(fn: Callable[[], object], number: int, gc_on: bool = False) -> float:
    """Seconds per call over ``number`` calls; the garbage collector paused unless ``gc_on``."""
    if gc_on:
        gc.collect()
        t0 = perf_counter()
        for _ in range(number):
            fn()
        return (perf_counter() - t0) / number
    with gc_paused():
        t0 = perf_counter()
        for _ in range(number):
            fn()
        return (perf_counter() - t0) / number


def per_call(fn: Callable[[], object], *, target: float, repeat: int) -> tuple[float, float]:
    """Seconds per call of ``fn``: (best, median) over ``repeat`` runs of ~``target`` seconds each."""
    number = calibrate(fn, target)
    runs = [time_loop(fn, number) for _ in range(repeat)]
    return min(runs), statistics.median(runs)


def round_robin(
    cases: list[tuple[str, Callable[[], object], bool]], *, target: float, repeat: int
) -> list[tuple[str, float, float]]:
    """Like :func:`per_call` for each (label, fn, gc_on) case, interleaved: a noisy moment hits every case alike."""
    numbers = [calibrate(fn, target) for _, fn, _ in cases]
    runs: list[list[float]] = [[] for _ in cases]
    for _ in range(repeat):
        for i, ((_, fn, gc_on), number) in enumerate(zip(cases, numbers, strict=True)):
            runs[i].append(time_loop(fn, number, gc_on))
    return [(label, min(r), statistics.median(r)) for (label, _, _), r in zip(cases, runs, strict=True)]


def fmt_time(seconds: float) -> str:
    us = seconds * 1e6
    if us < 10:
        return f"{us:.3f} µs"
    if us < 1000:
        return f"{us:.1f} µs"
    return f"{us / 1000:.2f} ms"


def fmt_bytes(n: float) -> str:
    if abs(n) < 10_000:
        return f"{n:,.0f} B"
    if abs(n) < 10_000_000:
        return f"{n / 1024:,.1f} KiB"
    return f"{n / 1024 / 1024:,.1f} MiB"


def table(title: str, header: tuple[str, ...], rows: Sequence[tuple[str, ...]], align: str) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) if a == "<" else c.rjust(w) for c, w, a in zip(cells, widths, align, strict=True))

    print(f"\n{title}")
    print(line(header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))


# ---------------------------------------------------------------------------
# 1. One trigger
# ---------------------------------------------------------------------------

Snapshot = tuple[World, Fire, datetime]


def snapshots(campaign: Campaign) -> dict[str, Snapshot]:
    """One dossier walked to paid in memory; before each trigger, a copy of the world, the command and the instant."""
    flow = new_flow(campaign)
    ref = flow.create_dossier(applicant(0), LARGE).reference
    move_clock(flow, PIECES_AT)
    add_pieces(flow, ref)
    out: dict[str, Snapshot] = {}

    def fire(name: str, trigger: str, when: datetime, **data: Any) -> None:
        move_clock(flow, when)
        command = Fire(ref, trigger, parse_args(trigger, data), ACTOR)
        out[name] = (copy.deepcopy(flow.world), command, flow.clock.now())
        flow.fire(ref, trigger, **data)

    fire("submit", "submit", SUBMIT_AT)
    fire("mark_complete", "mark_complete", COMPLETE_AT)
    fire("instruct", "instruct", INSTRUCT_AT, criteria=list(CRITERIA))
    move_clock(flow, HEAR_AT)
    flow.record_session(SESSION)
    fire("hear", "hear", HEAR_AT, session=SESSION.id)
    fire("approve", "approve", APPROVE_AT)
    move_clock(flow, DELIBERATION_AT)
    flow.record_deliberation(Deliberation("DEL-2021-09-27-042", DELIBERATION_AT.date(), (ref,),
                                          enforceable_on=DELIBERATION_AT.date()))
    move_clock(flow, CONVENTION_AT)
    flow.record_convention(Convention(ref, "CONV-2021-017", CONVENTION_AT.date()))
    fire("pay", "pay", PAY1_AT, amount=Decimal("10000.00"), reference="MANDAT-1")
    assert flow.get(ref).state == State.APPROVED
    fire("pay balance", "pay", PAY2_AT, reference="MANDAT-2")
    assert flow.get(ref).state == State.PAID, flow.get(ref).state
    assert flow.verify() is None
    return out


def unguarded(world: World, campaign: Campaign) -> World:
    """A copy of ``world`` whose campaign runs no guard."""
    bare = copy.deepcopy(world)
    bare.campaigns[campaign.id].campaign = without_guards(campaign)
    return bare


def time_fire_on_drafts(campaign: Campaign, count: int) -> tuple[float, float]:
    """``MemoryWorkflow.fire(ref, "submit")`` once on each of ``count`` fresh drafts: (best, median) seconds."""
    flow = new_flow(campaign)
    refs = []
    for i in range(count):
        ref = flow.create_dossier(applicant(i), LARGE).reference
        refs.append(ref)
    move_clock(flow, PIECES_AT)
    for ref in refs:
        flow.attach(ref, "dossier_demande", b"form", filename="dossier.pdf")
    move_clock(flow, SUBMIT_AT)
    times = []
    with gc_paused():
        for ref in refs:
            t0 = perf_counter()
            flow.fire(ref, "submit")
            times.append(perf_counter() - t0)
    assert all(flow.get(ref).state == State.SUBMITTED for ref in refs)
    return min(times), statistics.median(times)


def bench_triggers(campaign: Campaign, target: float, repeat: int, big_deliberation: int, drafts: int) -> float:
    machine = StateMachine.standard()
    legal = {(e.source, e.trigger): e.dest for e in reversed(STANDARD_EDGES)}  # pay: approved -> paid wins
    record = {"state": "draft"}

    def baseline() -> None:
        record["state"] = legal["draft", "submit"]

    cases: list[tuple[str, Callable[[], object], bool]] = []

    def add(label: str, fn: Callable[[], object], gc_on: bool = False) -> None:
        fn()  # once for correctness (raises if the setup is wrong)
        cases.append((label, fn, gc_on))

    add("baseline: dict state update, legal edge", baseline)
    add("StateMachine.check (edge lookup only)", lambda: machine.check("draft", "submit"))
    add("StateMachine.move draft -submit-> submitted", lambda: machine.move("draft", "submit"))
    # The part spent in transitions itself (private attributes: the row is skipped if they change).
    raw = getattr(machine, "_machine", None)
    token_cls = getattr(sys.modules[StateMachine.__module__], "_Token", None)
    if isinstance(raw, Machine) and token_cls is not None:

        def bind_fire_release() -> None:
            token = token_cls(state="draft", dest="submitted")
            raw.add_model(token, initial="draft")
            token.trigger("submit")
            raw.remove_model(token)

        add("  for comparison: bind a fresh token per move (add_model, trigger, remove_model)", bind_fire_release)

    add("StateMachine.move approved -pay-> paid", lambda: machine.move("approved", "pay", "paid"))
    add("StateMachine.move draft -submit->, garbage collector on", lambda: machine.move("draft", "submit"), True)

    snaps = snapshots(campaign)
    trigger_cases = [
        ("submit", "submit"),
        ("instruct", "instruct"),
        ("pay (instalment, stays approved)", "pay"),
        ("pay (balance, -> paid)", "pay balance"),
    ]
    for label, key in trigger_cases:
        world, command, now = snaps[key]
        for guards_label, view in (
            ("call's guards", WorldView(world)),
            ("no guards", WorldView(unguarded(world, campaign))),
        ):

            def call(v: WorldView = view, c: Fire = command, n: datetime = now) -> object:
                return decide(v, c, n)

            add(f"decide {label}, {guards_label}", call)

        # evolve: fold the decided event into a scratch copy of the world (setting the state
        # again each time costs the same as the first time).
        (event,) = decide(WorldView(world), command, now)
        scratch = copy.deepcopy(world)

        def fold_one(w: World = scratch, e: Event = event) -> object:
            return evolve(w, e)

        add(f"evolve {label} into the World", fold_one)

    # The chaining a store adds to every event: its body, the canonical JSON and the SHA-256 link.
    world, command, now = snaps["submit"]
    (submitted,) = decide(WorldView(world), command, now)
    stamped = attrs.evolve(submitted, recorded_at=now, seq=42)
    add("chain one event (event_body, canonical JSON, SHA-256)",
        lambda: link_with_text(GENESIS, 42, event_body(stamped, now, {})))

    # The pay guard "deliberation" looks the dossier up in each deliberation's
    # tuple of references: show its cost when one deliberation lists many dossiers.
    world, command, now = snaps["pay"]
    wide = copy.deepcopy(world)
    place = wide.campaigns[campaign.id]
    # References like the store's own (same length and prefix), the dossier's last.
    reference = command.reference
    others = tuple(f"{campaign.id}-{i:04d}" for i in range(2, big_deliberation + 1)) + (reference,)
    place.deliberations = [Deliberation("DEL-WIDE", DELIBERATION_AT.date(), others,
                                         enforceable_on=DELIBERATION_AT.date())]
    wide_view = WorldView(wide)
    add(
        f"decide pay, deliberation lists {big_deliberation:,} dossiers",
        lambda: decide(wide_view, command, now),
    )

    rows = round_robin(cases, target=target, repeat=repeat)
    base = rows[0][1]
    # A whole MemoryWorkflow.fire can be timed only once per dossier (it moves it on): time it on fresh drafts.
    fire_best, fire_median = time_fire_on_drafts(campaign, drafts)
    rows.append((f"MemoryWorkflow.fire submit (decide, chain, evolve), once on each of {drafts:,} drafts",
                 fire_best, fire_median))
    table(
        f"1. One trigger (per call; best and median of {repeat} interleaved repeats, "
        f"the last row of {drafts:,} single calls)",
        ("operation", "best", "median", "x baseline"),
        [(label, fmt_time(b), fmt_time(m), f"{b / base:,.1f}") for label, b, m in rows],
        "<>>>",
    )
    return base


# ---------------------------------------------------------------------------
# 2. One machine per dossier against the shared machine
# ---------------------------------------------------------------------------


class _Model:
    """A per-dossier model, as a design with one machine per dossier would bind."""

    def __init__(self) -> None:
        self.state = "draft"


def machine_specs() -> tuple[list[str], list[dict[str, Any]]]:
    shared = StateMachine(STANDARD_EDGES)
    specs = [{"trigger": e.trigger, "source": e.source, "dest": e.dest} for e in shared.edges]
    return list(shared.states), specs


def build_per_dossier(n: int, states: list[str], specs: list[dict[str, Any]]) -> list[tuple[_Model, Machine]]:
    out = []
    for _ in range(n):
        model = _Model()
        out.append(
            (model, Machine(model=model, states=states, transitions=specs, initial="draft",
                            auto_transitions=False, send_event=True))
        )
    return out


def measure_memory(fn: Callable[[], object]) -> tuple[int, int, object]:
    """(retained bytes, peak bytes) allocated by ``fn`` while its result is alive."""
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        result = fn()
        gc.collect()
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return after - before, peak - before, result


def bench_machines(n: int, repeat: int, base: float) -> None:
    states, specs = machine_specs()
    triggers_per_life = 7  # submit, mark_complete, instruct, hear, approve, pay, pay

    # Time, without tracemalloc (it slows allocation down).
    build_times = []
    for _ in range(repeat):
        with gc_paused():
            t0 = perf_counter()
            kept = build_per_dossier(n, states, specs)
            build_times.append((perf_counter() - t0) / n)
        del kept
    shared_times = []
    for _ in range(repeat):
        with gc_paused():
            t0 = perf_counter()
            StateMachine(STANDARD_EDGES)
            shared_times.append(perf_counter() - t0)
    own_build, shared_build = min(build_times), min(shared_times)

    # One trigger, on a machine already bound to its model versus the shared machine.
    model, _own = build_per_dossier(1, states, specs)[0]

    def own_trigger() -> None:
        model.state = "draft"
        model.trigger("submit")  # bound by transitions

    own_fire, _ = per_call(own_trigger, target=0.1, repeat=repeat)
    shared_machine = StateMachine(STANDARD_EDGES)
    shared_fire, _ = per_call(lambda: shared_machine.move("draft", "submit"), target=0.1, repeat=repeat)

    # Memory: n per-dossier machines alive at once; the shared machine after n moves, and n/2 more.
    per_retained, per_peak, alive = measure_memory(lambda: build_per_dossier(n, states, specs))
    del alive

    one_retained, _, _sm = measure_memory(lambda: StateMachine(STANDARD_EDGES))
    del _sm
    warm = StateMachine(STANDARD_EDGES)
    for _ in range(1_000):  # fill the interpreter's free lists and caches before tracing
        warm.move("draft", "submit")

    def moves(count: int) -> None:
        for _ in range(count):
            warm.move("draft", "submit")

    # Retained after n moves, then after n more (a leak would show as growth between the two),
    # and any cyclic garbage a move leaves for the garbage collector.
    gc.collect()
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        moves(n)
        gc.collect()
        after_n, walk_peak = tracemalloc.get_traced_memory()
        moves(n // 2)
        gc.collect()
        after_more, _ = tracemalloc.get_traced_memory()
        gc.disable()
        try:
            moves(100)
            uncollected, _ = tracemalloc.get_traced_memory()
            freed_objects = gc.collect()
            collected, _ = tracemalloc.get_traced_memory()
        finally:
            gc.enable()
    finally:
        tracemalloc.stop()
    growth = after_n - start
    leak_per_move = (after_more - after_n) / (n // 2)
    garbage_per_move = (uncollected - collected) / 100
    walk_peak -= start
    walk_retained = one_retained + growth

    own_life = own_build + triggers_per_life * own_fire
    shared_life = shared_build / n + triggers_per_life * shared_fire
    rows = [
        (
            "one transitions.Machine per dossier",
            fmt_time(own_build),
            fmt_time(own_fire),
            fmt_time(own_life),
            f"{own_life / base:,.0f}",
            fmt_bytes(per_retained / n),
            fmt_bytes(per_retained),
            fmt_bytes(per_peak),
        ),
        (
            "shared StateMachine (edge table)",
            fmt_time(shared_build / n),
            fmt_time(shared_fire),
            fmt_time(shared_life),
            f"{shared_life / base:,.0f}",
            fmt_bytes(walk_retained / n),
            fmt_bytes(walk_retained),
            fmt_bytes(one_retained + walk_peak),
        ),
    ]
    table(
        f"2. Machines for {n:,} dossiers, no guards: time and memory (tracemalloc) per dossier",
        (
            "design",
            "build/dossier",
            "1 trigger",
            f"build+{triggers_per_life} triggers",
            "x baseline",
            "memory/dossier",
            f"total, {n:,} dossiers",
            "peak",
        ),
        rows,
        "<>>>>>>>",
    )
    print(
        f"   shared machine: {fmt_time(shared_build)} and {fmt_bytes(one_retained)} to build once; {n:,} moves "
        f"through it then retain {fmt_bytes(growth)} more (caches), {n // 2:,} further moves {leak_per_move:+.1f} B "
        f"per move ({'no leak' if abs(leak_per_move) < 16 else 'LEAK?'})"
    )
    print(
        f"   each shared move leaves {fmt_bytes(garbage_per_move)} ({freed_objects / 100:.0f} objects) of cyclic "
        "garbage that only the cycle collector frees"
    )
    print(
        f"   one trigger on the shared machine costs {shared_fire / own_fire:.1f}x one on a bound per-dossier machine "
        f"(a lookup in its edge table); "
        f"the per-dossier machine costs {per_retained / n / 1024:.1f} KiB "
        "per dossier kept in memory"
    )


# ---------------------------------------------------------------------------
# 3. Scaling: N dossiers from draft to paid with MemoryWorkflow
# ---------------------------------------------------------------------------

PHASES = (
    "create+pieces",
    "submit..approve",
    "deliberation",
    "conv+pay x2",
)


def walk_campaign(campaign: Campaign, n: int) -> tuple[dict[str, float], float]:
    """Create and walk ``n`` dossiers in step from draft to paid; seconds per phase, and for ``verify``."""
    flow = new_flow(campaign)
    times = dict.fromkeys(PHASES, 0.0)
    refs: list[str] = []

    t0 = perf_counter()
    for i in range(n):
        refs.append(flow.create_dossier(applicant(i), LARGE if i % 2 == 0 else SMALL).reference)
    move_clock(flow, PIECES_AT)
    for ref in refs:
        add_pieces(flow, ref)
    t1 = perf_counter()
    times["create+pieces"] = t1 - t0

    move_clock(flow, SUBMIT_AT)
    for ref in refs:
        flow.fire(ref, "submit")
    move_clock(flow, COMPLETE_AT)
    for ref in refs:
        flow.fire(ref, "mark_complete")
    move_clock(flow, INSTRUCT_AT)
    for ref in refs:
        flow.fire(ref, "instruct", criteria=CRITERIA)
    move_clock(flow, HEAR_AT)
    flow.record_session(SESSION)
    for ref in refs:
        flow.fire(ref, "hear", session=SESSION.id)
    move_clock(flow, APPROVE_AT)
    for ref in refs:
        flow.fire(ref, "approve")
    t2 = perf_counter()
    times["submit..approve"] = t2 - t1

    move_clock(flow, DELIBERATION_AT)
    flow.record_deliberation(Deliberation("DEL-2021-09-27-042", DELIBERATION_AT.date(), tuple(refs),
                                          enforceable_on=DELIBERATION_AT.date()))
    t3 = perf_counter()
    times["deliberation"] = t3 - t2

    threshold = campaign.funding.convention_threshold
    move_clock(flow, CONVENTION_AT)
    granted: dict[str, Decimal] = {}
    for k, ref in enumerate(refs):
        amount = flow.get(ref).approved
        assert amount is not None
        granted[ref] = amount
        if amount > threshold:
            flow.record_convention(Convention(ref, f"CONV-{k:05d}", CONVENTION_AT.date()))
    move_clock(flow, PAY1_AT)
    for k, ref in enumerate(refs):
        first = (granted[ref] * Decimal("0.8")).quantize(Decimal("0.01"))
        flow.fire(ref, "pay", amount=first, reference=f"MANDAT-{k}-1")
    move_clock(flow, PAY2_AT)
    for k, ref in enumerate(refs):
        flow.fire(ref, "pay", reference=f"MANDAT-{k}-2")
    t4 = perf_counter()
    times["conv+pay x2"] = t4 - t3

    problem = flow.verify()
    verify_seconds = perf_counter() - t4
    paid = sum(1 for d in flow.dossiers() if d.state == State.PAID)
    triggered = sum(1 for e in flow.iter_journal() if e.kind is Kind.TRIGGERED)
    if problem is not None or paid != n or triggered != 7 * n:
        raise SystemExit(f"walk failed: {paid} of {n} paid, {triggered} triggers, verify: {problem}")
    return times, verify_seconds


def bench_scaling(campaign: Campaign, sizes: list[int], repeat: int, base: float) -> None:
    walk_campaign(campaign, 50)  # warm-up
    results: dict[int, tuple[dict[str, float], float]] = {}
    for n in sizes:
        runs = []
        for _ in range(repeat):
            gc.collect()
            runs.append(walk_campaign(campaign, n))
        # the run with the smallest total, phases kept together
        results[n] = min(runs, key=lambda r: sum(r[0].values()))

    first = sizes[0]
    per = {n: {p: t / n for p, t in results[n][0].items()} for n in sizes}
    total = {n: sum(results[n][0].values()) / n for n in sizes}
    rows = []
    for n in sizes:
        rows.append(
            (
                f"{n:,}",
                *(fmt_time(per[n][p]) for p in PHASES),
                fmt_time(total[n]),
                f"{total[n] / (7 * base):,.0f}",
                f"{sum(results[n][0].values()):.2f} s",
                f"{total[n] / total[first]:.2f}",
                fmt_time(results[n][1] / n),
            )
        )
    table(
        f"3. Scaling: N dossiers draft -> paid with MemoryWorkflow, in step on a FixedClock "
        f"(16 events a dossier, 7 of them triggers; per dossier; best of {repeat})",
        ("N", *PHASES, "total/dossier", "x baseline/trigger", "wall", f"vs N={first:,}", "verify/dossier"),
        rows,
        ">" * (len(PHASES) + 6),
    )
    print(
        "   time per dossier should stay flat as N grows if the walk is linear; "
        "if it doubles when N doubles, the walk is quadratic."
    )
    for p in PHASES:
        a, b = per[first][p], per[sizes[-1]][p]
        growth = b / a if a else float("nan")
        print(f"   {p:<16} per dossier x{growth:.2f} from N={first:,} to N={sizes[-1]:,} (N x{sizes[-1] / first:g})")


# ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer repeats (smoke test)")
    args = parser.parse_args(argv)
    if args.quick:
        target, repeat, machines_n, sizes, walk_repeat, drafts = 0.02, 3, 200, [100, 200, 400], 1, 200
    else:
        target, repeat, machines_n, sizes, walk_repeat, drafts = 0.03, 9, 2_000, [1_000, 2_000, 4_000], 2, 2_000

    started = perf_counter()
    print(
        f"ami_workflow {getattr(ami_workflow, '__version__', '?')} from {ami_workflow.__file__}\n"
        f"Python {platform.python_version()}, transitions {transitions.__version__}, "
        f"{platform.machine()}, timer time.perf_counter"
    )
    campaign = big_campaign()
    t0 = perf_counter()
    base = bench_triggers(campaign, target, repeat, big_deliberation=sizes[-1], drafts=drafts)
    t1 = perf_counter()
    bench_machines(machines_n, min(repeat, 2), base)
    t2 = perf_counter()
    bench_scaling(campaign, sizes, walk_repeat, base)
    t3 = perf_counter()
    print(
        f"\n(whole benchmark: {t3 - started:.1f} s; sections {t1 - t0:.1f} s, {t2 - t1:.1f} s, {t3 - t2:.1f} s)"
    )


if __name__ == "__main__":
    main()
