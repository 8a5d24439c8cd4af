"""Decide for the campaign's records and for erasure: amendments, sessions, deliberations, conventions,
comptes rendus financiers, and the RGPD erasures. Pure, like :mod:`ami_workflow.core.decide`, which dispatches here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

import attrs

from ..calendar import Calendar, CalendarAmendment, paris_date, window_words
from ..campaign import Campaign
from ..committee import session_refusals
from ..conflicts import conflicts_at
from ..conventions import convention_data
from ..dossier import Dossier
from ..errors import NotFound, Refused
from ..i18n import N_, _, format_day
from ..issued import DOCUMENT_KEY_PREFIX
from ..scoring import ScoreSheet, score_refusals
from ..shown import shown
from ..states import State, state_words
from .commands import (
    AddCampaign,
    AmendCalendar,
    AmendFunder,
    EraseMember,
    ErasePersonalData,
    RecordConvention,
    RecordScores,
    RecordSession,
)
from .convention_records import convention_content_refusals, convention_targets
from .events import Event, Kind
from .plain import plain
from .view import View, find_dossier

__all__ = [
    "WINDOW_GUARDS",
    "add_campaign",
    "amend_calendar",
    "amend_funder",
    "approved_on",
    "erase_member",
    "erase_personal_data",
    "record_convention",
    "record_scores",
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
        held = view.campaign(campaign.id)
        if plain(held) == data:
            return []
        if _without_funder_ids(held) != _without_funder_ids(campaign):
            raise Refused(
                "add_campaign",
                [_("the database already holds a different call file for {campaign}; give the new year its own id")
                 .format(campaign=campaign.id)],
            )
        ids = (campaign.funder.siret, campaign.funder.registered_id_prefix)
        held_ids = (held.funder.siret, held.funder.registered_id_prefix)
        if any(value and value != kept for value, kept in zip(ids, held_ids, strict=True)):
            raise Refused(
                "add_campaign",
                [_("the call file changes the funder's SIRET or 360Giving prefix of {campaign}: set them on the "
                   "campaign with 'ami-workflow campaign set-funder' (a journaled amendment)").format(
                    campaign=campaign.id)],
            )
        return []  # the call as registered, its funder's ids set since by an amendment: the journal's stand
    return [_campaign_event(Kind.CAMPAIGN_ADDED, campaign.id, now, command.actor, {"call": data})]


def _without_funder_ids(campaign: Campaign) -> Any:
    """The campaign's plain data with the funder's SIRET and 360Giving prefix left empty."""
    return plain(attrs.evolve(campaign, funder=attrs.evolve(campaign.funder, siret="", registered_id_prefix="")))


def amend_calendar(view: View, command: AmendCalendar, now: datetime) -> Event:
    cid = view.campaign(command.campaign_id).id
    amendment = CalendarAmendment(command.window, command.new_window, command.reason, now, command.actor)
    amended = view.calendar(cid).amended([amendment])
    reasons = [problem for _, problem in amended.problems()] + _stranded(view, cid, amended)
    if reasons:
        raise Refused("amend_calendar", reasons)
    return _campaign_event(Kind.CALENDAR_AMENDED, cid, now, command.actor, {"amendment": plain(amendment)})


def amend_funder(view: View, command: AmendFunder, now: datetime) -> list[Event]:
    """Set the funder's SIRET and 360Giving prefix; nothing is recorded when they are already those.

    The SIRET must be one of the funder's establishments: it starts with the funder's SIREN (when the call file
    gives one).
    """
    campaign = view.campaign(command.campaign_id)
    funder = campaign.funder
    siret = command.siret if command.siret is not None else funder.siret
    prefix = command.registered_id_prefix if command.registered_id_prefix is not None else funder.registered_id_prefix
    siren = "".join(funder.siren.split())
    if command.siret is not None and siren and not command.siret.startswith(siren):
        raise Refused("amend_funder", [_("the SIRET {siret} is not an establishment of {funder}: it must start with "
                                         "the funder's SIREN {siren}").format(siret=command.siret, funder=funder.name,
                                                                              siren=siren)])
    if (siret, prefix) == (funder.siret, funder.registered_id_prefix):
        return []
    data = {"siret": siret, "registered_id_prefix": prefix, "reason": command.reason,
            "before": {"siret": funder.siret, "registered_id_prefix": funder.registered_id_prefix}}
    return [_campaign_event(Kind.FUNDER_AMENDED, campaign.id, now, command.actor, data)]


#: The guards that hold an act to a calendar window: the window, and whether only its end binds.
WINDOW_GUARDS = {
    "submission_window": ("submission", False),
    "completion_window": ("instruction", True),
    "instruction_window": ("instruction", False),
    "jury_window": ("jury", False),
}
#: What a person calls the acts that a window guard checks, and the windows (translated when shown).
_ACT_NAMES = {"submit": N_("the submission"), "mark_complete": N_("the completion"), "instruct": N_("the instruction"),
              "hear": N_("the hearing"), "approve": N_("the approval")}
_WINDOW_NAMES = {"submission": N_("the submission window"), "instruction": N_("the instruction window"),
                 "jury": N_("the jury window"), "deliberation": N_("the deliberation window")}


def _stranded(view: View, campaign_id: str, amended: Calendar) -> list[str]:
    """Every recorded act that the amended calendar would put outside the window its guard checked."""
    windows = amended.windows()
    guards = view.campaign(campaign_id).workflow.guards
    reasons = []
    for ref, trigger, at in view.acts(campaign_id):
        day = paris_date(at)
        for guard in guards.get(trigger, ()):
            if guard not in WINDOW_GUARDS:
                continue
            name, end_only = WINDOW_GUARDS[guard]
            window = windows[name]
            if (day > window.end) if end_only else not window.contains(day):
                act = _(_ACT_NAMES[trigger]) if trigger in _ACT_NAMES else trigger
                reasons.append(_("{act} of {reference} on {day} would fall outside {window} ({dates})").format(
                    act=act, reference=ref, day=format_day(day), window=_(_WINDOW_NAMES[name]),
                    dates=window_words(window)))
    for session, day in view.session_days(campaign_id):
        if not windows["jury"].contains(day):
            reasons.append(_("the committee session {session} on {day} would fall outside the jury window ({dates})")
                           .format(session=session, day=format_day(day), dates=window_words(windows["jury"])))
    for deliberation, day in view.deliberation_days(campaign_id):
        if not windows["deliberation"].contains(day):
            reasons.append(_("the deliberation {reference} on {day} would fall outside the deliberation window "
                             "({dates})").format(reference=deliberation, day=format_day(day),
                                                 dates=window_words(windows["deliberation"])))
    return reasons


def approved_on(view: View, dossier: Dossier) -> date | None:
    """The day the dossier was (last) approved, from the journal's acts; ``None`` when none is recorded."""
    days = [paris_date(at) for ref, trigger, at in view.acts(dossier.campaign_id)
            if ref == dossier.reference and trigger == "approve"]
    return max(days) if days else None


