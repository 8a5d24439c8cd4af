"""The SQLite answer to ``decide``'s questions: :class:`SqlView`, indexed reads of the projections.

Every method costs a constant number of indexed look-ups, whatever the
number of dossiers, except where it must list (drafts, an applicant's dossiers).
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .. import jsontext
from ..calendar import Calendar, CalendarAmendment, financial_report_due, paris_date
from ..campaign import Campaign, same_grantor
from ..committee import CommitteeSession
from ..conflicts import Ruling
from ..core.event_records import deliberation_record
from ..core.plain import structure
from ..core.view import Act, in_force, overdue_text
from ..decisions import Convention, Deliberation, FinancialReport
from ..dossier import Dossier
from ..errors import NotFound
from ..guards import Context
from ..i18n import _
from ..issued import document_files
from ..money import ZERO, from_cents, to_cents
from ..personal import join_personal
from ..scoring import ScoreSheet
from ..shown import shown
from ..states import State

__all__ = ["SqlView"]

_CACHE_SIZE = 256
_TOTALS = frozenset({"approved_total", "approved_by_axis", "applicant_granted"})



@functools.lru_cache(maxsize=32)
def _deliberation_of_text(text: str) -> Deliberation:
    """The deliberation a record's stored text holds. The same text is the same (frozen) record: a payment reads
    its deliberation, which may list a thousand dossiers, without structuring it again for every payment."""
    return deliberation_record(json.loads(text))

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
        return structure(json.loads(row[0]), self._cls)

    def __iter__(self) -> Iterator[str]:
        rows = self._conn.execute(
            "SELECT key FROM records WHERE campaign_id = ? AND kind = ? ORDER BY id", (self._campaign, self._kind)
        ).fetchall()
        return iter([r[0] for r in rows])

    def __len__(self) -> int:
        return int(
            self._conn.execute(
                "SELECT COUNT(*) FROM records WHERE campaign_id = ? AND kind = ?", (self._campaign, self._kind)
            ).fetchone()[0]
        )


class SqlView:
    """:class:`~ami_workflow.core.view.View` over the store's tables, with what it read kept while it stays true.

    The dossiers it structured, the journal's head, the campaigns and their
    amendments are kept in memory. They stay true while no other connection
    commits: :meth:`refresh` reads SQLite's ``PRAGMA data_version`` (which
    changes only when *another* connection commits) and forgets them all when
    it moved. The store calls it when a transaction begins and before each
    read, updates what it keeps as it writes (:meth:`remember`,
    :meth:`advance`) and calls :meth:`forget` when a transaction rolls back.
    """

    def __init__(self, conn: sqlite3.Connection, campaigns: dict[str, Campaign]) -> None:
        self.conn = conn
        self._campaigns = campaigns
        self._dossiers: dict[str, tuple[tuple[tuple[str, str | None], ...], Dossier]] = {}
        self._amendments: dict[str, list[CalendarAmendment]] = {}
        self._last_at: dict[str, datetime | None] = {}
        self.head: tuple[int, str, datetime | None] | None = None
        self._version: int | None = None

    # -- what is kept ------------------------------------------------------------------

    def refresh(self) -> None:
        """Forget what is kept if another connection has committed since it was read."""
        version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        if version != self._version:
            self.forget()
            self._version = version

    def forget(self) -> None:
        """Forget every kept dossier, campaign, amendment and the head (after a rollback, or another connection's
        change: a campaign's funder may have been amended)."""
        self._campaigns.clear()
        self._dossiers.clear()
        self._amendments.clear()
        self._last_at.clear()
        self.head = None

    def replace_campaign(self, campaign: Campaign) -> None:
        """Keep ``campaign`` as the row just written (its funder amended)."""
        self._campaigns[campaign.id] = campaign

    def forget_records(self, campaign_id: str) -> None:
        """Forget the campaign's kept amendments (a record was written)."""
        self._amendments.pop(campaign_id, None)

    def remember(self, reference: str, rows: tuple[tuple[str, str | None], ...], dossier: Dossier) -> None:
        """Keep ``dossier`` (with its personal rows) as the row just written."""
        self._dossiers[reference] = (rows, dossier)
        if len(self._dossiers) > _CACHE_SIZE:
            del self._dossiers[next(iter(self._dossiers))]

    def advance(self, head: tuple[int, str, datetime | None], reference: str | None, at: datetime) -> None:
        """An event was appended: the new head, and the dossier's latest act if it is kept."""
        self.head = head
        if reference is not None and reference in self._last_at:
            last = self._last_at[reference]
            self._last_at[reference] = at if last is None or at > last else last

    # -- dossiers ----------------------------------------------------------------------

    def campaign(self, campaign_id: str) -> Campaign:
        if campaign_id in self._campaigns:
            return self._campaigns[campaign_id]
        row = self.conn.execute("SELECT call FROM campaigns WHERE id = ?", (campaign_id,)).fetchone()
        if row is None:
            raise NotFound(_("no campaign {campaign!r}").format(campaign=shown(campaign_id)))
        campaign: Campaign = structure(json.loads(row[0]), Campaign)
        self._campaigns[campaign_id] = campaign
        return campaign

    def has_campaign(self, campaign_id: str) -> bool:
        if campaign_id in self._campaigns:  # campaigns are never removed
            return True
        return self.conn.execute("SELECT 1 FROM campaigns WHERE id = ?", (campaign_id,)).fetchone() is not None

    def personal_rows(self, reference: str) -> tuple[tuple[str, str | None], ...]:
        """The dossier's personal values, by path (kept apart from its row)."""
        kept = self._dossiers.get(reference)
        if kept is not None:
            return kept[0]
        return tuple(self.conn.execute(
            "SELECT path, value FROM personal_data WHERE dossier = ? ORDER BY path", (reference,)).fetchall())

    def kept(self, reference: str) -> Dossier | None:
        """The dossier as this connection last read or wrote it, if it is kept (no query)."""
        kept = self._dossiers.get(reference)
        return None if kept is None else kept[1]

    def dossier_from(
        self, reference: str, data: str, rows: tuple[tuple[str, str | None], ...] | None = None
    ) -> Dossier:
        """The dossier stored as ``data`` with its personal values put back, structured once and kept."""
        kept = self._dossiers.get(reference)
        if kept is not None:
            return kept[1]
        rows = self.personal_rows(reference) if rows is None else rows
        dossier: Dossier = structure(join_personal(jsontext.loads(data), dict(rows)), Dossier)
        self.remember(reference, rows, dossier)
        return dossier

    def find(self, reference: str) -> Dossier | None:
        kept = self._dossiers.get(reference)
        if kept is not None:
            return kept[1]
        row = self.conn.execute("SELECT data FROM dossiers WHERE reference = ?", (reference,)).fetchone()
        if row is None:
            return None
        return self.dossier_from(reference, row[0])

    def records(self, campaign_id: str, kind: str) -> list[Any]:
        rows = self.conn.execute(
            "SELECT data FROM records WHERE campaign_id = ? AND kind = ? ORDER BY id", (campaign_id, kind)
        ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def amendments(self, campaign_id: str) -> list[CalendarAmendment]:
        kept = self._amendments.get(campaign_id)
        if kept is None:
            kept = [structure(d, CalendarAmendment) for d in self.records(campaign_id, "amendment")]
            self._amendments[campaign_id] = kept
        return list(kept)

    def calendar(self, campaign_id: str, at: datetime | None = None) -> Calendar:
        return self.campaign(campaign_id).calendar.amended(in_force(self.amendments(campaign_id), at))

    def convention(self, reference: str) -> Convention | None:
        row = self.conn.execute(
            "SELECT data FROM records WHERE kind = 'convention' AND key = ?", (reference,)).fetchone()
        return None if row is None else structure(json.loads(row[0]), Convention)

    def files_of(self, reference: str) -> set[tuple[str, str]]:
        found: set[tuple[str, str]] = set()
        for (body,) in self.conn.execute(
            "SELECT body FROM events WHERE dossier = ? AND kind IN ('piece_attached', 'pieces_reused', "
            "'dossier_imported', 'document_issued')", (reference,)
        ):
            data = json.loads(body)["data"]
            if "document" in data:
                found.update(document_files(data, reference))
                continue
            pieces = [data["piece"]] if "piece" in data else data.get("pieces") or data["dossier"].get("pieces") or []
            found.update((p["key"], p["sha256"]) for p in pieces if p.get("sha256"))
        return found

    def context(self, dossier: Dossier, at: datetime, reads: frozenset[str]) -> Context:
        """The guards' context, with only the queries for the fields in ``reads`` (see ``guards.GUARD_READS``)."""
        campaign = self.campaign(dossier.campaign_id)
        cid, ref = campaign.id, dossier.reference
        found: dict[str, int] = {}
        if reads & _TOTALS:
            found = {
                scope: cents
                for scope, cents in self.conn.execute(
                    # Three primary-key look-ups (an OR here would scan every applicant's row).
                    "SELECT scope, approved_cents FROM totals WHERE campaign_id = ? AND scope = 'campaign' "
                    "AND key = '' UNION ALL SELECT scope, approved_cents FROM totals "
                    "WHERE campaign_id = ? AND scope = 'axis' AND key = ? "
                    "UNION ALL SELECT scope, approved_cents FROM totals WHERE campaign_id = ? AND scope = 'applicant' "
                    "AND key = (SELECT CAST(applicant_id AS TEXT) FROM dossiers WHERE reference = ?)",
                    (cid, cid, dossier.application.axis or "", cid, ref),
                )
            }
        own = to_cents(dossier.approved) if dossier.approved is not None and dossier.state != State.WITHDRAWN else 0

        def total(scope: str) -> Decimal:
            return from_cents(int(found.get(scope, 0)) - own)

        deliberations: list[Deliberation] = []
        if "deliberations" in reads:
            deliberations = [
                _deliberation_of_text(data)
                for (data,) in self.conn.execute(
                    "SELECT r.data FROM deliberation_dossiers d JOIN records r ON r.campaign_id = d.campaign_id "
                    "AND r.kind = 'deliberation' AND r.key = d.deliberation "
                    "WHERE d.campaign_id = ? AND d.reference = ?",
                    (cid, ref),
                )
            ]
        return Context(
            campaign=campaign,
            calendar=self.calendar(cid, at),
            sessions=_RecordLookup(self.conn, cid, "session", CommitteeSession),
            rulings=_RecordLookup(self.conn, cid, "ruling", Ruling),
            deliberations=tuple(deliberations),
            conventions=_RecordLookup(self.conn, cid, "convention", Convention),
            approved_total=total("campaign"),
            approved_by_axis={dossier.application.axis or "": total("axis")},
            applicant_granted=total("applicant") if "applicant" in found else ZERO,
            funder_granted=self._funder_granted(dossier) if "funder_granted" in reads else ZERO,
            overdue_reports=self._overdue(dossier, at) if "overdue_reports" in reads else (),
            financial_report=self.financial_report(ref) if "financial_report" in reads else None,
        )

    def _funder_granted(self, dossier: Dossier) -> Decimal:
        if dossier.applicant.identity.startswith("name:"):
            return ZERO  # known by its name only: never merged with a homonym
        campaign = self.campaign(dossier.campaign_id)
        rows = self.conn.execute(
            "SELECT campaign_id, SUM(approved_cents) FROM dossiers WHERE reference != ? AND approved_cents IS NOT NULL "
            "AND state != 'withdrawn' AND applicant_id = (SELECT applicant_id FROM dossiers WHERE reference = ?) "
            "GROUP BY campaign_id", (dossier.reference, dossier.reference))
        return sum((from_cents(int(cents)) for cid, cents in rows
                    if same_grantor(campaign, self.campaign(cid))), ZERO)

    def _overdue(self, dossier: Dossier, at: datetime) -> tuple[str, ...]:
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
            campaign = self.campaign(campaign_id)
            due = financial_report_due(campaign.envelope.year, campaign.funding.financial_report_months)
            if due < today:
                overdue.append(overdue_text(reference, campaign.envelope.year, due))
        return tuple(overdue)

    def sessions(self, campaign_id: str) -> Mapping[str, CommitteeSession]:
        return _RecordLookup(self.conn, campaign_id, "session", CommitteeSession)

    def scores(self, campaign_id: str) -> Mapping[str, ScoreSheet]:
        return _RecordLookup(self.conn, campaign_id, "score", ScoreSheet)

    def rulings(self, campaign_id: str) -> Mapping[str, Ruling]:
        return _RecordLookup(self.conn, campaign_id, "ruling", Ruling)

    def all_sessions(self) -> list[tuple[str, CommitteeSession]]:
        rows = self.conn.execute("SELECT campaign_id, data FROM records WHERE kind = 'session' ORDER BY id")
        return [(cid, structure(json.loads(data), CommitteeSession)) for cid, data in rows]

    def deliberations(self, campaign_id: str) -> list[Deliberation]:
        rows = self.conn.execute(
            "SELECT data FROM records WHERE campaign_id = ? AND kind = 'deliberation' ORDER BY id", (campaign_id,)
        )
        return [deliberation_record(json.loads(data)) for (data,) in rows]

    def all_deliberations(self) -> list[tuple[str, Deliberation]]:
        rows = self.conn.execute("SELECT campaign_id, data FROM records WHERE kind = 'deliberation' ORDER BY id")
        return [(cid, deliberation_record(json.loads(data))) for cid, data in rows]

    def deliberation_references(self, campaign_id: str) -> set[str]:
        rows = self.conn.execute(
            "SELECT key FROM records WHERE campaign_id = ? AND kind = 'deliberation'", (campaign_id,)
        )
        return {r[0] for r in rows}

    def financial_report(self, reference: str) -> FinancialReport | None:
        row = self.conn.execute(
            "SELECT data FROM records WHERE kind = 'financial_report' AND key = ?", (reference,)
        ).fetchone()
        return None if row is None else structure(json.loads(row[0]), FinancialReport)

    def approved_total(self, campaign_id: str) -> Decimal:
        row = self.conn.execute(
            "SELECT approved_cents FROM totals WHERE campaign_id = ? AND scope = 'campaign' AND key = ''",
            (campaign_id,),
        ).fetchone()
        return from_cents(int(row[0]) if row else 0)

    def last_at(self, reference: str) -> datetime | None:
        """The dossier's latest effective act (a postmark can date an event before the ones recorded earlier)."""
        if reference in self._last_at:
            return self._last_at[reference]
        days = [datetime.fromisoformat(at) for (at,) in self.conn.execute(
            "SELECT at FROM events WHERE dossier = ?", (reference,))]
        last = max(days) if days else None
        if len(self._last_at) > _CACHE_SIZE:
            del self._last_at[next(iter(self._last_at))]
        self._last_at[reference] = last
        return last

    def next_number(self, campaign_id: str) -> int:
        """The number of the campaign's next dossier: its counter (``campaigns.dossier_count``) plus one."""
        row = self.conn.execute("SELECT dossier_count FROM campaigns WHERE id = ?", (campaign_id,)).fetchone()
        return (int(row[0]) if row else 0) + 1

    def copied(self, campaign_id: str) -> set[str]:
        rows = self.conn.execute(
            "SELECT key FROM records WHERE campaign_id = ? AND kind = 'copied_draft'", (campaign_id,)
        )
        return {r[0] for r in rows}

    def drafts(self, campaign_id: str) -> list[Dossier]:
        rows = self.conn.execute(
            "SELECT reference, data FROM dossiers WHERE campaign_id = ? AND state = 'draft' ORDER BY reference",
            (campaign_id,),
        )
        return [self.dossier_from(ref, data) for ref, data in rows]

    def applicant_dossiers(self, identity: str) -> list[Dossier]:
        rows = self.conn.execute(
            "SELECT d.reference, d.data FROM dossiers d JOIN applicants a ON a.id = d.applicant_id "
            "WHERE a.identity = ? ORDER BY d.reference",
            (identity,),
        )
        return [self.dossier_from(ref, data) for ref, data in rows]

    def file_shared(self, sha256: str, identity: str) -> bool:
        return (
            self.conn.execute(
                "SELECT 1 FROM dossiers d JOIN applicants a ON a.id = d.applicant_id "
                "WHERE a.identity != ? AND instr(d.data, ?) > 0 LIMIT 1",
                (identity, sha256),
            ).fetchone()
            is not None
        )

    def acts(self, campaign_id: str) -> list[Act]:
        rows = self.conn.execute(
            "SELECT dossier, trigger, at FROM events WHERE campaign_id = ? AND kind = 'triggered' ORDER BY seq",
            (campaign_id,),
        )
        return [(ref, trigger, datetime.fromisoformat(at)) for ref, trigger, at in rows]

    def session_days(self, campaign_id: str) -> list[tuple[str, date]]:
        return [(d["id"], date.fromisoformat(d["day"])) for d in self.records(campaign_id, "session")]

    def deliberation_days(self, campaign_id: str) -> list[tuple[str, date]]:
        return [(d["reference"], date.fromisoformat(d["day"])) for d in self.records(campaign_id, "deliberation")]
