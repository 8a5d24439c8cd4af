"""Opening a store file: the connection's settings, and the schema migrations.

The store package is the only place that imports sqlite3 and sqlite-utils.
"""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from ..errors import InvalidInput, SchemaError
from . import schema

__all__ = ["SCHEMA_MIGRATIONS", "SYNCHRONOUS", "connect", "migrate"]

SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")
SCHEMA_MIGRATIONS = Migrations("ami_workflow")


@SCHEMA_MIGRATIONS(name="m001_initial")
def _m001_initial(db: Database) -> None:
    schema.m001_initial(db)


@SCHEMA_MIGRATIONS(name="m002_totals_links_personal_data")
def _m002_totals_links_personal_data(db: Database) -> None:
    schema.m002_totals_links_personal_data(db)


@SCHEMA_MIGRATIONS(name="m003_applicant_index")
def _m003_applicant_index(db: Database) -> None:
    schema.m003_applicant_index(db)


@SCHEMA_MIGRATIONS(name="m004_totals_only_when_shares_change")
def _m004_totals_only_when_shares_change(db: Database) -> None:
    schema.m004_totals_only_when_shares_change(db)


@SCHEMA_MIGRATIONS(name="m005_events_are_the_truth")
def _m005_events_are_the_truth(db: Database) -> None:
    schema.m005_events_are_the_truth(db)


def connect(path: str, *, synchronous: str = "FULL", busy_timeout: float = 30.0) -> sqlite3.Connection:
    """A connection to ``path`` with the store's settings, its schema migrated."""
    level = synchronous.upper() if isinstance(synchronous, str) else ""
    if level not in SYNCHRONOUS:
        raise InvalidInput(f"synchronous must be one of {', '.join(SYNCHRONOUS)}, not {synchronous!r}")
    conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        if path != ":memory:":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA synchronous = {level}")
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def migrate(conn: sqlite3.Connection) -> None:
    """Apply the migrations this file lacks; refuse a file from a newer version or not an ami_workflow one."""
    db = Database(conn, execute_plugins=False)
    known = {m.name for m in SCHEMA_MIGRATIONS._migrations}
    applied = {m.name for m in SCHEMA_MIGRATIONS.applied(db)}
    newer = sorted(applied - known)
    if newer:
        raise SchemaError(
            f"this database was written by a newer ami_workflow (schema migrations {', '.join(newer)}); upgrade the library"
        )
    tables = set(db.table_names())
    if tables and not applied and tables - {"_sqlite_migrations"}:
        raise SchemaError("this file is a SQLite database, but not an ami_workflow one")
    SCHEMA_MIGRATIONS.apply(db)
