"""Evolve: what each event does to the state, with no checks.

:func:`evolve_dossier` is pure: the dossier after one of its events.
:class:`World` is the whole state of a store (campaigns, dossiers, records,
running totals) and :func:`evolve` folds one event into it. Replaying a
journal is ``functools.reduce(evolve, events, World())``; the in-memory
backend keeps a :class:`World`, the SQLite backend keeps tables that
``verify`` compares with that fold.

``evolve`` is total: it trusts the event (``decide`` did the checking) and
never raises on a well-formed one. It updates the world in place and returns
it, so that a fold over a hundred thousand events stays linear.

    >>> from datetime import datetime
    >>> from ami_workflow import load_campaign
    >>> from ami_workflow.calendar import PARIS
    >>> call = load_campaign("ami-cohesion-sociale-2021")
    >>> when = datetime(2021, 3, 9, tzinfo=PARIS)
    >>> world = fold([
    ...     Event(Kind.CAMPAIGN_ADDED, call.id, None, when, "service", {"call": plain(call)}),
    ...     Event(Kind.DOSSIER_CREATED, call.id, "c-0001", when, "accueil",
    ...           {"applicant": {"name": "Asso", "kind": "association"}, "application": {}}),
    ... ])
    >>> world.dossiers["c-0001"].state, world.campaign(call.id).numbers
    ('draft', 1)
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs

from ..board import BoardMember
from ..calendar import CalendarAmendment
from ..campaign import Campaign
from ..checks import stored_data
from ..committee import CommitteeSession
from ..conflicts import Ruling
from ..conventions import convention_erased
from ..decisions import Convention, Deliberation, FinancialReport
from ..dossier import Applicant, Application, Dossier, Instruction, Payment, Recovery
from ..issued import document_files
from ..money import ZERO
from ..personal import ERASED, join_personal
from ..pieces import IssueReason, PaperOriginal, PieceIssue, PieceReceipt
from ..scoring import ScoreSheet, sheet_key
from ..states import State
from .event_records import (
    amended,
    convention_of,
    deliberation_of,
    deliberation_record,
    enforceable,
    erased_councillor,
    funder_amended,
    personal_at,
    report_of,
    reviewed,
    ruling_of,
    score_of,
    session_of,
)
from .events import Event, Kind
from .plain import dossier_row, plain, plain_json, structure

# The records of events and the plain forms have their own modules; they stay importable from here.
__all__ = [
    "World", "amended", "convention_of", "deliberation_of", "deliberation_record", "dossier_row", "enforceable",
    "erased_councillor", "evolve", "evolve_dossier", "fold", "funder_amended", "plain", "plain_json", "ruling_of",
    "score_of", "structure",
]


def evolve_dossier(dossier: Dossier | None, event: Event) -> Dossier:
    """The dossier after ``event`` (one of its own events). Pure and unchecked."""
    data = event.data
    if event.kind is Kind.DOSSIER_CREATED:
        applicant = structure(
            {
                **data["applicant"],
                "legal_representative": personal_at(event, "applicant.legal_representative"),
                # kept outside the chain since issue 14; chained by earlier versions
                "iban": personal_at(event, "applicant.iban") or data["applicant"].get("iban"),
            },
            Applicant,
        )
        application = structure(data["application"], Application)
        return Dossier(str(event.dossier), str(event.campaign), applicant, application)
    if event.kind is Kind.DOSSIER_IMPORTED:
        values = {path: event.personal.get(path) for path in event.personal}
        imported: Dossier = structure(join_personal(copy.deepcopy(dict(data["dossier"])), values), Dossier)
        return imported
    assert dossier is not None, f"{event.kind} before the dossier was created"
    version = dossier.version + 1
    if event.kind is Kind.APPLICATION_UPDATED:
        return _changed(dossier, application=structure(data["application"], Application), version=version)
    if event.kind is Kind.PIECE_ATTACHED:
        return _changed(dossier, pieces=_keyed(dossier.pieces, structure(data["piece"], PieceReceipt)), version=version)
    if event.kind is Kind.PIECES_REUSED:
        for piece in data["pieces"]:
            dossier = dossier.with_piece(structure(piece, PieceReceipt))
        return _changed(dossier, version=version)
    if event.kind is Kind.ORIGINAL_RECEIVED:
        original = structure({**data["original"], "signed_by": personal_at(event, "signed_by")}, PaperOriginal)
        return _changed(dossier, originals=_keyed(dossier.originals, original), version=version)
    if event.kind is Kind.PERSONAL_DATA_ERASED:
        return _erased(dossier)
    if event.kind is Kind.GRANT_REDUCED:
        return _changed(dossier, approved=Decimal(data["amount"]), version=version)
    if event.kind is Kind.BOARD_RECORDED:
        board = tuple(BoardMember(personal_at(event, f"board.{i}.name") or ERASED, person["role"], person["body"])
                      for i, person in enumerate(data["board"]))
        return _changed(dossier, board=board, version=version)
    if event.kind is Kind.TRIGGERED:
        return _changed(dossier, state=str(data["dest"]), version=version, **_effect(dossier, event))
    return dossier  # other events do not change a dossier


def _effect(dossier: Dossier, event: Event) -> dict[str, Any]:
    """What a trigger changes in the dossier, besides its state and version."""
    data, at = event.data, event.at
    trigger = data["trigger"]
    if trigger == "submit":
        return {"submitted_at": at}
    if trigger == "mark_complete":
        return {"completed_at": at, "issues": ()}
    if trigger == "return_for_pieces":
        issues = tuple(
            PieceIssue(i["key"], IssueReason(i["reason"]), personal_at(event, f"issues.{i['key']}.note") or "")
            for i in data["issues"]
        )
        sent_back = {i.key for i in issues if i.reason != IssueReason.MISSING}
        return {
            "issues": issues,
            "pieces": tuple(p for p in dossier.pieces if p.key not in sent_back),
            "originals": tuple(p for p in dossier.originals if p.key not in sent_back),
            "completed_at": None,
            "instruction": None,
        }
    if trigger == "instruct":
        instruction = Instruction(
            frozenset(data["criteria"]),
            Decimal(data["ceiling"]),
            Decimal(data["proposed"]),
            at,
            event.actor,
            personal_at(event, "note") or "",
        )
        return {"instruction": instruction}
    if trigger == "hear":
        return {"hearing": data["session"]}
    if trigger == "approve":
        return {"approved": Decimal(data["amount"])}
    if trigger in ("reject", "withdraw"):
        return {"decision_note": personal_at(event, "note")}
    if trigger == "council_refuse":  # its amount goes back to the envelope
        return {"approved": None, "decision_note": personal_at(event, "note")}
    if trigger == "pay":
        payment = Payment(Decimal(data["amount"]), at, data.get("reference", ""))
        return {"payments": (*dossier.payments, payment)}
    if trigger == "close":
        return {"approved": Decimal(data["amount"])}
    return _recovery_effect(dossier, event)


def _recovery_effect(dossier: Dossier, event: Event) -> dict[str, Any]:
    """What the recovery's triggers change: the recovery opened, ordered, then done (the grant comes to what is
    due, so that what was paid never exceeds it)."""
    data, at, trigger = event.data, event.at, event.data["trigger"]
    if trigger == "start_recovery":
        recovery = Recovery(str(data["grounds"]), Decimal(data["due"]), Decimal(data["amount"]), at,
                            date.fromisoformat(data["observations_by"]))
        return {"recovery": recovery, "decision_note": personal_at(event, "note")}
    if dossier.recovery is None:
        return {}
    if trigger == "order_recovery":
        ordered = attrs.evolve(dossier.recovery, title=str(data["title"]), decided_at=at)
        return {"recovery": ordered, "decision_note": personal_at(event, "note")}
    if trigger == "recover":  # the money is back: the grant comes to what is due, and the payments are net of it
        back = attrs.evolve(dossier.recovery, recovered_at=at, receipt=str(data.get("receipt", "")))
        return {"recovery": back, "approved": back.due}
    return {}


def _keyed(items: tuple[Any, ...], item: Any) -> tuple[Any, ...]:
    """``items`` holding ``item``, in place of an earlier one of the same key (as ``Dossier.with_piece``)."""
    return (*(i for i in items if i.key != item.key), item)


_DOSSIER_FIELDS = tuple(field.name for field in attrs.fields(Dossier))


def _changed(dossier: Dossier, **changes: Any) -> Dossier:
    """``attrs.evolve(dossier, **changes)``, without running every field's converter and validator again.

    The same dossier, several times faster, which a replay of a large journal needs: what ``evolve_dossier``
    changes has no converter (the reference and the campaign, which have one, never change) and is already of
    its type (``application`` is an :class:`Application`, built by :func:`structure`).
    """
    new: Dossier = object.__new__(Dossier)
    for name in _DOSSIER_FIELDS:
        object.__setattr__(new, name, changes[name] if name in changes else getattr(dossier, name))
    return new


def _erased(dossier: Dossier) -> Dossier:
    """The dossier with every personal value it holds replaced by :data:`ERASED`."""

    def gone(value: str | None) -> str | None:
        return ERASED if value else value

    with stored_data():
        return _erased_now(dossier, gone)


def _erased_now(dossier: Dossier, gone: Callable[[str | None], str | None]) -> Dossier:
    applicant = attrs.evolve(dossier.applicant, legal_representative=gone(dossier.applicant.legal_representative),
                             iban=gone(dossier.applicant.iban))
    originals = tuple(attrs.evolve(o, signed_by=gone(o.signed_by)) for o in dossier.originals)
    issues = tuple(attrs.evolve(i, note=gone(i.note) or "") for i in dossier.issues)
    instruction = dossier.instruction
    if instruction is not None and instruction.note:
        instruction = attrs.evolve(instruction, note=ERASED)
    return attrs.evolve(
        dossier,
        applicant=applicant,
        originals=originals,
        issues=issues,
        instruction=instruction,
        decision_note=gone(dossier.decision_note),
        board=tuple(attrs.evolve(person, name=ERASED) for person in dossier.board),
        version=dossier.version + 1,
    )


@attrs.define
class _Campaign:
    """What a world holds for one campaign."""

    campaign: Campaign
    amendments: list[CalendarAmendment] = attrs.field(factory=list)
    sessions: dict[str, CommitteeSession] = attrs.field(factory=dict)
    deliberations: list[Deliberation] = attrs.field(factory=list)
    conventions: dict[str, Convention] = attrs.field(factory=dict)
    financial_reports: dict[str, FinancialReport] = attrs.field(factory=dict)
    scores: dict[str, ScoreSheet] = attrs.field(factory=dict)
    """The committee's score sheets, by :func:`~ami_workflow.scoring.sheet_key`."""
    rulings: dict[str, Ruling] = attrs.field(factory=dict)
    """The chair's rulings on conflicts of interest, by :func:`~ami_workflow.conflicts.ruling_key`."""
    copied: dict[str, str] = attrs.field(factory=dict)
    numbers: int = 0


