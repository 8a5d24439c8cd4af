"""Databases from earlier versions: their tables journaled once as a snapshot, their old events kept.

Before schema m005 the journal was a side-log: its events did not carry every
fact, so they cannot be replayed. When such a file is first opened, in one
write transaction:

- the old events stay exactly as they are; ``verify`` still checks their hash
  chain, and reads them as :attr:`~ami_workflow.core.events.Kind.LEGACY`
  events (not replayed, not reported as tampering);
- what the tables hold is read back (campaigns, dossiers with their personal
  data, calendar amendments, sessions, deliberations, conventions, comptes
  rendus financiers, copied drafts) and appended to the journal as ordinary
  events, a ``dossier_imported`` one per dossier, dated when the import is
  recorded;
- the projection tables are emptied and rebuilt from those events, so that
  from then on every table is the replay of the journal.

The pieces' bytes (``files``) are kept as they are.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..core.events import Event, Kind
from ..core.plain import plain
from ..personal import ERASED, split_personal
from .view import SqlView

__all__ = ["IMPORT_ACTOR", "legacy_events", "needs_import"]

#: The actor of the events that journal an earlier version's tables.
IMPORT_ACTOR = "ami_workflow (import of a database from an earlier version)"

_PROJECTIONS = ("dossier_qpv", "personal_data", "deliberation_dossiers", "records", "dossiers", "applicants",
                "totals", "campaigns")


def needs_import(conn: sqlite3.Connection) -> bool:
    """Whether the file came from an earlier version with campaigns, and has not been journaled yet.

    Only the migration to schema m005 marks a file so (table ``legacy_import``), and only a journal
    that has recorded no campaign is imported: a journal emptied later is not imported again, it
    fails ``verify``, and a mark added later to a journaled file changes nothing.
    """
    marked = conn.execute("SELECT 1 FROM legacy_import LIMIT 1").fetchone() is not None
    journaled = conn.execute("SELECT 1 FROM events WHERE kind = 'campaign_added' LIMIT 1").fetchone() is not None
    return marked and not journaled


def _name(value: str | None) -> str | None:
    return None if value in (None, ERASED) else value


def legacy_events(conn: sqlite3.Connection, view: SqlView, now: datetime) -> list[Event]:
    """The snapshot events of what an earlier version's tables hold; then those tables are emptied."""
    events: list[Event] = []

    def record(kind: Kind, cid: str, data: dict[str, Any], personal: dict[str, str | None] | None = None) -> None:
        events.append(Event(kind, cid, None, now, IMPORT_ACTOR, data, personal or {}))

    copied = {json.loads(d)["to"]: json.loads(d)["from"] for (d,) in conn.execute(
        "SELECT data FROM records WHERE kind = 'copied_draft'")}
    erased = {sha for (sha,) in conn.execute("SELECT sha256 FROM files WHERE erased_at IS NOT NULL")}
    for (cid,) in conn.execute("SELECT id FROM campaigns ORDER BY year, id").fetchall():
        campaign = view.campaign(cid)
        record(Kind.CAMPAIGN_ADDED, cid, {"call": plain(campaign)})
        for ref, data in conn.execute(
            "SELECT reference, data FROM dossiers WHERE campaign_id = ? ORDER BY reference", (cid,)
        ).fetchall():
            dossier_data, values = split_personal(plain(view.dossier_from(ref, data)))
            facts: dict[str, Any] = {"dossier": dossier_data}
            if ref in copied:
                facts["copied_from"] = copied[ref]
            gone = sorted({p["sha256"] for p in dossier_data.get("pieces", ()) if p.get("sha256") in erased})
            if gone:
                facts["erased_files"] = gone
            events.append(Event(Kind.DOSSIER_IMPORTED, cid, ref, now, IMPORT_ACTOR, facts,
                                {path: _name(value) for path, value in values.items()}))
        _records(view, cid, record)
    for table in (*_PROJECTIONS, "legacy_import"):
        conn.execute(f"DELETE FROM {table}")
    view.forget()  # the rows it read are gone: the projections are rebuilt from the events
    return events


def _records(view: SqlView, cid: str, record: Callable[..., None]) -> None:
    for amendment in view.records(cid, "amendment"):
        record(Kind.CALENDAR_AMENDED, cid, {"amendment": amendment})
    for session in view.records(cid, "session"):
        personal: dict[str, str | None] = {"chair": _name(session.pop("chair"))}
        for i, member in enumerate(session["members"]):
            personal[f"members.{i}.name"] = _name(member.pop("name"))
        record(Kind.SESSION_RECORDED, cid, {"session": session}, personal)
    for deliberation in view.records(cid, "deliberation"):
        record(Kind.DELIBERATION_RECORDED, cid, {"deliberation": deliberation})
    for convention in view.records(cid, "convention"):
        record(Kind.CONVENTION_RECORDED, cid, {"convention": convention})
    for report in view.records(cid, "financial_report"):
        record(Kind.FINANCIAL_REPORT_RECORDED, cid, {"report": report})

