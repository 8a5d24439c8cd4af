"""The tables checked against the replay of the journal: how ``verify`` sees a row changed behind the library's back.

:func:`difference` reads every projection table back and compares it with a
:class:`~ami_workflow.core.evolve.World` folded from the journal, naming the
first difference: the events' own columns against their hashed bodies, the
campaigns against their call files, the dossiers (row, derived columns,
personal values, QPV links), the applicants, every record, the deliberation
links, the running totals and the files.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from typing import Any

from ..audit import world_difference
from ..calendar import CalendarAmendment
from ..campaign import Campaign
from ..committee import CommitteeSession
from ..core.events import Kind
from ..core.evolve import World, _Campaign, plain, structure
from ..decisions import Convention, Deliberation, FinancialReport
from ..dossier import Dossier
from ..money import from_cents, to_cents
from ..personal import join_personal, split_personal
from .projections import COLUMNS, dossier_columns

__all__ = ["difference"]

_KINDS = {k.value for k in Kind}


def _events_problem(conn: sqlite3.Connection) -> str | None:
    """The first event whose indexed columns say something else than its hashed body."""
    rows = conn.execute(
        "SELECT seq, campaign_id, dossier, kind, trigger, source, dest, at, recorded_at, actor, body FROM events"
    )
    for seq, campaign, dossier, kind, trigger, source, dest, at, recorded_at, actor, text in rows:
        body = json.loads(text)
        if body.get("kind") in _KINDS:
            data = body["data"]
            expected = (body["campaign"], body["dossier"], body["kind"], data.get("trigger"), data.get("source"),
                        data.get("dest"), body["at"], body["recorded_at"], body["actor"])
        else:  # an event written before schema m005
            expected = (body.get("campaign"), body.get("dossier"), body.get("kind"), body.get("trigger"),
                        body.get("source"), body.get("dest"), body.get("at"), None, body.get("actor"))
        if (campaign, dossier, kind, trigger, source, dest, at, recorded_at, actor) != expected:
            return f"event {seq}: its columns differ from its hashed content"
    return None


def _campaigns(conn: sqlite3.Connection, world: World) -> str | None:
    for cid, year, title, envelope, call, count, dossiers in conn.execute(
        "SELECT id, year, title, envelope_cents, call, dossier_count, "
        "(SELECT COUNT(*) FROM dossiers d WHERE d.campaign_id = c.id) FROM campaigns c ORDER BY id"
    ):
        campaign: Campaign = structure(json.loads(call), Campaign)
        if (cid, year, title, envelope) != (campaign.id, campaign.call.year, campaign.call.title,
                                            to_cents(campaign.envelope.amount)):
            return f"campaign {cid}: its columns differ from its call file"
        if count != dossiers:
            return f"campaign {cid}: its dossier counter says {count}, its table holds {dossiers} dossiers"
        world.campaigns[cid] = _Campaign(campaign)
    return None


def _records(conn: sqlite3.Connection, world: World) -> str | None:
    """Every record row, by campaign, into the world (rows of an unknown kind are kept, to be compared)."""
    for cid, kind, key, text in conn.execute("SELECT campaign_id, kind, key, data FROM records ORDER BY id"):
        place = world.campaigns.get(cid)
        if place is None:
            return f"a {kind} record {key} belongs to no campaign"
        data: Any = json.loads(text)
        if kind == "amendment":
            place.amendments.append(structure(data, CalendarAmendment))
        elif kind == "session":
            place.sessions[key] = structure(data, CommitteeSession)
        elif kind == "deliberation":
            place.deliberations.append(structure(data, Deliberation))
        elif kind == "convention":
            place.conventions[key] = structure(data, Convention)
        elif kind == "financial_report":
            place.financial_reports[key] = structure(data, FinancialReport)
        elif kind == "copied_draft":
            place.copied[key] = data.get("to")
        else:
            place.copied[f"{kind}:{key}"] = text  # a kind this library never writes: reported as a difference
    return None


def _dossiers(conn: sqlite3.Connection, world: World) -> str | None:
    personal: dict[str, dict[str, str | None]] = {}
    for ref, path, value in conn.execute("SELECT dossier, path, value FROM personal_data"):
        personal.setdefault(ref, {})[path] = value
    for ref, data, *columns in conn.execute(f"SELECT reference, data, {COLUMNS} FROM dossiers ORDER BY reference"):
        stored = json.loads(data)
        dossier: Dossier = structure(join_personal(json.loads(data), personal.get(ref, {})), Dossier)
        world.dossiers[ref] = dossier
        if tuple(columns) != dossier_columns(dossier):
            names = [c.strip() for c in COLUMNS.split(",")]
            wrong = [n for n, a, b in zip(names, columns, dossier_columns(dossier), strict=True) if a != b]
            return f"dossier {ref}: the column {', '.join(wrong)} differs from its record"
        if split_personal(plain(dossier)) != (stored, {k: v for k, v in personal.get(ref, {}).items() if v}):
            return f"dossier {ref}: its personal data differs from its record"
        qpv = sorted(r[0] for r in conn.execute("SELECT qpv_code FROM dossier_qpv WHERE reference = ?", (ref,)))
        if qpv != sorted(dossier.application.qpv_codes):
            return f"dossier {ref}: its QPV links differ from its record"
    strays = set(personal) - set(world.dossiers)
    return f"personal data is kept for {sorted(strays)[0]}, which is no dossier" if strays else None


def _applicants(conn: sqlite3.Connection, replayed: World) -> tuple[dict[int, str], str | None]:
    identities: dict[int, str] = {}
    seen = set()
    for applicant_id, identity, *values in conn.execute(
        "SELECT id, identity, name, kind, siren, siret, rna, iban FROM applicants"
    ):
        identities[applicant_id] = identity
        seen.add(identity)
        a = replayed.applicants.get(identity)
        if a is None or tuple(values) != (a.name, a.kind, a.siren, a.siret, a.rna, a.iban):
            return identities, f"the applicant {identity} differs from its dossiers"
    missing = set(replayed.applicants) - seen
    if missing:
        return identities, f"the applicant {sorted(missing)[0]} is missing from the store"
    for ref, applicant_id in conn.execute("SELECT reference, applicant_id FROM dossiers"):
        dossier = replayed.dossiers.get(ref)
        if dossier is not None and identities.get(applicant_id) != dossier.applicant.identity:
            return identities, f"dossier {ref} points at another applicant than its own"
    return identities, None


def _totals_and_links(conn: sqlite3.Connection, world: World, identities: dict[int, str]) -> None:
    for cid, scope, key, approved, paid in conn.execute(
        "SELECT campaign_id, scope, key, approved_cents, paid_cents FROM totals"
    ):
        name = identities.get(int(key), key) if scope == "applicant" and key.isdigit() else key
        if approved or paid:
            world.totals[(cid, scope, name)] = (from_cents(approved), from_cents(paid))
    for _cid, deliberation, day, ref in conn.execute("SELECT * FROM deliberation_dossiers"):
        world.granted_by.setdefault(ref, []).append((deliberation, date.fromisoformat(day)))


def _files(conn: sqlite3.Connection, replayed: World) -> str | None:
    for sha, size, length in conn.execute(
        "SELECT sha256, size, length(content) FROM files WHERE erased_at IS NULL"
    ):
        if size != length:
            return f"the file {sha}: its size differs from its content"
    for dossier in replayed.dossiers.values():
        for piece in dossier.pieces:
            if piece.sha256 and piece.sha256 not in replayed.erased_files and conn.execute(
                "SELECT 1 FROM files WHERE sha256 = ? AND erased_at IS NULL", (piece.sha256,)
            ).fetchone() is None:
                return f"the content of {dossier.reference}'s piece {piece.key} is missing or erased"
    return None


def difference(conn: sqlite3.Connection, replayed: World) -> str | None:
    """The first difference between the tables and the replay of the journal, or ``None``."""
    tables = World()
    problem = _events_problem(conn) or _campaigns(conn, tables) or _dossiers(conn, tables) or _records(conn, tables)
    if problem is not None:
        return problem
    identities, applicants = _applicants(conn, replayed)
    _totals_and_links(conn, tables, identities)
    found = world_difference(tables, replayed) or applicants
    if found is not None:
        return found
    for place in tables.campaigns.values():
        expected = replayed.campaigns[place.campaign.id].copied if place.campaign.id in replayed.campaigns else {}
        if place.copied != expected:
            return f"the copied drafts of {place.campaign.id} differ from the journal"
    for ref in sorted(set(tables.granted_by) | set(replayed.granted_by)):
        if sorted(tables.granted_by.get(ref, [])) != sorted(replayed.granted_by.get(ref, [])):
            return f"the deliberation links of {ref} differ from the journal"
    return _files(conn, replayed)
