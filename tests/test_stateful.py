"""Hypothesis stateful test: trigger sequences over many dossiers of the 2021 campaign, on both backends.

The store runs on a simulated clock that only goes forward: before each
trigger the clock moves to a time drawn mostly inside the window the trigger
needs (so runs reach ``paid``), sometimes anywhere in 2021-2022; a time
already past leaves the clock where it is. Administrative acts are sometimes
dated with ``at=`` (earlier or later than now: a date after now or before the
dossier's last act is refused). After every step: states moved only along
legal edges, a refused trigger changed nothing, the approved total is within
the envelope, every approved amount is within its ceiling, and payments never
exceed the grant. At the end of each run the journal and every projection
verify. The budget (examples, steps) is the loaded Hypothesis profile's.

The suite runs the machine in lockstep (:class:`LockstepMachine`): every rule on
the in-memory store and on the SQLite store at once, each call returning the
same value or raising the same error on both, and after every step the same
journal head, dossiers, totals and report figures. ``HYPOTHESIS_PROFILE=lockstep``
(or ``python tools/lockstep.py``) runs at least 10 000 steps.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule
from strategies import instants_between, paris
from walk import forecast, new_flow

from ami_workflow import (
    STANDARD_EDGES,
    AmiWorkflowError,
    Applicant,
    Application,
    CommitteeSession,
    Convention,
    Deliberation,
    Member,
    PaperOriginal,
    Period,
    backend,
    load_campaign,
)
from ami_workflow.budget import Budget
from ami_workflow.calendar import paris_date
from ami_workflow.core.events import Kind
from ami_workflow.guards import dossier_ceiling
from ami_workflow.money import ZERO

CAMPAIGN = load_campaign("ami-cohesion-sociale-2021")
EDGES = {(e.source, e.trigger, e.dest) for e in STANDARD_EDGES}
SESSION_DAYS = (date(2021, 6, 15), date(2021, 6, 22))
VALID_IBAN = "FR14 2004 1010 0505 0001 3M02 606"
MEMBERS = tuple(Member(f"M{i}", c.key) for i, c in enumerate(CAMPAIGN.committee.categories))
QPV = sorted(CAMPAIGN.territory.codes())
NEXT = {
    "draft": "submit",
    "submitted": "mark_complete",
    "complete": "instruct",
    "instructed": "hear",
    "audited": "approve",
    "approved": "pay",
    "paid": "close",
    "recovery": "order_recovery",
}
TRIGGERS = ("submit", "mark_complete", "return_for_pieces", "instruct", "hear", "approve", "reject", "withdraw", "pay",
            "close", "start_recovery", "order_recovery", "recover")
AFTER = instants_between(date(2022, 1, 3), date(2022, 12, 31))
anywhere = instants_between(date(2021, 2, 1), date(2022, 12, 31))
WINDOWS = {
    "submit": instants_between(date(2021, 3, 8), date(2021, 4, 30)),
    "mark_complete": instants_between(date(2021, 5, 1), date(2021, 5, 20)),
    "instruct": instants_between(date(2021, 5, 21), date(2021, 5, 31)),
    "hear": st.sampled_from(SESSION_DAYS).map(lambda d: paris(d.year, d.month, d.day, 10)),
    "approve": st.sampled_from(SESSION_DAYS).map(lambda d: paris(d.year, d.month, d.day, 18)),
    "pay": instants_between(date(2021, 10, 1), date(2022, 6, 30)),
    "reject": instants_between(date(2021, 5, 1), date(2021, 6, 30)),
    "withdraw": anywhere,
    "return_for_pieces": instants_between(date(2021, 5, 1), date(2021, 5, 31)),
    "close": AFTER,
    "start_recovery": AFTER,
    "order_recovery": AFTER,
    "recover": AFTER,
}


def when(trigger: str) -> st.SearchStrategy[datetime]:
    return st.one_of(*[WINDOWS[trigger]] * 9, anywhere)


class CampaignMachine(RuleBasedStateMachine):
    """The machine; :class:`MemoryMachine` and :class:`SqliteMachine` run it on each backend."""

    BACKEND = "memory"
    dossiers = Bundle("dossiers")

    def _new_flow(self) -> Any:
        return new_flow(self.BACKEND, start=paris(2021, 3, 8, 9))

    @initialize()
    def start(self) -> None:
        self.flow = self._new_flow()
        self.sessions_held: set[date] = set()
        self.deliberated: set[str] = set()
        self.refused = 0
        self.accepted = 0
        self.created = 0

    def teardown(self) -> None:
        if hasattr(self, "flow"):
            try:
                assert self.flow.verify() is None, self.flow.verify()
            finally:
                if hasattr(self.flow, "close"):
                    self.flow.close()

    def _move(self, when: datetime) -> None:
        """Move the clock forward to ``when`` (never back), recording the sessions held by then."""
        if when > self.flow.clock.now():
            self.flow.clock.set(when)
        for day in SESSION_DAYS:
            if day not in self.sessions_held and day <= paris_date(self.flow.clock.now()):
                self.flow.record_session(
                    CommitteeSession(f"s-{day}", day, "VP", CAMPAIGN.committee.chair_role, MEMBERS)
                )
                self.sessions_held.add(day)

    @rule(
        target=dossiers,
        kind=st.sampled_from(["association"] * 5 + ["collectif_habitants"]),
        cost=st.integers(5_000, 120_000),
        share=st.integers(30, 90),
        participants=st.integers(1, 200),
        residents_pct=st.integers(50, 100),
        iban=st.sampled_from([VALID_IBAN] * 5 + [None]),
        codes=st.lists(st.sampled_from(QPV + ["QP999999"]), min_size=1, max_size=3),
        with_pieces=st.sampled_from([True] * 4 + [False]),
    )
    def create(
        self,
        kind: str,
        cost: int,
        share: int,
        participants: int,
        residents_pct: int,
        iban: str | None,
        codes: list[str],
        with_pieces: bool = False,
    ) -> str:
        total = Decimal(cost)
        requested = (total * share / 100).quantize(Decimal("1"))
        application = Application(
            title="Action",
            axis="education",
            qpv_codes=tuple(codes),
            period=Period(date(2021, 9, 1), date(2022, 6, 30)),
            total_cost=total,
            requested=requested,
            participants=participants,
            qpv_residents=participants * residents_pct // 100,
            young=participants // 2,
            women=participants // 2,
            sourcing="Porte-à-porte et centres sociaux.",
            budget=forecast(total, requested),
        )
        self.created += 1
        applicant = Applicant(f"Asso {self.created}", kind, iban=iban, rna=f"W62{self.created:07d}")
        ref: str = self.flow.create_dossier(applicant, application).reference
        if with_pieces:
            self.attach(ref, [p.key for p in CAMPAIGN.pieces], True)
        return ref

    @rule(
        ref=dossiers,
        keys=st.lists(st.sampled_from([p.key for p in CAMPAIGN.pieces]), unique=True),
        signed=st.booleans(),
    )
    def attach(self, ref: str, keys: list[str], signed: bool) -> None:
        before = self.flow.get(ref)
        events = len(self.flow.events())
        try:
            for key in keys:
                self.flow.attach(ref, key, f"contenu {key}".encode(), filename=f"{key}.pdf")
            if "dossier_demande" in keys:
                original = PaperOriginal(
                    "dossier_demande", paris_date(self.flow.clock.now()), signed, "Présidente" if signed else None
                )
                self.flow.receive_original(ref, original)
        except AmiWorkflowError:
            after = self.flow.get(ref)
            assert after.state == before.state
            # Only the pieces accepted before the refusal were journaled, one event each.
            assert len(self.flow.events()) - events == after.version - before.version

    def _fire(
        self, ref: str, trigger: str, when: datetime, data: dict[str, object], dated: datetime | None = None
    ) -> None:
        self._move(when)
        before = self.flow.get(ref)
        events, totals = len(self.flow.events()), self.flow.totals()
        try:
            after = self.flow.fire(ref, trigger, at=dated, actor="hypothesis", **data)
        except AmiWorkflowError:
            self.refused += 1
            assert self.flow.get(ref) == before, "a refused trigger changed the dossier"
            assert len(self.flow.events()) == events, "a refused trigger was journaled"
            assert self.flow.totals() == totals, "a refused trigger changed the totals"
            return
        self.accepted += 1
        if currently_in_test_context():
            event(f"reached {after.state}")
        assert (before.state, trigger, after.state) in EDGES
        assert after.version == before.version + 1
        last = self.flow.history(ref)[-1]
        assert last.dest == after.state and last.trigger == trigger
        assert last.at <= (last.recorded_at or last.at)
        if dated is not None:
            assert dated <= self.flow.clock.now() or last.at == dated

    def _data(self, trigger: str, draw: st.DataObject) -> dict[str, object]:
        if trigger == "instruct":
            criteria = draw.draw(st.sets(st.sampled_from(sorted(CAMPAIGN.funding.criterion_keys()))))
            proposed = draw.draw(st.none() | st.integers(0, 90_000).map(Decimal))
            return {"criteria": criteria, "proposed": proposed}
        if trigger == "hear":
            return {"session": draw.draw(st.sampled_from([f"s-{d}" for d in SESSION_DAYS] + ["s-nope"]))}
        if trigger == "approve":
            return {"amount": draw.draw(st.none() | st.integers(0, 90_000).map(Decimal))}
        if trigger == "pay":
            return {"amount": draw.draw(st.none() | st.integers(1, 30_000).map(Decimal)), "reference": "M"}
        if trigger == "reject":
            return {"motivation": draw.draw(st.sampled_from(["", "Hors critères"]))}
        if trigger == "start_recovery":
            grounds = draw.draw(st.sampled_from(["under_spent", "not_carried_out", "withdrawn"]))
            days = draw.draw(st.integers(5, 40))
            return {"grounds": grounds, "observations_by": paris_date(self.flow.clock.now()) + timedelta(days=days)}
        if trigger == "order_recovery":
            return {"title": draw.draw(st.sampled_from(["", "TR-1"])),
                    "motivation": draw.draw(st.sampled_from(["", "Action non réalisée."])),
                    "observations": draw.draw(st.sampled_from(["", "Observations reçues."]))}
        if trigger == "return_for_pieces":
            key = draw.draw(st.sampled_from([p.key for p in CAMPAIGN.pieces]))
            reason = draw.draw(st.sampled_from(["missing", "incorrect", "outdated"]))
            return {"issues": [{"key": key, "reason": reason}]}
        return {}

    def _dated(self, trigger: str, draw: st.DataObject) -> datetime | None:
        """Mostly no ``at`` (the act is dated now); sometimes any instant, earlier or later than now."""
        if trigger == "submit" or draw.draw(st.integers(0, 9)) != 0:
            return None
        return draw.draw(anywhere)

    @rule(ref=dossiers, steps=st.integers(1, 8), data=st.data())
    def advance(self, ref: str, steps: int, data: st.DataObject) -> None:
        """Fire the next triggers of the normal path, mostly at a time inside their windows."""
        for _ in range(steps):
            trigger = NEXT.get(self.flow.get(ref).state)
            if trigger is None:
                return
            if trigger == "pay" and ref not in self.deliberated and data.draw(st.booleans()):
                self.deliberate(data.draw(st.integers(1, 30)))
            self._fire(ref, trigger, data.draw(when(trigger)), self._data(trigger, data), self._dated(trigger, data))

    @rule(ref=dossiers, trigger=st.sampled_from(TRIGGERS + ("pay", "approve", "hear") * 2), data=st.data())
    def fire_any(self, ref: str, trigger: str, data: st.DataObject) -> None:
        """Any trigger, legal here or not, at a time mostly inside its window."""
        self._fire(ref, trigger, data.draw(when(trigger)), self._data(trigger, data), self._dated(trigger, data))

    @rule(day=st.integers(1, 30))
    def deliberate(self, day: int) -> None:
        pending = [d.reference for d in self.flow.dossiers(state="approved") if d.reference not in self.deliberated]
        if not pending:
            return
        self._move(paris(2021, 9, day, 18))
        deliberation = Deliberation(f"DEL-{len(self.deliberated)}-{day}", date(2021, 9, day), tuple(pending),
                                   enforceable_on=date(2021, 9, day))
        events = len(self.flow.events())
        try:
            self.flow.record_deliberation(deliberation)
        except AmiWorkflowError:
            assert len(self.flow.events()) == events  # e.g. the clock is past the deliberation window
            return
        self.deliberated.update(pending)
        for ref in pending:
            if (self.flow.get(ref).approved or ZERO) > CAMPAIGN.funding.convention_threshold:
                self.flow.record_convention(Convention(ref, f"CONV-{ref}", paris_date(self.flow.clock.now())))

    @rule(ref=dossiers, share=st.sampled_from([0, 50, 95, 100]), accept=st.booleans(), data=st.data())
    def report(self, ref: str, share: int, accept: bool, data: st.DataObject | None) -> None:
        """A compte rendu financier realising ``share`` % of the forecast, then its review."""
        if data is not None:
            self._move(data.draw(AFTER))
        dossier = self.flow.get(ref)
        cost = ((dossier.application.total_cost or ZERO) * share / 100).quantize(Decimal("0.01"))
        realised = Budget(charges={"64": cost}, products={"74.epci": cost})
        before, events = self.flow.get(ref), len(self.flow.events())
        try:
            self.flow.record_financial_report(ref, paris_date(self.flow.clock.now()), realised=realised,
                                              carried_out=share > 0)
            self.flow.review_financial_report(ref, accepted=accept, questions="" if accept else "Précisez.",
                                              answer_by=None if accept else date(2023, 1, 31))
        except AmiWorkflowError:
            assert self.flow.get(ref) == before and len(self.flow.events()) <= events + 1

    @invariant()
    def envelope_is_respected(self) -> None:
        if not hasattr(self, "flow"):
            return
        totals = self.flow.totals()
        assert totals.approved <= CAMPAIGN.envelope.amount
        assert ZERO <= totals.paid <= totals.approved

    @invariant()
    def amounts_within_ceilings_and_grants(self) -> None:
        if not hasattr(self, "flow"):
            return
        for dossier in self.flow.dossiers():
            if dossier.approved is not None:
                assert dossier.instruction is not None
                settled = dossier.state in ("closed", "recovered")  # a settled grant may come to 0
                assert (dossier.approved >= 0 if settled else dossier.approved > 0)
                assert dossier.approved <= dossier_ceiling(CAMPAIGN, dossier, dossier.instruction.criteria)
                assert dossier.approved <= (dossier.application.requested or ZERO)
            assert ZERO <= dossier.paid <= (dossier.approved or ZERO)
            if dossier.state in ("paid", "closed", "recovered"):
                assert dossier.paid == dossier.approved
            moves = [e for e in self.flow.history(dossier.reference) if e.kind is Kind.TRIGGERED]
            assert dossier.state == (moves[-1].dest if moves else "draft")


class MemoryMachine(CampaignMachine):
    BACKEND = "memory"


class SqliteMachine(CampaignMachine):
    BACKEND = "sqlite"


class _Salts:
    """A stand-in for :mod:`secrets` in :mod:`ami_workflow.backend`: each store draws the same salts, in order."""

    def __init__(self) -> None:
        self.drawn = {"memory": 0, "sqlite": 0}
        self.store = "memory"

    def token_hex(self, nbytes: int = 32) -> str:
        n = self.drawn[self.store]
        self.drawn[self.store] = n + 1
        return f"{n:0{2 * nbytes}x}"


class _Clocks:
    """Both stores' clocks, moved together."""

    def __init__(self, *clocks: Any) -> None:
        self.clocks = clocks

    def now(self) -> datetime:
        [now] = {clock.now() for clock in self.clocks}
        return now

    def set(self, when: datetime) -> None:
        for clock in self.clocks:
            clock.set(when)


