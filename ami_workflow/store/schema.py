"""The SQLite schema of the store, as plain SQL, and the bodies of its migrations.

``ami_workflow.store.connection`` registers these functions with sqlite-utils'
``Migrations`` and applies them; each takes anything with an
``execute(sql, params)`` method. ``docs/storage.md`` describes the tables.
"""

from __future__ import annotations

import json
import secrets
from typing import Any, Protocol

from ..canonical import canonical_json
from ..journal import personal_data_digest
from ..personal import split_personal

__all__ = ["CONTRIBUTION", "Executor", "m001_initial", "m002_totals_links_personal_data", "m003_applicant_index",
           "m004_totals_only_when_shares_change", "m005_events_are_the_truth", "m006_dossier_counter"]


class Executor(Protocol):
    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...


_SCHEMA_V1 = [
    """CREATE TABLE campaigns (
        id TEXT PRIMARY KEY, year INTEGER NOT NULL, title TEXT NOT NULL,
        envelope_cents INTEGER NOT NULL, call TEXT NOT NULL)""",
    """CREATE TABLE applicants (
        id INTEGER PRIMARY KEY, identity TEXT NOT NULL UNIQUE, name TEXT NOT NULL, kind TEXT NOT NULL,
        siren TEXT, siret TEXT, rna TEXT, iban TEXT)""",
    """CREATE TABLE dossiers (
        reference TEXT PRIMARY KEY, campaign_id TEXT NOT NULL REFERENCES campaigns(id),
        applicant_id INTEGER NOT NULL REFERENCES applicants(id), state TEXT NOT NULL, version INTEGER NOT NULL,
        title TEXT, axis TEXT, total_cost_cents INTEGER, requested_cents INTEGER, ceiling_cents INTEGER,
        proposed_cents INTEGER, approved_cents INTEGER, paid_cents INTEGER NOT NULL DEFAULT 0,
        period_start TEXT, period_end TEXT, submitted_at TEXT, data TEXT NOT NULL)""",
    "CREATE INDEX dossiers_campaign_state ON dossiers(campaign_id, state)",
    """CREATE TABLE dossier_qpv (
        reference TEXT NOT NULL REFERENCES dossiers(reference), qpv_code TEXT NOT NULL,
        PRIMARY KEY (reference, qpv_code))""",
    """CREATE TABLE records (
        id INTEGER PRIMARY KEY, campaign_id TEXT NOT NULL REFERENCES campaigns(id), kind TEXT NOT NULL,
        key TEXT NOT NULL, data TEXT NOT NULL, UNIQUE (campaign_id, kind, key))""",
    """CREATE TABLE files (
        sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, content BLOB NOT NULL)""",
    """CREATE TABLE events (
        seq INTEGER PRIMARY KEY, campaign_id TEXT, dossier TEXT, kind TEXT NOT NULL, trigger TEXT,
        source TEXT, dest TEXT, at TEXT NOT NULL, actor TEXT NOT NULL, body TEXT NOT NULL,
        previous TEXT NOT NULL, hash TEXT NOT NULL UNIQUE)""",
    "CREATE INDEX events_dossier ON events(dossier, seq)",
    """CREATE TABLE refusals (
        id INTEGER PRIMARY KEY, dossier TEXT, trigger TEXT NOT NULL, at TEXT NOT NULL, actor TEXT NOT NULL,
        reasons TEXT NOT NULL)""",
    """CREATE VIEW envelope_consumed AS
        SELECT c.id AS campaign_id, c.envelope_cents,
               COALESCE(SUM(CASE WHEN d.state != 'withdrawn' THEN d.approved_cents END), 0) AS approved_cents,
               COALESCE(SUM(CASE WHEN d.state != 'withdrawn' THEN d.paid_cents END), 0) AS paid_cents,
               c.envelope_cents - COALESCE(SUM(CASE WHEN d.state != 'withdrawn' THEN d.approved_cents END), 0)
                   AS remaining_cents
        FROM campaigns c LEFT JOIN dossiers d ON d.campaign_id = c.id GROUP BY c.id""",
    """CREATE VIEW dossier_overview AS
        SELECT d.reference, d.campaign_id, d.state, a.name AS applicant, a.siret, d.axis, d.title,
               d.total_cost_cents, d.requested_cents, d.ceiling_cents, d.approved_cents, d.paid_cents,
               (SELECT group_concat(q.qpv_code, ' ') FROM dossier_qpv q WHERE q.reference = d.reference) AS qpv
        FROM dossiers d JOIN applicants a ON a.id = d.applicant_id""",
]


