"""Publishing: an open-data copy of the store, with no personal data, to serve with Datasette or any SQLite reader.

:func:`publish` reads the projections of a working database (never its
journal) and writes a new SQLite file with mode ``0644``, and a Datasette
``metadata.json`` beside it (title, the Licence Ouverte 2.0, the source, what
each table and column holds). The file holds the received dossiers (a draft is
not published), their applicants as legal persons (name, kind, SIREN, SIRET,
RNA), states, axes, QPV, amounts, periods, deliberations and conventions, with
the labels of the call; tables keep the keys and exact integer cents, and the
views give the French labels and amounts in euros. Left out, because they name
people or are not public: the legal representatives, the signers of originals,
IBANs, pieces and issued documents, committee sessions and their members, free
texts (notes, motivations, reasons, descriptions), the call file's contacts,
the journal and its refusals.

    >>> import os, stat, tempfile
    >>> from datetime import datetime
    >>> from ami_workflow import Applicant, FixedClock, load_campaign
    >>> from ami_workflow.calendar import PARIS
    >>> from ami_workflow.store import Workflow
    >>> flow = Workflow.open(":memory:", load_campaign("ami-cohesion-sociale-2021"), actor="accueil",
    ...                      clock=FixedClock(datetime(2021, 3, 9, 10, tzinfo=PARIS)))
    >>> out = os.path.join(tempfile.mkdtemp(), "open.db")
    >>> published = publish(flow, out)
    >>> published.campaigns, published.dossiers, oct(stat.S_IMODE(os.stat(out).st_mode))
    (1, 0, '0o644')
    >>> os.path.basename(published.metadata)
    'metadata.json'
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from ..campaign import Campaign
from ..errors import InvalidInput, NotFound
from ..i18n import N_, _, use_language
from ..money import to_cents
from ..states import State, state_label
from .workflow import Workflow

__all__ = ["LICENCE", "LICENCE_URL", "PUBLISHED_MODE", "Published", "publish"]

#: Everyone may read the published file.
PUBLISHED_MODE = 0o644
#: The licence of French public open data (Etalab).
LICENCE = "Licence Ouverte 2.0 (Etalab)"
LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"

_TABLES = [
    """CREATE TABLE campaigns (
        id TEXT PRIMARY KEY, year INTEGER NOT NULL, title TEXT NOT NULL, legal_basis TEXT, territory TEXT,
        funder TEXT NOT NULL, funder_siren TEXT, funder_siret TEXT, envelope_cents INTEGER NOT NULL)""",
    """CREATE TABLE axes (
        campaign_id TEXT NOT NULL REFERENCES campaigns(id), key TEXT NOT NULL, number INTEGER NOT NULL,
        label TEXT NOT NULL, PRIMARY KEY (campaign_id, key))""",
    """CREATE TABLE qpv (
        campaign_id TEXT NOT NULL REFERENCES campaigns(id), code TEXT NOT NULL, name TEXT NOT NULL,
        communes TEXT NOT NULL, PRIMARY KEY (campaign_id, code))""",
    """CREATE TABLE applicant_kinds (
        campaign_id TEXT NOT NULL REFERENCES campaigns(id), key TEXT NOT NULL, label TEXT NOT NULL,
        PRIMARY KEY (campaign_id, key))""",
    "CREATE TABLE states (key TEXT PRIMARY KEY, label TEXT NOT NULL)",
    """CREATE TABLE dossiers (
        reference TEXT PRIMARY KEY, campaign_id TEXT NOT NULL REFERENCES campaigns(id), applicant TEXT NOT NULL,
        applicant_kind TEXT NOT NULL, siren TEXT, siret TEXT, rna TEXT, state TEXT NOT NULL REFERENCES states(key),
        axis TEXT, title TEXT, period_start TEXT, period_end TEXT, submitted_at TEXT, total_cost_cents INTEGER,
        requested_cents INTEGER, approved_cents INTEGER, paid_cents INTEGER NOT NULL)""",
    """CREATE TABLE dossier_qpv (
        reference TEXT NOT NULL REFERENCES dossiers(reference), qpv_code TEXT NOT NULL,
        PRIMARY KEY (reference, qpv_code))""",
    """CREATE TABLE deliberations (
        campaign_id TEXT NOT NULL REFERENCES campaigns(id), reference TEXT NOT NULL, day TEXT NOT NULL,
        PRIMARY KEY (campaign_id, reference))""",
    """CREATE TABLE deliberation_dossiers (
        campaign_id TEXT NOT NULL, deliberation TEXT NOT NULL, reference TEXT NOT NULL REFERENCES dossiers(reference),
        PRIMARY KEY (campaign_id, deliberation, reference))""",
    """CREATE TABLE conventions (
        dossier TEXT PRIMARY KEY REFERENCES dossiers(reference), reference TEXT NOT NULL, signed_on TEXT NOT NULL)""",
]

_GRANT = "CASE WHEN d.state != 'withdrawn' THEN COALESCE(d.approved_cents, 0) ELSE 0 END"
_PAID = "CASE WHEN d.state != 'withdrawn' THEN d.paid_cents ELSE 0 END"

_VIEWS = [
    """CREATE VIEW dossier_overview AS
        SELECT d.reference, d.campaign_id, d.applicant, d.applicant_kind, k.label AS applicant_kind_label,
               d.siren, d.siret, d.rna, d.state, s.label AS state_label, d.axis, a.number AS axis_number,
               a.label AS axis_label, d.title,
               (SELECT group_concat(code, ' ') FROM (SELECT q.qpv_code AS code FROM dossier_qpv q
                   WHERE q.reference = d.reference ORDER BY q.qpv_code)) AS qpv_codes,
               (SELECT group_concat(name, ' ; ') FROM (SELECT p.name AS name FROM dossier_qpv q
                   JOIN qpv p ON p.campaign_id = d.campaign_id AND p.code = q.qpv_code
                   WHERE q.reference = d.reference ORDER BY q.qpv_code)) AS qpv_names,
               d.period_start, d.period_end, d.submitted_at,
               d.total_cost_cents / 100.0 AS total_cost_eur, d.requested_cents / 100.0 AS requested_eur,
               d.approved_cents / 100.0 AS approved_eur, d.paid_cents / 100.0 AS paid_eur
        FROM dossiers d JOIN states s ON s.key = d.state
        LEFT JOIN axes a ON a.campaign_id = d.campaign_id AND a.key = d.axis
        LEFT JOIN applicant_kinds k ON k.campaign_id = d.campaign_id AND k.key = d.applicant_kind""",
    f"""CREATE VIEW grants AS
        SELECT d.reference, d.campaign_id, d.applicant, d.siren, d.siret, d.rna, d.title, d.state,
               s.label AS state_label, a.label AS axis_label,
               (SELECT l.deliberation FROM deliberation_dossiers l JOIN deliberations b
                   ON b.campaign_id = l.campaign_id AND b.reference = l.deliberation
                   WHERE l.reference = d.reference ORDER BY b.day, b.rowid LIMIT 1) AS deliberation,
               (SELECT b.day FROM deliberation_dossiers l JOIN deliberations b
                   ON b.campaign_id = l.campaign_id AND b.reference = l.deliberation
                   WHERE l.reference = d.reference ORDER BY b.day, b.rowid LIMIT 1) AS deliberation_day,
               c.reference AS convention, c.signed_on AS convention_signed_on,
               d.approved_cents / 100.0 AS approved_eur, d.paid_cents / 100.0 AS paid_eur,
               d.period_start, d.period_end
        FROM dossiers d JOIN states s ON s.key = d.state
        LEFT JOIN axes a ON a.campaign_id = d.campaign_id AND a.key = d.axis
        LEFT JOIN conventions c ON c.dossier = d.reference
        WHERE d.approved_cents > 0 AND d.state IN ('{State.APPROVED}', '{State.PAID}', '{State.CLOSED}',
            '{State.RECOVERY}', '{State.RECOVERED}')""",
    f"""CREATE VIEW by_state AS
        SELECT d.campaign_id, d.state, s.label AS state_label, COUNT(*) AS dossiers,
               SUM(COALESCE(d.requested_cents, 0)) / 100.0 AS requested_eur,
               SUM({_GRANT}) / 100.0 AS approved_eur, SUM({_PAID}) / 100.0 AS paid_eur
        FROM dossiers d JOIN states s ON s.key = d.state GROUP BY d.campaign_id, d.state""",
    f"""CREATE VIEW by_axis AS
        SELECT d.campaign_id, d.axis, a.number AS axis_number, a.label AS axis_label, COUNT(*) AS dossiers,
               SUM(COALESCE(d.requested_cents, 0)) / 100.0 AS requested_eur,
               SUM({_GRANT}) / 100.0 AS approved_eur, SUM({_PAID}) / 100.0 AS paid_eur
        FROM dossiers d LEFT JOIN axes a ON a.campaign_id = d.campaign_id AND a.key = d.axis
        WHERE d.axis IS NOT NULL GROUP BY d.campaign_id, d.axis""",
    f"""CREATE VIEW by_qpv AS
        SELECT d.campaign_id, q.qpv_code, p.name AS qpv_name, p.communes, COUNT(*) AS dossiers,
               SUM({_GRANT}) / 100.0 AS approved_eur
        FROM dossier_qpv q JOIN dossiers d ON d.reference = q.reference
        LEFT JOIN qpv p ON p.campaign_id = d.campaign_id AND p.code = q.qpv_code
        GROUP BY d.campaign_id, q.qpv_code""",
    f"""CREATE VIEW envelope AS
        SELECT c.id AS campaign_id, c.title, c.envelope_cents / 100.0 AS envelope_eur,
               COALESCE((SELECT SUM({_GRANT}) FROM dossiers d WHERE d.campaign_id = c.id), 0) / 100.0
                   AS approved_eur,
               COALESCE((SELECT SUM({_PAID}) FROM dossiers d WHERE d.campaign_id = c.id), 0) / 100.0 AS paid_eur,
               (c.envelope_cents - COALESCE((SELECT SUM({_GRANT}) FROM dossiers d WHERE d.campaign_id = c.id), 0))
                   / 100.0 AS remaining_eur
        FROM campaigns c""",
]

#: The received dossiers (never a draft) and their applicants, as the dossier holds them.
_DOSSIERS = """SELECT d.reference, d.campaign_id, d.data ->> '$.applicant.name', d.data ->> '$.applicant.kind',
        d.data ->> '$.applicant.siren', d.data ->> '$.applicant.siret', d.data ->> '$.applicant.rna', d.state,
        d.axis, d.title, d.period_start, d.period_end, d.submitted_at, d.total_cost_cents, d.requested_cents,
        d.approved_cents, d.paid_cents
    FROM dossiers d WHERE d.submitted_at IS NOT NULL AND d.state != 'draft' ORDER BY d.reference"""

#: What each table or view holds (translated when the metadata is written).
_DESCRIPTIONS: Mapping[str, str] = {
    "campaigns": N_("The calls for projects, one per year, and their envelope in cents."),
    "axes": N_("The axes of each call."),
    "qpv": N_("The priority neighbourhoods (QPV) of each call's territory."),
    "applicant_kinds": N_("The kinds of applicant each call knows."),
    "states": N_("The states of a dossier, with their French label."),
    "dossiers": N_("The dossiers received (drafts are not published), with keys and amounts in cents."),
    "dossier_qpv": N_("Which priority neighbourhoods each dossier's action targets."),
    "deliberations": N_("The council's deliberations that grant the subsidies."),
    "deliberation_dossiers": N_("Which deliberation grants which dossier."),
    "conventions": N_("The conventions signed for a granted dossier."),
    "dossier_overview": N_("Each dossier received, with its labels and its amounts in euros."),
    "grants": N_("The subsidies granted (approved or paid), with the deliberation and the convention, in euros."),
    "by_state": N_("The dossiers by state, with the amounts in euros."),
    "by_axis": N_("The dossiers by axis, with the amounts in euros."),
    "by_qpv": N_("The dossiers by priority neighbourhood (a dossier may target several), in euros."),
    "envelope": N_("Each call's envelope, what is granted and paid, and what remains, in euros."),
}

#: What each column holds, by name, in every table and view that has it.
_COLUMNS: Mapping[str, str] = {
    "id": N_("The campaign's id."),
    "campaign_id": N_("The campaign's id."),
    "year": N_("The year of the call."),
    "title": N_("The title (of the call, or of the dossier's action)."),
    "legal_basis": N_("The legal basis of the call."),
    "territory": N_("The funder's territory."),
    "funder": N_("The funder's name."),
    "funder_siren": N_("The funder's SIREN."),
    "funder_siret": N_("The funder's SIRET, when set."),
    "key": N_("The key, as the data and the commands name it."),
    "label": N_("The label, in French."),
    "number": N_("The axis number in the call."),
    "code": N_("The QPV code."),
    "name": N_("The QPV's name."),
    "communes": N_("The communes the QPV spans."),
    "reference": N_("The reference (of the dossier, the deliberation or the convention)."),
    "dossier": N_("The dossier's reference."),
    "applicant": N_("The applicant's name (a legal person: an association or a collective)."),
    "applicant_kind": N_("The kind of applicant (key)."),
    "applicant_kind_label": N_("The kind of applicant, in French."),
    "siren": N_("The applicant's SIREN."),
    "siret": N_("The applicant's SIRET."),
    "rna": N_("The association's number in the RNA."),
    "state": N_("The dossier's state (key)."),
    "state_label": N_("The dossier's state, in French."),
    "axis": N_("The axis (key)."),
    "axis_number": N_("The axis number in the call."),
    "axis_label": N_("The axis, in French."),
    "qpv_code": N_("The QPV code."),
    "qpv_codes": N_("The QPV codes the action targets."),
    "qpv_name": N_("The QPV's name."),
    "qpv_names": N_("The names of the QPV the action targets."),
    "period_start": N_("The first day of the action."),
    "period_end": N_("The last day of the action."),
    "submitted_at": N_("When the dossier was received (ISO 8601, Paris time)."),
    "day": N_("The day of the deliberation."),
    "deliberation": N_("The first deliberation granting the dossier."),
    "deliberation_day": N_("The day of that deliberation."),
    "convention": N_("The reference of the signed convention."),
    "signed_on": N_("The day the convention was signed."),
    "convention_signed_on": N_("The day the convention was signed."),
    "dossiers": N_("The number of dossiers."),
    "envelope_cents": N_("The call's envelope, in cents."),
    "total_cost_cents": N_("The action's total cost, in cents."),
    "requested_cents": N_("The amount requested, in cents."),
    "approved_cents": N_("The amount granted, in cents."),
    "paid_cents": N_("The amount paid so far, in cents."),
    "envelope_eur": N_("The call's envelope, in euros."),
    "total_cost_eur": N_("The action's total cost, in euros."),
    "requested_eur": N_("The amount requested, in euros."),
    "approved_eur": N_("The amount granted, in euros (a withdrawn dossier's is not counted in the sums)."),
    "paid_eur": N_("The amount paid so far, in euros."),
    "remaining_eur": N_("What the envelope has left to grant, in euros."),
}


@attrs.frozen
class Published:
    """What :func:`publish` wrote."""

    database: Path
    metadata: Path
    campaigns: int
    dossiers: int


def publish(
    source: Workflow | str | Path,
    out_path: str | Path,
    *,
    metadata_path: str | Path | None = None,
    force: bool = False,
) -> Published:
    """Write the open-data database ``out_path`` (mode ``0644``) and its Datasette metadata from ``source``.

    ``source`` is an open :class:`Workflow` or the path of a working database.
    The metadata goes to ``metadata_path``, by default ``metadata.json`` beside
    ``out_path``. An existing file is refused unless ``force``; the working
    database itself is always refused. Both files are written whole under a
    temporary name first, so a failure leaves nothing half-written. Labels and
    descriptions are in French.
    """
    out = Path(out_path)
    metadata = Path(metadata_path) if metadata_path is not None else out.with_name("metadata.json")
    if out == metadata:
        raise InvalidInput(_("the database and its metadata cannot be the same file ({path})").format(path=out))
    with _opened(source) as flow:
        database = flow.conn.execute("PRAGMA database_list").fetchone()[2]
        for target in (out, metadata):
            if database and target.exists() and os.path.samefile(target, database):
                raise InvalidInput(_("{path} is the working database: publish to another file").format(path=target))
            if target.exists() and not force:
                raise InvalidInput(_("{path} already exists: give --force to replace it").format(path=target))
        with use_language("fr"):
            built, campaigns, dossiers = _build(flow, out)
            try:
                text = json.dumps(_metadata(flow, out.stem), ensure_ascii=False, indent=2) + "\n"
                written = _temporary(metadata, text.encode("utf-8"))
            except BaseException:
                os.unlink(built)
                raise
    try:
        _place(built, out, force)
    except BaseException:
        os.unlink(written)
        raise
    _place(written, metadata, force)
    return Published(out, metadata, campaigns, dossiers)


@contextlib.contextmanager
def _opened(source: Workflow | str | Path) -> Iterator[Workflow]:
    if isinstance(source, Workflow):
        yield source
        return
    if not isinstance(source, (str, Path)):
        raise InvalidInput(_("publish reads a Workflow or a database path, not {type}").format(
            type=type(source).__name__))
    if not Path(source).is_file():
        raise NotFound(_("no database at {path}").format(path=source))
    with Workflow.open(source) as flow:
        yield flow


def _temporary(target: Path, data: bytes | None = None) -> Path:
    """A new file beside ``target`` (mode 0600 while it is written), holding ``data`` if given."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    with os.fdopen(fd, "wb") as file:
        if data is not None:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
    return Path(name)


