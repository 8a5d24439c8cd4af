"""Decide for the campaign's records and for erasure: amendments, sessions, deliberations, conventions,
comptes rendus financiers, and the RGPD erasures. Pure, like :mod:`ami_workflow.core.decide`, which dispatches here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from typing import Any

from ..calendar import CalendarAmendment, paris_date
from ..committee import session_refusals
from ..decisions import FinancialReport, deliberation_refusals
from ..errors import NotFound, Refused
from ..states import State
from .commands import (
    AddCampaign,
    AmendCalendar,
    EraseMember,
    ErasePersonalData,
    RecordConvention,
    RecordDeliberation,
    RecordFinancialReport,
    RecordSession,
)
from .events import Event, Kind
from .evolve import plain
from .view import View, find_dossier

__all__ = [
    "add_campaign",
    "amend_calendar",
    "erase_member",
    "erase_personal_data",
    "record_convention",
    "record_deliberation",
    "record_financial_report",
    "record_session",
]


# -- campaign records -------------------------------------------------------------


def _campaign_event(
    kind: Kind,
    campaign_id: str,
    now: datetime,
    actor: str,
    data: Mapping[str, Any],
    personal: Mapping[str, str | None] | None = None,
) -> Event:
    return Event(kind, campaign_id, None, now, actor, data, dict(personal or {}))


def add_campaign(view: View, command: AddCampaign, now: datetime) -> list[Event]:
    campaign = command.campaign
    data = plain(campaign)
    if view.has_campaign(campaign.id):
        if plain(view.campaign(campaign.id)) != data:
            raise Refused(
                "add_campaign",
                [f"the database already holds a different call file for {campaign.id}; give the new year its own id"],
            )
        return []
    return [_campaign_event(Kind.CAMPAIGN_ADDED, campaign.id, now, command.actor, {"call": data})]


def amend_calendar(view: View, command: AmendCalendar, now: datetime) -> Event:
    cid = view.campaign(command.campaign_id).id
    amendment = CalendarAmendment(command.window, command.new_window, command.reason, now, command.actor)
    amended = view.calendar(cid).amended([amendment])
    reasons = [problem for _, problem in amended.problems()]
    windows = amended.windows()
    for window, what, day in view.acts(cid):
        if not windows[window].contains(day):
            reasons.append(f"{what} on {day} would fall outside the {window} window ({windows[window]})")
    if reasons:
        raise Refused("amend_calendar", reasons)
    return _campaign_event(Kind.CALENDAR_AMENDED, cid, now, command.actor, {"amendment": plain(amendment)})


def record_session(view: View, command: RecordSession, now: datetime) -> Event:
    campaign = view.campaign(command.campaign_id)
    session = command.session
    reasons = session_refusals(session, campaign, view.calendar(campaign.id), view.sessions(campaign.id))
    if session.day > paris_date(now):
        reasons.append(f"the session of {session.day} has not been held yet (it is {paris_date(now)})")
    if reasons:
        raise Refused("record_session", reasons)
    data = plain(session)
    personal: dict[str, str | None] = {"chair": data.pop("chair")}
    for i, member in enumerate(data["members"]):
        personal[f"members.{i}.name"] = member.pop("name")
    at = datetime.combine(session.day, time(0, 0), tzinfo=now.tzinfo)
    return _campaign_event(Kind.SESSION_RECORDED, campaign.id, at, command.actor, {"session": data}, personal)


def record_deliberation(view: View, command: RecordDeliberation, now: datetime) -> Event:
    cid = view.campaign(command.campaign_id).id
    deliberation = command.deliberation
    states: dict[str, str | None] = {}
    for ref in deliberation.dossiers:
        found = view.find(ref)
        states[ref] = found.state if found is not None and found.campaign_id == cid else None
    reasons = deliberation_refusals(deliberation, view.calendar(cid), view.deliberation_references(cid), states)
    if deliberation.day > paris_date(now):
        reasons.append(f"the deliberation of {deliberation.day} has not been taken yet (it is {paris_date(now)})")
    if reasons:
        raise Refused("record_deliberation", reasons)
    at = datetime.combine(deliberation.day, time(0, 0), tzinfo=now.tzinfo)
    return _campaign_event(Kind.DELIBERATION_RECORDED, cid, at, command.actor, {"deliberation": plain(deliberation)})


def record_convention(view: View, command: RecordConvention, now: datetime) -> Event:
    convention = command.convention
    dossier = find_dossier(view, convention.dossier)
    reasons = [] if dossier.state == State.APPROVED else [f"{dossier.reference} is {dossier.state}, not approved"]
    if convention.signed_on > paris_date(now):
        reasons.append(f"the convention is signed on {convention.signed_on}, after today ({paris_date(now)})")
    if reasons:
        raise Refused("record_convention", reasons)
    at = datetime.combine(convention.signed_on, time(0, 0), tzinfo=now.tzinfo)
    return _campaign_event(
        Kind.CONVENTION_RECORDED, dossier.campaign_id, at, command.actor, {"convention": plain(convention)}
    )


def record_financial_report(view: View, command: RecordFinancialReport, now: datetime) -> Event:
    dossier = find_dossier(view, command.reference)
    reasons = []
    if dossier.approved is None or dossier.state == State.WITHDRAWN:
        reasons.append(f"{dossier.reference} is {dossier.state}: only a granted subsidy owes a compte rendu financier")
    if view.has_financial_report(dossier.reference):
        reasons.append(f"the compte rendu financier of {dossier.reference} is already recorded")
    if command.received_on > paris_date(now):
        reasons.append(f"the compte rendu financier cannot be received on {command.received_on}, after today")
    if reasons:
        raise Refused("record_financial_report", reasons)
    report = FinancialReport(dossier.reference, command.received_on)
    at = datetime.combine(command.received_on, time(0, 0), tzinfo=now.tzinfo)
    return _campaign_event(
        Kind.FINANCIAL_REPORT_RECORDED, dossier.campaign_id, at, command.actor, {"report": plain(report)}
    )


# -- personal data (RGPD) ----------------------------------------------------------


def erase_personal_data(view: View, command: ErasePersonalData, now: datetime) -> Event:
    dossiers = view.applicant_dossiers(command.identity)
    if not dossiers:
        raise NotFound(f"no applicant {command.identity!r} (identities look like siren:…, rna:… or name:…)")
    files: set[str] = set()
    for dossier in dossiers:
        campaign = view.campaign(dossier.campaign_id)
        for piece in dossier.pieces:
            requirement = campaign.piece(piece.key)
            personal = requirement is not None and requirement.personal_data and piece.sha256
            if personal and not view.file_shared(str(piece.sha256), command.identity):
                files.add(str(piece.sha256))
    data = {"applicant": command.identity, "dossiers": [d.reference for d in dossiers], "files": sorted(files)}
    return Event(Kind.PERSONAL_DATA_ERASED, None, None, now, command.actor, data, {"reason": command.reason})


def erase_member(view: View, command: EraseMember, now: datetime) -> list[Event]:
    targets = []
    for cid, session in view.all_sessions():
        if session.chair == command.name:
            targets.append({"campaign": cid, "session": session.id, "path": "chair"})
        for i, member in enumerate(session.members):
            if member.name == command.name:
                targets.append({"campaign": cid, "session": session.id, "path": f"members.{i}.name"})
    if not targets:
        return []
    return [Event(Kind.MEMBER_ERASED, None, None, now, command.actor, {"targets": targets}, {"reason": command.reason})]