@attrs.define
class World:
    """The state of a whole store, folded from its events."""

    campaigns: dict[str, _Campaign] = attrs.field(factory=dict)
    dossiers: dict[str, Dossier] = attrs.field(factory=dict)
    by_applicant: dict[str, list[str]] = attrs.field(factory=dict)
    granted_by: dict[str, list[tuple[str, date]]] = attrs.field(factory=dict)
    last_at: dict[str, datetime] = attrs.field(factory=dict)
    """Each dossier's latest effective act (a postmark can date an event before earlier ones)."""
    files_of: dict[str, set[tuple[str, str]]] = attrs.field(factory=dict)
    """Every file each dossier ever held (pieces replaced or sent back included): (piece key, SHA-256)."""
    acts: dict[str, list[tuple[str, str, datetime]]] = attrs.field(factory=dict)
    """Each campaign's triggered acts: (dossier, trigger, effective time)."""
    applicants: dict[str, Applicant] = attrs.field(factory=dict)
    """Each applicant as its most recently created dossier gave it."""
    erased_files: set[str] = attrs.field(factory=set)
    # Running totals of the granted dossiers: (campaign, scope, key) -> (approved, paid).
    totals: dict[tuple[str, str, str], tuple[Decimal, Decimal]] = attrs.field(factory=dict)
    events: int = 0

    def campaign(self, campaign_id: str) -> _Campaign:
        return self.campaigns[campaign_id]


