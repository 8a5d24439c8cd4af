"""Firing triggers: the pure transition function, and an in-memory campaign engine.

:func:`apply_trigger` is the heart of the library: given a dossier, a
trigger, an instant and the campaign's :class:`~ami_workflow.guards.Context`,
it checks the edge, reads the trigger's data, runs every guard, and returns
the new dossier with the event to journal. It changes nothing and reads no
clock. :class:`Engine` keeps one campaign's dossiers and decisions in memory
on top of it (the SQLite store does the same with a database).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs

from .calendar import Calendar, CalendarAmendment, Clock, SystemClock, Window, to_paris
from .campaign import Campaign
from .committee import CommitteeSession, session_refusals
from .decisions import Convention, Deliberation, deliberation_refusals
from .dossier import Applicant, Application, Dossier, Instruction, Payment
from .errors import InvalidInput, NotFound, Refused
from .guards import Context, GuardInput, dossier_ceiling, run_guards
from .identity import check_applicant
from .money import ZERO
from .pieces import IssueReason, PaperOriginal, PieceReceipt
from .rules import Totals, allocate, totals
from .states import State, StateMachine
from .triggers import (
    ApproveArgs,
    HearArgs,
    InstructArgs,
    PayArgs,
    RejectArgs,
    ReturnArgs,
    TriggerArgs,
    WithdrawArgs,
    parse_args,
)

__all__ = [
    "BatchResult",
    "Engine",
    "Event",
    "Outcome",
    "apply_trigger",
    "check_trigger",
    "plan_batch_approval",
]

#: States in which pieces may still be attached or replaced.
OPEN_FOR_PIECES = frozenset({State.DRAFT, State.SUBMITTED, State.COMPLETE, State.INSTRUCTED})


@attrs.frozen
class Event:
    """One accepted trigger: who, when, what, from which state to which, with its data."""

    dossier: str
    trigger: str
    source: str
    dest: str
    at: datetime
    actor: str
    payload: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Outcome:
    dossier: Dossier
    event: Event


def check_trigger(
    dossier: Dossier,
    trigger: str,
    /,
    *,
    at: datetime,
    context: Context,
    machine: StateMachine | None = None,
    guards: Mapping[str, tuple[str, ...]] | None = None,
    **data: Any,
) -> list[str]:
    """Every reason ``trigger`` would be refused now; empty when it would pass.

    Raises :class:`IllegalTrigger` for a trigger the state does not allow and
    :class:`InvalidInput` for bad data, like :func:`apply_trigger`.
    """
    workflow = context.campaign.workflow
    machine = machine or workflow.machine()
    machine.check(dossier.state, trigger)
    args = parse_args(trigger, data)
    names = (guards if guards is not None else workflow.guards).get(trigger, ())
    return run_guards(names, GuardInput(dossier, to_paris(at), args, context))


def apply_trigger(
    dossier: Dossier,
    trigger: str,
    /,
    *,
    at: datetime,
    context: Context,
    actor: str = "",
    machine: StateMachine | None = None,
    guards: Mapping[str, tuple[str, ...]] | None = None,
    **data: Any,
) -> Outcome:
    """Fire ``trigger`` on ``dossier`` at ``at``: the new dossier and its event.

    The machine and the guards are the campaign's (its call file's
    ``[workflow]``) unless given. Raises
    :class:`~ami_workflow.errors.IllegalTrigger` when the state has no such edge, :class:`~ami_workflow.errors.InvalidInput` for bad data, and
    :class:`~ami_workflow.errors.Refused` with every unmet condition.
    The input dossier is never modified.
    """
    workflow = context.campaign.workflow
    machine = machine or workflow.machine()
    at = to_paris(at)
    machine.check(dossier.state, trigger)
    args = parse_args(trigger, data)
    names = (guards if guards is not None else workflow.guards).get(trigger, ())
    reasons = run_guards(names, GuardInput(dossier, at, args, context))
    if reasons:
        raise Refused(trigger, reasons)
    changed, dest, payload = _effect(dossier, trigger, args, at, actor, context)
    state = machine.move(dossier.state, trigger, dest)
    new = attrs.evolve(changed, state=state, version=dossier.version + 1)
    event = Event(dossier.reference, trigger, dossier.state, state, at, actor, payload)
    return Outcome(new, event)


def _effect(
    dossier: Dossier, trigger: str, args: TriggerArgs, at: datetime, actor: str, context: Context
) -> tuple[Dossier, str | None, dict[str, Any]]:
    """The record changes a trigger makes, its destination when it has several, and its journal payload."""
    if trigger == "submit":
        return attrs.evolve(dossier, submitted_at=at), None, {}
    if trigger == "mark_complete":
        return attrs.evolve(dossier, completed_at=at, issues=()), None, {}
    if isinstance(args, ReturnArgs):
        sent_back = {i.key for i in args.issues if i.reason != IssueReason.MISSING}
        changed = attrs.evolve(
            dossier,
            issues=args.issues,
            pieces=tuple(p for p in dossier.pieces if p.key not in sent_back),
            originals=tuple(p for p in dossier.originals if p.key not in sent_back),
            completed_at=None,
            instruction=None,
        )
        issues_payload = {"issues": [{"key": i.key, "reason": str(i.reason), "note": i.note} for i in args.issues]}
        return changed, None, issues_payload
    if isinstance(args, InstructArgs):
        limit = dossier_ceiling(context.campaign, dossier, args.criteria)
        requested = dossier.application.requested or ZERO
        proposed = min(args.proposed if args.proposed is not None else requested, requested, limit)
        instruction = Instruction(args.criteria, limit, proposed, at, actor, args.note)
        payload: dict[str, Any] = {"criteria": sorted(args.criteria), "ceiling": str(limit), "proposed": str(proposed)}
        return attrs.evolve(dossier, instruction=instruction), None, payload
    if isinstance(args, HearArgs):
        return attrs.evolve(dossier, hearing=args.session), None, {"session": args.session}
    if isinstance(args, ApproveArgs):
        amount = args.amount if args.amount is not None else (dossier.instruction.proposed if dossier.instruction else ZERO)
        return attrs.evolve(dossier, approved=amount), None, {"amount": str(amount)}
    if isinstance(args, RejectArgs):
        return attrs.evolve(dossier, decision_note=args.motivation), None, {"motivation": args.motivation}
    if isinstance(args, WithdrawArgs):
        return attrs.evolve(dossier, decision_note=args.reason or None), None, {"reason": args.reason}
    if isinstance(args, PayArgs):
        granted = dossier.approved or ZERO
        amount = args.amount if args.amount is not None else granted - dossier.paid
        payment = Payment(amount, at, args.reference)
        changed = attrs.evolve(dossier, payments=dossier.payments + (payment,))
        dest = State.PAID if changed.paid == granted else State.APPROVED
        return changed, dest.value, {"amount": str(amount), "reference": args.reference}
    return dossier, None, {}  # pragma: no cover - every trigger is handled above


@attrs.frozen
class BatchResult:
    """The outcome of a committee's batch approval."""

    approved: Mapping[str, Decimal]
    unfunded: tuple[str, ...]
    scaled: bool


