"""Decide: every operation of the library, written once, as a pure function of a view and a command.

``decide(view, command, now)`` returns the events that the command records,
or raises :class:`~ami_workflow.errors.Refused` with every reason (and
:class:`~ami_workflow.errors.InvalidInput` for input that makes no sense).
It reads only ``view`` and never a clock: ``now`` is the instant the store
will record the events at, from the store's own clock.

Time rules, for every backend alike:

- an administrative act's ``at`` (a session's day, a signature) defaults to
  ``now``, is never later than ``now`` and never earlier than the dossier's
  last recorded act;
- the applicant's acts (the submission, the pieces) are dated by their
  receipt, ``now``, or by their postmark (CRPA L112-1, « le cachet de la
  poste faisant foi »): the caller cannot date them;
- calendar amendments take effect when recorded and cannot move a window
  away from an act already recorded in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from decimal import Decimal
from typing import Any

import attrs

from ..calendar import paris_date
from ..campaign import Campaign
from ..checks import limit_problems
from ..dossier import Dossier
from ..errors import IllegalTrigger, InvalidInput, Refused
from ..guards import GuardInput, context_reads, dossier_ceiling, run_guards
from ..i18n import _, format_day, format_instant
from ..identity import check_applicant
from ..money import ZERO
from ..pieces import PieceReceipt
from ..settlement import payable, recoverable
from ..shown import shown
from ..states import State, state_words
from ..triggers import (
    ApproveArgs,
    HearArgs,
    InstructArgs,
    NoArgs,
    OrderRecoveryArgs,
    PayArgs,
    RecoverArgs,
    RejectArgs,
    ReturnArgs,
    StartRecoveryArgs,
    TriggerArgs,
    WithdrawArgs,
)
from . import conflict_records, convention_records, council, financial_reports, records
from .allocation import BatchPlan, plan_batch
from .commands import (
    AddCampaign,
    AmendCalendar,
    AmendConvention,
    AmendFunder,
    ApproveBatch,
    AttachPiece,
    Command,
    CopyDrafts,
    CreateDossiers,
    DeclareEnforceable,
    EraseMember,
    ErasePersonalData,
    Fire,
    IssueDocument,
    ReceiveOriginal,
    RecordBoard,
    RecordConvention,
    RecordDeliberation,
    RecordFinancialReport,
    RecordScores,
    RecordSession,
    ReusePieces,
    ReviewFinancialReport,
    RuleConflict,
    UpdateApplication,
)
from .events import Event, Kind
from .plain import plain
from .view import View, find_dossier

__all__ = ["OPEN_FOR_PIECES", "BatchPlan", "approve_batch", "check_trigger", "decide", "plan_batch"]

#: States in which pieces may still be attached or replaced.
OPEN_FOR_PIECES = frozenset({State.DRAFT, State.SUBMITTED, State.COMPLETE, State.INSTRUCTED})


def decide(view: View, command: Command, now: datetime) -> list[Event]:
    """The events ``command`` records at ``now``; raises :class:`Refused` with every reason."""
    _within_limits(view, command)
    match command:
        case Fire():
            return [_fire(view, command, now)]
        case CreateDossiers():
            return _create(view, command, now)
        case UpdateApplication():
            return [_update(view, command, now)]
        case AttachPiece():
            return [_attach(view, command, now)]
        case ReceiveOriginal():
            return [_original(view, command, now)]
        case ReusePieces():
            return [_reuse(view, command, now)]
        case ApproveBatch():
            return approve_batch(view, command, now)[0]
        case AmendCalendar():
            return [records.amend_calendar(view, command, now)]
        case AmendFunder():
            return records.amend_funder(view, command, now)
        case RecordSession():
            return [records.record_session(view, command, now)]
        case RecordDeliberation():
            return council.record_deliberation(view, command, now)
        case DeclareEnforceable():
            return [council.declare_enforceable(view, command, now)]
        case RecordConvention():
            return [records.record_convention(view, command, now)]
        case RecordFinancialReport():
            return [financial_reports.record_financial_report(view, command, now)]
        case ReviewFinancialReport():
            return [financial_reports.review_financial_report(view, command, now)]
        case CopyDrafts():
            return _copy_drafts(view, command, now)
        case ErasePersonalData():
            return records.erase_personal_data(view, command, now)
        case EraseMember():
            return records.erase_member(view, command, now)
        case AddCampaign():
            return records.add_campaign(view, command, now)
        case IssueDocument():
            return [_issue(view, command, now)]
        case RecordScores():
            return [records.record_scores(view, command, now)]
        case RecordBoard():
            return [conflict_records.record_board(view, command, now)]
        case RuleConflict():
            return [conflict_records.rule_conflict(view, command, now)]
        case AmendConvention():
            return [convention_records.amend_convention(view, command, now)]
    raise InvalidInput(f"not a command: {command!r}")  # pragma: no cover - the match covers the union


def _command_campaign(view: View, command: Command) -> Campaign | None:
    """The campaign ``command`` acts in, when it names one the view holds (else ``None``: checked later)."""
    campaign_id = getattr(command, "campaign_id", None)
    if campaign_id is None:
        reference = getattr(command, "reference", None)
        if isinstance(command, RecordConvention):
            reference = command.convention.dossier
        dossier = view.find(reference) if isinstance(reference, str) else None
        campaign_id = dossier.campaign_id if dossier is not None else None
    if isinstance(campaign_id, str) and view.has_campaign(campaign_id):
        return view.campaign(campaign_id)
    return None


def _within_limits(view: View, command: Command) -> None:
    """Refuse (:class:`InvalidInput`) a command whose texts exceed its call's ``[limits]``, naming each field."""
    campaign = _command_campaign(view, command)
    if campaign is None:
        return
    limits = campaign.limits
    problems = limit_problems(command, limits.line_max, limits.text_max)
    if isinstance(command, AttachPiece) and command.size > limits.piece_max_bytes:
        problems.append(_("the piece holds {size} bytes, more than the {limit} the call allows "
                          "([limits] piece_max_bytes)").format(size=command.size, limit=limits.piece_max_bytes))
    if problems:
        raise InvalidInput("; ".join(problems))