def _place(written: Path, target: Path, force: bool) -> None:
    """Give ``written`` the published mode and move it to ``target`` (never over a file unless ``force``)."""
    os.chmod(written, PUBLISHED_MODE)  # explicit, whatever the umask
    try:
        if force:
            os.replace(written, target)
            return
        try:
            os.link(written, target)  # fails if the target appeared since the check
        except FileExistsError:
            raise InvalidInput(_("{path} already exists: give --force to replace it").format(path=target)) from None
        except OSError:  # a file system without hard links
            if target.exists():
                raise InvalidInput(_("{path} already exists: give --force to replace it").format(
                    path=target)) from None
            os.replace(written, target)
    finally:
        if written.exists():
            os.unlink(written)


def _build(flow: Workflow, out: Path) -> tuple[Path, int, int]:
    """The open-data database, written to a temporary file beside ``out``; its campaigns and dossiers counted."""
    path = _temporary(out)
    try:
        target = sqlite3.connect(path, isolation_level=None)
        try:
            target.execute("BEGIN")
            for statement in _TABLES + _VIEWS:
                target.execute(statement)
            _copy(flow, target)
            target.execute("COMMIT")
            campaigns, dossiers = target.execute(
                "SELECT (SELECT COUNT(*) FROM campaigns), (SELECT COUNT(*) FROM dossiers)").fetchone()
        finally:
            target.close()
    except BaseException:
        os.unlink(path)
        raise
    return path, int(campaigns), int(dossiers)