def record_session(view: View, command: RecordSession, now: datetime) -> Event:
    campaign = view.campaign(command.campaign_id)
    session = command.session
    reasons = session_refusals(session, campaign, view.calendar(campaign.id), view.sessions(campaign.id))
    for member in session.members:
        for ref in member.declared:
            found = view.find(ref)
            if found is None or found.campaign_id != campaign.id:
                reasons.append(_("{name} declares a link with {reference}, which is no dossier of the campaign")
                               .format(name=member.name, reference=ref))
    if session.day > paris_date(now):
        reasons.append(_("the session of {day} has not been held yet (it is {today})").format(
            day=format_day(session.day), today=format_day(paris_date(now))))
    if reasons:
        raise Refused("record_session", reasons)
    data = plain(session)
    personal: dict[str, str | None] = {"chair": data.pop("chair")}
    for i, member in enumerate(data["members"]):
        personal[f"members.{i}.name"] = member.pop("name")
    at = datetime.combine(session.day, time(0, 0), tzinfo=now.tzinfo)
    return _campaign_event(Kind.SESSION_RECORDED, campaign.id, at, command.actor, {"session": data}, personal)


def record_convention(view: View, command: RecordConvention, now: datetime) -> Event:
    convention = command.convention
    dossier = find_dossier(view, convention.dossier)
    reasons = [] if dossier.state == State.APPROVED else [_("{reference} is {state}, not {approved}").format(
        reference=dossier.reference, state=state_words(dossier.state), approved=state_words(State.APPROVED))]
    existing = view.convention(dossier.reference)
    if existing is not None:
        reasons.append(_("{reference} already has its convention {convention} (signed on {day}); a change to it is an "
                         "avenant").format(reference=dossier.reference, convention=existing.reference,
                                           day=format_day(existing.signed_on)))
    if convention.signed_on > paris_date(now):
        reasons.append(_("the convention is signed on {day}, after today ({today})").format(
            day=format_day(convention.signed_on), today=format_day(paris_date(now))))
    approved = approved_on(view, dossier)
    if approved is not None and convention.signed_on < approved:
        reasons.append(_("the convention is signed on {day}, before the grant was approved ({approved})").format(
            day=format_day(convention.signed_on), approved=format_day(approved)))
    reasons += convention_content_refusals(view, dossier, convention)
    if reasons:
        raise Refused("record_convention", reasons)
    at = datetime.combine(convention.signed_on, time(0, 0), tzinfo=now.tzinfo)
    data, personal = convention_data(plain(convention))
    return _campaign_event(
        Kind.CONVENTION_RECORDED, dossier.campaign_id, at, command.actor, {"convention": data}, personal
    )