# -- time ---------------------------------------------------------------------


def _act_time(view: View, reference: str | None, at: datetime | None, now: datetime, what: str) -> datetime:
    """The effective time of an administrative act: ``at`` (default ``now``), checked against the record."""
    if at is None:
        return now
    reasons = []
    if at > now:
        reasons.append(_("{act} is dated {at}, after the moment it is recorded ({now})").format(
            act=what, at=format_instant(at), now=format_instant(now)))
    last = view.last_at(reference) if reference is not None else None
    if last is not None and at < last:
        reasons.append(_("{act} is dated {at}, before the dossier's last recorded act ({last})").format(
            act=what, at=format_instant(at), last=format_instant(last)))
    if reasons:
        raise Refused(what, reasons)
    return at


def _receipt_time(view: View, reference: str, postmark: Any, now: datetime, what: str) -> datetime:
    """The effective time of an applicant's act: its receipt, or the start of its postmark's day."""
    if postmark is None:
        return now
    if postmark > paris_date(now):
        raise Refused(what, [_("the postmark {postmark} is later than the receipt ({receipt})").format(
            postmark=format_day(postmark), receipt=format_day(paris_date(now)))])
    return datetime.combine(postmark, time(0, 0), tzinfo=now.tzinfo)


def _event(
    kind: Kind,
    dossier: Dossier,
    at: datetime,
    actor: str,
    data: Mapping[str, Any],
    personal: Mapping[str, str | None] | None = None,
    postmark: Any = None,
) -> Event:
    facts = dict(data)
    if postmark is not None:
        facts["postmark"] = postmark.isoformat()
    return Event(kind, dossier.campaign_id, dossier.reference, at, actor, facts, dict(personal or {}))


# -- triggers -----------------------------------------------------------------


def check_trigger(view: View, dossier: Dossier, trigger: str, args: TriggerArgs, at: datetime) -> list[str]:
    """Every reason ``trigger`` would be refused on ``dossier`` at ``at``; raises :class:`IllegalTrigger`."""
    workflow = view.campaign(dossier.campaign_id).workflow
    workflow.machine().check(dossier.state, trigger)
    names = workflow.guards.get(trigger, ())
    return run_guards(names, GuardInput(dossier, at, args, view.context(dossier, at, context_reads(names))))