def _share(dossier: Dossier) -> tuple[Decimal, Decimal]:
    """What a dossier counts in its campaign's totals: its grant and its payments, unless withdrawn."""
    if dossier.approved is None or dossier.state == State.WITHDRAWN:
        return ZERO, ZERO
    return dossier.approved, dossier.paid


def total_keys(dossier: Dossier) -> list[tuple[str, str, str]]:
    """The three running totals a dossier counts in: its campaign, its axis, its applicant."""
    cid = dossier.campaign_id
    return [
        (cid, "campaign", ""),
        (cid, "axis", dossier.application.axis or ""),
        (cid, "applicant", dossier.applicant.identity),
    ]


def _count(world: World, dossier: Dossier, sign: int) -> None:
    approved, paid = _share(dossier)
    if not approved and not paid:
        return
    for key in total_keys(dossier):
        old = world.totals.get(key, (ZERO, ZERO))
        world.totals[key] = (old[0] + sign * approved, old[1] + sign * paid)


def evolve(world: World, event: Event) -> World:
    """Fold ``event`` into ``world`` (in place) and return it."""
    world.events += 1
    kind, data = event.kind, event.data
    if kind is Kind.CAMPAIGN_ADDED:
        campaign = structure(data["call"], Campaign)
        world.campaigns[campaign.id] = _Campaign(campaign)
        return world
    if event.dossier is not None and kind is not Kind.PERSONAL_DATA_ERASED:
        _evolve_one(world, event.dossier, event)
        world.erased_files.update(data.get("erased_files", ()))
        if kind in (Kind.DOSSIER_CREATED, Kind.DOSSIER_IMPORTED):
            place = world.campaigns[str(event.campaign)]
            place.numbers += 1
            if "copied_from" in data:
                place.copied[data["copied_from"]] = event.dossier
        return world
    if kind is Kind.PERSONAL_DATA_ERASED:
        for ref in data["dossiers"]:
            _evolve_one(world, ref, event)
        world.erased_files.update(data["files"])
        return world
    if kind is Kind.MEMBER_ERASED:
        _erase_member(world, data["targets"])
        return world
    if kind in _RECORDS and event.campaign is not None:
        _RECORDS[kind](world.campaigns[event.campaign], world, event)
    return world