def _copy(flow: Workflow, target: sqlite3.Connection) -> None:
    """Copy what is public, read in one snapshot of the working database."""
    source = flow.conn
    reads = contextlib.nullcontext() if source.in_transaction else _read_transaction(source)
    with reads:
        campaigns = [flow.get_campaign(cid) for cid in flow.campaign_ids()]
        for campaign in campaigns:
            _copy_campaign(target, campaign)
        target.executemany("INSERT INTO states VALUES (?, ?)", [(s.value, state_label(s.value)) for s in State])
        target.executemany("INSERT INTO dossiers VALUES (" + ", ".join("?" * 17) + ")", source.execute(_DOSSIERS))
        published = {r[0] for r in target.execute("SELECT reference FROM dossiers")}
        target.executemany("INSERT INTO dossier_qpv VALUES (?, ?)", (
            (ref, code) for ref, code in source.execute("SELECT reference, qpv_code FROM dossier_qpv ORDER BY 1, 2")
            if ref in published))
        for campaign in campaigns:
            for deliberation in flow.deliberations(campaign.id):
                target.execute("INSERT INTO deliberations VALUES (?, ?, ?)",
                               (campaign.id, deliberation.reference, deliberation.day.isoformat()))
                target.executemany("INSERT OR IGNORE INTO deliberation_dossiers VALUES (?, ?, ?)", [
                    (campaign.id, deliberation.reference, ref) for ref in deliberation.dossiers if ref in published])
            target.executemany("INSERT INTO conventions VALUES (?, ?, ?)", [
                (c.dossier, c.reference, c.signed_on.isoformat())
                for c in flow.conventions(campaign.id).values() if c.dossier in published])