def _fire(view: View, command: Fire, now: datetime) -> Event:
    dossier = find_dossier(view, command.reference, command.expected_version)
    trigger = command.trigger
    if trigger == "submit":
        if command.at is not None:
            raise InvalidInput(
                _("a submission is dated when the service receives it, not by the caller; "
                  "for a dossier sent by post, give its postmark")
            )
        at = _receipt_time(view, dossier.reference, command.postmark, now, trigger)
    else:
        if command.postmark is not None:
            raise InvalidInput(_("only the applicant's acts carry a postmark, not {trigger}").format(trigger=trigger))
        at = _act_time(view, dossier.reference, command.at, now, trigger)
    args = command.args
    if isinstance(args, PayArgs) and args.amount is None:  # what the schedule makes due now, checked as given
        campaign = view.campaign(dossier.campaign_id)
        args = attrs.evolve(args, amount=payable(campaign, dossier, view.financial_report(dossier.reference)))
    reasons = check_trigger(view, dossier, trigger, args, at)
    if reasons:
        raise Refused(trigger, reasons)
    data, personal = _facts(view, dossier, args)
    if trigger == "close":  # the grant comes to what was paid: the unpaid rest goes back to the envelope
        data["amount"] = str(dossier.paid)
    machine = view.campaign(dossier.campaign_id).workflow.machine()
    event = _event(
        Kind.TRIGGERED,
        dossier,
        at,
        command.actor,
        {"trigger": trigger, "source": dossier.state},
        personal,
        command.postmark,
    )
    dest = _dest(dossier, trigger, data, event)
    state = machine.move(dossier.state, trigger, dest)
    return attrs.evolve(event, data={**event.data, "dest": state, **data})


def _facts(view: View, dossier: Dossier, args: TriggerArgs) -> tuple[dict[str, Any], dict[str, str | None]]:
    """The facts a trigger records (chained) and its free text (kept outside the chain)."""
    match args:
        case NoArgs():
            return {}, {}
        case ReturnArgs():
            issues = [{"key": i.key, "reason": str(i.reason)} for i in args.issues]
            notes: dict[str, str | None] = {f"issues.{i.key}.note": i.note for i in args.issues if i.note}
            return {"issues": issues}, notes
        case InstructArgs():
            campaign = view.campaign(dossier.campaign_id)
            limit = dossier_ceiling(campaign, dossier, args.criteria)
            requested = dossier.application.requested or ZERO
            proposed = min(args.proposed if args.proposed is not None else requested, requested, limit)
            facts = {"criteria": sorted(args.criteria), "ceiling": str(limit), "proposed": str(proposed)}
            return facts, ({"note": args.note} if args.note else {})
        case HearArgs():
            return {"session": args.session}, {}
        case ApproveArgs():
            instructed = dossier.instruction.proposed if dossier.instruction else ZERO
            facts = {"amount": str(args.amount if args.amount is not None else instructed)}
            if args.allocation is not None:  # a committee's list: how it shared the envelope
                facts["allocation"] = args.allocation
            return facts, {}
        case RejectArgs():
            return {}, ({"note": args.motivation} if args.motivation else {})
        case WithdrawArgs():
            # after the deliberation, before any payment: the amount is freed, recorded against the deliberation
            granting = [d.reference for d in view.deliberations(dossier.campaign_id)
                        if dossier.reference in d.dossiers] if dossier.approved is not None else []
            return ({"deliberations": granting} if granting else {}), ({"note": args.reason} if args.reason else {})
        case PayArgs():
            amount = args.amount if args.amount is not None else (dossier.approved or ZERO) - dossier.paid
            return {"amount": str(amount), "reference": args.reference}, {}
        case StartRecoveryArgs():
            due, to_recover = recoverable(view.campaign(dossier.campaign_id), dossier,
                                          view.financial_report(dossier.reference), args.grounds)
            facts = {"grounds": args.grounds, "due": str(due), "amount": str(to_recover),
                     "observations_by": args.observations_by.isoformat()}
            return facts, ({"note": args.note} if args.note else {})
        case OrderRecoveryArgs():
            texts: dict[str, str | None] = {"note": args.motivation}
            if args.observations:
                texts["observations"] = args.observations
            return {"title": args.title}, texts
        case RecoverArgs():
            return {"receipt": args.receipt}, {}
    raise InvalidInput(f"unknown trigger data {args!r}")  # pragma: no cover


