"""The SQLite backend: one file (or ``:memory:``) holding the journal and its projections.

The ``events`` table is the truth. Every write is one ``BEGIN IMMEDIATE``
transaction: read what ``decide`` needs, append the chained events, and
update the projection tables (dossiers, totals, records, links, files) in
the same transaction, all or nothing. ``verify`` replays the journal and
checks every table against it.

    >>> from datetime import datetime
    >>> from ami_workflow import Applicant, FixedClock, load_campaign
    >>> from ami_workflow.calendar import PARIS
    >>> flow = Workflow.open(":memory:", load_campaign("ami-cohesion-sociale-2021"), actor="accueil",
    ...                      clock=FixedClock(datetime(2021, 3, 9, 10, tzinfo=PARIS)))
    >>> dossier = flow.create_dossier(Applicant("Asso", "association", siren="732829320"))
    >>> flow.get(dossier.reference).state, flow.verify() is None
    ('draft', True)
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import jsontext
from ..audit import applicant_export
from ..backend import Chained, Operations
from ..boundary import check_methods
from ..calendar import Calendar, CalendarAmendment, Clock
from ..callfile import DEFAULT_CALL, load_campaign
from ..campaign import Campaign
from ..committee import CommitteeSession
from ..core.event_records import deliberation_record
from ..core.events import Event, Kind, event_from_body
from ..core.figures import DossierRow, GrantRow, ReportFigures
from ..core.plain import structure
from ..core.view import View
from ..decisions import Convention, Deliberation, FinancialReport, FinancialReportStatus
from ..dossier import Dossier
from ..errors import AmbiguousCampaign, InvalidInput, NotFound
from ..i18n import _, format_instant
from ..journal import GENESIS, ChainedEvent
from ..money import from_cents
from ..protocol import Backend
from ..rules import Totals
from ..settlement import report_status
from ..shown import shown
from .checks import difference
from .connection import checkpoint, connect, migrate
from .failures import cannot_open, cannot_write, database_path
from .legacy import legacy_events, needs_import
from .projections import project
from .queries import dossier_rows, grant_rows, report_figures
from .view import SqlView

__all__ = ["Workflow", "choose_campaign", "current_campaign"]


def _text(value: object, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(_("{name} must be a non-empty string, not {value!r}").format(name=name, value=shown(value)))
    return value


class Workflow(Operations):
    """A campaign database: open it with :meth:`open`."""

    def __init__(self, conn: sqlite3.Connection, campaign: Campaign, clock: Clock | None, actor: str) -> None:
        super().__init__(campaign, clock, actor)
        self.conn = conn
        self.path = database_path(conn)
        self._campaigns: dict[str, Campaign] = {}
        self._reader = SqlView(conn, self._campaigns)

    @classmethod
    def open(
        cls,
        path: str | Path,
        campaign: Campaign | str | None = None,
        *,
        clock: Clock | None = None,
        actor: str = "",
        newest: bool = True,
        synchronous: str = "FULL",
        busy_timeout: float = 30.0,
    ) -> Workflow:
        """Open or create the database at ``path`` (``":memory:"`` for tests) and register ``campaign``.

        ``campaign`` is a :class:`Campaign` (registered if new), the id of a
        campaign already in the database, or ``None``: then its only campaign, or with
        several its most recent one, or with ``newest=False`` :class:`AmbiguousCampaign`
        (see :func:`choose_campaign`).
        ``clock`` dates every event (the system clock by default); ``actor``
        is who acts when a call names no one. Files use WAL mode with
        ``synchronous=FULL`` unless asked otherwise; concurrent writers wait up
        to ``busy_timeout`` seconds. Older files are migrated; a file made by a
        newer version of the library is refused.
        """
        if campaign is not None and not isinstance(campaign, (Campaign, str)):
            raise InvalidInput(_("campaign must be a Campaign or a campaign id, not {type}").format(
                type=type(campaign).__name__))
        conn = connect(str(path), synchronous=synchronous, busy_timeout=busy_timeout)
        try:
            migrate(conn)
            if isinstance(campaign, Campaign):
                flow = cls(conn, campaign, clock, actor)
                flow._import_legacy()
                flow.add_campaign(campaign, actor=actor or "ami_workflow")
                flow.campaign = flow.get_campaign(campaign.id)  # as in force: its funder's ids may have been amended
                return flow
            ids = [r[0] for r in conn.execute("SELECT id FROM campaigns ORDER BY year, id")]
            if not ids:
                raise NotFound(_("this database holds no campaign yet: open it with a Campaign to register one"))
            wanted = choose_campaign(ids, campaign, newest=newest)
            row = conn.execute("SELECT call FROM campaigns WHERE id = ?", (wanted,)).fetchone()
            flow = cls(conn, structure(json.loads(row[0]), Campaign), clock, actor)
            flow._import_legacy()
            return flow
        except BaseException as exc:
            conn.close()
            if isinstance(exc, sqlite3.DatabaseError):  # e.g. a damaged file, read past its header
                raise cannot_open(path, exc) from exc
            raise

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Workflow:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- storage primitives ------------------------------------------------------

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[View]:
        """One write transaction, taken at once (``BEGIN IMMEDIATE``) so concurrent writers queue."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.DatabaseError as exc:
            raise cannot_write(self.path, exc, begun=False) from exc
        try:
            self._reader.refresh()
            yield self._reader
            self.conn.execute("COMMIT")
        except BaseException as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            self._reader.forget()
            if isinstance(exc, sqlite3.DatabaseError):
                raise cannot_write(self.path, exc) from exc
            raise

    def _notify(self, events: Sequence[Event]) -> None:
        """After the commit: once personal data was erased, checkpoint the WAL, so that neither the database
        file nor the ``-wal`` file keeps the erased values (with ``secure_delete``, their space is zeros)."""
        erasure = any(e.kind in (Kind.PERSONAL_DATA_ERASED, Kind.MEMBER_ERASED) for e in events)
        if erasure and not self.conn.in_transaction:
            checkpoint(self.conn)
        super()._notify(events)

    def _import_legacy(self) -> None:
        """Journal once what the tables of a file from an earlier version hold (see :mod:`.legacy`)."""
        if not needs_import(self.conn):
            return
        with self._transaction():
            if needs_import(self.conn):  # re-read under the write lock: another process may have done it
                now = self._now()
                self._store(self._chain(legacy_events(self.conn, self._reader, now), now), {})
        self._reader.forget()

    def _view(self) -> View:
        return self._fresh()

    def _written(self, reference: str, events: Sequence[Event]) -> Dossier:
        # When this write projected the dossier, the view keeps it as written: no need to ask SQLite again.
        kept = self._reader.kept(reference) if any(e.dossier == reference for e in events) else None
        return kept if kept is not None else self.get(reference)

    def _fresh(self) -> SqlView:
        """The view, having forgotten what it kept if another connection committed since."""
        self._reader.refresh()
        return self._reader

    def _last(self) -> tuple[int, str, datetime | None]:
        """The journal's head: its last sequence number, hash and recording time (kept while it stays true)."""
        if not self.conn.in_transaction:
            self._reader.refresh()
        if self._reader.head is None:
            row = self.conn.execute("SELECT seq, hash, recorded_at FROM events ORDER BY seq DESC LIMIT 1").fetchone()
            self._reader.head = (
                (0, GENESIS, None)
                if row is None
                else (int(row[0]), str(row[1]), datetime.fromisoformat(row[2]) if row[2] else None)
            )
        return self._reader.head

    def _store(self, items: Sequence[Chained], blobs: Mapping[str, bytes]) -> None:
        for item in items:
            project(self.conn, self._reader, item, blobs)

    def _keep_refusal(self, command: Any, reasons: Sequence[str]) -> None:
        with self._write():
            self.conn.execute(
                "INSERT INTO refusals (dossier, trigger, at, actor, reasons) VALUES (?, ?, ?, ?, ?)",
                (
                    command.reference,
                    command.trigger,
                    self._now().isoformat(),
                    command.actor,
                    json.dumps(list(reasons), ensure_ascii=False),
                ),
            )

    # -- campaigns -------------------------------------------------------------------

    def campaign_ids(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT id FROM campaigns ORDER BY year, id")]

    def get_campaign(self, campaign_id: str) -> Campaign:
        if not isinstance(campaign_id, str):
            raise InvalidInput(_("campaign_id must be text, not {type}").format(type=type(campaign_id).__name__))
        return self._fresh().campaign(campaign_id)  # another connection may have amended its funder

    # -- reading ------------------------------------------------------------------------

    def _dossiers(
        self, campaign_id: str | None, state: str | None, axis: str | None, qpv: str | None
    ) -> list[Dossier]:
        sql, params = "SELECT reference, data FROM dossiers d WHERE 1=1", list[str]()
        for column, value in (("campaign_id", campaign_id), ("state", state), ("axis", axis)):
            if value is not None:
                sql, params = sql + f" AND d.{column} = ?", [*params, value]
        if qpv is not None:
            sql += " AND EXISTS (SELECT 1 FROM dossier_qpv q WHERE q.reference = d.reference AND q.qpv_code = ?)"
            params.append(qpv)
        rows = self.conn.execute(sql + " ORDER BY reference", params).fetchall()
        return [self._fresh().dossier_from(ref, data) for ref, data in rows]

    def sessions(self, campaign_id: str | None = None) -> list[CommitteeSession]:
        """The committee sessions recorded for the campaign."""
        return [structure(d, CommitteeSession) for d in self._reader.records(self._cid(campaign_id), "session")]

    def deliberations(self, campaign_id: str | None = None) -> list[Deliberation]:
        """The deliberations recorded for the campaign, in the order recorded."""
        return [deliberation_record(d) for d in self._reader.records(self._cid(campaign_id), "deliberation")]

    def conventions(self, campaign_id: str | None = None) -> dict[str, Convention]:
        """The conventions recorded for the campaign, by dossier reference."""
        found = [structure(d, Convention) for d in self._reader.records(self._cid(campaign_id), "convention")]
        return {c.dossier: c for c in found}

    def amendments(self, campaign_id: str | None = None) -> list[CalendarAmendment]:
        """The calendar amendments recorded for the campaign, in order."""
        return self._fresh().amendments(self._cid(campaign_id))

    def calendar(self, campaign_id: str | None = None) -> Calendar:
        """The calendar in force: the call's, with its recorded amendments applied in order."""
        return self._fresh().calendar(self._cid(campaign_id))

    def totals(self, campaign_id: str | None = None) -> Totals:
        """The envelope, and the approved and paid totals (running totals kept by the store)."""
        cid = campaign_id if campaign_id is not None else self.campaign.id
        row = self.conn.execute(
            "SELECT envelope_cents, approved_cents, paid_cents FROM envelope_consumed WHERE campaign_id = ?", (cid,)
        ).fetchone()
        if row is None:
            raise NotFound(_("no campaign {campaign!r}").format(campaign=shown(cid)))
        return Totals(from_cents(row[0]), from_cents(row[1]), from_cents(row[2]))

    def financial_reports(self, campaign_id: str | None = None) -> list[FinancialReportStatus]:
        """Each granted dossier of the campaign with its compte rendu financier: due day, receipt and review."""
        campaign = self.get_campaign(self._cid(campaign_id))
        reports = {d["dossier"]: structure(d, FinancialReport)
                   for d in self._reader.records(campaign.id, "financial_report")}
        conventions = self.conventions(campaign.id)
        granted = [d for d in self.dossiers(campaign_id=campaign.id)
                   if d.approved is not None and d.state != "withdrawn"]
        return [report_status(campaign, d, reports.get(d.reference), conventions.get(d.reference)) for d in granted]

    def financial_report(self, reference: str) -> FinancialReport:
        """The dossier's compte rendu financier as it stands (:class:`NotFound` if none is recorded)."""
        report = self._fresh().financial_report(reference)
        if report is None:
            raise NotFound(_("no compte rendu financier of {reference!r} is recorded").format(
                reference=shown(reference)))
        return report

    def report_figures(self, campaign_id: str | None = None) -> ReportFigures:
        """The campaign report's aggregates, from SQL aggregates on the projection tables."""
        return report_figures(self.conn, self._cid(campaign_id))

    def iter_dossier_rows(self, campaign_id: str | None = None) -> Iterator[DossierRow]:
        """Stream the flat row of each dossier (every campaign's for ``None``) from one SELECT, by reference."""
        if campaign_id is not None:
            self.get_campaign(campaign_id)
        return dossier_rows(self.conn, campaign_id)

    def iter_grants(self, campaign_id: str | None = None) -> Iterator[GrantRow]:
        """Stream the campaign's granted subsidies (approved or paid, and deliberated) from one SELECT."""
        return grant_rows(self.conn, self._cid(campaign_id))

    def file(self, sha256: str) -> bytes:
        """The bytes of an attached piece, by its SHA-256."""
        row = self.conn.execute("SELECT content, erased_at FROM files WHERE sha256 = ?", (sha256,)).fetchone()
        if row is None:
            raise NotFound(_("no file {sha256!r}").format(sha256=shown(sha256)))
        if row[1] is not None:
            raise NotFound(_("the file {sha256} was erased on {erased_at} (personal data)").format(
                sha256=sha256, erased_at=format_instant(datetime.fromisoformat(row[1]))))
        return bytes(row[0])

    # -- the journal ----------------------------------------------------------------------

    def dossier_events(self, reference: str) -> list[ChainedEvent]:
        """The dossier's chained events (for the documents that quote them), oldest first."""
        self.get(reference)
        rows = self.conn.execute(
            "SELECT seq, body, previous, hash FROM events WHERE dossier = ? ORDER BY seq", (reference,)
        ).fetchall()
        return [ChainedEvent(seq, json.loads(body), previous, digest) for seq, body, previous, digest in rows]

    def history(self, reference: str) -> list[Event]:
        """The dossier's events, oldest first (an indexed read)."""
        self.get(reference)
        return self._events("WHERE e.dossier = ?", (reference,))

    def _events(self, where: str, params: tuple[Any, ...]) -> list[Event]:
        rows = self.conn.execute(f"SELECT e.seq, e.body FROM events e {where} ORDER BY e.seq", params).fetchall()
        return [self._event(seq, body) for seq, body in rows]

    def _event(self, seq: int, body: str) -> Event:
        personal = dict(self.conn.execute("SELECT path, value FROM personal_values WHERE seq = ?", (seq,)).fetchall())
        return event_from_body(json.loads(body), personal, seq)

    def iter_events(self) -> Iterator[ChainedEvent]:
        """Stream the journal's chained events, oldest first, without holding them all in memory."""
        cursor = self.conn.execute("SELECT seq, body, previous, hash FROM events ORDER BY seq")
        for seq, body, previous, digest in cursor:
            yield ChainedEvent(seq, json.loads(body), previous, digest)

    def iter_journal(self) -> Iterator[Event]:
        """Stream the journal's events with the personal values still held (``None`` once erased)."""
        values: dict[int, dict[str, str | None]] = {}
        for seq, path, value in self.conn.execute("SELECT seq, path, value FROM personal_values"):
            values.setdefault(seq, {})[path] = value
        for seq, body in self.conn.execute("SELECT seq, body FROM events ORDER BY seq"):
            yield event_from_body(json.loads(body), values.get(seq, {}), seq)

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[None]:
        """One read transaction (WAL keeps its snapshot while other connections commit), unless one is open."""
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            if self.conn.in_transaction:
                self.conn.execute("COMMIT")

    def _chain_rows(self) -> Iterator[tuple[int, str, str, str]]:
        yield from self.conn.execute("SELECT seq, body, previous, hash FROM events ORDER BY seq")

    def _personal_rows(self) -> Iterator[tuple[int, str, str, str | None, str | None]]:
        """Every personal value still held: (seq, path, salt, value, the digest its event holds); one parse a body."""
        seq, digests = None, dict[str, Any]()
        for number, path, salt, value, body in self.conn.execute(
            "SELECT p.seq, p.path, p.salt, p.value, e.body FROM personal_values p LEFT JOIN events e ON e.seq = p.seq "
            "WHERE p.value IS NOT NULL ORDER BY p.seq, p.path"
        ):
            if number != seq:
                seq, digests = number, _digests(body)
            held = digests.get(path)
            yield number, path, salt, value, held if isinstance(held, str) else None

    def _file_rows(self) -> Iterator[tuple[str, bytes | None]]:
        for sha, content, erased in self.conn.execute("SELECT sha256, content, erased_at FROM files"):
            yield sha, (None if erased else bytes(content))

    def _projection_problems(self) -> str | None:
        return difference(self.conn)

    # -- personal data (RGPD) -------------------------------------------------------------

    def export_applicant(self, identity: str) -> dict[str, Any]:
        """Everything stored about one applicant, as plain JSON-ready data (the RGPD right of access)."""
        _text(identity, "identity")
        dossiers = self._fresh().applicant_dossiers(identity)
        if not dossiers:
            raise NotFound(_("no applicant {identity!r} (identities look like siren:…, rna:… or name:…)").format(
                identity=shown(identity)))
        marks = ",".join("?" * len(dossiers))
        events = self._events(f"WHERE e.dossier IN ({marks})", tuple(d.reference for d in dossiers))
        return applicant_export(identity, dossiers, events)

    def _personal_count(self, identity: str) -> int:
        _text(identity, "identity")
        refs = [d.reference for d in self._fresh().applicant_dossiers(identity)]
        if not refs:
            return 0
        marks = ",".join("?" * len(refs))
        values = self.conn.execute(
            f"SELECT COUNT(*) FROM personal_values WHERE value IS NOT NULL AND seq IN "
            f"(SELECT seq FROM events WHERE dossier IN ({marks}))",
            refs,
        ).fetchone()[0]
        return int(values)


def _digests(body: str | None) -> dict[str, Any]:
    """The personal digests an event's body holds (none if there is no such event, or no readable body)."""
    try:
        digests = jsontext.loads(body)["personal"] if body is not None else {}
    except (TypeError, ValueError, KeyError):
        return {}
    return digests if isinstance(digests, dict) else {}


def choose_campaign(ids: Sequence[str], wanted: str | None = None, *, newest: bool = True) -> str:
    """The campaign to open among ``ids`` (oldest first): ``wanted`` if named, else the only one, else the most
    recent one, or with ``newest=False`` none (:class:`AmbiguousCampaign`, which lists them).

        >>> choose_campaign(["ami-2021"]), choose_campaign(["ami-2021", "ami-2022"])
        ('ami-2021', 'ami-2022')
        >>> choose_campaign(["ami-2021", "ami-2022"], newest=False)
        Traceback (most recent call last):
        ...
        ami_workflow.errors.AmbiguousCampaign: this database holds 2 campaigns (ami-2021, ami-2022): name the one to use
    """
    if wanted is None:
        if len(ids) > 1 and not newest:
            raise AmbiguousCampaign(ids)
        if not ids:
            raise NotFound(_("this database holds no campaign yet: open it with a Campaign to register one"))
        return ids[-1]
    if wanted not in ids:
        raise NotFound(_("no campaign {campaign!r} in this database (it holds {campaigns})").format(
            campaign=shown(wanted), campaigns=", ".join(ids)))
    return wanted


#: Every public method's arguments checked against the protocol's annotations (:mod:`ami_workflow.boundary`).
check_methods(Workflow, Backend, extra=("__init__", "open"))


def current_campaign(path: str | Path, call: str | None = None, campaign_id: str | None = None, *,
                     newest: bool = True) -> Campaign:
    """The campaign a command works on: the call file or bundled call ``call`` if named, else the campaign
    ``campaign_id`` of the database at ``path`` if it exists (by default as :func:`choose_campaign` chooses),
    else the bundled :data:`DEFAULT_CALL`."""
    if call:
        return load_campaign(call)
    if str(path) != ":memory:" and Path(path).exists():
        with Workflow.open(path, campaign_id, actor="ami_workflow", newest=newest) as flow:
            return flow.campaign
    return load_campaign(DEFAULT_CALL)