def m001_initial(db: Executor) -> None:
    """The first schema."""
    for statement in _SCHEMA_V1:
        db.execute(statement)


CONTRIBUTION = "CASE WHEN {row}.state != 'withdrawn' THEN COALESCE({row}.approved_cents, 0) ELSE 0 END"
_PAID = "CASE WHEN {row}.state != 'withdrawn' THEN {row}.paid_cents ELSE 0 END"


def _totals_upsert(row: str, sign: str) -> str:
    """SQL adding (sign '+') or removing (sign '-') one dossier row's share to its three totals."""
    approved, paid = CONTRIBUTION.format(row=row), _PAID.format(row=row)
    scopes = [
        ("'campaign'", "''"),
        ("'axis'", f"COALESCE({row}.axis, '')"),
        ("'applicant'", f"CAST({row}.applicant_id AS TEXT)"),
    ]
    return "\n".join(
        f"INSERT INTO totals (campaign_id, scope, key, approved_cents, paid_cents) "
        f"VALUES ({row}.campaign_id, {scope}, {key}, {sign}({approved}), {sign}({paid})) "
        "ON CONFLICT (campaign_id, scope, key) DO UPDATE SET "
        "approved_cents = approved_cents + excluded.approved_cents, paid_cents = paid_cents + excluded.paid_cents;"
        for scope, key in scopes
    )


_SCHEMA_V2 = [
    # Running totals kept by triggers in the same transaction: reading the envelope costs the same
    # with ten dossiers or a hundred thousand.
    """CREATE TABLE totals (
        campaign_id TEXT NOT NULL, scope TEXT NOT NULL, key TEXT NOT NULL,
        approved_cents INTEGER NOT NULL DEFAULT 0, paid_cents INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (campaign_id, scope, key))""",
    f"CREATE TRIGGER dossiers_totals_insert AFTER INSERT ON dossiers BEGIN {_totals_upsert('NEW', '+')} END",
    f"""CREATE TRIGGER dossiers_totals_update AFTER UPDATE OF state, approved_cents, paid_cents, axis ON dossiers
        BEGIN {_totals_upsert('OLD', '-')} {_totals_upsert('NEW', '+')} END""",
    f"CREATE TRIGGER dossiers_totals_delete AFTER DELETE ON dossiers BEGIN {_totals_upsert('OLD', '-')} END",
    """INSERT INTO totals (campaign_id, scope, key, approved_cents, paid_cents)
        SELECT id, 'campaign', '', 0, 0 FROM campaigns""",
    "DROP VIEW envelope_consumed",
    """CREATE VIEW envelope_consumed AS
        SELECT c.id AS campaign_id, c.envelope_cents,
               COALESCE(t.approved_cents, 0) AS approved_cents, COALESCE(t.paid_cents, 0) AS paid_cents,
               c.envelope_cents - COALESCE(t.approved_cents, 0) AS remaining_cents
        FROM campaigns c LEFT JOIN totals t ON t.campaign_id = c.id AND t.scope = 'campaign'""",
    # Which deliberation grants which dossier, for a direct look-up at payment.
    """CREATE TABLE deliberation_dossiers (
        campaign_id TEXT NOT NULL, deliberation TEXT NOT NULL, day TEXT NOT NULL, reference TEXT NOT NULL,
        PRIMARY KEY (campaign_id, deliberation, reference))""",
    "CREATE INDEX deliberation_dossiers_reference ON deliberation_dossiers(reference)",
    # Personal data (RGPD) in one place: names of legal representatives and signers.
    """CREATE TABLE personal_data (
        id INTEGER PRIMARY KEY, applicant_id INTEGER NOT NULL REFERENCES applicants(id),
        dossier TEXT NOT NULL, path TEXT NOT NULL, salt TEXT NOT NULL, digest TEXT NOT NULL,
        value TEXT, erased_at TEXT, UNIQUE (dossier, path))""",
    "ALTER TABLE files ADD COLUMN erased_at TEXT",
]