def _dest(dossier: Dossier, trigger: str, data: Mapping[str, Any], event: Event) -> str | None:
    """The destination of a trigger that has several: a payment that completes the grant ends in ``paid``."""
    if trigger != "pay":
        return None
    paid = dossier.paid + Decimal(data["amount"])
    return State.PAID.value if paid == (dossier.approved or ZERO) else State.APPROVED.value


def approve_batch(view: View, command: ApproveBatch, now: datetime) -> tuple[list[Event], BatchPlan]:
    """The approvals of a committee's list, and its plan: every funded dossier, or :class:`Refused`.

    A share of 0,00 € is not funded and the dossier stays as it was. The
    approvals are checked one after the other, each seeing the ones before.
    """
    plan = plan_batch(view, command.campaign_id, command.proposals)
    policy = view.campaign(command.campaign_id).funding.allocation.policy
    events: list[Event] = []
    reasons: list[str] = []
    for ref, amount in plan.shares.items():
        if amount <= 0:
            continue
        fire = Fire(ref, "approve", ApproveArgs(amount, policy), command.actor, at=command.at)
        try:
            events.append(_fire(view, fire, now))
        except (Refused, IllegalTrigger) as exc:
            reasons += [f"{ref}: {r}" for r in getattr(exc, "reasons", (str(exc),))]
    if reasons:
        raise Refused("approve_batch", reasons)
    return events, plan


# -- dossiers -------------------------------------------------------------------


#: The applicant's fields kept outside the chain, erasable: the legal representative's name, and the IBAN (a
#: residents' collective's account is a person's own).
_PERSONAL_APPLICANT = ("legal_representative", "iban")


def _create(view: View, command: CreateDossiers, now: datetime) -> list[Event]:
    campaign = view.campaign(command.campaign_id)
    number = view.next_number(campaign.id)
    events: list[Event] = []
    taken: set[str] = set()
    for position, (applicant, application, reference) in enumerate(command.entries, start=1):
        where = _("entry {position}: ").format(position=position) if len(command.entries) > 1 else ""
        try:
            applicant = check_applicant(applicant, campaign)
        except InvalidInput as exc:
            raise InvalidInput(f"{where}{exc}") from None
        if reference is None:
            reference = f"{campaign.id}-{number:04d}"
            while view.find(reference) is not None or reference in taken:
                number += 1  # a reference given by hand took this number
                reference = f"{campaign.id}-{number:04d}"
            number += 1
        elif view.find(reference) is not None or reference in taken:
            raise InvalidInput(where + _("a dossier {reference!r} already exists").format(reference=shown(reference)))
        taken.add(reference)
        facts: dict[str, Any] = {
            "applicant": {k: v for k, v in plain(applicant).items() if k not in _PERSONAL_APPLICANT},
            "application": plain(application),
        }
        source = command.copied_from[position - 1] if command.copied_from else None
        if source is not None:
            facts["copied_from"] = source
        personal: dict[str, str | None] = {
            f"applicant.{name}": getattr(applicant, name) for name in _PERSONAL_APPLICANT if getattr(applicant, name)
        }
        events.append(Event(Kind.DOSSIER_CREATED, campaign.id, reference, now, command.actor, facts, personal))
    return events


def _update(view: View, command: UpdateApplication, now: datetime) -> Event:
    dossier = find_dossier(view, command.reference, command.expected_version)
    if dossier.state != State.DRAFT:
        raise Refused("update", [_("only a draft can be edited; the dossier is {state}").format(
            state=state_words(dossier.state))])
    return _event(Kind.APPLICATION_UPDATED, dossier, now, command.actor, {"application": plain(command.application)})


def _open_for_pieces(dossier: Dossier) -> None:
    if dossier.state not in OPEN_FOR_PIECES:
        raise Refused("attach", [_("pieces can no longer be added to a dossier that is {state}").format(
            state=state_words(dossier.state))])


def _requirement(view: View, dossier: Dossier, key: object) -> Any:
    campaign = view.campaign(dossier.campaign_id)
    requirement = campaign.piece(key) if isinstance(key, str) else None
    if requirement is None:
        known = ", ".join(p.key for p in campaign.pieces)
        raise InvalidInput(_("unknown piece {key!r}; the call's pieces are {known}").format(
            key=shown(key), known=known))
    return requirement


