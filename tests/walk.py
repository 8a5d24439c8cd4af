"""Test helpers: the call's dates, a valid applicant and application, and a walk to any state.

Works with both the in-memory :class:`~ami_workflow.Engine` and the SQLite
:class:`~ami_workflow.store.Workflow`, which share the same operations.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ami_workflow import Applicant, Application, CommitteeSession, Member, PaperOriginal, Period, load_campaign
from ami_workflow.calendar import PARIS

CAMPAIGN = load_campaign("ami-cohesion-sociale-2021")
VALID_IBAN = "FR1420041010050500013M02606"
SESSION_ID = "comite-2021-06-15"
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
    return Application(**data)


def session() -> CommitteeSession:
    members = tuple(Member(f"Membre {c.key}", c.key) for c in CAMPAIGN.committee.categories)
    return CommitteeSession(SESSION_ID, date(2021, 6, 15), "Vice-président", CAMPAIGN.committee.chair_role, members)


def attach_all(flow: Any, ref: str) -> None:
    """Every piece the call asks of an association, with the signed paper original of the form."""
    from ami_workflow.store import Workflow

    for piece in CAMPAIGN.pieces:
        if isinstance(flow, Workflow):
            content = f"contenu {piece.key}".encode()
            flow.attach(ref, piece.key, content, filename=f"{piece.key}.pdf", received_on=date(2021, 4, 1))
        else:
            from ami_workflow import PieceReceipt

            flow.attach(ref, PieceReceipt(piece.key, date(2021, 4, 1)))
    flow.receive_original(ref, PaperOriginal("dossier_demande", date(2021, 4, 2), True, "Claire Dupont", "présidente"))


def walk(flow: Any, ref: str, until: str) -> None:
    """Fire the normal path's triggers up to and including ``until`` with the call's dates."""
    data: dict[str, dict[str, Any]] = {"instruct": {"criteria": []}, "hear": {"session": SESSION_ID}}
    for trigger in PATH:
        flow.fire(ref, trigger, at=TIMES[trigger], actor="test", **data.get(trigger, {}))
        if trigger == until:
            return
