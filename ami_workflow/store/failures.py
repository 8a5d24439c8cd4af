"""The database's own failures, told as the library's errors: the file named, the problem in words.

SQLite reports a full disk, a read-only file or folder, a damaged file or a lock held too long as
``sqlite3.OperationalError`` or ``sqlite3.DatabaseError``, and creating the file can raise ``OSError``. The store
raises none of them: :func:`cannot_open` and :func:`cannot_write` turn them into
:class:`~ami_workflow.errors.StorageError` (a file that is not SQLite at all is a
:class:`~ami_workflow.errors.SchemaError`, see :mod:`.connection`), with the original as ``__cause__``.

    >>> import sqlite3
    >>> conn = sqlite3.connect(":memory:")
    >>> _ = conn.execute("PRAGMA query_only = ON")
    >>> try:
    ...     conn.execute("CREATE TABLE t (x)")
    ... except sqlite3.Error as exc:
    ...     print(cannot_write("ami.db", exc))
    ami.db cannot be written, nothing was: the file or its folder is read-only (the store writes the file and, \
beside it, its -wal and -shm files)
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

from ..errors import StorageError
from ..i18n import _

__all__ = ["cannot_open", "cannot_write", "database_path", "in_words"]


def _sqlite_words(exc: sqlite3.Error) -> str:
    code = int(getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
    if code == sqlite3.SQLITE_FULL:
        return _("the disk is full, or the database has reached its size limit")
    if code == sqlite3.SQLITE_READONLY:
        return _("the file or its folder is read-only (the store writes the file and, beside it, its -wal and "
                 "-shm files)")
    if code == sqlite3.SQLITE_CANTOPEN:
        return _("the file cannot be opened or created: its folder is missing or cannot be written, or the path "
                 "is a folder")
    if code == sqlite3.SQLITE_CORRUPT:
        return _("the file is damaged (it is not a whole SQLite database): restore it from a backup")
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return _("another process kept the database locked for longer than the busy timeout")
    if code in (sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH):
        return _("permission denied")
    if code == sqlite3.SQLITE_IOERR:
        return _("the disk failed to read or write ({error})").format(error=exc)
    return str(exc)


def _os_words(exc: OSError) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return _("permission denied: the folder cannot be written")
    if exc.errno == errno.ENOENT:
        return _("its folder does not exist")
    if exc.errno == errno.EROFS:
        return _("the file system is read-only")
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return _("the disk is full")
    if exc.errno == errno.EISDIR:
        return _("the path is a folder")
    return exc.strerror or str(exc)


def in_words(exc: sqlite3.Error | OSError) -> str:
    """What went wrong, in words (a full disk, a read-only file …), rather than SQLite's or the system's code."""
    return _os_words(exc) if isinstance(exc, OSError) else _sqlite_words(exc)


def cannot_open(path: str | Path, exc: sqlite3.Error | OSError) -> StorageError:
    """The error for a database that cannot be opened, created or migrated at ``path``."""
    return StorageError(_("{path} cannot be opened: {problem}").format(path=str(path), problem=in_words(exc)))


def cannot_write(path: str | Path, exc: sqlite3.Error | OSError, *, begun: bool = True) -> StorageError:
    """The error for a write the database refused; ``begun`` once the transaction had started (it is rolled back)."""
    if begun:
        return StorageError(_("{path} cannot be written, nothing was: {problem}").format(
            path=str(path), problem=in_words(exc)))
    return StorageError(_("{path} cannot be written: {problem}").format(path=str(path), problem=in_words(exc)))


def database_path(conn: sqlite3.Connection) -> str:
    """The file of ``conn``'s main database, or ``":memory:"``."""
    try:
        rows = conn.execute("PRAGMA database_list").fetchall()
    except sqlite3.Error:
        return "?"
    files = [str(row[2]) for row in rows if row[1] == "main"]
    return files[0] if files and files[0] else ":memory:"