def plan_batch_approval(
    campaign: Campaign,
    dossiers: Mapping[str, Dossier],
    proposals: Sequence[str] | Mapping[str, Decimal | None],
    remaining: Decimal,
) -> tuple[dict[str, Decimal], bool]:
    """Each listed dossier's share of what is ``remaining`` of the envelope, and whether they were scaled down.

    A dossier's claim is the least of its proposal (the amount given, or the
    instructor's), its ceiling and its request; claims that exceed
    ``remaining`` are allocated pro rata to the cent
    (:func:`~ami_workflow.rules.allocate`). Raises :class:`Refused` listing
    every unknown or uninstructed dossier.
    """
    items: Mapping[str, Decimal | None] = dict.fromkeys(proposals) if not isinstance(proposals, Mapping) else proposals
    claims: list[tuple[str, Decimal]] = []
    reasons: list[str] = []
    for ref, given in items.items():
        dossier = dossiers.get(ref)
        if dossier is None:
            reasons.append(f"no dossier {ref!r}")
            continue
        if dossier.instruction is None:
            reasons.append(f"{ref}: the dossier has not been instructed")
            continue
        proposal = ApproveArgs(given).amount
        claim = min(
            proposal if proposal is not None else dossier.instruction.proposed,
            dossier_ceiling(campaign, dossier, dossier.instruction.criteria),
            dossier.application.requested or ZERO,
        )
        claims.append((ref, claim))
    if reasons:
        raise Refused("approve_batch", reasons)
    shares = allocate(max(remaining, ZERO), claims)
    return shares, sum(shares.values(), ZERO) < sum((c for _, c in claims), ZERO)


