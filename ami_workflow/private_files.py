"""Files only their owner can read: the working database and every export the command line writes.

The working database holds names, IBANs and board lists, and an export of it
(a CSV, an applicant's RGPD export, a printed notice) holds some of them too:
each is created with mode ``0600`` whatever the process's umask, since the
mode is set explicitly on the open file. The open-data copy
(:mod:`ami_workflow.store.publish`) is the one file meant for everyone (``0644``).

    >>> import os, stat, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> with open_private(os.path.join(folder, "dossiers.csv"), "w", encoding="utf-8") as out:
    ...     _ = out.write("reference\\n")
    >>> oct(stat.S_IMODE(os.stat(os.path.join(folder, "dossiers.csv")).st_mode))
    '0o600'
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO, Any, BinaryIO, Literal, TextIO, overload

from .errors import InvalidInput
from .i18n import _
from .shown import shown

__all__ = ["PRIVATE_MODE", "create_private", "open_private"]

#: Read and write for the owner only.
PRIVATE_MODE = 0o600


def _restrict(fd: int) -> None:
    """Set the private mode on an open regular file (never on a device or a pipe such as ``/dev/stdout``)."""
    if stat.S_ISREG(os.fstat(fd).st_mode):
        os.fchmod(fd, PRIVATE_MODE)


def create_private(path: str | Path) -> bool:
    """Create ``path`` empty with mode ``0600`` if nothing is there; ``True`` if it was created.

    An existing file is left as it is (its owner may have chosen its mode).
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    except FileExistsError:
        return False
    try:
        _restrict(fd)
    finally:
        os.close(fd)
    return True


@overload
def open_private(path: str | Path, mode: Literal["w"] = "w", **options: Any) -> TextIO: ...
@overload
def open_private(path: str | Path, mode: Literal["wb"], **options: Any) -> BinaryIO: ...
def open_private(path: str | Path, mode: str = "w", **options: Any) -> IO[Any]:
    """``open(path, mode, **options)`` for writing (``"w"`` or ``"wb"``), the file then being ``0600``.

    A file already there is truncated and given the private mode too: what is
    written in it is as personal as the database it comes from.
    """
    if mode not in ("w", "wb"):
        raise InvalidInput(_("a private file is opened to be written (mode 'w' or 'wb'), not {mode!r}").format(
            mode=shown(mode)))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_MODE)
    try:
        _restrict(fd)
        return os.fdopen(fd, mode, **options)
    except BaseException:
        os.close(fd)
        raise
