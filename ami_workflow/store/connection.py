"""Opening an ami_workflow SQLite file: the connection settings and the schema migrations.

Several processes may open the same file at the same moment, a brand-new one
or one left by an older version. Nothing here may then fail with a raw
``sqlite3.OperationalError``:

* :func:`connect` sets WAL mode, retrying with a short backoff (within
  ``busy_timeout``) while another process holds the lock that the change of
  journal mode needs (SQLite does not call the busy handler for it);
* :func:`migrate` takes the write lock first (``BEGIN IMMEDIATE``, so other
  openers queue behind it), then reads which migrations the file has, applies
  only the missing ones and records them in ``_sqlite_migrations``, all in
  that one transaction. The next opener in the queue finds nothing to do.

The migrations are registered on sqlite-utils' :class:`Migrations` (set
``ami_workflow``), which gives their names and order; they are applied here
rather than by ``Migrations.apply``. Called on its own, that reads the pending
list before taking any lock and commits each migration separately; inside an
outer transaction sqlite-utils 4.2 happens to nest them in savepoints, but that
is its internals (and ``transactional=False`` migrations would still commit).
The table and rows written are the ones sqlite-utils writes, so files stay
readable by both.

    >>> conn = connect(":memory:")
    >>> migrate(conn); migrate(conn)  # the second run finds nothing to do
    >>> [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")][-1]
    'm006_dossier_counter'
"""

from __future__ import annotations

import datetime
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from ..errors import InvalidInput, SchemaError
from ..i18n import _
from ..private_files import create_private
from ..shown import shown
from . import schema
from .failures import cannot_open, database_path

__all__ = ["SCHEMA_MIGRATIONS", "SYNCHRONOUS", "SchemaError", "checkpoint", "connect", "migrate"]

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


@SCHEMA_MIGRATIONS(name="m006_dossier_counter")
def _m006_dossier_counter(db: Database) -> None:
    schema.m006_dossier_counter(db)


# The table exactly as sqlite-utils' ``Migrations.ensure_migrations_table`` creates it.
_MIGRATIONS_TABLE = Migrations.migrations_table
_CREATE_MIGRATIONS_TABLE = (
    f'CREATE TABLE "{_MIGRATIONS_TABLE}" (\n   "id" INTEGER PRIMARY KEY,\n   "migration_set" TEXT,\n'
    '   "name" TEXT,\n   "applied_at" TEXT\n)'
)
_MIGRATIONS_INDEX = f"idx_{_MIGRATIONS_TABLE}_migration_set_name"
_CREATE_MIGRATIONS_INDEX = (
    f'CREATE UNIQUE INDEX "{_MIGRATIONS_INDEX}"\n    ON "{_MIGRATIONS_TABLE}" ("migration_set", "name")'
)

_FIRST_BACKOFF, _MAX_BACKOFF = 0.002, 0.05


