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

import hashlib
import logging
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from .audit import Auditing
from .batching import Batching
from .calendar import Calendar, CalendarAmendment, Clock, SystemClock, to_paris
from .campaign import Campaign, Limits
from .campaign_ops import CampaignOperations
from .committee_ops import CommitteeOperations
from .core.commands import (
    AddCampaign,
    ApproveBatch,
    AttachPiece,
    Command,
    CopyDrafts,
    CreateDossiers,
    Fire,
    ReceiveOriginal,
    ReusePieces,
    UpdateApplication,
)
from .core.decide import approve_batch, check_trigger, decide
from .core.events import Event, event_body, stamped
from .core.view import View
from .decisions import Deliberation
from .dossier import Applicant, Application, Dossier
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
from .piece_file import read_piece
from .pieces import PaperOriginal
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


def _text(value: object, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(_("{name} must be a non-empty string, not {value!r}").format(name=name, value=shown(value)))
    return value


def safe_name(filename: str | None) -> str | None:
    """A display name only: the last path component, stripped of control characters; never used as a path."""
    if filename is None:
        return None
    if not isinstance(filename, str):
        raise InvalidInput(_("filename must be text, not {type}").format(type=type(filename).__name__))
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:255] or None


class Operations(Batching, CampaignOperations, CommitteeOperations, Issuing, Auditing):
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

    # -- dossiers ----------------------------------------------------------------

    def create_dossier(
        self,
        applicant: Applicant,
        application: Application | None = None,
        *,
        reference: str | None = None,
        campaign_id: str | None = None,
        actor: str = "",
    ) -> Dossier:
        """A new draft. The applicant is matched across campaigns by SIREN, else RNA number."""
        return self.create_dossiers([(applicant, application, reference)], campaign_id=campaign_id, actor=actor)[0]

    def create_dossiers(
        self,
        entries: Sequence[tuple[Applicant, Application | None, str | None]],
        *,
        campaign_id: str | None = None,
        actor: str = "",
        progress: Callable[[int], None] | None = None,
    ) -> list[Dossier]:
        """Create many drafts in one transaction: all of them, or none.

        ``entries`` are (applicant, application, reference or ``None``). Every
        entry is checked first; an error names the entry's position (from 1).
        ``progress(n)`` is called once the ``n`` entries are written.
        """
        who = self._actor(actor)
        checked: list[tuple[Applicant, Application, str | None]] = []
        seen: set[str] = set()
        for position, entry in enumerate(entries, start=1):
            try:
                applicant, application, reference = entry
                if not isinstance(applicant, Applicant):
                    raise InvalidInput(_("applicant must be an Applicant record, not {type}").format(
                        type=type(applicant).__name__))
                if application is not None and not isinstance(application, Application):
                    raise InvalidInput(_("application must be an Application record, not {type}").format(
                        type=type(application).__name__))
                if reference is not None:
                    _text(reference, "reference")
                    if reference in seen:
                        raise InvalidInput(_("the reference {reference!r} appears twice").format(
                            reference=shown(reference)))
                    seen.add(reference)
                checked.append((applicant, application or Application(), reference))
            except (InvalidInput, TypeError, ValueError) as exc:
                raise InvalidInput(_("entry {position}: {problem}").format(position=position, problem=exc)
                                   if len(seen) != 1 or position > 1 else str(exc)) from None
        events = self._run(CreateDossiers(self._cid(campaign_id), tuple(checked), who))
        if progress is not None:
            progress(len(events))
        return [self.get(str(e.dossier)) for e in events]

    def update_application(
        self, reference: str, application: Application, *, expected_version: int, actor: str = ""
    ) -> Dossier:
        """Replace a draft's declared content; ``expected_version`` is the version read (no blind overwrite)."""
        if expected_version is None:
            raise InvalidInput(_("expected_version is required: give the version of the dossier you edited"))
        events = self._run(UpdateApplication(reference, application, expected_version, self._actor(actor)))
        return self._written(reference, events)

    def attach(
        self,
        reference: str,
        key: str,
        content: bytes | Path,
        *,
        filename: str | None = None,
        media_type: str | None = None,
        postmark: date | None = None,
        expected_version: int | None = None,
        actor: str = "",
    ) -> Dossier:
        """Attach a digital piece, dated when the service receives it (or by its ``postmark``).

        Its bytes are kept by SHA-256 (content-addressed). ``content`` is the
        bytes, or a path to read them from; the store never writes a file and
        never uses the given file name as a path.
        """
        if isinstance(content, Path):
            if not content.is_file():
                raise InvalidInput(_("{path} is not a readable file").format(path=content))
            blob, digest = read_piece(content, self._piece_limit(reference))
            filename = filename or content.name
        elif isinstance(content, (bytes, bytearray)):
            blob = bytes(content)
            digest = hashlib.sha256(blob).hexdigest()
        else:
            raise InvalidInput(_("content must be bytes or a Path, not {type}").format(type=type(content).__name__))
        if media_type is not None and not isinstance(media_type, str):
            raise InvalidInput(_("media_type must be text, not {type}").format(type=type(media_type).__name__))
        if not isinstance(key, str):
            raise InvalidInput(_("unknown piece {key!r}").format(key=shown(key)))
        command = AttachPiece(
            reference,
            key,
            digest,
            len(blob),
            safe_name(filename),
            media_type,
            self._actor(actor),
            postmark,
            expected_version,
        )
        events = self._run(command, {digest: blob})
        return self._written(reference, events)

    def _piece_limit(self, reference: object) -> int:
        """The largest piece the dossier's call accepts (the library's default for a dossier not found: the
        attachment is refused later, without the file read past that)."""
        dossier = self._view().find(reference) if isinstance(reference, str) else None
        if dossier is not None and self._view().has_campaign(dossier.campaign_id):
            return self._view().campaign(dossier.campaign_id).limits.piece_max_bytes
        return Limits().piece_max_bytes

    def receive_original(
        self,
        reference: str,
        original: PaperOriginal,
        *,
        postmark: date | None = None,
        expected_version: int | None = None,
        actor: str = "",
    ) -> Dossier:
        """Record a paper original, dated by the service's arrival stamp (or its ``postmark``), and who entered it."""
        events = self._run(ReceiveOriginal(reference, original, self._actor(actor), postmark, expected_version))
        return self._written(reference, events)

    def reuse_pieces(
        self,
        reference: str,
        from_reference: str,
        keys: Sequence[str],
        *,
        expected_version: int | None = None,
        actor: str = "",
    ) -> Dossier:
        """Reuse unchanged pieces of last year's dossier of the same applicant; calling it is the confirmation.

        Only the pieces the new call's file marks ``reusable`` can be reused;
        every reason is given at once.
        """
        if isinstance(keys, str) or not all(isinstance(k, str) for k in keys):
            raise InvalidInput(_("keys must be a list of piece keys"))
        events = self._run(ReusePieces(reference, from_reference, tuple(keys), self._actor(actor), expected_version))
        return self._written(reference, events)

    def copy_drafts(self, from_campaign_id: str, to_campaign_id: str, *, actor: str = "") -> dict[str, str]:
        """Copy the unsubmitted drafts of one campaign into another; returns {old reference: new reference}.

        Only the applicant and the declared content move, as new drafts. A
        draft already copied into that campaign is not copied again.
        """
        command = CopyDrafts(self._cid(from_campaign_id), self._cid(to_campaign_id), self._actor(actor))
        return {str(e.data["copied_from"]): str(e.dossier) for e in self._run(command)}

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
        _text(reference, "reference")
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
            _text(ref, "reference")
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
                _text(value, name)
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
        _text(reference, "reference")
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
