"""Test helpers: the call's dates, a valid applicant and application, and a walk to any state.

Works with both backends, the in-memory :class:`~ami_workflow.MemoryWorkflow` and
the SQLite :class:`~ami_workflow.store.Workflow`, which share every operation.
Stores run on a simulated clock (:class:`~ami_workflow.calendar.FixedClock`),
moved forward with :func:`at`: the store dates every event by its clock.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ami_workflow import (
    Applicant,
    Application,
    Budget,
    CommitteeSession,
    Deliberation,
    Member,
    MemoryWorkflow,
    PaperOriginal,
    Period,
    load_campaign,
)
from ami_workflow.calendar import PARIS, FixedClock
from ami_workflow.store import Workflow

CAMPAIGN = load_campaign("ami-cohesion-sociale-2021")
VALID_IBAN = "FR1420041010050500013M02606"
SESSION_ID = "comite-2021-06-15"
LAUNCH = datetime(2021, 3, 8, 9, tzinfo=PARIS)
PIECES_AT = datetime(2021, 4, 1, 10, tzinfo=PARIS)
DELIBERATION_AT = datetime(2021, 9, 27, 18, tzinfo=PARIS)
BACKENDS = ("memory", "sqlite")
PATH = ("submit", "mark_complete", "instruct", "hear", "approve", "pay")
TIMES = {
    "submit": datetime(2021, 4, 12, 10, tzinfo=PARIS),
    "mark_complete": datetime(2021, 5, 3, 10, tzinfo=PARIS),
    "instruct": datetime(2021, 5, 18, 10, tzinfo=PARIS),
    "hear": datetime(2021, 6, 15, 14, tzinfo=PARIS),
    "approve": datetime(2021, 6, 15, 17, tzinfo=PARIS),
    "pay": datetime(2021, 10, 5, 10, tzinfo=PARIS),
}
STATE_AFTER = dict(zip(PATH, ("submitted", "complete", "instructed", "audited", "approved", "paid"), strict=True))


def applicant(n: int = 1, **changes: Any) -> Applicant:
    sirens = ["732829320", "552100554", "542065479", "443061841", "652014051", "775672272"]
    data: dict[str, Any] = {
        "name": f"Association {n}",
        "kind": "association",
        "siren": sirens[n % len(sirens)],
        "iban": VALID_IBAN,
        "legal_representative": "Claire Dupont",
    }
    data.update(changes)
    return Applicant(**data)


def application(**changes: Any) -> Application:
    data: dict[str, Any] = {
        "title": "Ateliers numériques",
        "axis": "numerique",
        "qpv_codes": ("QP062024",),
        "period": Period(date(2021, 9, 1), date(2022, 6, 30)),
        "total_cost": Decimal("10000.00"),
        "requested": Decimal("5000.00"),
        "participants": 100,
        "qpv_residents": 80,
        "young": 40,
        "women": 50,
        "sourcing": "Centres sociaux et collèges.",
    }
    data.update(changes)
    if "budget" not in changes:
        data["budget"] = forecast(data["total_cost"], data["requested"])
    return Application(**data)


def forecast(total: Decimal | None, requested: Decimal | None) -> Budget | None:
    """A balanced forecast budget whose total is ``total`` and whose EPCI line is ``requested``: staff and
    purchases, the State for the rest, and volunteering in kind (None when the two amounts cannot make one)."""
    if total is None or requested is None or not 0 <= requested <= total:
        return None
    purchases = (total / 10).quantize(Decimal("0.01"))
    return Budget(charges={"60": purchases, "64": total - purchases, "86": "500"},
                  products={"74.epci": requested, "74.etat": total - requested, "87": "500"})


def session() -> CommitteeSession:
    members = tuple(Member(f"Membre {c.key}", c.key) for c in CAMPAIGN.committee.categories)
    return CommitteeSession(SESSION_ID, date(2021, 6, 15), "Vice-président", CAMPAIGN.committee.chair_role, members)


def new_flow(backend: str = "memory", campaign: Any = None, *, path: str = ":memory:", start: datetime = LAUNCH) -> Any:
    """A store of either backend on a simulated clock set to ``start`` (the call's launch by default)."""
    clock = FixedClock(start)
    if backend == "sqlite":
        return Workflow.open(path, campaign or CAMPAIGN, clock=clock, actor="test")
    return MemoryWorkflow(campaign or CAMPAIGN, clock=clock, actor="test")


def at(flow: Any, when: datetime) -> None:
    """Move the store's simulated clock forward to ``when`` (never back: the journal's time only goes on)."""
    flow.clock.set(max(when, flow.clock.now()))


def attach_all(flow: Any, ref: str) -> None:
    """Every piece the call asks of an association, with the signed paper original of the form, on 1 April."""
    at(flow, PIECES_AT)
    for piece in CAMPAIGN.pieces:
        flow.attach(ref, piece.key, f"contenu {piece.key}".encode(), filename=f"{piece.key}.pdf")
    flow.receive_original(ref, PaperOriginal("dossier_demande", date(2021, 4, 2), True, "Claire Dupont", "présidente"))


def walk(flow: Any, ref: str, until: str) -> None:
    """Fire the normal path's triggers up to and including ``until``, each at the call's date.

    The session is recorded before the hearing and the deliberation before
    the payment when they are not yet. Several dossiers walk together with
    :func:`walk_all` (the clock cannot go back).
    """
    walk_all(flow, [ref], until)


def walk_all(flow: Any, refs: list[str], until: str) -> None:
    """Walk every dossier of ``refs`` in step, trigger by trigger, up to and including ``until``."""
    data: dict[str, dict[str, Any]] = {"instruct": {"criteria": []}, "hear": {"session": SESSION_ID}}
    for trigger in PATH:
        at(flow, TIMES[trigger])
        if trigger == "hear" and SESSION_ID not in {s.id for s in flow.sessions()}:
            flow.record_session(session())
        if trigger == "pay":
            pending = [r for r in refs if not any(r in d.dossiers for d in flow.deliberations())]
            if pending:
                at(flow, DELIBERATION_AT)
                flow.record_deliberation(Deliberation(f"DEL-2021-{len(flow.deliberations()) + 1:03d}",
                                                      DELIBERATION_AT.date(), tuple(pending),
                                                      enforceable_on=DELIBERATION_AT.date()))
                at(flow, TIMES["pay"])
        for ref in refs:
            flow.fire(ref, trigger, actor="test", **data.get(trigger, {}))
        if trigger == until:
            return
