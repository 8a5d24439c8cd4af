"""Worker processes for the concurrency and crash tests (run as ``python store_workers.py MODE DB ...``).

Every worker opens the store with a clock and an actor: the clock is a
simulated one (:class:`~ami_workflow.calendar.FixedClock`), moved forward only,
since the store dates every event by its clock.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from typing import Any

from walk import CAMPAIGN, LAUNCH, PATH, TIMES, applicant, application, at

from ami_workflow import (
    Campaign,
    CommitteeSession,
    Deliberation,
    IllegalTrigger,
    Member,
    PaperOriginal,
    Period,
    Refused,
    parse_campaign,
)
from ami_workflow.calendar import PARIS, FixedClock
from ami_workflow.store import Workflow

TEXT = (resources.files("ami_workflow.calls") / "ami-cohesion-sociale-2021.toml").read_text(encoding="utf-8")
WINDOW_DAYS = ("2021-03-08", "2021-04-30", "2021-05-01", "2021-05-31", "2021-06-01", "2021-06-30", "2021-09-01",
               "2021-09-30")


def open_race(paths: Sequence[str], barrier: Any, results: Any, worker: int) -> None:
    """For each path, wait for the others at ``barrier`` then open it with the campaign; report each outcome."""
    outcomes = []
    for path in paths:
        barrier.wait(timeout=60)
        try:
            Workflow.open(path, CAMPAIGN, synchronous="NORMAL").close()
            outcomes.append("ok")
        except Exception as exc:
            outcomes.append(f"{type(exc).__module__}.{type(exc).__name__}: {exc}")
    results.put((worker, outcomes))


def approve(path: str, refs: list[str]) -> None:
    """Try to approve each dossier on the day of the committee; print one line per outcome."""
    actor = f"worker-{os.getpid()}"
    with Workflow.open(path, CAMPAIGN.id, synchronous="NORMAL", clock=FixedClock(TIMES["approve"]),
                       actor=actor) as flow:
        for ref in refs:
            try:
                flow.fire(ref, "approve")
                print(f"approved {ref}", flush=True)
            except Refused:
                print(f"refused {ref}", flush=True)
            except IllegalTrigger:  # another process approved it first
                print(f"already {ref}", flush=True)


def call_of(year: int) -> Campaign:
    """The 2021 call moved to ``year`` (its windows keep their days), so that each year can walk a dossier."""
    if year == 2021:
        return CAMPAIGN
    text = TEXT.replace("ami-cohesion-sociale-2021", f"ami-cohesion-sociale-{year}")
    text = text.replace("year = 2021", f"year = {year}")
    for day in WINDOW_DAYS:
        text = text.replace(day, f"{year}{day[4:]}")
    return parse_campaign(text)


def in_year(when: datetime, year: int) -> datetime:
    return when.replace(year=year)


def walk_year(flow: Any, campaign: Campaign, n: int) -> None:
    """One dossier of ``campaign``'s year from its creation to its balance, every act on its day of that year."""
    y = campaign.call.year
    at(flow, in_year(LAUNCH, y))
    if campaign.id not in flow.campaign_ids():
        flow.add_campaign(campaign)
    ref = flow.create_dossier(
        applicant(n, name=f"Asso {n}", siren=None, rna=f"W{n:09d}"),
        application(requested=Decimal("10.00"), total_cost=Decimal("100.00"),
                    period=Period(date(y, 9, 1), date(y + 1, 6, 30))),
        reference=f"crash-{n:06d}", campaign_id=campaign.id,
    ).reference
    at(flow, datetime(y, 4, 1, 10, tzinfo=PARIS))
    for piece in campaign.pieces:
        flow.attach(ref, piece.key, f"contenu {piece.key}".encode(), filename=f"{piece.key}.pdf")
    flow.receive_original(ref, PaperOriginal("dossier_demande", date(y, 4, 1), True, "Claire Dupont", "présidente"))
    session_id = f"comite-{y}-06-15"
    steps: dict[str, dict[str, Any]] = {"instruct": {"criteria": []}, "hear": {"session": session_id}}
    for trigger in PATH[:-1]:
        at(flow, in_year(TIMES[trigger], y))
        if trigger == "hear" and session_id not in {s.id for s in flow.sessions(campaign.id)}:
            members = tuple(Member(f"Membre {c.key}", c.key) for c in campaign.committee.categories)
            flow.record_session(CommitteeSession(session_id, date(y, 6, 15), "Vice-président",
                                                 campaign.committee.chair_role, members), campaign_id=campaign.id)
        flow.fire(ref, trigger, **steps.get(trigger, {}))
    at(flow, datetime(y, 9, 27, 18, tzinfo=PARIS))
    flow.record_deliberation(Deliberation(f"DEL-{n}", date(y, 9, 27), (ref,), enforceable_on=date(y, 9, 27)),
                             campaign_id=campaign.id)
    at(flow, in_year(TIMES["pay"], y))
    flow.fire(ref, "pay", amount=Decimal("4.00"))
    flow.fire(ref, "pay")


def churn(path: str, start: int) -> None:
    """A long batch of writes: each year a new call, and a dossier walked to paid in it, forever (until killed).

    The journal's time only goes on, so a run starts in the year after the last
    recorded event and walks one year per dossier.
    """
    with Workflow.open(path, CAMPAIGN.id, synchronous="NORMAL", clock=FixedClock(LAUNCH), actor="churn") as flow:
        [(recorded,)] = flow.conn.execute(
            "SELECT json_extract(body, '$.recorded_at') FROM events ORDER BY seq DESC LIMIT 1").fetchall()
        started = flow.conn.execute("SELECT COUNT(*) FROM dossiers").fetchone()[0]
        y = datetime.fromisoformat(recorded).year + 1 if started else CAMPAIGN.call.year
        n = start
        while True:
            n += 1
            walk_year(flow, call_of(y), n)
            print(n, flush=True)
            y += 1


if __name__ == "__main__":
    mode, db = sys.argv[1], sys.argv[2]
    if mode == "approve":
        approve(db, sys.argv[3:])
    elif mode == "churn":
        churn(db, int(sys.argv[3]))