class Lockstep:
    """The in-memory store and the SQLite store driven together: each call runs on both, which must agree.

    A call returns the same value on both stores (dossiers, events, totals, reports, verify's answer), or raises
    the same error with the same message on both. The personal values' salts are drawn from a counter per store
    (they are random in use), so both journals are the same bytes and have the same head.
    """

    def __init__(self, start: datetime) -> None:
        self.memory = new_flow("memory", start=start)
        self.sqlite = new_flow("sqlite", start=start)
        self.clock = _Clocks(self.memory.clock, self.sqlite.clock)
        self.calls = 0
        self._salts, self._secrets = _Salts(), backend.secrets
        backend.secrets = self._salts  # type: ignore[assignment]

    def close(self) -> None:
        backend.secrets = self._secrets
        self.sqlite.close()

    def _on(self, store: str, name: str, args: Any, kwargs: Any) -> tuple[Any, BaseException | None]:
        self._salts.store = store
        try:
            return getattr(getattr(self, store), name)(*args, **kwargs), None
        except AmiWorkflowError as error:
            return None, error

    def __getattr__(self, name: str) -> Any:
        if not callable(getattr(self.memory, name)):
            return getattr(self.memory, name)

        def both(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            value, error = self._on("memory", name, args, kwargs)
            other, other_error = self._on("sqlite", name, args, kwargs)
            if error is not None or other_error is not None:
                assert (type(error), str(error)) == (type(other_error), str(other_error)), name
                raise error or other_error  # type: ignore[misc]
            assert value == other, f"{name}: the stores disagree"
            return value

        return both


class LockstepMachine(CampaignMachine):
    """The machine on both stores at once: after every step, the same dossiers, totals, report and journal head."""

    BACKEND = "lockstep"

    def _new_flow(self) -> Any:
        LockstepMachine.runs += 1
        return Lockstep(paris(2021, 3, 8, 9))

    #: Runs started and agreement checks made (one after each run's start, one after each step) by every lockstep
    #: machine of the process: ``tools/lockstep.py`` reports the steps, ``checks - runs``.
    runs = 0
    checks = 0

    @invariant()
    def the_stores_agree(self) -> None:
        """The same head (so the same journal, byte for byte), dossiers, totals and report figures."""
        if not hasattr(self, "flow"):
            return
        LockstepMachine.checks += 1
        memory, sqlite = self.flow.memory, self.flow.sqlite
        assert memory.head() == sqlite.head()
        assert memory.dossiers() == sqlite.dossiers()
        assert memory.totals() == sqlite.totals()
        assert memory.report_figures() == sqlite.report_figures()

    def teardown(self) -> None:
        if hasattr(self, "flow"):
            try:
                assert self.flow.memory.events() == self.flow.sqlite.events()
                assert self.flow.memory.replayed_states() == self.flow.sqlite.replayed_states()
            finally:
                super().teardown()


#: The loaded profile's budget (tests/conftest.py: ``ci`` by default; ``HYPOTHESIS_PROFILE=dev`` for more,
#: ``HYPOTHESIS_PROFILE=lockstep`` for at least 10 000 steps).
PROFILE = settings()
for _machine in (MemoryMachine, SqliteMachine, LockstepMachine):
    _machine.TestCase.settings = settings(
        PROFILE, max_examples=PROFILE.max_examples, stateful_step_count=PROFILE.stateful_step_count, deadline=None
    )
# It runs two stores: half the profile's examples under ``lockstep`` and ``dev``, a quarter in ``ci`` (15 × up to
# 50 steps: the suite's time budget).
_SHARE = 4 if os.environ.get("HYPOTHESIS_PROFILE", "ci") == "ci" else 2
LockstepMachine.TestCase.settings = settings(LockstepMachine.TestCase.settings,
                                             max_examples=max(1, PROFILE.max_examples // _SHARE))
TestLockstepCampaign = LockstepMachine.TestCase


@pytest.mark.parametrize("machine_class", [MemoryMachine, SqliteMachine, LockstepMachine],
                         ids=["memory", "sqlite", "lockstep"])
def test_stateful_runs_reach_paid(machine_class: type[CampaignMachine]) -> None:
    """The time strategy is tuned so that runs really reach the end of the path."""
    machine = machine_class()
    machine.start()
    machine._move(paris(2021, 4, 1))
    ref = str(machine.create("association", 40_000, 50, 100, 80, VALID_IBAN, ["QP062024"], with_pieces=True))
    steps = [
        ("submit", paris(2021, 4, 1)),
        ("mark_complete", paris(2021, 5, 3)),
        ("instruct", paris(2021, 5, 25)),
        ("hear", paris(2021, 6, 15, 10)),
        ("approve", paris(2021, 6, 15, 18)),
    ]
    data: dict[str, dict[str, object]] = {"instruct": {"criteria": set()}, "hear": {"session": "s-2021-06-15"}}
    for trigger, when_ in steps:
        machine._fire(ref, trigger, when_, data.get(trigger, {}))
    machine.deliberate(27)
    machine._fire(ref, "pay", paris(2021, 10, 1), {})
    assert machine.flow.get(ref).state == "paid"
    assert machine.refused == 0
    machine.teardown()


def _paid_machine(machine_class: type[CampaignMachine]) -> tuple[CampaignMachine, str]:
    """A machine whose one dossier (a 20 000 € grant) is approved and granted by an enforceable deliberation."""
    machine = machine_class()
    machine.start()
    machine._move(paris(2021, 4, 1))
    ref = str(machine.create("association", 40_000, 50, 100, 80, VALID_IBAN, ["QP062024"], with_pieces=True))
    data: dict[str, dict[str, object]] = {"instruct": {"criteria": set()}, "hear": {"session": "s-2021-06-15"}}
    for trigger, when_ in (("submit", paris(2021, 4, 1)), ("mark_complete", paris(2021, 5, 3)),
                           ("instruct", paris(2021, 5, 25)), ("hear", paris(2021, 6, 15, 10)),
                           ("approve", paris(2021, 6, 15, 18))):
        machine._fire(ref, trigger, when_, data.get(trigger, {}))
    machine.deliberate(27)
    return machine, ref


AFTER_STEPS = st.sampled_from(["pay", "report", "report", "close", "close", "start_recovery", "start_recovery",
                               "order_recovery", "order_recovery", "recover", "recover", "withdraw"])


@pytest.mark.parametrize("machine_class", [MemoryMachine, SqliteMachine], ids=["memory", "sqlite"])
@settings(max_examples=max(10, PROFILE.max_examples // 3), deadline=None)
@given(data=st.data())
def test_after_the_grant_totals_never_go_negative_and_paid_never_exceeds_the_grant(
        machine_class: type[CampaignMachine], data: st.DataObject) -> None:
    """Random payments, comptes rendus, closings and recoveries after the grant, each refused with nothing changed
    or taken along a legal edge, with the invariants checked after every step."""
    machine, ref = _paid_machine(machine_class)
    first = data.draw(st.sampled_from([None, Decimal("8000"), Decimal("20000")]))
    machine._fire(ref, "pay", paris(2021, 10, 1), {"amount": first})
    try:
        for step in data.draw(st.lists(AFTER_STEPS, min_size=1, max_size=16)):
            # each step some days after the one before, from January 2022 (a compte rendu comes after the year)
            when_ = max(machine.flow.clock.now(), paris(2022, 1, 3)) + timedelta(days=data.draw(st.integers(0, 40)))
            if step == "report":
                machine._move(when_)
                machine.report(ref, data.draw(st.sampled_from([0, 50, 95, 100])),
                               data.draw(st.sampled_from([True, True, False])), None)
            else:
                machine._fire(ref, step, when_, machine._data(step, data))
            machine.envelope_is_respected()
            machine.amounts_within_ceilings_and_grants()
        event(f"ended {machine.flow.get(ref).state}")
    finally:
        machine.teardown()


@pytest.mark.parametrize("machine_class", [MemoryMachine, SqliteMachine, LockstepMachine],
                         ids=["memory", "sqlite", "lockstep"])
def test_stateful_runs_reach_closed_and_recovered(machine_class: type[CampaignMachine]) -> None:
    """The after-grant steps of the machine reach closed on one dossier and recovered on another, every step
    accepted and the invariants holding after each."""
    machine, ref = _paid_machine(machine_class)
    machine._fire(ref, "pay", paris(2021, 10, 1), {})
    machine._move(paris(2022, 2, 1))
    machine.report(ref, 100, True, None)
    machine._fire(ref, "close", paris(2022, 2, 2), {})
    assert machine.flow.get(ref).state == "closed" and machine.refused == 0
    machine.envelope_is_respected()
    machine.amounts_within_ceilings_and_grants()
    machine.teardown()
    machine, ref = _paid_machine(machine_class)
    machine._fire(ref, "pay", paris(2021, 10, 1), {})
    machine._move(paris(2022, 2, 1))
    machine.report(ref, 50, True, None)
    machine._fire(ref, "start_recovery", paris(2022, 2, 2),
                  {"grounds": "under_spent", "observations_by": date(2022, 2, 20)})
    machine._fire(ref, "order_recovery", paris(2022, 2, 21), {"title": "TR-1", "motivation": "Moitié réalisée."})
    machine._fire(ref, "recover", paris(2022, 3, 1), {})
    assert machine.flow.get(ref).state == "recovered" and machine.refused == 0
    assert machine.flow.get(ref).paid == machine.flow.get(ref).approved == Decimal("10000.00")
    machine.envelope_is_respected()
    machine.amounts_within_ceilings_and_grants()
    machine.teardown()