def _evolve_one(world: World, reference: str, event: Event) -> None:
    before = world.dossiers.get(reference)
    after = evolve_dossier(before, event)
    if before is not None:
        _count(world, before, -1)
    else:
        world.by_applicant.setdefault(after.applicant.identity, []).append(reference)
    _count(world, after, +1)
    world.dossiers[reference] = after
    if event.kind in (Kind.DOSSIER_CREATED, Kind.DOSSIER_IMPORTED):
        world.applicants[after.applicant.identity] = after.applicant
    if before is None or after.pieces is not before.pieces:
        world.files_of.setdefault(reference, set()).update((p.key, p.sha256) for p in after.pieces if p.sha256)
    if event.kind is Kind.DOCUMENT_ISSUED:
        world.files_of.setdefault(reference, set()).update(document_files(event.data, reference))
    if event.kind is Kind.TRIGGERED:
        world.acts.setdefault(after.campaign_id, []).append((reference, event.trigger, event.at))
    if event.kind is not Kind.PERSONAL_DATA_ERASED:
        last = world.last_at.get(reference)
        world.last_at[reference] = event.at if last is None or event.at > last else last


def _amended(place: _Campaign, world: World, event: Event) -> None:
    place.amendments.append(structure(event.data["amendment"], CalendarAmendment))


def _funder(place: _Campaign, world: World, event: Event) -> None:
    place.campaign = funder_amended(place.campaign, event.data)