def connect(path: str | Path, *, synchronous: str = "FULL", busy_timeout: float = 30.0) -> sqlite3.Connection:
    """A connection to ``path`` (``":memory:"`` for tests) in autocommit mode, with the library's settings.

    A new file is created with mode ``0600`` whatever the umask (its ``-wal`` and ``-shm`` get the same); files
    use WAL; ``synchronous`` is one of :data:`SYNCHRONOUS`; writers wait up to ``busy_timeout`` seconds for the
    lock; foreign keys are enforced; ``secure_delete`` is on, so that what is deleted or overwritten (an erased
    name, IBAN or piece) is overwritten with zeros rather than left in the freed space of its page (RGPD art.
    5(1)(f) and 17; SQLite's upstream default is off).
    ``isolation_level=None``: every transaction is an explicit ``BEGIN``.
    A file that is not a SQLite database raises :class:`SchemaError`.
    """
    level = synchronous.upper() if isinstance(synchronous, str) else ""
    if level not in SYNCHRONOUS:
        raise InvalidInput(_("synchronous must be one of {choices}, not {value!r}").format(
            choices=", ".join(SYNCHRONOUS), value=shown(synchronous)))
    name = str(path)
    try:
        if name not in ("", ":memory:") and not name.startswith("file:"):
            # Created 0600 whatever the umask: it holds names and IBANs. SQLite gives its -wal and -shm files the
            # database file's mode.
            create_private(name)
        conn = sqlite3.connect(name, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
    except (OSError, sqlite3.Error) as exc:
        raise cannot_open(name, exc) from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        if name != ":memory:":
            _retry_busy(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone(), busy_timeout)
        conn.execute(f"PRAGMA synchronous = {level}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA secure_delete = ON")
    except sqlite3.DatabaseError as exc:
        conn.close()
        if _code(exc) == sqlite3.SQLITE_NOTADB:
            raise SchemaError(_("{path} cannot be used: it is not a SQLite database").format(path=name)) from exc
        raise cannot_open(name, exc) from exc
    except BaseException:
        conn.close()
        raise
    return conn


def checkpoint(conn: sqlite3.Connection, attempts: int = 50) -> bool:
    """Copy the WAL into the database file and truncate it (``PRAGMA wal_checkpoint(TRUNCATE)``).

    After an erasure the WAL still holds the pages as they were before it, and the database file too until
    they are copied back: the checkpoint overwrites them (with ``secure_delete``, the freed space is zeros) and
    empties the ``-wal`` file. A reader in another connection can keep the checkpoint from completing: it is
    retried, with a short backoff, ``attempts`` times. Returns whether it completed; a ``":memory:"`` database
    has no WAL (``True``). ``conn`` must be outside any transaction.
    """
    delay = _FIRST_BACKOFF
    for attempt in range(attempts):
        try:
            row = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.OperationalError as exc:
            if _code(exc) & 0xFF not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise
            row = (1,)
        if row is None or int(row[0]) == 0:
            return True
        if attempt + 1 < attempts:
            time.sleep(delay)
            delay = min(delay * 2, _MAX_BACKOFF)
    return False


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the schema up to date in one ``BEGIN IMMEDIATE`` transaction; idempotent.

    ``conn`` is an autocommit connection from :func:`connect`, outside any
    transaction. Refuses (:class:`SchemaError`, nothing written) a file with a
    migration this library does not know, or a SQLite file that is not an
    ami_workflow one.
    """
    if conn.in_transaction:
        raise InvalidInput(_("migrate() needs a connection outside any transaction"))
    db = Database(conn, execute_plugins=False)
    try:
        _retry_busy(lambda: conn.execute("BEGIN IMMEDIATE"), _busy_timeout(conn))
    except sqlite3.DatabaseError as exc:
        if _code(exc) == sqlite3.SQLITE_NOTADB:
            raise SchemaError(_("this file cannot be used: it is not a SQLite database")) from exc
        raise cannot_open(database_path(conn), exc) from exc
    try:
        _migrate_locked(conn, db)
        conn.execute("COMMIT")
    except BaseException as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.DatabaseError):  # a damaged file, a full disk, a read-only folder
            raise cannot_open(database_path(conn), exc) from exc
        raise


def _migrate_locked(conn: sqlite3.Connection, db: Database) -> None:
    """The body of :func:`migrate`, under the write lock: everything read here is current."""
    names = {r[0] for r in conn.execute(r"SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite\_%' ESCAPE '\'")}
    applied: set[str] = set()
    if _MIGRATIONS_TABLE in names:
        applied = {
            r[0]
            for r in conn.execute(
                f'SELECT name FROM "{_MIGRATIONS_TABLE}" WHERE migration_set = ?', (SCHEMA_MIGRATIONS.name,)
            )
        }
    known = [m.name for m in SCHEMA_MIGRATIONS._migrations]
    newer = sorted(applied - set(known))
    if newer:
        raise SchemaError(_(
            "this database was written by a newer ami_workflow (schema migrations {migrations}); upgrade the library"
        ).format(migrations=", ".join(newer)))
    if not applied and names - {_MIGRATIONS_TABLE, _MIGRATIONS_INDEX}:
        raise SchemaError(_("this file is a SQLite database, but not an ami_workflow one"))
    pending = [m for m in SCHEMA_MIGRATIONS._migrations if m.name not in applied]
    if not pending:
        return
    if _MIGRATIONS_TABLE not in names:
        conn.execute(_CREATE_MIGRATIONS_TABLE)
        conn.execute(_CREATE_MIGRATIONS_INDEX)
    for migration in pending:
        migration.fn(db)
        if not conn.in_transaction:  # a migration must never end the transaction it runs in
            raise RuntimeError(f"migration {migration.name} ended the migration transaction")
        conn.execute(
            f'INSERT INTO "{_MIGRATIONS_TABLE}" (migration_set, name, applied_at) VALUES (?, ?, ?)',
            (SCHEMA_MIGRATIONS.name, migration.name, str(datetime.datetime.now(datetime.UTC))),
        )


def _retry_busy(step: Callable[[], object], busy_timeout: float) -> None:
    """Run ``step()``, retrying with a growing backoff while SQLite says the database is busy, within the timeout."""
    deadline = time.monotonic() + busy_timeout
    delay = _FIRST_BACKOFF
    while True:
        try:
            step()
            return
        except sqlite3.OperationalError as exc:
            if _code(exc) & 0xFF not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or time.monotonic() >= deadline:
                raise
        time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
        delay = min(delay * 2, _MAX_BACKOFF)


def _busy_timeout(conn: sqlite3.Connection) -> float:
    return float(conn.execute("PRAGMA busy_timeout").fetchone()[0]) / 1000


def _code(exc: sqlite3.Error) -> int:
    return int(getattr(exc, "sqlite_errorcode", 0) or 0)