class Engine:
    """One campaign's dossiers, decisions and events, kept in memory.

    Suited to scripts, tests and simulations; the SQLite store offers the same
    operations durably. Every method validates its input first and changes
    nothing when it raises.
    """

    def __init__(
        self,
        campaign: Campaign,
        *,
        clock: Clock | None = None,
        machine: StateMachine | None = None,
    ) -> None:
        self.campaign = campaign
        self.clock: Clock = clock or SystemClock()
        self.machine = machine or campaign.workflow.machine()
        self.dossiers: dict[str, Dossier] = {}
        self.amendments: list[CalendarAmendment] = []
        self.sessions: dict[str, CommitteeSession] = {}
        self.deliberations: list[Deliberation] = []
        # Reference -> the (deliberation, day) pairs that grant it, so a payment's guard looks up one dossier.
        self._granted_by: dict[str, list[tuple[str, date]]] = {}
        self.conventions: dict[str, Convention] = {}
        self.events: list[Event] = []
        self._numbers = itertools.count(1)
        # Running totals of the approved (granted) dossiers: reference -> (amount, axis, applicant identity).
        self._granted: dict[str, tuple[Decimal, str, str]] = {}
        self._approved_total = ZERO
        self._by_axis: dict[str, Decimal] = {}
        self._by_applicant: dict[str, Decimal] = {}

    # -- reading ---------------------------------------------------------------

    @property
    def calendar(self) -> Calendar:
        """The calendar in force: the call's, with every amendment applied."""
        return self.campaign.calendar.amended(self.amendments)

    def get(self, reference: str) -> Dossier:
        try:
            return self.dossiers[reference]
        except KeyError:
            raise NotFound(f"no dossier {reference!r} in campaign {self.campaign.id}") from None

    def totals(self) -> Totals:
        """The envelope, and the approved and paid totals."""
        granted = [self.dossiers[ref] for ref in self._granted]
        return totals(self.campaign.envelope.amount, [d.approved or ZERO for d in granted], [d.paid for d in granted])

    def context(self, dossier: Dossier) -> Context:
        """What the guards know about the campaign, seen from ``dossier``.

        The approved totals are kept up to date as dossiers change, so this
        costs the same with ten dossiers or a hundred thousand.
        """
        own = self._granted.get(dossier.reference)
        own_amount = own[0] if own else ZERO
        by_axis = dict(self._by_axis)
        applicant_granted = self._by_applicant.get(dossier.applicant.identity, ZERO)
        if own is not None:
            by_axis[own[1]] -= own_amount
            if own[2] == dossier.applicant.identity:
                applicant_granted -= own_amount
        return Context(
            campaign=self.campaign,
            calendar=self.calendar,
            sessions=self.sessions,
            deliberations=tuple(
                Deliberation(name, day, (dossier.reference,)) for name, day in self._granted_by.get(dossier.reference, ())
            ),
            conventions=self.conventions,
            approved_total=self._approved_total - own_amount,
            approved_by_axis=by_axis,
            applicant_granted=applicant_granted,
        )

    def _now(self, at: datetime | None) -> datetime:
        return to_paris(at) if at is not None else to_paris(self.clock.now())

    def check(self, reference: str, trigger: str, /, *, at: datetime | None = None, **data: Any) -> list[str]:
        """Every reason ``trigger`` would be refused on the dossier now (empty when it would pass)."""
        dossier = self.get(reference)
        return check_trigger(dossier, trigger, at=self._now(at), context=self.context(dossier), machine=self.machine, **data)

    def possible_triggers(self, reference: str, *, at: datetime | None = None) -> dict[str, list[str]]:
        """Each trigger the state allows, with the reasons it would be refused now (data-less check)."""
        dossier = self.get(reference)
        when = self._now(at)
        out: dict[str, list[str]] = {}
        for trigger in self.machine.allowed_triggers(dossier.state):
            try:
                out[trigger] = check_trigger(dossier, trigger, at=when, context=self.context(dossier), machine=self.machine)
            except InvalidInput as exc:
                out[trigger] = [f"needs data: {exc}"]
        return out

    # -- dossiers --------------------------------------------------------------

    def create_dossier(
        self,
        applicant: Applicant,
        application: Application | None = None,
        *,
        reference: str | None = None,
    ) -> Dossier:
        """A new draft dossier. The reference defaults to ``<campaign id>-<number>``."""
        applicant = check_applicant(applicant, self.campaign)
        if application is not None and not isinstance(application, Application):
            raise InvalidInput(f"application must be an Application record, not {type(application).__name__}")
        if reference is None:
            reference = f"{self.campaign.id}-{next(self._numbers):04d}"
            while reference in self.dossiers:
                reference = f"{self.campaign.id}-{next(self._numbers):04d}"
        if reference in self.dossiers:
            raise InvalidInput(f"a dossier {reference!r} already exists")
        dossier = Dossier(reference, self.campaign.id, applicant, application or Application())
        self.dossiers[dossier.reference] = dossier
        return dossier

    def update_application(self, reference: str, application: Application) -> Dossier:
        """Replace a draft's declared content."""
        dossier = self.get(reference)
        if not isinstance(application, Application):
            raise InvalidInput(f"application must be an Application record, not {type(application).__name__}")
        if dossier.state != State.DRAFT:
            raise Refused("update", [f"only a draft can be edited; the dossier is {dossier.state}"])
        return self._replace(attrs.evolve(dossier, application=application, version=dossier.version + 1))

    def attach(self, reference: str, piece: PieceReceipt) -> Dossier:
        """Record a digital piece received (it replaces an earlier one of the same key)."""
        dossier = self.get(reference)
        self._check_piece(dossier, piece.key if isinstance(piece, PieceReceipt) else None, piece, PieceReceipt)
        return self._replace(attrs.evolve(dossier.with_piece(piece), version=dossier.version + 1))

    def receive_original(self, reference: str, original: PaperOriginal) -> Dossier:
        """Record a paper original received: the day, whether it is signed, and by whom."""
        dossier = self.get(reference)
        self._check_piece(dossier, original.key if isinstance(original, PaperOriginal) else None, original, PaperOriginal)
        requirement = self.campaign.piece(original.key)
        if requirement is not None and not requirement.paper_original:
            raise InvalidInput(f"the call asks no paper original for {requirement.label!r}")
        return self._replace(attrs.evolve(dossier.with_original(original), version=dossier.version + 1))

    def _check_piece(self, dossier: Dossier, key: str | None, record: object, cls: type) -> None:
        if not isinstance(record, cls):
            raise InvalidInput(f"expected a {cls.__name__} record, not {type(record).__name__}")
        if key is None or self.campaign.piece(key) is None:
            known = ", ".join(p.key for p in self.campaign.pieces)
            raise InvalidInput(f"unknown piece {key!r}; the call's pieces are {known}")
        if dossier.state not in OPEN_FOR_PIECES:
            raise Refused("attach", [f"pieces can no longer be added to a dossier that is {dossier.state}"])

    def _replace(self, dossier: Dossier) -> Dossier:
        self._forget_grant(dossier.reference)
        self.dossiers[dossier.reference] = dossier
        if dossier.approved is not None and dossier.state != State.WITHDRAWN:
            axis, identity = dossier.application.axis or "", dossier.applicant.identity
            self._granted[dossier.reference] = (dossier.approved, axis, identity)
            self._approved_total += dossier.approved
            self._by_axis[axis] = self._by_axis.get(axis, ZERO) + dossier.approved
            self._by_applicant[identity] = self._by_applicant.get(identity, ZERO) + dossier.approved
        return dossier

    def _forget_grant(self, reference: str) -> None:
        old = self._granted.pop(reference, None)
        if old is not None:
            amount, axis, identity = old
            self._approved_total -= amount
            self._by_axis[axis] -= amount
            self._by_applicant[identity] -= amount

    def fire(
        self, reference: str, trigger: str, /, *, at: datetime | None = None, actor: str = "", **data: Any
    ) -> Dossier:
        """Fire ``trigger`` on a dossier; see :func:`apply_trigger` for the errors."""
        dossier = self.get(reference)
        outcome = apply_trigger(
            dossier,
            trigger,
            at=self._now(at),
            context=self.context(dossier),
            actor=actor,
            machine=self.machine,
            **data,
        )
        self.events.append(outcome.event)
        return self._replace(outcome.dossier)

    def history(self, reference: str) -> list[Event]:
        self.get(reference)
        return [e for e in self.events if e.dossier == reference]

    # -- campaign decisions ----------------------------------------------------

    def amend_calendar(
        self, window: str, start: date, end: date, *, reason: str, at: datetime | None = None, actor: str = ""
    ) -> CalendarAmendment:
        """Change one window of the provisional calendar, explicitly and with a reason."""
        amendment = CalendarAmendment(window, Window(start, end), reason, self._now(at), actor)
        problems = self.calendar.amended([amendment]).problems()
        if problems:
            raise Refused("amend_calendar", [problem for _, problem in problems])
        self.amendments.append(amendment)
        return amendment

    def record_session(self, session: CommitteeSession) -> CommitteeSession:
        """Record a committee session; refused when it cannot hear dossiers under the call's rule."""
        if not isinstance(session, CommitteeSession):
            raise InvalidInput(f"expected a CommitteeSession, not {type(session).__name__}")
        reasons = session_refusals(session, self.campaign, self.calendar, self.sessions)
        if reasons:
            raise Refused("record_session", reasons)
        self.sessions[session.id] = session
        return session

    def record_deliberation(self, deliberation: Deliberation) -> Deliberation:
        """Record the council's deliberation and the approved dossiers it grants."""
        if not isinstance(deliberation, Deliberation):
            raise InvalidInput(f"expected a Deliberation, not {type(deliberation).__name__}")
        states = {ref: (self.dossiers[ref].state if ref in self.dossiers else None) for ref in deliberation.dossiers}
        recorded = [d.reference for d in self.deliberations]
        reasons = deliberation_refusals(deliberation, self.calendar, recorded, states)
        if reasons:
            raise Refused("record_deliberation", reasons)
        self.deliberations.append(deliberation)
        for ref in deliberation.dossiers:
            self._granted_by.setdefault(ref, []).append((deliberation.reference, deliberation.day))
        return deliberation

    def record_convention(self, convention: Convention) -> Convention:
        """Record the signed convention of an approved dossier."""
        if not isinstance(convention, Convention):
            raise InvalidInput(f"expected a Convention, not {type(convention).__name__}")
        dossier = self.get(convention.dossier)
        if dossier.state != State.APPROVED:
            raise Refused("record_convention", [f"{dossier.reference} is {dossier.state}, not approved"])
        self.conventions[convention.dossier] = convention
        return convention

    def approve_batch(
        self, proposals: Sequence[str] | Mapping[str, Decimal | None], *, at: datetime | None = None, actor: str = ""
    ) -> BatchResult:
        """Approve a committee's whole list at once.

        Each dossier's claim is the least of its proposal (the amount given, or
        the instructor's), its ceiling and its request. When the claims exceed
        what is left of the envelope they are scaled down pro rata to the cent
        (:func:`~ami_workflow.rules.allocate`); a share of 0,00 € is not funded
        and the dossier stays as it was. Either every funded dossier is
        approved, or none is and :class:`Refused` lists every reason.
        """
        when = self._now(at)
        remaining = self.campaign.envelope.amount - self.totals().approved
        shares, scaled = plan_batch_approval(self.campaign, self.dossiers, proposals, remaining)
        funded = {ref: amount for ref, amount in shares.items() if amount > 0}
        reasons: list[str] = []
        saved = {ref: self.dossiers[ref] for ref in funded}, len(self.events)
        try:
            for ref, amount in funded.items():
                try:
                    self.fire(ref, "approve", at=when, actor=actor, amount=amount)
                except Refused as exc:
                    reasons += [f"{ref}: {r}" for r in exc.reasons]
                except Exception as exc:
                    reasons.append(f"{ref}: {exc}")
            if reasons:
                raise Refused("approve_batch", reasons)
        except BaseException:
            for original in saved[0].values():
                self._replace(original)
            del self.events[saved[1]:]
            raise
        unfunded = tuple(ref for ref in shares if ref not in funded)
        return BatchResult(approved=funded, unfunded=unfunded, scaled=scaled)

    def deliberation_day(self, reference: str) -> date | None:
        days = [day for _, day in self._granted_by.get(reference, ())]
        return min(days) if days else None

    def all(self, states: Iterable[str] | None = None) -> list[Dossier]:
        wanted = set(states) if states is not None else None
        return [d for d in self.dossiers.values() if wanted is None or d.state in wanted]
