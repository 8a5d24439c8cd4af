"""The operations of a store, written once over the pure core, for every backend.

:class:`Operations` holds every public method that writes: it checks the
input, builds a command, takes the backend's write transaction, reads the
store's clock, asks :func:`~ami_workflow.core.decide.decide` for the events
and has the backend append them. A backend (the in-memory
:class:`~ami_workflow.memory.MemoryWorkflow`, the SQLite
:class:`~ami_workflow.store.Workflow`) supplies only storage: a transaction
with its :class:`~ami_workflow.core.view.View`, the appending of chained
events and their projections, and the reads.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs

from .audit import Auditing
from .batching import Batching
from .calendar import Calendar, CalendarAmendment, Clock, SystemClock, to_paris
from .campaign import Campaign
from .campaign_ops import CampaignOperations
from .committee_ops import CommitteeOperations
from .core.commands import (
    AddCampaign,
    ApproveBatch,
    Command,
    Fire,
)
from .core.decide import approve_batch, check_trigger, decide
from .core.events import Event, event_body, stamped
from .core.view import View
from .decisions import Deliberation
from .dossier import Dossier
from .dossier_ops import DossierOperations, safe_name, text_argument
from .errors import InvalidInput, InvalidType, NotFound, Refused
from .guards import dossier_ceiling
from .i18n import _
from .issuing import Issuing
from .journal import (
    GENESIS,
    ChainedEvent,
    link_with_text,
    personal_data_digest,
)
from .shown import shown
from .states import COUNCIL_TRIGGERS
from .triggers import parse_args

__all__ = ["BatchResult", "Chained", "Operations", "safe_name"]

_LOGGER = logging.getLogger("ami_workflow")
_TICK = timedelta(microseconds=1)


@attrs.frozen
class BatchResult:
    """The outcome of a committee's batch approval."""

    approved: Mapping[str, Decimal]
    unfunded: tuple[str, ...]
    scaled: bool
    policy: str = "pro_rata"
    """The call's allocation policy that shared the envelope (``funding.allocation.policy``)."""


@attrs.frozen
class Chained:
    """One event ready to store: the event (stamped), its chained form and text, and its personal values' salts."""

    event: Event
    chained: ChainedEvent
    text: str
    salts: Mapping[str, str]