def _session(place: _Campaign, world: World, event: Event) -> None:
    session = session_of(event)
    place.sessions[session.id] = session


def _enforceable(place: _Campaign, world: World, event: Event) -> None:
    place.deliberations = [enforceable(d, event.data) for d in place.deliberations]


def _deliberation(place: _Campaign, world: World, event: Event) -> None:
    deliberation = deliberation_of(event)
    place.deliberations.append(deliberation)
    for ref in deliberation.dossiers:
        world.granted_by.setdefault(ref, []).append((deliberation.reference, deliberation.day))


def _convention(place: _Campaign, world: World, event: Event) -> None:
    convention = convention_of(event)
    place.conventions[convention.dossier] = convention


def _convention_amended(place: _Campaign, world: World, event: Event) -> None:
    reference = event.data["dossier"]
    place.conventions[reference] = amended(place.conventions[reference], event)


def _score(place: _Campaign, world: World, event: Event) -> None:
    sheet = score_of(event)
    place.scores[sheet_key(sheet.dossier, sheet.session, sheet.member)] = sheet


def _ruling(place: _Campaign, world: World, event: Event) -> None:
    ruling = ruling_of(event)
    place.rulings[ruling.key] = ruling


def _report(place: _Campaign, world: World, event: Event) -> None:
    report = report_of(event)
    place.financial_reports[report.dossier] = report


def _review(place: _Campaign, world: World, event: Event) -> None:
    ref = event.data["review"]["dossier"]
    place.financial_reports[ref] = reviewed(place.financial_reports[ref], event)


_RECORDS = {
    Kind.CALENDAR_AMENDED: _amended,
    Kind.FUNDER_AMENDED: _funder,
    Kind.SESSION_RECORDED: _session,
    Kind.DELIBERATION_RECORDED: _deliberation,
    Kind.DELIBERATION_ENFORCEABLE: _enforceable,
    Kind.CONVENTION_RECORDED: _convention,
    Kind.CONVENTION_AMENDED: _convention_amended,
    Kind.FINANCIAL_REPORT_RECORDED: _report,
    Kind.FINANCIAL_REPORT_REVIEWED: _review,
    Kind.SCORES_RECORDED: _score,
    Kind.CONFLICT_RULED: _ruling,
}


def _erase_member(world: World, targets: Iterable[Mapping[str, Any]]) -> None:
    for target in targets:
        place = world.campaigns[target["campaign"]]
        if "score" in target:  # an opinion of the member
            place.scores[target["score"]] = attrs.evolve(place.scores[target["score"]], opinion="")
            continue
        if "ruling" in target:  # the reason of a ruling on the member's conflict
            place.rulings[target["ruling"]] = attrs.evolve(place.rulings[target["ruling"]], reason="")
            continue
        if "financial_report" in target:  # the evaluation or the questions of an erased applicant's compte rendu
            key = target["financial_report"]
            report = place.financial_reports[key]
            place.financial_reports[key] = (attrs.evolve(report, questions="") if target["path"] == "questions"
                                            else attrs.evolve(report, evaluation=""))
            continue
        if "deliberation" in target:  # a councillor who did not take part in a deliberation
            place.deliberations = [erased_councillor(d, target) for d in place.deliberations]
            continue
        if "convention" in target:  # a signatory's name, or an avenant's reason
            reference = target["convention"]
            place.conventions[reference] = convention_erased(place.conventions[reference], target["path"])
            continue
        session = place.sessions[target["session"]]
        path = target["path"]
        if path == "chair":
            session = attrs.evolve(session, chair=ERASED)
        else:
            index = int(path.split(".")[1])
            members = list(session.members)
            members[index] = attrs.evolve(members[index], name=ERASED)
            session = attrs.evolve(session, members=tuple(members))
        place.sessions[session.id] = session


def fold(events: Iterable[Event], world: World | None = None) -> World:
    """Replay ``events`` into ``world`` (a new one by default)."""
    world = world if world is not None else World()
    for event in events:
        evolve(world, event)
    return world