@contextlib.contextmanager
def _read_transaction(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN")
    try:
        yield
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")


def _copy_campaign(target: sqlite3.Connection, campaign: Campaign) -> None:
    call, funder = campaign.call, campaign.funder
    target.execute("INSERT INTO campaigns VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (
        call.id, call.year, call.title, call.legal_basis or None, campaign.territory.name or None, funder.name,
        funder.siren or None, funder.siret or None, to_cents(campaign.envelope.amount)))
    target.executemany("INSERT INTO axes VALUES (?, ?, ?, ?)",
                       [(call.id, a.key, a.number, a.label) for a in campaign.axes])
    target.executemany("INSERT INTO qpv VALUES (?, ?, ?, ?)",
                       [(call.id, q.code, q.name, ", ".join(q.communes)) for q in campaign.territory.qpv])
    target.executemany("INSERT INTO applicant_kinds VALUES (?, ?, ?)",
                       [(call.id, key, kind.label) for key, kind in campaign.applicants.kinds.items()])


def _metadata(flow: Workflow, name: str) -> dict[str, Any]:
    """Datasette's metadata: title, licence, source, and the description of each table, view and column."""
    campaigns = [flow.get_campaign(cid) for cid in flow.campaign_ids()]
    funders = sorted({c.funder.name for c in campaigns})
    title = campaigns[0].call.title if len(campaigns) == 1 else _("Calls for projects: {funders}").format(
        funders=", ".join(funders))
    tables = {
        table: {"description": _(_DESCRIPTIONS[table]), "columns": {column: _(_COLUMNS[column]) for column in columns}}
        for table, columns in _schema_columns().items()
    }
    return {
        "title": title,
        "description": _("Dossiers received and subsidies granted, without personal data: no names of people, no "
                         "IBAN, no pieces, no committee members, no notes, no journal."),
        "license": LICENCE,
        "license_url": LICENCE_URL,
        "source": ", ".join(funders),
        "databases": {name: {"tables": tables}},
    }


@functools.cache
def _schema_columns() -> dict[str, tuple[str, ...]]:
    """The columns of each table and view this module writes, in order."""
    conn = sqlite3.connect(":memory:")
    try:
        for statement in _TABLES + _VIEWS:
            conn.execute(statement)
        names = [statement.split()[2] for statement in _TABLES + _VIEWS]
        return {name: tuple(row[1] for row in conn.execute(f"PRAGMA table_info({name})")) for name in names}
    finally:
        conn.close()
