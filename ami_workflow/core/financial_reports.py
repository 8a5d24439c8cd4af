"""Deciding on a grant's compte rendu financier: receiving it (again, when it answers questions) and reviewing it.

The compte rendu (CERFA n° 15059) is received once the grant is decided; the
instructor accepts it, or asks questions to be answered by a day, and a
corrected compte rendu then replaces it. Its evaluation and the questions are
free texts: they travel as personal values, outside the chain.
"""

from __future__ import annotations

from datetime import datetime, time

import attrs

from ..calendar import paris_date
from ..decisions import FinancialReport
from ..errors import Refused
from ..i18n import _, format_day
from ..states import State, state_words
from .commands import RecordFinancialReport, ReviewFinancialReport
from .events import Event, Kind
from .plain import plain
from .records import approved_on
from .view import View, find_dossier

__all__ = ["record_financial_report", "review_financial_report"]


def record_financial_report(view: View, command: RecordFinancialReport, now: datetime) -> Event:
    dossier = find_dossier(view, command.reference)
    reasons = []
    if dossier.approved is None or dossier.state in (State.WITHDRAWN, State.REJECTED):
        reasons.append(_("{reference} is {state}: only a granted subsidy owes a compte rendu financier").format(
            reference=dossier.reference, state=state_words(dossier.state)))
    earlier = view.financial_report(dossier.reference)
    if earlier is not None and earlier.status != "questions":
        reasons.append(_("the compte rendu financier of {reference} is already recorded").format(
            reference=dossier.reference))
    if command.received_on > paris_date(now):
        reasons.append(_("the compte rendu financier cannot be received on {day}, after today").format(
            day=format_day(command.received_on)))
    approved = approved_on(view, dossier)
    if approved is not None and command.received_on < approved:
        reasons.append(_("the compte rendu financier cannot be received on {day}, before the grant was approved "
                         "({approved})").format(day=format_day(command.received_on), approved=format_day(approved)))
    content = command.report or FinancialReport(dossier.reference, command.received_on)
    if content.dossier != dossier.reference:
        reasons.append(_("the compte rendu's content is of {other}, not of {reference}").format(
            other=content.dossier, reference=dossier.reference))
    reasons += content.problems()
    if reasons:
        raise Refused("record_financial_report", reasons)
    report = attrs.evolve(content, received_on=command.received_on, status="received", reviewed_on=None,
                          questions="", answer_by=None)
    data = {k: v for k, v in plain(report).items() if k not in ("evaluation", "questions")}
    personal: dict[str, str | None] = {"evaluation": report.evaluation} if report.evaluation else {}
    at = datetime.combine(command.received_on, time(0, 0), tzinfo=now.tzinfo)
    return Event(Kind.FINANCIAL_REPORT_RECORDED, dossier.campaign_id, None, at, command.actor, {"report": data},
                 personal)


def review_financial_report(view: View, command: ReviewFinancialReport, now: datetime) -> Event:
    dossier = find_dossier(view, command.reference)
    report = view.financial_report(dossier.reference)
    today = paris_date(now)
    reasons = []
    if report is None:
        reasons.append(_("no compte rendu financier of {reference} is recorded").format(reference=dossier.reference))
    elif report.status != "received":
        reasons.append(_("the compte rendu financier of {reference} is {status}: a new one is awaited, or none is "
                         "needed").format(reference=dossier.reference, status=_status_words(report.status)))
    if command.accepted and (command.questions or command.answer_by is not None):
        reasons.append(_("an accepted compte rendu financier has no questions"))
    if not command.accepted:
        if not command.questions.strip():
            reasons.append(_("questions on a compte rendu financier are written out: give them"))
        if command.answer_by is None or command.answer_by <= today:
            reasons.append(_("questions need a day to answer by, after today ({today})").format(
                today=format_day(today)))
    if reasons:
        raise Refused("review_financial_report", reasons)
    data = {"dossier": dossier.reference, "status": "accepted" if command.accepted else "questions",
            "reviewed_on": today.isoformat(),
            "answer_by": command.answer_by.isoformat() if command.answer_by is not None else None}
    personal: dict[str, str | None] = {"questions": command.questions} if command.questions else {}
    return Event(Kind.FINANCIAL_REPORT_REVIEWED, dossier.campaign_id, None, now, command.actor, {"review": data},
                 personal)


def _status_words(status: str) -> str:
    return {"accepted": _("accepted"), "questions": _("awaiting answers")}.get(status, status)
