"""Reading a piece from a file: streamed and hashed while read, never read past the call's limit.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "statuts.pdf"
    >>> _ = path.write_bytes(b"%PDF-1.4 statuts")
    >>> blob, digest = read_piece(path, limit=1024)
    >>> blob, digest[:12]
    (b'%PDF-1.4 statuts', 'fa4b15f4f6d1')
    >>> read_piece(path, limit=8)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ami_workflow.errors.InvalidInput: ...statuts.pdf is larger than the 8 bytes the call allows ...
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .errors import InvalidInput
from .i18n import _

__all__ = ["CHUNK", "read_piece"]

#: How much is read at a time.
CHUNK = 1024 * 1024


def read_piece(path: Path, limit: int) -> tuple[bytes, str]:
    """The bytes of the file at ``path`` and their SHA-256 (hex), read in chunks of :data:`CHUNK` bytes.

    At most ``limit + 1`` bytes are ever read: a larger file is refused (:class:`InvalidInput`) as soon as
    its size shows, whatever ``stat`` said (a file may grow while it is read, or be a pipe).
    """
    digest = hashlib.sha256()
    chunks: list[bytes] = []
    size = 0
    try:
        with path.open("rb") as stream:
            while True:
                chunk = stream.read(min(CHUNK, limit + 1 - size))
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise InvalidInput(_("{path} is larger than the {limit} bytes the call allows "
                                         "([limits] piece_max_bytes)").format(path=path, limit=limit))
                digest.update(chunk)
                chunks.append(chunk)
    except OSError as exc:
        problem = exc.strerror or str(exc)
        raise InvalidInput(_("{path} cannot be read: {problem}").format(path=path, problem=problem)) from None
    return b"".join(chunks), digest.hexdigest()
