"""The in-memory backend: the same events as the SQLite store, kept in plain Python structures.

Suited to scripts, tests, simulations and what-if replays. It holds several
campaigns, chains its journal exactly as the SQLite store does, and answers
every read by looking at its :class:`~ami_workflow.core.evolve.World`.

    >>> from datetime import datetime
    >>> from ami_workflow import Applicant, FixedClock, load_campaign
    >>> from ami_workflow.calendar import PARIS
    >>> flow = MemoryWorkflow(load_campaign("ami-cohesion-sociale-2021"),
    ...                       clock=FixedClock(datetime(2021, 3, 9, 10, tzinfo=PARIS)), actor="accueil")
    >>> dossier = flow.create_dossier(Applicant("Asso", "association", siren="732829320"))
    >>> flow.get(dossier.reference).state, flow.verify() is None
    ('draft', True)
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from .audit import applicant_export, world_difference
from .backend import Chained, Operations
from .boundary import check_methods
from .calendar import Calendar, CalendarAmendment, Clock
from .campaign import Campaign
from .committee import CommitteeSession
from .conflicts import ruling_key
from .core.events import Event, Kind
from .core.evolve import World, evolve, fold
from .core.figures import DossierRow, GrantRow, ReportFigures, dossier_row, grant_rows, report_figures
from .core.view import View, WorldView
from .decisions import Convention, Deliberation, FinancialReport, FinancialReportStatus
from .dossier import Dossier
from .errors import InvalidType, NotFound
from .i18n import _
from .journal import GENESIS, ChainedEvent
from .money import ZERO
from .protocol import Backend
from .rules import Totals
from .scoring import sheet_key
from .settlement import report_status
from .shown import shown

__all__ = ["MemoryWorkflow"]

_MISSING = object()


class MemoryWorkflow(Operations):
    """A store kept in memory: every operation of :class:`~ami_workflow.store.Workflow`, with nothing on disk."""

    def __init__(self, campaign: Campaign, *, clock: Clock | None = None, actor: str = "") -> None:
        self._empty(campaign, clock, actor)
        self.add_campaign(campaign, actor=actor or "ami_workflow")

    def _empty(self, campaign: Campaign, clock: Clock | None, actor: str) -> None:
        super().__init__(campaign, clock, actor)
        self.world = World()
        self._journal: list[Chained] = []
        self._salts: dict[tuple[int, str], str] = {}
        self._values: dict[tuple[int, str], str | None] = {}
        self._files: dict[str, bytes | None] = {}
        self._lock = threading.RLock()
        self._undo: list[tuple[dict[Any, Any], Any, Any]] | None = None
        #: Refused triggers kept with ``fire(..., keep_refusal=True)``: (reference, trigger, reasons).
        self.refusals: list[tuple[str, str, tuple[str, ...]]] = []

    @classmethod
    def replay(
        cls, events: Iterable[Event], campaign: Campaign, *, clock: Clock | None = None, actor: str = ""
    ) -> MemoryWorkflow:
        """A new in-memory store holding ``events`` replayed: another store's journal (``iter_journal``), or a prefix.

        The events are folded into its world as they are, and chained anew in
        its own journal, each at the time it was recorded (events without one
        at ``clock``'s time, the system clock by default), so that it is a
        store like any other: to read a store as it was at an earlier time, or
        to try what-ifs on a copy. ``campaign`` is registered if the events do
        not add it. Pieces' bytes are not copied.
        """
        flow = cls.__new__(cls)
        flow._empty(campaign, clock, actor)
        for event in events:
            if not isinstance(event, Event):
                raise InvalidType(_("events: expected Event records, got a {type}").format(type=type(event).__name__))
            flow._store(flow._chain([event], event.recorded_at or flow._now()), {})
        if campaign.id not in flow.world.campaigns:
            flow.add_campaign(campaign, actor=actor or "ami_workflow")
        return flow

    # -- storage primitives ------------------------------------------------------

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[View]:
        """All or nothing: on failure the journal, values and files go back and the world is folded again."""
        with self._lock:
            length, refused = len(self._journal), len(self.refusals)
            undo: list[tuple[dict[Any, Any], Any, Any]] = []
            self._undo = undo
            try:
                yield WorldView(self.world)
            except BaseException:
                if len(self._journal) > length or undo:
                    for table, key, old in reversed(undo):
                        if old is _MISSING:
                            table.pop(key, None)
                        else:
                            table[key] = old
                    del self._journal[length:]
                    self.world = fold(self.iter_journal())
                del self.refusals[refused:]
                raise
            finally:
                self._undo = None

    def _set(self, table: dict[Any, Any], key: Any, value: Any) -> None:
        """``table[key] = value``, undone if the transaction fails."""
        if self._undo is not None:
            self._undo.append((table, key, table.get(key, _MISSING)))
        table[key] = value

    def _pop(self, table: dict[Any, Any], key: Any) -> None:
        if key in table:
            if self._undo is not None:
                self._undo.append((table, key, table[key]))
            del table[key]

    def _view(self) -> View:
        return WorldView(self.world)

    def _last(self) -> tuple[int, str, datetime | None]:
        if not self._journal:
            return 0, GENESIS, None
        last = self._journal[-1]
        return last.chained.seq, last.chained.hash, last.event.recorded_at

    def _store(self, items: Sequence[Chained], blobs: Mapping[str, bytes]) -> None:
        for sha, blob in blobs.items():
            self._set(self._files, sha, blob)
        for item in items:
            event = item.event
            seq = item.chained.seq
            self._journal.append(item)
            for path, value in event.personal.items():
                self._set(self._values, (seq, path), value)
                if path in item.salts:
                    self._set(self._salts, (seq, path), item.salts[path])
            if event.kind is Kind.PERSONAL_DATA_ERASED:
                self._erase_dossiers(set(event.data["dossiers"]), event.data["files"])
            elif event.kind is Kind.MEMBER_ERASED:
                self._erase_members(event.data["targets"])
            evolve(self.world, event)

    def _erase_dossiers(self, references: set[str], files: Sequence[str]) -> None:
        for item in self._journal:
            if item.event.dossier in references:
                for path in item.event.personal:
                    self._set(self._values, (item.chained.seq, path), None)
                    self._pop(self._salts, (item.chained.seq, path))
        for sha in files:
            self._set(self._files, sha, None)

    def _erase_members(self, targets: Sequence[Mapping[str, str]]) -> None:
        wanted = {(t["campaign"], t.get("session") or t.get("score") or t.get("ruling") or t.get("convention")
                   or t["deliberation"], t["path"]) for t in targets}
        for item in self._journal:
            event = item.event
            if event.kind is Kind.SESSION_RECORDED:
                subject = event.data["session"]["id"]
            elif event.kind is Kind.SCORES_RECORDED:
                score = event.data["score"]
                subject = sheet_key(score["dossier"], score["session"], score["member"])
            elif event.kind is Kind.DELIBERATION_RECORDED:
                subject = event.data["deliberation"]["reference"]
            elif event.kind is Kind.CONFLICT_RULED:
                ruling = event.data["ruling"]
                subject = ruling_key(ruling["dossier"], ruling["session"], ruling["member"])
            elif event.kind is Kind.CONVENTION_RECORDED:
                subject = event.data["convention"]["dossier"]
            elif event.kind is Kind.CONVENTION_AMENDED:
                subject = event.data["dossier"]
            else:
                continue
            for path in event.personal:
                if (event.campaign, subject, path) in wanted:
                    self._set(self._values, (item.chained.seq, path), None)
                    self._pop(self._salts, (item.chained.seq, path))

    def _keep_refusal(self, command: Any, reasons: Sequence[str]) -> None:
        self.refusals.append((command.reference, command.trigger, tuple(reasons)))

    # -- raw reads for the shared readers ----------------------------------------------

    def iter_events(self) -> Iterator[ChainedEvent]:
        """Stream the journal's chained events, oldest first."""
        for item in list(self._journal):
            yield item.chained

    def iter_journal(self) -> Iterator[Event]:
        """The journal's events with the personal values still held (``None`` once erased)."""
        for item in list(self._journal):
            seq = item.chained.seq
            personal = {path: self._values.get((seq, path)) for path in item.event.personal}
            yield Event(
                item.event.kind,
                item.event.campaign,
                item.event.dossier,
                item.event.at,
                item.event.actor,
                item.event.data,
                personal,
                item.event.recorded_at,
                seq,
            )

    def _snapshot(self) -> contextlib.AbstractContextManager[None]:
        return self._lock  # type: ignore[return-value]

    def _chain_rows(self) -> Iterator[tuple[int, str, str, str]]:
        for item in list(self._journal):
            yield item.chained.seq, item.text, item.chained.previous, item.chained.hash

    def _personal_rows(self) -> Iterator[tuple[int, str, str, str | None, str | None]]:
        """Every personal value held: (seq, path, salt, value, the digest its event holds), for ``verify``."""
        journal = self._journal
        for (seq, path), value in self._values.items():
            if value is not None:
                chained = journal[seq - 1].chained if 0 < seq <= len(journal) else None
                held = chained.body.get("personal", {}).get(path) if chained and chained.seq == seq else None
                yield seq, path, self._salts.get((seq, path), ""), value, held

    def _file_rows(self) -> Iterator[tuple[str, bytes | None]]:
        yield from self._files.items()

    def file(self, sha256: str) -> bytes:
        """The bytes of an attached piece, by its SHA-256."""
        if sha256 not in self._files:
            raise NotFound(_("no file {sha256!r}").format(sha256=shown(sha256)))
        blob = self._files[sha256]
        if blob is None:
            raise NotFound(_("the file {sha256} was erased (personal data)").format(sha256=sha256))
        return blob

    # -- reads ----------------------------------------------------------------------

    def campaign_ids(self) -> list[str]:
        places = self.world.campaigns.values()
        return [p.campaign.id for p in sorted(places, key=lambda p: (p.campaign.call.year, p.campaign.id))]

    def get_campaign(self, campaign_id: str) -> Campaign:
        return WorldView(self.world).campaign(campaign_id)

    def _dossiers(
        self, campaign_id: str | None, state: str | None, axis: str | None, qpv: str | None
    ) -> list[Dossier]:
        return [
            d
            for _, d in sorted(self.world.dossiers.items())
            if (campaign_id is None or d.campaign_id == campaign_id)
            and (state is None or d.state == state)
            and (axis is None or d.application.axis == axis)
            and (qpv is None or qpv in d.application.qpv_codes)
        ]

    def _place(self, campaign_id: str | None) -> Any:
        cid = self._cid(campaign_id)
        return self.world.campaigns[cid]

    def sessions(self, campaign_id: str | None = None) -> list[CommitteeSession]:
        """The committee sessions recorded for the campaign."""
        return list(self._place(campaign_id).sessions.values())

    def deliberations(self, campaign_id: str | None = None) -> list[Deliberation]:
        """The deliberations recorded for the campaign, in the order recorded."""
        return list(self._place(campaign_id).deliberations)

    def conventions(self, campaign_id: str | None = None) -> dict[str, Convention]:
        """The conventions recorded for the campaign, by dossier reference."""
        return dict(self._place(campaign_id).conventions)

    def amendments(self, campaign_id: str | None = None) -> list[CalendarAmendment]:
        """The calendar amendments recorded for the campaign, in order."""
        return list(self._place(campaign_id).amendments)

    def calendar(self, campaign_id: str | None = None) -> Calendar:
        """The calendar in force: the call's, with its recorded amendments applied in order."""
        return WorldView(self.world).calendar(self._cid(campaign_id))

    def totals(self, campaign_id: str | None = None) -> Totals:
        """The envelope, and the approved and paid totals."""
        cid = self._cid(campaign_id)
        approved, paid = self.world.totals.get((cid, "campaign", ""), (ZERO, ZERO))
        return Totals(self.get_campaign(cid).envelope.amount, approved, paid)

    def financial_reports(self, campaign_id: str | None = None) -> list[FinancialReportStatus]:
        """Each granted dossier of the campaign with its compte rendu financier: due day, receipt and review."""
        place = self._place(campaign_id)
        return [
            report_status(place.campaign, d, place.financial_reports.get(d.reference),
                          place.conventions.get(d.reference))
            for d in self.dossiers(campaign_id=place.campaign.id)
            if d.approved is not None and d.state != "withdrawn"
        ]

    def financial_report(self, reference: str) -> FinancialReport:
        """The dossier's compte rendu financier as it stands (:class:`NotFound` if none is recorded)."""
        report = WorldView(self.world).financial_report(reference)
        if report is None:
            raise NotFound(_("no compte rendu financier of {reference!r} is recorded").format(
                reference=shown(reference)))
        return report

    def report_figures(self, campaign_id: str | None = None) -> ReportFigures:
        """The campaign report's aggregates, folded from its dossiers."""
        return report_figures(self.dossiers(campaign_id=self._cid(campaign_id)))

    def iter_dossier_rows(self, campaign_id: str | None = None) -> Iterator[DossierRow]:
        """The flat row of each dossier (every campaign's for ``None``), by reference."""
        if campaign_id is not None:
            self.get_campaign(campaign_id)
        return (dossier_row(d) for d in self.dossiers(campaign_id=campaign_id))

    def iter_grants(self, campaign_id: str | None = None) -> Iterator[GrantRow]:
        """The campaign's granted subsidies (approved or paid, and deliberated), by reference."""
        cid = self._cid(campaign_id)
        return grant_rows(self.dossiers(campaign_id=cid), self.deliberations(cid), self.conventions(cid))

    def dossier_events(self, reference: str) -> list[ChainedEvent]:
        """The dossier's chained events (for the documents that quote them), oldest first."""
        self.get(reference)
        return [item.chained for item in self._journal if item.event.dossier == reference]

    def _events_of(self, references: Iterable[str]) -> list[Event]:
        wanted = set(references)
        return [e for e in self.iter_journal() if e.dossier in wanted]

    def export_applicant(self, identity: str) -> dict[str, Any]:
        """Everything held about one applicant, as plain JSON-ready data (the RGPD right of access)."""
        dossiers = WorldView(self.world).applicant_dossiers(identity)
        if not dossiers:
            raise NotFound(_("no applicant {identity!r} (identities look like siren:…, rna:… or name:…)").format(
                identity=shown(identity)))
        return applicant_export(identity, dossiers, self._events_of(d.reference for d in dossiers))

    def _personal_count(self, identity: str) -> int:
        refs = {d.reference for d in WorldView(self.world).applicant_dossiers(identity)}
        values = sum(1 for e in self.iter_journal() if e.dossier in refs for v in e.personal.values() if v is not None)
        return values

    def _projection_problems(self) -> str | None:
        """How the live state differs from the replay of the journal (``None`` when equal)."""
        return world_difference(self.world, fold(e for e in self.iter_journal() if e.kind is not Kind.LEGACY))


#: Every public method's arguments checked against the protocol's annotations (:mod:`ami_workflow.boundary`).
check_methods(MemoryWorkflow, Backend, extra=("__init__", "replay"))