class Operations(Batching, CampaignOperations, CommitteeOperations, DossierOperations, Issuing, Auditing):
    """Every writing operation, once; subclasses provide the storage primitives below."""

    campaign: Campaign
    clock: Clock
    actor: str

    def __init__(self, campaign: Campaign, clock: Clock | None, actor: str) -> None:
        if clock is not None and not callable(getattr(clock, "now", None)):
            raise InvalidType(_("clock: expected a Clock (an object with a now() method), got {type}").format(
                type=type(clock).__name__))
        self.campaign = campaign
        self.clock = clock or SystemClock()
        self.actor = actor if isinstance(actor, str) else ""
        self._subscribers: list[Callable[[Event], None]] = []
        self._batch = None

    # -- storage primitives (per backend) --------------------------------------

    def _store(self, items: Sequence[Chained], blobs: Mapping[str, bytes]) -> None:
        """Append the chained events and update the projections, inside the open transaction."""
        raise NotImplementedError

    def _view(self) -> View:
        """A read-only view outside any write transaction."""
        raise NotImplementedError

    def get_campaign(self, campaign_id: str) -> Campaign:
        raise NotImplementedError

    def _written(self, reference: str, events: Sequence[Event]) -> Dossier:
        """The dossier as the write that just ended (and recorded ``events``) left it: what a writing operation
        returns."""
        return self.get(reference)

    # -- the one write path ------------------------------------------------------

    def _now(self) -> datetime:
        """The store's clock, made strictly later than the last recorded event."""
        now = to_paris(self.clock.now())
        last = self._last()[2]
        return last + _TICK if last is not None and now <= last else now

    def _actor(self, actor: str) -> str:
        if not isinstance(actor, str):
            raise InvalidInput(_("actor must be text, not {type}").format(type=type(actor).__name__))
        who = actor.strip() or self.actor.strip()
        if not who:
            raise InvalidInput(_("say who acts: give actor=..., or open the store with a default actor"))
        return who

    def _run(self, command: Command, blobs: Mapping[str, bytes] | None = None) -> list[Event]:
        with self._write() as view:
            now = self._now()
            events = decide(view, command, now)
            stamped = self._chain(events, now)
            self._append(stamped, blobs or {})
        done = [item.event for item in stamped]
        self._emit(done)
        return done

    def _chain(self, events: Sequence[Event], now: datetime) -> list[Chained]:
        """The events stamped and chained after the journal's last one: the first at ``now``, each next 1 µs later."""
        seq, previous, _ = self._last()
        out = []
        for offset, event in enumerate(events, start=1):
            salts = {path: secrets.token_hex(16) for path, value in event.personal.items() if value is not None}
            digests = {
                path: personal_data_digest(salts[path], value)
                for path, value in event.personal.items()
                if value is not None
            }
            recorded = now + (offset - 1) * _TICK  # strictly increasing, even within one transaction
            event_now = stamped(event, recorded, seq + offset)
            chained, text = link_with_text(previous, seq + offset, event_body(event_now, recorded, digests))
            out.append(Chained(event_now, chained, text, salts))
            previous = chained.hash
        return out

    def _notify(self, events: Sequence[Event]) -> None:
        for event in events:
            for callback in list(self._subscribers):
                try:
                    callback(event)
                except Exception:  # a subscriber's failure never reaches the transition
                    _LOGGER.exception("subscriber %r failed on %s %s", callback, event.trigger, event.dossier)

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``callback(event)`` after each recorded event; returns a function that unsubscribes.

        Subscribers run *after* the transaction has committed, in the thread
        that wrote, in the order they subscribed. A subscriber that raises is
        logged on the ``ami_workflow`` logger and never undoes, blocks or hides
        the write; the other subscribers still run.
        """
        if not callable(callback):
            raise InvalidInput(_("a subscriber must be callable, not {type}").format(type=type(callback).__name__))
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def last_recorded_at(self) -> datetime | None:
        """When the journal's last event was recorded (``None`` for an empty journal or a legacy event)."""
        return self._last()[2]

    def _cid(self, campaign_id: str | None) -> str:
        return self.get_campaign(campaign_id if campaign_id is not None else self.campaign.id).id

    # -- campaigns ---------------------------------------------------------------

    def add_campaign(self, campaign: Campaign, *, actor: str = "") -> None:
        """Register a campaign (idempotent); a different call file under the same id is refused."""
        self._run(AddCampaign(campaign, self._actor(actor) if actor or self.actor else "ami_workflow"))

    # -- triggers ------------------------------------------------------------------

    def fire(
        self,
        reference: str,
        trigger: str,
        /,
        *,
        at: datetime | None = None,
        postmark: date | None = None,
        actor: str = "",
        expected_version: int | None = None,
        keep_refusal: bool = False,
        **data: Any,
    ) -> Dossier:
        """Fire ``trigger`` in one transaction: re-read, guard, journal and project, all or nothing.

        ``at`` dates an administrative act (default: now); the submission is
        dated by its receipt, or by ``postmark`` for a dossier sent by post.
        With ``keep_refusal`` a refused trigger's reasons are kept in the
        ``refusals`` (outside the journal's chain) before :class:`Refused` is raised.
        Raises :class:`~ami_workflow.errors.IllegalTrigger`,
        :class:`~ami_workflow.errors.InvalidInput` or
        :class:`~ami_workflow.errors.Refused` with every reason.
        """
        text_argument(reference, "reference")
        args = parse_args(trigger, data)  # bad data is refused before the write lock is taken
        command = Fire(reference, trigger, args, self._actor(actor), at, postmark, expected_version)
        try:
            events = self._run(command)
        except Refused as refused:
            if keep_refusal:
                self._keep_refusal(command, refused.reasons)
            raise
        return self._written(reference, events)

    def _keep_refusal(self, command: Fire, reasons: Sequence[str]) -> None:
        """Keep a refused trigger's reasons outside the chain (``fire(..., keep_refusal=True)``)."""
        raise NotImplementedError

    def check(self, reference: str, trigger: str, /, *, at: datetime | None = None, **data: Any) -> list[str]:
        """Every reason ``trigger`` would be refused now (or at ``at``); writes nothing."""
        args = parse_args(trigger, data)
        view = self._view()
        dossier = self.get(reference)
        return check_trigger(view, dossier, trigger, args, to_paris(at) if at is not None else self._now())

    def possible_triggers(self, reference: str, *, at: datetime | None = None) -> dict[str, list[str]]:
        """Each trigger the dossier's state allows, with the reasons it would be refused now (empty: it would pass).

        Triggers that need data (``hear`` needs a session …) are checked without it, and say what they need. The
        triggers only the council's deliberation fires (``council_refuse``) are not offered.
        """
        dossier = self.get(reference)
        when = to_paris(at) if at is not None else self._now()
        view = self._view()
        out: dict[str, list[str]] = {}
        for trigger in self.get_campaign(dossier.campaign_id).workflow.machine().allowed_triggers(dossier.state):
            if trigger in COUNCIL_TRIGGERS:  # fired by the council's deliberation only, never by a caller
                continue
            try:
                out[trigger] = check_trigger(view, dossier, trigger, parse_args(trigger, {}), when)
            except InvalidInput as exc:
                out[trigger] = [str(exc)]  # "hear needs session"
        return out

    def approve_batch(
        self,
        proposals: Sequence[str] | Mapping[str, Decimal | None],
        *,
        at: datetime | None = None,
        actor: str = "",
        campaign_id: str | None = None,
    ) -> BatchResult:
        """Approve a committee's whole list in one transaction.

        Each dossier's claim is the least of its proposal (the amount given, or
        the instructor's), its ceiling and its request. When the claims exceed
        what is left of the envelope they are shared by the call's allocation
        policy (``funding.allocation``: pro rata to the cent, by the committee's
        ranking, or the amounts the committee sets; see
        :mod:`ami_workflow.core.allocation`), recorded with each approval; a
        share of 0,00 € is not funded. Either every funded dossier is
        approved, or none is and :class:`Refused` lists every reason.
        """
        items = dict(proposals) if isinstance(proposals, Mapping) else dict.fromkeys(proposals)
        for ref in items:
            text_argument(ref, "reference")
        command = ApproveBatch(self._cid(campaign_id), items, self._actor(actor), at)
        with self._write() as view:
            now = self._now()
            events, plan = approve_batch(view, command, now)
            stamped = self._chain(events, now)
            self._append(stamped, {})
        self._emit([item.event for item in stamped])
        funded = {ref: amount for ref, amount in plan.shares.items() if amount > 0}
        return BatchResult(funded, tuple(r for r in plan.shares if r not in funded), plan.scaled, plan.policy)

    def ceiling(self, reference: str) -> Decimal:
        """The dossier's ceiling now: with its confirmed bonus criteria once instructed, the base rate before."""
        dossier = self.get(reference)
        criteria = dossier.instruction.criteria if dossier.instruction else frozenset()
        return dossier_ceiling(self.get_campaign(dossier.campaign_id), dossier, criteria)

    def awaiting_deliberation(self, campaign_id: str | None = None) -> list[str]:
        """The approved dossiers of the campaign that no deliberation grants yet, in reference order."""
        cid = self._cid(campaign_id)
        listed = {r for d in self.deliberations(cid) for r in d.dossiers}
        return [d.reference for d in self.dossiers(campaign_id=cid, state="approved") if d.reference not in listed]

    def deliberations(self, campaign_id: str | None = None) -> list[Deliberation]:
        raise NotImplementedError

    def dossiers(
        self,
        *,
        campaign_id: str | None = None,
        state: str | None = None,
        axis: str | None = None,
        qpv: str | None = None,
    ) -> list[Dossier]:
        """The dossiers, filtered by campaign, state, axis and target QPV, in reference order.

        A state, axis or QPV code that the campaign's call (by default the flow's) does not know is refused.
        """
        for name, value in (("campaign_id", campaign_id), ("state", state), ("axis", axis), ("qpv", qpv)):
            if value is not None:
                text_argument(value, name)
        if (state, axis, qpv) != (None, None, None):
            campaign = self.get_campaign(campaign_id) if campaign_id is not None else self.campaign
            campaign.check_filters(state=state, axis=axis, qpv=qpv)
        return self._dossiers(campaign_id, state, axis, qpv)

    def _dossiers(
        self, campaign_id: str | None, state: str | None, axis: str | None, qpv: str | None
    ) -> list[Dossier]:
        raise NotImplementedError

    # -- shared reads ------------------------------------------------------------------

    def get(self, reference: str) -> Dossier:
        """The dossier as it stands now."""
        text_argument(reference, "reference")
        dossier = self._view().find(reference)
        if dossier is None:
            raise NotFound(_("no dossier {reference!r}").format(reference=shown(reference)))
        return dossier

    def amendments(self, campaign_id: str | None = None) -> list[CalendarAmendment]:
        raise NotImplementedError

    def calendar(self, campaign_id: str | None = None) -> Calendar:
        raise NotImplementedError

    def history(self, reference: str) -> list[Event]:
        """The dossier's events, oldest first."""
        self.get(reference)
        return [e for e in self.iter_journal() if e.dossier == reference]

    def head(self) -> str:
        """The hash of the last event (64 zeros for an empty journal)."""
        return self._last()[1] or GENESIS