def m002_totals_links_personal_data(db: Executor) -> None:
    """Running totals, deliberation links and personal data kept apart; existing rows are filled in."""
    for statement in _SCHEMA_V2:
        db.execute(statement)
    for table_row in db.execute(
        "SELECT campaign_id, axis, applicant_id, state, approved_cents, paid_cents FROM dossiers"
    ).fetchall():
        campaign_id, axis, applicant_id, state, approved, paid = table_row
        share = (approved or 0, paid) if state != "withdrawn" else (0, 0)
        for scope, key in (("campaign", ""), ("axis", axis or ""), ("applicant", str(applicant_id))):
            db.execute(
                "INSERT INTO totals (campaign_id, scope, key, approved_cents, paid_cents) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (campaign_id, scope, key) DO UPDATE SET approved_cents = approved_cents + "
                "excluded.approved_cents, paid_cents = paid_cents + excluded.paid_cents",
                (campaign_id, scope, key, *share),
            )
    for campaign_id, data in db.execute("SELECT campaign_id, data FROM records WHERE kind = 'deliberation'").fetchall():
        record = json.loads(data)
        for reference in record["dossiers"]:
            db.execute(
                "INSERT OR IGNORE INTO deliberation_dossiers VALUES (?, ?, ?, ?)",
                (campaign_id, record["reference"], record["day"], reference),
            )
    for reference, applicant_id, data in db.execute("SELECT reference, applicant_id, data FROM dossiers").fetchall():
        redacted, values = split_personal(json.loads(data))
        for path, value in values.items():
            salt = secrets.token_hex(16)
            db.execute(
                "INSERT INTO personal_data (applicant_id, dossier, path, salt, digest, value)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (applicant_id, reference, path, salt, personal_data_digest(salt, value), value),
            )
        db.execute("UPDATE dossiers SET data = ? WHERE reference = ?", (canonical_json(redacted), reference))


def m003_applicant_index(db: Executor) -> None:
    """An index for the applicant's other grants (the compte rendu financier guard)."""
    db.execute("CREATE INDEX dossiers_applicant ON dossiers(applicant_id)")


def m004_totals_only_when_shares_change(db: Executor) -> None:
    """Fire the totals trigger only when a dossier's share of them changes (most writes leave it alone)."""
    old_share, new_share = CONTRIBUTION.format(row="OLD"), CONTRIBUTION.format(row="NEW")
    old_paid, new_paid = _PAID.format(row="OLD"), _PAID.format(row="NEW")
    db.execute("DROP TRIGGER dossiers_totals_update")
    db.execute(
        f"""CREATE TRIGGER dossiers_totals_update AFTER UPDATE OF state, approved_cents, paid_cents, axis ON dossiers
        WHEN ({old_share}) IS NOT ({new_share}) OR ({old_paid}) IS NOT ({new_paid})
             OR OLD.axis IS NOT NEW.axis OR OLD.applicant_id IS NOT NEW.applicant_id
        BEGIN {_totals_upsert('OLD', '-')} {_totals_upsert('NEW', '+')} END"""
    )


_SCHEMA_V5 = [
    # The journal is the truth: each event says when the store recorded it, beside when the act took effect.
    "ALTER TABLE events ADD COLUMN recorded_at TEXT",
    # Personal values (names, free texts) of each event, outside the chain: the event holds a salted digest.
    """CREATE TABLE personal_values (
        seq INTEGER NOT NULL, path TEXT NOT NULL, subject TEXT NOT NULL, salt TEXT NOT NULL, value TEXT,
        erased_at TEXT, PRIMARY KEY (seq, path))""",
    "CREATE INDEX personal_values_subject ON personal_values(subject)",
    # A file that already holds campaigns is journaled once as a snapshot on its next open (store/legacy.py).
    "CREATE TABLE legacy_import (campaigns INTEGER NOT NULL)",
    "INSERT INTO legacy_import SELECT COUNT(*) FROM campaigns HAVING COUNT(*) > 0",
]


def m005_events_are_the_truth(db: Executor) -> None:
    """Events carry every fact and their recording time; personal values are kept per event.

    Events written before this migration keep their hashes and are read as
    legacy events: verified by the chain, not replayed.
    """
    for statement in _SCHEMA_V5:
        db.execute(statement)


def m006_dossier_counter(db: Executor) -> None:
    """Each campaign counts its dossiers, so that numbering a new one costs one look-up at any size."""
    db.execute("ALTER TABLE campaigns ADD COLUMN dossier_count INTEGER NOT NULL DEFAULT 0")
    db.execute(
        "UPDATE campaigns SET dossier_count = (SELECT COUNT(*) FROM dossiers d WHERE d.campaign_id = campaigns.id)"
    )
    db.execute(
        "CREATE TRIGGER dossiers_count AFTER INSERT ON dossiers BEGIN "
        "UPDATE campaigns SET dossier_count = dossier_count + 1 WHERE id = NEW.campaign_id; END"
    )