def _attach(view: View, command: AttachPiece, now: datetime) -> Event:
    dossier = find_dossier(view, command.reference, command.expected_version)
    requirement = _requirement(view, dossier, command.key)
    _open_for_pieces(dossier)
    at = _receipt_time(view, dossier.reference, command.postmark, now, "attach")
    # A personal piece's file name often names people (liste_CA_Dupont.pdf): it is not kept.
    name = None if requirement.personal_data else command.filename
    piece = PieceReceipt(command.key, paris_date(at), name, command.size, command.sha256, command.media_type)
    return _event(Kind.PIECE_ATTACHED, dossier, at, command.actor, {"piece": plain(piece)}, postmark=command.postmark)


def _original(view: View, command: ReceiveOriginal, now: datetime) -> Event:
    dossier = find_dossier(view, command.reference, command.expected_version)
    original = command.original
    if not _requirement(view, dossier, original.key).paper_original:
        raise InvalidInput(_("the call asks no paper original for {key!r}").format(key=shown(original.key)))
    _open_for_pieces(dossier)
    at = _receipt_time(view, dossier.reference, command.postmark, now, "receive_original")
    received = attrs.evolve(original, received_on=paris_date(at))
    data = {k: v for k, v in plain(received).items() if k != "signed_by"}
    personal: dict[str, str | None] = {"signed_by": original.signed_by} if original.signed_by else {}
    return _event(Kind.ORIGINAL_RECEIVED, dossier, at, command.actor, {"original": data}, personal, command.postmark)


def _reuse(view: View, command: ReusePieces, now: datetime) -> Event:
    new = find_dossier(view, command.reference, command.expected_version)
    old = find_dossier(view, command.from_reference)
    campaign = view.campaign(new.campaign_id)
    reasons = []
    if new.applicant.identity != old.applicant.identity:
        reasons.append(_("{reference} belongs to another applicant").format(reference=command.from_reference))
    if old.campaign_id == new.campaign_id:
        reasons.append(_("{reference} is in the same campaign: pieces are reused from an earlier one").format(
            reference=command.from_reference))
    reused: list[PieceReceipt] = []
    for key in command.keys:
        requirement = campaign.piece(key)
        piece = old.piece(key)
        if requirement is None:
            reasons.append(_("unknown piece {key!r}").format(key=shown(key)))
        elif not requirement.reusable:
            reasons.append(_("{label} (key `{key}`): must be new each year, it cannot be reused").format(
                label=requirement.label, key=key))
        elif piece is None:
            reasons.append(_("{reference} has no {label} (key `{key}`) to reuse").format(
                reference=command.from_reference, label=requirement.label, key=key))
        else:
            reused.append(piece)
    if reasons:
        raise Refused("reuse_pieces", reasons)
    _open_for_pieces(new)
    data = {"from": command.from_reference, "pieces": [plain(p) for p in reused]}
    return _event(Kind.PIECES_REUSED, new, now, command.actor, data)


def _issue(view: View, command: IssueDocument, now: datetime) -> Event:
    """A document issued on a dossier takes effect when the act it attests did (the backend found that act)."""
    document = command.document
    dossier = find_dossier(view, document.dossier)
    at = document.at or now
    if at > now:
        raise Refused("issue_document", [_("the act that the {kind} attests is dated {at}, after the moment it is "
                                           "recorded ({now})").format(kind=document.kind, at=format_instant(at),
                                                                      now=format_instant(now))])
    return _event(Kind.DOCUMENT_ISSUED, dossier, at, command.actor, {"document": document.data()})


def _copy_drafts(view: View, command: CopyDrafts, now: datetime) -> list[Event]:
    source, target = view.campaign(command.from_campaign_id), view.campaign(command.to_campaign_id)
    if source.id == target.id:
        raise InvalidInput(_("copy drafts from one campaign into another"))
    done = view.copied(target.id)
    drafts = [d for d in view.drafts(source.id) if d.reference not in done]
    entries = tuple((d.applicant, d.application, None) for d in drafts)
    create = CreateDossiers(target.id, entries, command.actor, tuple(d.reference for d in drafts))
    return _create(view, create, now)