def record_scores(view: View, command: RecordScores, now: datetime) -> Event:
    """One member's marks on a dossier heard at a session, recorded now; the opinion is kept personal."""
    dossier = find_dossier(view, command.reference)
    campaign = view.campaign(dossier.campaign_id)
    session = view.sessions(campaign.id).get(command.session)
    reasons = score_refusals(campaign, dossier, session, command.session, command.member, command.marks,
                             view.scores(campaign.id).values())
    if session is not None:
        reasons += [_("{member} is recused for {reference} (conflict of interest confirmed by the chair): their "
                      "score is refused").format(member=c.name, reference=c.dossier) if c.status == "confirmed"
                    else _("a possible conflict of interest of {member} with {reference} is open: the chair rules on "
                           "it before {member} scores").format(member=c.name, reference=c.dossier)
                    for c in conflicts_at(session, dossier.reference, dossier.board, view.rulings(campaign.id))
                    if c.name == command.member and c.status != "dismissed"]
    if reasons:
        raise Refused("record_scores", reasons)
    assert session is not None
    member = [m.name for m in session.members].index(command.member)
    sheet = ScoreSheet(dossier.reference, session.id, member, command.marks)
    data = {k: v for k, v in plain(sheet).items() if k != "opinion"}
    personal: dict[str, str | None] = {"opinion": command.opinion} if command.opinion else {}
    return _campaign_event(Kind.SCORES_RECORDED, campaign.id, now, command.actor, {"score": data}, personal)


# -- personal data (RGPD) ----------------------------------------------------------


def erase_personal_data(view: View, command: ErasePersonalData, now: datetime) -> list[Event]:
    dossiers = view.applicant_dossiers(command.identity)
    if not dossiers:
        raise NotFound(_("no applicant {identity!r} (identities look like siren:…, rna:… or name:…)").format(
            identity=shown(command.identity)))
    reasons = _retained(view, dossiers, now)
    if reasons:
        raise Refused("erase_personal_data", reasons)
    files: set[str] = set()
    for dossier in dossiers:
        campaign = view.campaign(dossier.campaign_id)
        for key, sha256 in view.files_of(dossier.reference):  # every version ever attached, not just the last
            requirement = campaign.piece(key)
            personal = requirement is not None and requirement.personal_data
            document = key.startswith(DOCUMENT_KEY_PREFIX)  # an issued document names the applicant's people
            if document or (personal and not view.file_shared(sha256, command.identity)):
                files.add(sha256)
    data = {"applicant": command.identity, "dossiers": [d.reference for d in dossiers], "files": sorted(files)}
    events = [Event(Kind.PERSONAL_DATA_ERASED, None, None, now, command.actor, data, {"reason": command.reason})]
    # The chair's reasons on conflicts with the applicant's dossiers are free texts that may name its people: they
    # go too, as a committee member's erasure takes them (the rulings themselves stay).
    refs = {d.reference for d in dossiers}
    targets = [{"campaign": cid, "ruling": key, "path": "reason"}
               for cid in sorted({d.campaign_id for d in dossiers}) for key, ruling in view.rulings(cid).items()
               if ruling.dossier in refs and ruling.reason]
    targets += convention_targets(view, dossiers)  # its conventions' signatories and avenants' reasons
    if targets:
        events.append(Event(Kind.MEMBER_ERASED, None, None, now, command.actor, {"targets": targets},
                            {"reason": command.reason}))
    return events


def _retained(view: View, dossiers: list[Dossier], now: datetime) -> list[str]:
    """The granted dossiers whose retention period still runs (``[retention] granted_years``): their personal data
    is kept for the legal obligation of the funder's accounts and archives (RGPD art. 17(3)(b))."""
    reasons = []
    today = paris_date(now)
    for dossier in dossiers:
        years = view.campaign(dossier.campaign_id).retention.granted_years
        granted = dossier.approved is not None or dossier.paid > 0
        last = view.last_at(dossier.reference)
        if not years or not granted or last is None:
            continue
        until = date(paris_date(last).year + years, 12, 31)
        if today <= until:
            reasons.append(_("{reference} was granted a subsidy: its dossier is kept until {day} ([retention] "
                             "granted_years = {years}); its personal data cannot be erased before (RGPD art. "
                             "17(3)(b))").format(reference=dossier.reference, day=format_day(until), years=years))
    return reasons


def erase_member(view: View, command: EraseMember, now: datetime) -> list[Event]:
    targets = []
    for cid, session in view.all_sessions():
        if session.chair == command.name:
            targets.append({"campaign": cid, "session": session.id, "path": "chair"})
        for i, member in enumerate(session.members):
            if member.name == command.name:
                targets.append({"campaign": cid, "session": session.id, "path": f"members.{i}.name"})
                # the member's opinions (avis) at that session go too: their own words, which may name people
                targets += [{"campaign": cid, "score": key, "path": "opinion"}
                            for key, sheet in view.scores(cid).items()
                            if sheet.session == session.id and sheet.member == i and sheet.opinion]
                targets += [{"campaign": cid, "ruling": key, "path": "reason"}
                            for key, ruling in view.rulings(cid).items()
                            if ruling.session == session.id and ruling.member == i and ruling.reason]
    for cid, deliberation in view.all_deliberations():
        targets += [{"campaign": cid, "deliberation": deliberation.reference, "path": f"not_taking_part.{i}"}
                    for i, name in enumerate(deliberation.not_taking_part) if name == command.name]
    if not targets:
        return []
    return [Event(Kind.MEMBER_ERASED, None, None, now, command.actor, {"targets": targets}, {"reason": command.reason})]

