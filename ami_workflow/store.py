"""The SQLite store: one file (or ``:memory:``) holding campaigns, dossiers, decisions and the journal.

With ``connection.py`` (opening and migrating a file), this is the only module
that imports sqlite-utils. Every write is one
``BEGIN IMMEDIATE`` transaction: re-read the dossier, check the guards,
update the state and append the hash-chained journal event, all or nothing.
A refused trigger writes nothing to the journal (refusals, if kept, go to
their own ``refusals`` table, outside the chain).

    >>> from datetime import datetime
    >>> from ami_workflow import Applicant, load_campaign
    >>> flow = Workflow.open(":memory:", load_campaign("ami-cohesion-sociale-2021"))
    >>> dossier = flow.create_dossier(Applicant("Asso", "association"), at=datetime(2021, 3, 9, 10))
    >>> flow.get(dossier.reference).state, flow.verify() is None
    ('draft', True)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import secrets
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
from sqlite_utils import Database

from .calendar import (
    Calendar,
    CalendarAmendment,
    Clock,
    SystemClock,
    Window,
    financial_report_due,
    paris_date,
    to_paris,
)
from .campaign import Campaign
from .codec import converter
from .committee import CommitteeSession, session_refusals
from .connection import SCHEMA_MIGRATIONS, SchemaError, connect, migrate
from .decisions import (
    Convention,
    Deliberation,
    FinancialReport,
    FinancialReportStatus,
    deliberation_refusals,
)
from .dossier import Applicant, Application, Dossier
from .engine import (
    BatchResult,
    Event,
    apply_trigger,
    check_trigger,
    plan_batch_approval,
)
from .errors import AmiWorkflowError, IllegalTrigger, InvalidInput, NotFound, Refused
from .guards import Context
from .identity import check_applicant
from .journal import (
    GENESIS,
    ChainedEvent,
    ChainProblem,
    canonical_json,
    link_with_text,
    personal_data_digest,
    replay,
    verify_chain,
)
from .money import ZERO, from_cents, to_cents
from .personal import ERASED, join_personal, personal_values, split_personal
from .pieces import PaperOriginal, PieceReceipt, PieceRequirement
from .rules import Totals
from .states import State
from .triggers import parse_args

__all__ = ["SCHEMA_MIGRATIONS", "SchemaError", "VersionConflict", "Workflow"]

class VersionConflict(AmiWorkflowError):
    """The dossier changed since the caller read it (``expected_version`` is stale); nothing was written."""

    def __init__(self, reference: str, expected: int, actual: int) -> None:
        self.reference, self.expected, self.actual = reference, expected, actual
        super().__init__(
            f"{reference} is at version {actual}, not {expected}: it was changed by someone else; re-read it and try again"
        )


_CACHE_SIZE = 256
_LOGGER = logging.getLogger("ami_workflow")

#: Stored records are written by this library, so they are read back without cattrs' detailed
#: validation (about twice as fast); call files keep the detailed converter for its error paths.
_record_converter = converter.copy(detailed_validation=False)


class _RecordLookup(Mapping[str, Any]):
    """A read-only mapping over one kind of campaign record, queried by key only when a guard asks."""

    def __init__(self, conn: sqlite3.Connection, campaign_id: str, kind: str, cls: type) -> None:
        self._conn, self._campaign, self._kind, self._cls = conn, campaign_id, kind, cls

    def __getitem__(self, key: str) -> Any:
        row = self._conn.execute(
            "SELECT data FROM records WHERE campaign_id = ? AND kind = ? AND key = ?", (self._campaign, self._kind, key)
        ).fetchone()
        if row is None:
            raise KeyError(key)
        return _record_converter.structure(json.loads(row[0]), self._cls)

    def __iter__(self) -> Iterator[str]:
        rows = self._conn.execute(
            "SELECT key FROM records WHERE campaign_id = ? AND kind = ? ORDER BY id", (self._campaign, self._kind)
        ).fetchall()
        return iter([r[0] for r in rows])

    def __len__(self) -> int:
        return int(self._conn.execute(
            "SELECT COUNT(*) FROM records WHERE campaign_id = ? AND kind = ?", (self._campaign, self._kind)
        ).fetchone()[0])

class Workflow:
    """A campaign database: open it with :meth:`open`."""

    def __init__(self, db: Database, campaign: Campaign, clock: Clock) -> None:
        self.db = db
        self.conn: sqlite3.Connection = db.conn
        self.campaign = campaign
        self.clock = clock
        self._campaigns: dict[str, Campaign] = {campaign.id: campaign}
        self._cache: dict[str, tuple[str, tuple[tuple[str, str | None], ...], Dossier]] = {}
        self._subscribers: list[Callable[[Event], None]] = []

    # -- opening ---------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: str | Path,
        campaign: Campaign | str | None = None,
        *,
        clock: Clock | None = None,
        synchronous: str = "FULL",
        busy_timeout: float = 30.0,
    ) -> Workflow:
        """Open or create the database at ``path`` (``":memory:"`` for tests) and register ``campaign``.

        ``campaign`` is a :class:`Campaign` (registered if new), the id of a
        campaign already in the database, or ``None`` for the database's most
        recent campaign. Files use WAL mode with ``synchronous=FULL`` unless the
        caller asks for a lighter setting. Concurrent writers wait up to
        ``busy_timeout`` seconds for the lock. Older files are migrated; a file
        made by a newer version of the library is refused. Opening and migrating
        are serialized across processes (see :mod:`ami_workflow.connection`).
        """
        if campaign is not None and not isinstance(campaign, (Campaign, str)):
            raise InvalidInput(f"campaign must be a Campaign or a campaign id, not {type(campaign).__name__}")
        conn = connect(path, synchronous=synchronous, busy_timeout=busy_timeout)
        try:
            migrate(conn)
            db = Database(conn, execute_plugins=False)
        except BaseException:
            conn.close()
            raise
        try:
            if isinstance(campaign, Campaign):
                flow = cls(db, campaign, clock or SystemClock())
                flow.add_campaign(campaign)
                return flow
            ids = [r[0] for r in conn.execute("SELECT id FROM campaigns ORDER BY year, id")]
            if not ids:
                raise NotFound("this database holds no campaign yet: open it with a Campaign to register one")
            wanted = campaign if campaign is not None else ids[-1]
            if wanted not in ids:
                raise NotFound(f"no campaign {wanted!r} in this database (it holds {', '.join(ids)})")
            row = conn.execute("SELECT call FROM campaigns WHERE id = ?", (wanted,)).fetchone()
            return cls(db, converter.structure(json.loads(row[0]), Campaign), clock or SystemClock())
        except BaseException:
            conn.close()
            raise

    def close(self) -> None:
        self.conn.close()

    # -- hooks -----------------------------------------------------------------

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``callback(event)`` after each accepted trigger; returns a function that unsubscribes.

        Subscribers run *after* the transaction has committed, in the thread
        that fired the trigger, in the order they subscribed. The transition is
        already durable: a subscriber that raises is logged on the
        ``ami_workflow`` logger and never undoes, blocks or hides it, and the
        other subscribers still run. Use it to send an e-mail or call a webhook.
        """
        if not callable(callback):
            raise InvalidInput(f"a subscriber must be callable, not {type(callback).__name__}")
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def _notify(self, event: Event) -> None:
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:  # a subscriber's failure never reaches the transition
                _LOGGER.exception("subscriber %r failed on %s %s", callback, event.trigger, event.dossier)

    def __enter__(self) -> Workflow:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (``BEGIN IMMEDIATE``) so concurrent writers queue."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    def _now(self, at: datetime | None) -> datetime:
        return to_paris(at) if at is not None else to_paris(self.clock.now())

    # -- campaigns -------------------------------------------------------------

    def add_campaign(self, campaign: Campaign) -> None:
        """Register a campaign (idempotent); a different call file under the same id is refused."""
        text = canonical_json(converter.unstructure(campaign))
        select = "SELECT call FROM campaigns WHERE id = ?"
        row = self.conn.execute(select, (campaign.id,)).fetchone()
        if row is None:
            with self._write() as conn:
                # Read again under the write lock: another process may have registered it meanwhile.
                row = conn.execute(select, (campaign.id,)).fetchone()
                if row is None:
                    conn.execute(
                        "INSERT INTO campaigns (id, year, title, envelope_cents, call) VALUES (?, ?, ?, ?, ?)",
                        (campaign.id, campaign.call.year, campaign.call.title, to_cents(campaign.envelope.amount), text),
                    )
                    self._append(conn, "add_campaign", campaign.id, None, None, None, None, self._now(None), "", {})
        if row is not None and row[0] != text:
            raise Refused(
                "add_campaign",
                [f"the database already holds a different call file for {campaign.id}; give the new year its own id"],
            )
        self._campaigns[campaign.id] = campaign

    def campaign_ids(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT id FROM campaigns ORDER BY year, id")]

    def get_campaign(self, campaign_id: str) -> Campaign:
        if campaign_id in self._campaigns:
            return self._campaigns[campaign_id]
        row = self.conn.execute("SELECT call FROM campaigns WHERE id = ?", (campaign_id,)).fetchone()
        if row is None:
            raise NotFound(f"no campaign {campaign_id!r}")
        campaign = converter.structure(json.loads(row[0]), Campaign)
        self._campaigns[campaign_id] = campaign
        return campaign

    # -- reading ---------------------------------------------------------------

    def get(self, reference: str) -> Dossier:
        """The dossier as stored now."""
        _check_text(reference, "reference")
        row = self.conn.execute("SELECT data FROM dossiers WHERE reference = ?", (reference,)).fetchone()
        if row is None:
            raise NotFound(f"no dossier {reference!r}")
        return self._structure(reference, row[0])

    def _structure(self, reference: str, data: str) -> Dossier:
        """The stored dossier with its personal data put back from ``personal_data``.

        Records read back are kept in a small cache keyed by their exact stored
        text and personal data, so a dossier fired on again is not parsed again;
        any change, by this process or another, changes the key.
        """
        rows = tuple(
            self.conn.execute("SELECT path, value FROM personal_data WHERE dossier = ? ORDER BY path", (reference,))
        )
        cached = self._cache.pop(reference, None)
        if cached is not None and cached[0] == data and cached[1] == rows:
            dossier = cached[2]
        else:
            dossier = _record_converter.structure(join_personal(json.loads(data), dict(rows)), Dossier)
        self._remember(reference, data, rows, dossier)
        return dossier

    def _remember(self, reference: str, data: str, rows: tuple[tuple[str, str | None], ...], dossier: Dossier) -> None:
        self._cache[reference] = (data, rows, dossier)
        if len(self._cache) > _CACHE_SIZE:
            del self._cache[next(iter(self._cache))]

    def dossiers(
        self,
        *,
        campaign_id: str | None = None,
        state: str | None = None,
        axis: str | None = None,
        qpv: str | None = None,
    ) -> list[Dossier]:
        """The dossiers, filtered by campaign, state, axis and target QPV, in reference order."""
        sql, params = "SELECT reference, data FROM dossiers d WHERE 1=1", list[str]()
        for column, value in (("campaign_id", campaign_id), ("state", state), ("axis", axis)):
            if value is not None:
                _check_text(value, column)
                sql, params = sql + f" AND d.{column} = ?", params + [value]
        if qpv is not None:
            _check_text(qpv, "qpv")
            sql += " AND EXISTS (SELECT 1 FROM dossier_qpv q WHERE q.reference = d.reference AND q.qpv_code = ?)"
            params.append(qpv)
        rows = self.conn.execute(sql + " ORDER BY reference", params).fetchall()
        return [self._structure(ref, data) for ref, data in rows]

    def sessions(self, campaign_id: str | None = None) -> list[CommitteeSession]:
        """The committee sessions recorded for the campaign."""
        cid = self.get_campaign(campaign_id or self.campaign.id).id
        return [_record_converter.structure(d, CommitteeSession) for d in self._records(cid, "session")]

    def deliberations(self, campaign_id: str | None = None) -> list[Deliberation]:
        """The deliberations recorded for the campaign, in the order recorded."""
        cid = self.get_campaign(campaign_id or self.campaign.id).id
        return [_record_converter.structure(d, Deliberation) for d in self._records(cid, "deliberation")]

    def conventions(self, campaign_id: str | None = None) -> dict[str, Convention]:
        """The conventions recorded for the campaign, by dossier reference."""
        cid = self.get_campaign(campaign_id or self.campaign.id).id
        conventions = [_record_converter.structure(d, Convention) for d in self._records(cid, "convention")]
        return {c.dossier: c for c in conventions}

    def amendments(self, campaign_id: str | None = None) -> list[CalendarAmendment]:
        """The calendar amendments recorded for the campaign, in order."""
        cid = self.get_campaign(campaign_id or self.campaign.id).id
        return [_record_converter.structure(d, CalendarAmendment) for d in self._records(cid, "amendment")]

    def dossier_events(self, reference: str) -> list[ChainedEvent]:
        """The dossier's journal events with their hashes (for receipts), oldest first."""
        self.get(reference)
        rows = self.conn.execute(
            "SELECT seq, body, previous, hash FROM events WHERE dossier = ? ORDER BY seq", (reference,)
        ).fetchall()
        return [ChainedEvent(seq, json.loads(body), previous, digest) for seq, body, previous, digest in rows]

    def possible_triggers(self, reference: str, *, at: datetime | None = None) -> dict[str, list[str]]:
        """Each trigger the dossier's state allows, with the reasons it would be refused now (empty: it would pass).

        Triggers that need data (``hear`` needs a session, ``reject`` a motivation …)
        are checked without it, and say what they need.
        """
        dossier = self.get(reference)
        when = self._now(at)
        context = self._context(dossier, when)
        out: dict[str, list[str]] = {}
        machine = self.get_campaign(dossier.campaign_id).workflow.machine()
        for trigger in machine.allowed_triggers(dossier.state):
            try:
                out[trigger] = check_trigger(dossier, trigger, at=when, context=context)
            except InvalidInput as exc:
                out[trigger] = [f"needs data: {exc}"]
        return out

    def history(self, reference: str) -> list[Event]:
        """The dossier's journal events, oldest first."""
        self.get(reference)
        rows = self.conn.execute(
            "SELECT body FROM events WHERE dossier = ? ORDER BY seq", (reference,)
        ).fetchall()
        return [_event_from_body(json.loads(r[0])) for r in rows]

    def calendar(self, campaign_id: str | None = None) -> Calendar:
        """The calendar in force: the call's, with its recorded amendments applied in order."""
        campaign = self.get_campaign(campaign_id or self.campaign.id)
        amendments = [converter.structure(d, CalendarAmendment) for d in self._records(campaign.id, "amendment")]
        return campaign.calendar.amended(amendments)

    def totals(self, campaign_id: str | None = None) -> Totals:
        cid = campaign_id or self.campaign.id
        row = self.conn.execute(
            "SELECT envelope_cents, approved_cents, paid_cents FROM envelope_consumed WHERE campaign_id = ?", (cid,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no campaign {cid!r}")
        return Totals(from_cents(row[0]), from_cents(row[1]), from_cents(row[2]))

    def _records(self, campaign_id: str, kind: str) -> list[Any]:
        rows = self.conn.execute(
            "SELECT data FROM records WHERE campaign_id = ? AND kind = ? ORDER BY id", (campaign_id, kind)
        ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def _context(self, dossier: Dossier, at: datetime | None = None, trigger: str | None = None) -> Context:
        """What the guards know, read with a constant number of indexed look-ups.

        ``dossier`` is the stored dossier: its own share of the running totals
        is taken out, so the guards see the rest of the campaign.
        """
        campaign = self.get_campaign(dossier.campaign_id)
        cid, ref = campaign.id, dossier.reference
        own = to_cents(dossier.approved) if dossier.approved is not None and dossier.state != State.WITHDRAWN else 0
        axis_key = dossier.application.axis or ""
        # Only the guard that checks the compte rendu financier reads the applicant's other grants.
        needs_reports = trigger is None or "financial_reports" in campaign.workflow.guards.get(trigger, ())
        found = {
            scope: cents
            for scope, cents in self.conn.execute(
                # Three primary-key look-ups (an OR here would scan every applicant's row).
                "SELECT scope, approved_cents FROM totals WHERE campaign_id = ? AND scope = 'campaign' AND key = '' "
                "UNION ALL SELECT scope, approved_cents FROM totals WHERE campaign_id = ? AND scope = 'axis' AND key = ? "
                "UNION ALL SELECT scope, approved_cents FROM totals WHERE campaign_id = ? AND scope = 'applicant' "
                "AND key = (SELECT CAST(applicant_id AS TEXT) FROM dossiers WHERE reference = ?)",
                (cid, cid, axis_key, cid, ref),
            )
        }

        def total(scope: str) -> Decimal:
            return from_cents(int(found.get(scope, 0)) - own)

        deliberations = [  # only what the guards need: the deliberations that grant this dossier, and their days
            Deliberation(name, date.fromisoformat(day), (ref,))
            for name, day in self.conn.execute(
                "SELECT deliberation, day FROM deliberation_dossiers WHERE campaign_id = ? AND reference = ?", (cid, ref)
            )
        ]
        return Context(
            campaign=campaign,
            calendar=self.calendar(cid),
            sessions=_RecordLookup(self.conn, cid, "session", CommitteeSession),
            deliberations=tuple(deliberations),
            conventions=_RecordLookup(self.conn, cid, "convention", Convention),
            approved_total=total("campaign"),
            approved_by_axis={axis_key: total("axis")},
            applicant_granted=total("applicant") if "applicant" in found else ZERO,
            overdue_reports=self._overdue_reports(dossier, at) if at is not None and needs_reports else (),
        )

    def _overdue_reports(self, dossier: Dossier, at: datetime) -> tuple[str, ...]:
        """The applicant's other grants whose compte rendu financier is past due at ``at`` and not received."""
        today = paris_date(at)
        rows = self.conn.execute(
            "SELECT d.reference, d.campaign_id FROM dossiers d WHERE d.reference != ? "
            "AND d.applicant_id = (SELECT applicant_id FROM dossiers WHERE reference = ?) "
            "AND d.approved_cents IS NOT NULL AND d.state != 'withdrawn' AND NOT EXISTS ("
            "SELECT 1 FROM records r WHERE r.campaign_id = d.campaign_id AND r.kind = 'financial_report' "
            "AND r.key = d.reference) ORDER BY d.reference",
            (dossier.reference, dossier.reference),
        ).fetchall()
        overdue = []
        for reference, campaign_id in rows:
            campaign = self.get_campaign(campaign_id)
            due = financial_report_due(campaign.envelope.year, campaign.funding.financial_report_months)
            if due < today:
                overdue.append(f"{reference} ({campaign.envelope.year} grant) was due on {due}")
        return tuple(overdue)

    # -- writing dossiers ------------------------------------------------------

    def create_dossier(
        self,
        applicant: Applicant,
        application: Application | None = None,
        *,
        reference: str | None = None,
        campaign_id: str | None = None,
        at: datetime | None = None,
        actor: str = "",
    ) -> Dossier:
        """A new draft. The applicant is matched across campaigns by SIREN, else RNA number."""
        if application is not None and not isinstance(application, Application):
            raise InvalidInput(f"application must be an Application record, not {type(application).__name__}")
        campaign = self.get_campaign(campaign_id or self.campaign.id)
        applicant = check_applicant(applicant, campaign)
        when = self._now(at)
        _check_text(actor, "actor", allow_empty=True)
        if reference is not None:
            _check_text(reference, "reference")
        with self._write() as conn:
            return self._create(conn, campaign, applicant, application or Application(), reference, when, actor, {})

    def create_dossiers(
        self,
        entries: Sequence[tuple[Applicant, Application | None, str | None]],
        *,
        campaign_id: str | None = None,
        at: datetime | None = None,
        actor: str = "",
        progress: Callable[[int], None] | None = None,
    ) -> list[Dossier]:
        """Create many drafts in one transaction: all of them, or none.

        ``entries`` are (applicant, application, reference or ``None``). Every
        entry is checked first; an error names the entry's position (from 1).
        ``progress(n)`` is called after each of the ``n`` first entries is written.
        """
        campaign = self.get_campaign(campaign_id or self.campaign.id)
        _check_text(actor, "actor", allow_empty=True)
        when = self._now(at)
        checked: list[tuple[Applicant, Application, str | None]] = []
        seen: set[str] = set()
        for position, entry in enumerate(entries, start=1):
            try:
                applicant, application, reference = entry
                if application is not None and not isinstance(application, Application):
                    raise InvalidInput(f"application must be an Application record, not {type(application).__name__}")
                if reference is not None:
                    _check_text(reference, "reference")
                    if reference in seen:
                        raise InvalidInput(f"the reference {reference!r} appears twice")
                    seen.add(reference)
                checked.append((check_applicant(applicant, campaign), application or Application(), reference))
            except (InvalidInput, TypeError, ValueError) as exc:
                raise InvalidInput(f"entry {position}: {exc}") from None
        created = []
        with self._write() as conn:
            for position, (applicant, application, reference) in enumerate(checked, start=1):
                try:
                    created.append(self._create(conn, campaign, applicant, application, reference, when, actor, {}))
                except InvalidInput as exc:
                    raise InvalidInput(f"entry {position}: {exc}") from None
                if progress is not None:
                    progress(position)
        return created

    def _create(
        self, conn: sqlite3.Connection, campaign: Campaign, applicant: Applicant, application: Application,
        reference: str | None, when: datetime, actor: str, payload: dict[str, Any],
    ) -> Dossier:
        """Insert a new draft and its ``create`` event, inside the caller's transaction."""
        if reference is None:
            number = conn.execute("SELECT COUNT(*) FROM dossiers WHERE campaign_id = ?", (campaign.id,)).fetchone()[0]
            reference = f"{campaign.id}-{number + 1:04d}"
            while conn.execute("SELECT 1 FROM dossiers WHERE reference = ?", (reference,)).fetchone():
                number += 1  # a reference given by hand took this number
                reference = f"{campaign.id}-{number + 1:04d}"
        if conn.execute("SELECT 1 FROM dossiers WHERE reference = ?", (reference,)).fetchone():
            raise InvalidInput(f"a dossier {reference!r} already exists")
        applicant_id = self._upsert_applicant(conn, applicant)
        dossier = Dossier(reference, campaign.id, applicant, application)
        digests = self._insert_dossier(conn, dossier, applicant_id)
        self._append(conn, "create", campaign.id, reference, None, None, State.DRAFT.value, when, actor,
                     _with_digests({"applicant": applicant.identity, **payload}, digests))
        return dossier

    def _upsert_applicant(self, conn: sqlite3.Connection, applicant: Applicant) -> int:
        row = conn.execute("SELECT id FROM applicants WHERE identity = ?", (applicant.identity,)).fetchone()
        values = (applicant.name, applicant.kind, applicant.siren, applicant.siret, applicant.rna, applicant.iban)
        if row is not None:
            conn.execute(
                "UPDATE applicants SET name = ?, kind = ?, siren = ?, siret = ?, rna = ?, iban = ? WHERE id = ?",
                (*values, row[0]),
            )
            return int(row[0])
        cursor = conn.execute(
            "INSERT INTO applicants (identity, name, kind, siren, siret, rna, iban) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (applicant.identity, *values),
        )
        return int(cursor.lastrowid or 0)

    def _insert_dossier(self, conn: sqlite3.Connection, dossier: Dossier, applicant_id: int) -> dict[str, str]:
        conn.execute(
            "INSERT INTO dossiers (reference, campaign_id, applicant_id, state, version, data) VALUES (?, ?, ?, ?, ?, ?)",
            (dossier.reference, dossier.campaign_id, applicant_id, dossier.state, dossier.version, "{}"),
        )
        return self._save(conn, dossier)

    def _save(self, conn: sqlite3.Connection, dossier: Dossier, before: Dossier | None = None) -> dict[str, str]:
        """Write the dossier's row, its QPV links and its personal data; return the new personal data digests.

        ``before`` is the stored dossier this one replaces: what did not change is not written again.
        """
        data, personal = split_personal(converter.unstructure(dossier))
        unchanged = before is not None and personal_values(before) == personal
        digests = {} if unchanged else self._save_personal(conn, dossier, personal)
        app = dossier.application
        cents = _cents_or_none
        text = _record_json(data)
        conn.execute(
            """UPDATE dossiers SET state = ?, version = ?, title = ?, axis = ?, total_cost_cents = ?,
               requested_cents = ?, ceiling_cents = ?, proposed_cents = ?, approved_cents = ?, paid_cents = ?,
               period_start = ?, period_end = ?, submitted_at = ?, data = ? WHERE reference = ?""",
            (
                dossier.state,
                dossier.version,
                app.title,
                app.axis,
                cents(app.total_cost),
                cents(app.requested),
                cents(dossier.instruction.ceiling) if dossier.instruction else None,
                cents(dossier.instruction.proposed) if dossier.instruction else None,
                cents(dossier.approved),
                to_cents(dossier.paid),
                app.period.start.isoformat() if app.period else None,
                app.period.end.isoformat() if app.period else None,
                dossier.submitted_at.isoformat() if dossier.submitted_at else None,
                text,
                dossier.reference,
            ),
        )
        rows = tuple(sorted((path, None if value == ERASED else value) for path, value in personal.items()))
        self._remember(dossier.reference, text, rows, dossier)
        if before is None or before.application.qpv_codes != app.qpv_codes:
            conn.execute("DELETE FROM dossier_qpv WHERE reference = ?", (dossier.reference,))
            conn.executemany(
                "INSERT INTO dossier_qpv (reference, qpv_code) VALUES (?, ?)",
                [(dossier.reference, code) for code in app.qpv_codes],
            )
        return digests

    def _save_personal(self, conn: sqlite3.Connection, dossier: Dossier, values: Mapping[str, str]) -> dict[str, str]:
        ref = dossier.reference
        stored = {
            path: (value, erased)
            for path, value, erased in conn.execute(
                "SELECT path, value, erased_at FROM personal_data WHERE dossier = ?", (ref,)
            )
        }
        digests: dict[str, str] = {}
        for path, value in values.items():
            old = stored.get(path)
            if value == ERASED and old is not None and old[1] is not None:
                continue  # still erased
            if old is not None and old[0] == value:
                continue
            salt = secrets.token_hex(16)
            digest = personal_data_digest(salt, value)
            conn.execute(
                "INSERT INTO personal_data (applicant_id, dossier, path, salt, digest, value) "
                "SELECT applicant_id, ?, ?, ?, ?, ? FROM dossiers WHERE reference = ? "
                "ON CONFLICT (dossier, path) DO UPDATE SET salt = excluded.salt, digest = excluded.digest, "
                "value = excluded.value, erased_at = NULL",
                (ref, path, salt, digest, value, ref),
            )
            digests[path] = digest
        gone = [path for path in stored if path not in values]
        conn.executemany("DELETE FROM personal_data WHERE dossier = ? AND path = ?", [(ref, p) for p in gone])
        return digests

    def _load_for_write(self, conn: sqlite3.Connection, reference: str, expected_version: int | None) -> Dossier:
        row = conn.execute("SELECT data, version FROM dossiers WHERE reference = ?", (reference,)).fetchone()
        if row is None:
            raise NotFound(f"no dossier {reference!r}")
        if expected_version is not None and row[1] != expected_version:
            raise VersionConflict(reference, expected_version, row[1])
        return self._structure(reference, row[0])

    def fire(
        self,
        reference: str,
        trigger: str,
        /,
        *,
        at: datetime | None = None,
        actor: str = "",
        expected_version: int | None = None,
        keep_refusal: bool = False,
        **data: Any,
    ) -> Dossier:
        """Fire ``trigger`` in one transaction: re-read, guard, update, journal — all or nothing.

        With ``keep_refusal`` a refused trigger is recorded in the ``refusals``
        table (outside the journal's chain) before :class:`Refused` is raised.
        """
        _check_text(reference, "reference")
        _check_text(actor, "actor", allow_empty=True)
        _check_version(expected_version)
        parse_args(trigger, data)  # bad data is refused before the write lock is taken
        when = self._now(at)
        try:
            with self._write() as conn:
                dossier = self._load_for_write(conn, reference, expected_version)
                outcome = apply_trigger(
                    dossier, trigger, at=when, context=self._context(dossier, when, trigger), actor=actor, **data
                )
                digests = self._save(conn, outcome.dossier, before=dossier)
                event = outcome.event
                self._append(conn, "trigger", dossier.campaign_id, reference, trigger, event.source, event.dest,
                             when, actor, _with_digests(dict(event.payload), digests))
        except Refused as refused:
            if keep_refusal:
                with self._write() as conn:
                    conn.execute(
                        "INSERT INTO refusals (dossier, trigger, at, actor, reasons) VALUES (?, ?, ?, ?, ?)",
                        (reference, trigger, when.isoformat(), actor, json.dumps(list(refused.reasons), ensure_ascii=False)),
                    )
            raise
        self._notify(outcome.event)
        return outcome.dossier

    def approve_batch(
        self, proposals: Sequence[str] | Mapping[str, Decimal | None], *, at: datetime | None = None, actor: str = "",
        campaign_id: str | None = None,
    ) -> BatchResult:
        """Approve a committee's whole list in one transaction (see :meth:`Engine.approve_batch`).

        The envelope left is read inside the write transaction, so a concurrent
        approval cannot push the campaign past it; either every funded dossier
        is approved, or none is and :class:`Refused` lists every reason.
        """
        _check_text(actor, "actor", allow_empty=True)
        if not isinstance(proposals, Mapping):
            proposals = dict.fromkeys(proposals)  # a generator is read once, here
        refs = list(proposals)
        for ref in refs:
            _check_text(ref, "reference")
        when = self._now(at)
        cid = self.get_campaign(campaign_id or self.campaign.id).id
        with self._write() as conn:
            found = {}
            for ref in refs:
                row = conn.execute("SELECT data FROM dossiers WHERE reference = ? AND campaign_id = ?", (ref, cid)).fetchone()
                if row is not None:
                    found[ref] = self._structure(ref, row[0])
            remaining = self.totals(cid).remaining
            shares, scaled = plan_batch_approval(self.get_campaign(cid), found, proposals, remaining)
            funded = {ref: amount for ref, amount in shares.items() if amount > 0}
            reasons: list[str] = []
            events: list[Event] = []
            for ref, amount in funded.items():
                dossier = found[ref]
                try:
                    outcome = apply_trigger(dossier, "approve", at=when, context=self._context(dossier, when, "approve"), actor=actor,
                                            amount=amount)
                except (Refused, IllegalTrigger) as exc:
                    reasons += [f"{ref}: {r}" for r in getattr(exc, "reasons", (str(exc),))]
                    continue
                digests = self._save(conn, outcome.dossier, before=dossier)
                event = outcome.event
                self._append(conn, "trigger", cid, ref, "approve", event.source, event.dest, when, actor,
                             _with_digests(dict(event.payload), digests))
                events.append(event)
            if reasons:
                raise Refused("approve_batch", reasons)
        for event in events:
            self._notify(event)
        return BatchResult(approved=funded, unfunded=tuple(r for r in shares if r not in funded), scaled=scaled)

    def check(self, reference: str, trigger: str, /, *, at: datetime | None = None, **data: Any) -> list[str]:
        """Every reason ``trigger`` would be refused now; writes nothing."""
        dossier = self.get(reference)
        return check_trigger(dossier, trigger, at=self._now(at), context=self._context(dossier, self._now(at), trigger), **data)

    def update_application(
        self, reference: str, application: Application, *, expected_version: int | None = None, actor: str = "",
        at: datetime | None = None,
    ) -> Dossier:
        """Replace a draft's declared content."""
        if not isinstance(application, Application):
            raise InvalidInput(f"application must be an Application record, not {type(application).__name__}")
        return self._change(reference, "update", expected_version, actor, at, lambda d: _only_draft(d, application), {})

    def attach(
        self,
        reference: str,
        key: str,
        content: bytes | Path,
        *,
        filename: str | None = None,
        media_type: str | None = None,
        received_on: date | None = None,
        expected_version: int | None = None,
        actor: str = "",
        at: datetime | None = None,
    ) -> Dossier:
        """Attach a digital piece: its bytes are kept as a blob keyed by SHA-256 (content-addressed).

        ``content`` is the bytes, or a path to read them from; the store never
        writes a file and never uses the given file name as a path.
        """
        if isinstance(content, Path):
            if not content.is_file():
                raise InvalidInput(f"{content} is not a readable file")
            blob = content.read_bytes()
            filename = filename or content.name
        elif isinstance(content, (bytes, bytearray)):
            blob = bytes(content)
        else:
            raise InvalidInput(f"content must be bytes or a Path, not {type(content).__name__}")
        digest = hashlib.sha256(blob).hexdigest()
        when = self._now(at)
        day = received_on or when.date()
        requirement = self._requirement(reference, key)
        # A personal piece's file name often names people (liste_CA_Dupont.pdf): it is not kept.
        name = None if requirement.personal_data else _safe_name(filename)
        piece = PieceReceipt(key, day, name, len(blob), digest, media_type)

        def change(dossier: Dossier) -> Dossier:
            _open_for_pieces(dossier)
            return dossier.with_piece(piece)

        payload = {"key": key, "sha256": digest, "size": len(blob), "filename": piece.filename}
        return self._change(reference, "attach", expected_version, actor, when, change, payload, blob=(digest, blob))

    def receive_original(
        self, reference: str, original: PaperOriginal, *, expected_version: int | None = None, actor: str = "",
        at: datetime | None = None,
    ) -> Dossier:
        """Record a paper original: when it arrived, whether it is signed, and by whom."""
        if not isinstance(original, PaperOriginal):
            raise InvalidInput(f"expected a PaperOriginal, not {type(original).__name__}")
        if not self._requirement(reference, original.key).paper_original:
            raise InvalidInput(f"the call asks no paper original for {original.key!r}")

        def change(dossier: Dossier) -> Dossier:
            _open_for_pieces(dossier)
            return dossier.with_original(original)

        payload = {"key": original.key, "signed": original.signed, "received_on": original.received_on.isoformat()}
        return self._change(reference, "receive_original", expected_version, actor, at, change, payload)

    def _requirement(self, reference: str, key: str) -> PieceRequirement:
        dossier = self.get(reference)
        requirement = self.get_campaign(dossier.campaign_id).piece(key) if isinstance(key, str) else None
        if requirement is None:
            raise InvalidInput(f"unknown piece {key!r}")
        return requirement

    def _change(
        self,
        reference: str,
        kind: str,
        expected_version: int | None,
        actor: str,
        at: datetime | None,
        change: Callable[[Dossier], Dossier],
        payload: dict[str, Any],
        blob: tuple[str, bytes] | None = None,
    ) -> Dossier:
        _check_text(reference, "reference")
        _check_text(actor, "actor", allow_empty=True)
        _check_version(expected_version)
        when = self._now(at)
        with self._write() as conn:
            dossier = self._load_for_write(conn, reference, expected_version)
            changed = attrs.evolve(change(dossier), version=dossier.version + 1)
            if blob is not None:
                conn.execute(
                    "INSERT INTO files (sha256, size, content) VALUES (?, ?, ?) ON CONFLICT (sha256) DO UPDATE SET "
                    "content = excluded.content, erased_at = NULL WHERE files.erased_at IS NOT NULL",
                    (blob[0], len(blob[1]), blob[1]),
                )
            digests = self._save(conn, changed, before=dossier)
            self._append(conn, kind, dossier.campaign_id, reference, None, dossier.state, dossier.state, when, actor,
                         _with_digests(payload, digests))
        return changed

    # -- carrying over to next year --------------------------------------------

    def reuse_pieces(
        self,
        reference: str,
        from_reference: str,
        keys: Sequence[str],
        *,
        expected_version: int | None = None,
        at: datetime | None = None,
        actor: str = "",
    ) -> Dossier:
        """Reuse unchanged pieces of last year's dossier of the same applicant; calling it is the confirmation.

        Only the pieces the new call's file marks ``reusable`` (the statutes,
        the receipt of declaration and the RIB in 2021) can be reused; the
        board and bureau lists, the application form and the request letter
        are always new. Every reason is given at once.
        """
        _check_text(from_reference, "from_reference")
        if isinstance(keys, str) or not all(isinstance(k, str) for k in keys):
            raise InvalidInput("keys must be a list of piece keys")
        new, old = self.get(reference), self.get(from_reference)
        campaign = self.get_campaign(new.campaign_id)
        reasons = []
        if new.applicant.identity != old.applicant.identity:
            reasons.append(f"{from_reference} belongs to another applicant")
        if old.campaign_id == new.campaign_id:
            reasons.append(f"{from_reference} is in the same campaign: pieces are reused from an earlier one")
        reused = []
        for key in keys:
            requirement = campaign.piece(key)
            if requirement is None:
                reasons.append(f"unknown piece {key!r}")
            elif not requirement.reusable:
                reasons.append(f"{requirement.label}: must be new each year, it cannot be reused")
            elif old.piece(key) is None:
                reasons.append(f"{from_reference} has no {requirement.label} to reuse")
            else:
                reused.append(old.piece(key))
        if reasons:
            raise Refused("reuse_pieces", reasons)

        def change(dossier: Dossier) -> Dossier:
            _open_for_pieces(dossier)
            for piece in reused:
                if piece is not None:
                    dossier = dossier.with_piece(piece)
            return dossier

        payload = {"from": from_reference, "pieces": {p.key: p.sha256 for p in reused if p is not None}}
        return self._change(reference, "reuse_pieces", expected_version, actor, at, change, payload)

    def copy_drafts(
        self, from_campaign_id: str, to_campaign_id: str, *, at: datetime | None = None, actor: str = ""
    ) -> dict[str, str]:
        """Copy the unsubmitted drafts of one campaign into another; returns {old reference: new reference}.

        Only the applicant and the declared content move, as new drafts;
        nothing else does (no piece, no other dossier). One transaction; a
        draft already copied into that campaign is not copied again, so
        running it twice changes nothing the second time.
        """
        source, target = self.get_campaign(from_campaign_id), self.get_campaign(to_campaign_id)
        if source.id == target.id:
            raise InvalidInput("copy drafts from one campaign into another")
        _check_text(actor, "actor", allow_empty=True)
        when = self._now(at)
        drafts = self.dossiers(campaign_id=source.id, state=State.DRAFT.value)
        copied = {}
        with self._write() as conn:
            done = {key for (key,) in conn.execute(
                "SELECT key FROM records WHERE campaign_id = ? AND kind = 'copied_draft'", (target.id,))}
            for draft in drafts:
                if draft.reference in done:
                    continue
                applicant = check_applicant(draft.applicant, target)
                new = self._create(conn, target, applicant, draft.application, None, when, actor,
                                   {"copied_from": draft.reference})
                conn.execute("INSERT INTO records (campaign_id, kind, key, data) VALUES (?, 'copied_draft', ?, ?)",
                             (target.id, draft.reference, canonical_json({"from": draft.reference, "to": new.reference})))
                copied[draft.reference] = new.reference
        return copied

    def file(self, sha256: str) -> bytes:
        """The bytes of an attached piece, by its SHA-256."""
        row = self.conn.execute("SELECT content, erased_at FROM files WHERE sha256 = ?", (sha256,)).fetchone()
        if row is None:
            raise NotFound(f"no file {sha256!r}")
        if row[1] is not None:
            raise NotFound(f"the file {sha256} was erased on {row[1]} (personal data)")
        return bytes(row[0])

    # -- campaign decisions ----------------------------------------------------

    def amend_calendar(
        self, window: str, start: date, end: date, *, reason: str, at: datetime | None = None, actor: str = "",
        campaign_id: str | None = None,
    ) -> CalendarAmendment:
        """Change one window of the provisional calendar, explicitly and with a reason."""
        when = self._now(at)
        amendment = CalendarAmendment(window, Window(start, end), reason, when, actor)
        cid = self.get_campaign(campaign_id or self.campaign.id).id

        def check() -> list[str]:
            return [problem for _, problem in self.calendar(cid).amended([amendment]).problems()]

        def key() -> str:
            return str(len(self._records(cid, "amendment")) + 1)

        self._record(cid, "amendment", key, converter.unstructure(amendment), when, actor, check,
                     action="amend_calendar")
        return amendment

    def record_session(self, session: CommitteeSession, *, at: datetime | None = None, actor: str = "",
                       campaign_id: str | None = None) -> CommitteeSession:
        """Record a committee session; refused when it cannot hear dossiers under the call's rule."""
        if not isinstance(session, CommitteeSession):
            raise InvalidInput(f"expected a CommitteeSession, not {type(session).__name__}")
        campaign = self.get_campaign(campaign_id or self.campaign.id)

        def check() -> list[str]:
            recorded = [d["id"] for d in self._records(campaign.id, "session")]
            return session_refusals(session, campaign, self.calendar(campaign.id), recorded)

        self._record(campaign.id, "session", lambda: session.id, converter.unstructure(session), self._now(at), actor,
                     check, action="record_session")
        return session

    def record_deliberation(self, deliberation: Deliberation, *, at: datetime | None = None, actor: str = "",
                            campaign_id: str | None = None) -> Deliberation:
        """Record the council's deliberation and the approved dossiers it grants."""
        if not isinstance(deliberation, Deliberation):
            raise InvalidInput(f"expected a Deliberation, not {type(deliberation).__name__}")
        cid = self.get_campaign(campaign_id or self.campaign.id).id

        def check() -> list[str]:
            states: dict[str, str | None] = {}
            for ref in deliberation.dossiers:
                row = self.conn.execute(
                    "SELECT state FROM dossiers WHERE reference = ? AND campaign_id = ?", (ref, cid)
                ).fetchone()
                states[ref] = row[0] if row else None
            recorded = [d["reference"] for d in self._records(cid, "deliberation")]
            return deliberation_refusals(deliberation, self.calendar(cid), recorded, states)

        day = deliberation.day.isoformat()
        links = [(cid, deliberation.reference, day, ref) for ref in deliberation.dossiers]
        self._record(cid, "deliberation", lambda: deliberation.reference, converter.unstructure(deliberation),
                     self._now(at), actor, check, action="record_deliberation",
                     extra=("INSERT INTO deliberation_dossiers VALUES (?, ?, ?, ?)", links))
        return deliberation

    def record_convention(self, convention: Convention, *, at: datetime | None = None, actor: str = "") -> Convention:
        """Record the signed convention of an approved dossier."""
        if not isinstance(convention, Convention):
            raise InvalidInput(f"expected a Convention, not {type(convention).__name__}")
        campaign_id = self.get(convention.dossier).campaign_id

        def check() -> list[str]:
            dossier = self.get(convention.dossier)
            return [] if dossier.state == State.APPROVED else [f"{dossier.reference} is {dossier.state}, not approved"]

        self._record(campaign_id, "convention", lambda: convention.dossier, converter.unstructure(convention),
                     self._now(at), actor, check, action="record_convention", replace=True)
        return convention

    def record_financial_report(
        self, reference: str, received_on: date, *, at: datetime | None = None, actor: str = ""
    ) -> FinancialReport:
        """Record the compte rendu financier of a granted dossier when it arrives (loi 2000-321, art. 10)."""
        report = FinancialReport(reference, received_on)
        campaign_id = self.get(reference).campaign_id

        def check() -> list[str]:
            dossier = self.get(reference)
            reasons = []
            if dossier.approved is None or dossier.state == State.WITHDRAWN:
                reasons.append(f"{reference} is {dossier.state}: only a granted subsidy owes a compte rendu financier")
            if self.conn.execute(
                "SELECT 1 FROM records WHERE campaign_id = ? AND kind = 'financial_report' AND key = ?",
                (campaign_id, reference),
            ).fetchone():
                reasons.append(f"the compte rendu financier of {reference} is already recorded")
            return reasons

        self._record(campaign_id, "financial_report", lambda: reference, _record_converter.unstructure(report),
                     self._now(at), actor, check, action="record_financial_report")
        return report

    def financial_reports(self, campaign_id: str | None = None) -> list[FinancialReportStatus]:
        """Each granted dossier of the campaign with its compte rendu financier: due date and day received."""
        campaign = self.get_campaign(campaign_id or self.campaign.id)
        due = financial_report_due(campaign.envelope.year, campaign.funding.financial_report_months)
        received = {
            key: date.fromisoformat(json.loads(data)["received_on"])
            for key, data in self.conn.execute(
                "SELECT key, data FROM records WHERE campaign_id = ? AND kind = 'financial_report'", (campaign.id,)
            )
        }
        rows = self.conn.execute(
            "SELECT reference FROM dossiers WHERE campaign_id = ? AND approved_cents IS NOT NULL "
            "AND state != 'withdrawn' ORDER BY reference",
            (campaign.id,),
        ).fetchall()
        return [FinancialReportStatus(ref, due, received.get(ref)) for (ref,) in rows]

    def _record(
        self, campaign_id: str, kind: str, key: Callable[[], str], data: Any, at: datetime, actor: str,
        check: Callable[[], Sequence[str]], *, action: str = "", replace: bool = False,
        extra: tuple[str, list[tuple[Any, ...]]] | None = None,
    ) -> None:
        """Write one campaign record and its event; ``check`` and ``key`` run inside the write transaction."""
        _check_text(actor, "actor", allow_empty=True)
        verb = "INSERT OR REPLACE" if replace else "INSERT"
        with self._write() as conn:
            reasons = check()
            if reasons:
                raise Refused(action or kind, reasons)
            record_key = key()
            conn.execute(f"{verb} INTO records (campaign_id, kind, key, data) VALUES (?, ?, ?, ?)",
                         (campaign_id, kind, record_key, canonical_json(data)))
            if extra is not None:
                conn.executemany(*extra)
            # The chain covers a digest of the record: a session lists people by name, and the journal
            # keeps no name; the record itself stays in `records`.
            digest = hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()
            self._append(conn, f"record_{kind}", campaign_id, None, None, None, None, at, actor,
                         {"key": record_key, "sha256": digest})

    # -- personal data (RGPD) --------------------------------------------------

    def _applicant_id(self, identity: str) -> int:
        _check_text(identity, "identity")
        row = self.conn.execute("SELECT id FROM applicants WHERE identity = ?", (identity,)).fetchone()
        if row is None:
            raise NotFound(f"no applicant {identity!r} (identities look like siren:…, rna:… or name:…)")
        return int(row[0])

    def export_applicant(self, identity: str) -> dict[str, Any]:
        """Everything stored about one applicant, as plain JSON-ready data (the RGPD right of access)."""
        applicant_id = self._applicant_id(identity)
        columns = ("identity", "name", "kind", "siren", "siret", "rna", "iban")
        row = self.conn.execute(f"SELECT {', '.join(columns)} FROM applicants WHERE id = ?", (applicant_id,)).fetchone()
        refs = [r[0] for r in self.conn.execute(
            "SELECT reference FROM dossiers WHERE applicant_id = ? ORDER BY reference", (applicant_id,))]
        personal = [
            dict(zip(("dossier", "path", "value", "erased_at"), r))
            for r in self.conn.execute(
                "SELECT dossier, path, value, erased_at FROM personal_data WHERE applicant_id = ? ORDER BY id",
                (applicant_id,),
            )
        ]
        events = [
            {"seq": seq, **json.loads(body)}
            for ref in refs
            for seq, body in self.conn.execute("SELECT seq, body FROM events WHERE dossier = ? ORDER BY seq", (ref,))
        ]
        export = {
            "applicant": dict(zip(columns, row)),
            "dossiers": [converter.unstructure(self.get(ref)) for ref in refs],
            "personal_data": personal,
            "events": events,
        }
        result: dict[str, Any] = json.loads(canonical_json(export))
        return result

    def erase_personal_data(self, identity: str, *, reason: str, at: datetime | None = None, actor: str = "") -> int:
        """Erase the applicant's personal data; the journal stays verifiable. Returns how many items were erased.

        The names (legal representative, signers) are cleared from ``personal_data``
        and the content of the pieces that hold personal data (board and bureau
        lists) is removed from ``files``. The journal only ever held salted hashes
        of that data, so its chain is unchanged.
        """
        applicant_id = self._applicant_id(identity)
        _check_text(reason, "reason")
        _check_text(actor, "actor", allow_empty=True)
        when = self._now(at)
        with self._write() as conn:
            erased = conn.execute(
                # Salt and digest go too: with them, a guessed name could be checked against the journal.
                "UPDATE personal_data SET value = NULL, salt = '', digest = '', erased_at = ? "
                "WHERE applicant_id = ? AND erased_at IS NULL",
                (when.isoformat(), applicant_id),
            ).rowcount
            blobs = set()
            for (data,) in conn.execute("SELECT data FROM dossiers WHERE applicant_id = ?", (applicant_id,)):
                record = json.loads(data)
                campaign = self.get_campaign(record["campaign_id"])
                for piece in record.get("pieces") or []:
                    requirement = campaign.piece(piece["key"])
                    if requirement is not None and requirement.personal_data and piece.get("sha256"):
                        blobs.add(piece["sha256"])
            for digest in sorted(blobs):
                shared = conn.execute(
                    "SELECT 1 FROM dossiers WHERE applicant_id != ? AND instr(data, ?) > 0 LIMIT 1", (applicant_id, digest)
                ).fetchone()
                if shared:
                    continue  # the same bytes belong to another applicant too
                erased += conn.execute(
                    "UPDATE files SET content = X'', erased_at = ? WHERE sha256 = ? AND erased_at IS NULL",
                    (when.isoformat(), digest),
                ).rowcount
            self._append(conn, "erase_personal_data", None, None, None, None, None, when, actor,
                         {"applicant": identity, "reason": reason, "items": erased})
        return erased

    def erase_committee_member(self, name: str, *, reason: str, at: datetime | None = None, actor: str = "") -> int:
        """Erase a person's name from every committee session (residents sit on the committee).

        The sessions keep their members' categories, which is all the guards
        read; the journal never held the names (it holds a digest of each
        session), so it stays verifiable. Returns how many sessions changed.
        """
        _check_text(name, "name")
        _check_text(reason, "reason")
        _check_text(actor, "actor", allow_empty=True)
        when = self._now(at)
        changed = 0
        with self._write() as conn:
            rows = conn.execute("SELECT id, data FROM records WHERE kind = 'session'").fetchall()
            for record_id, data in rows:
                session = json.loads(data)
                names = [session.get("chair")] + [m.get("name") for m in session.get("members", [])]
                if name not in names:
                    continue
                if session.get("chair") == name:
                    session["chair"] = ERASED
                for member in session.get("members", []):
                    if member.get("name") == name:
                        member["name"] = ERASED
                conn.execute("UPDATE records SET data = ? WHERE id = ?", (canonical_json(session), record_id))
                changed += 1
            if changed:
                self._append(conn, "erase_committee_member", None, None, None, None, None, when, actor,
                             {"reason": reason, "sessions": changed})
        return changed

    # -- journal ---------------------------------------------------------------

    def _append(
        self, conn: sqlite3.Connection, kind: str, campaign_id: str | None, dossier: str | None, trigger: str | None,
        source: str | None, dest: str | None, at: datetime, actor: str, payload: Mapping[str, Any],
    ) -> ChainedEvent:
        row = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        seq, previous = (row[0] + 1, row[1]) if row else (1, GENESIS)
        body = {
            "kind": kind, "campaign": campaign_id, "dossier": dossier, "trigger": trigger, "source": source,
            "dest": dest, "at": at.isoformat(), "actor": actor, "payload": dict(payload),
        }
        event, text = link_with_text(previous, seq, body)
        conn.execute(
            "INSERT INTO events (seq, campaign_id, dossier, kind, trigger, source, dest, at, actor, body, previous, hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (seq, campaign_id, dossier, kind, trigger, source, dest, body["at"], actor,
             text, event.previous, event.hash),
        )
        return event

    def events(self) -> list[ChainedEvent]:
        """Every journal event, oldest first (see :meth:`iter_events` to stream a long journal)."""
        return list(self.iter_events())

    def iter_events(self) -> Iterator[ChainedEvent]:
        """Stream the journal's events, oldest first, without holding them all in memory."""
        cursor = self.conn.execute("SELECT seq, body, previous, hash FROM events ORDER BY seq")
        for seq, body, previous, digest in cursor:
            yield ChainedEvent(seq, json.loads(body), previous, digest)

    def head(self) -> str:
        """The hash of the last event (64 zeros for an empty journal): keep it elsewhere to detect a cut tail."""
        row = self.conn.execute("SELECT hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        return str(row[0]) if row else GENESIS

    def verify(self, *, expected_head: str | None = None) -> ChainProblem | None:
        """Check the journal's hash chain, streaming it: ``None`` when intact, else the first bad event.

        A chain alone cannot show that its last events were cut off: pass the
        :meth:`head` recorded earlier (a receipt carries one) to check that too.
        """
        return verify_chain(self.iter_events(), expected_head=expected_head)

    def replayed_states(self) -> dict[str, str]:
        """Each dossier's state rebuilt from the journal alone."""
        bodies = (
            {**e.body, "source": e.body["source"] or State.DRAFT.value}  # "create" has no source state
            for e in self.iter_events()
            if e.body.get("dossier") and e.body.get("dest")
        )
        return replay(bodies)


def _record_json(value: Any) -> str:
    """JSON of an unstructured record (not hashed): the C encoder, with the same key order as the journal."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise InvalidInput(f"cannot store a {type(value).__name__} in a record")


def _with_digests(payload: dict[str, Any], digests: Mapping[str, str]) -> dict[str, Any]:
    """The journal keeps a salted hash of personal data, never the data itself."""
    return {**payload, "personal_data": dict(digests)} if digests else payload


def _event_from_body(body: Mapping[str, Any]) -> Event:
    return Event(
        body["dossier"], body["trigger"] or body["kind"], body["source"] or "", body["dest"] or "",
        to_paris(datetime.fromisoformat(body["at"])), body["actor"], body["payload"],
    )


def _cents_or_none(amount: Decimal | None) -> int | None:
    return None if amount is None else to_cents(amount)


def _check_text(value: object, name: str, *, allow_empty: bool = False) -> None:
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise InvalidInput(f"{name} must be {'a' if allow_empty else 'a non-empty'} string, not {value!r}")


def _check_version(value: object) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise InvalidInput(f"expected_version must be a non-negative int, not {value!r}")


def _safe_name(filename: str | None) -> str | None:
    """A display name only: the last path component, stripped of control characters; never used as a path."""
    if filename is None:
        return None
    if not isinstance(filename, str):
        raise InvalidInput(f"filename must be text, not {type(filename).__name__}")
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:255] or None


def _open_for_pieces(dossier: Dossier) -> None:
    if dossier.state not in (State.DRAFT, State.SUBMITTED, State.COMPLETE, State.INSTRUCTED):
        raise Refused("attach", [f"pieces can no longer be added to a dossier that is {dossier.state}"])


def _only_draft(dossier: Dossier, application: Application) -> Dossier:
    if dossier.state != State.DRAFT:
        raise Refused("update", [f"only a draft can be edited; the dossier is {dossier.state}"])
    return attrs.evolve(dossier, application=application)
