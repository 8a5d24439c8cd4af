"""What the command line prints to a terminal: the data's control characters shown, never obeyed (CWE-150).

A name, a title or a reason comes from the data, typed by anyone: printed raw, an escape sequence in it
(``\\x1b[31m``, ``\\x1b]0;…\\x07``, a C1 ``\\x9b``) would recolour, retitle or rewrite the reader's terminal, a
carriage return would overwrite the line, a right-to-left override would reorder it (Unicode TR#9). On a
terminal, every output stream of a command is wrapped so that each such character is shown as its escape:
C0 controls (but newline and tab) as ``\\x1b``, DEL, C1 controls and the bidirectional controls as ``\\u009b``.
The latter is a JSON escape too, and JSON already escapes the C0 controls: ``--json`` output stays exact JSON
and decodes to the same data. What is piped or redirected is written as it is.

    >>> neutralise("Asso \\x1b[31mrouge\\x1b[0m\\tcol\\r\\n")
    'Asso \\\\x1b[31mrouge\\\\x1b[0m\\tcol\\\\x0d\\n'
    >>> neutralise('{"name": "a\\x9bb"}')
    '{"name": "a\\\\u009bb"}'
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

__all__ = ["is_terminal", "neutralise", "neutralised_terminal"]

#: Compiled by ``re`` at its first use (and kept in its cache), not at every start-up.
_CONTROLS = "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x20 else f"\\u{code:04x}"


def neutralise(text: str) -> str:
    """``text`` with its control characters (but newline and tab) shown as escapes."""
    return re.sub(_CONTROLS, _escape, text)


class _Neutralising(io.TextIOBase):
    """A text stream that writes to ``stream`` with :func:`neutralise` applied; bytes go to its buffer as they are."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._stream.encoding

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return self._stream.errors

    @property
    def buffer(self) -> Any:
        return self._stream.buffer

    def write(self, text: str) -> int:
        self._stream.write(neutralise(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._stream.fileno()

    def writable(self) -> bool:
        return True


def is_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal (a person reads it)."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


@contextmanager
def neutralised_terminal() -> Iterator[None]:
    """For the duration of a command, ``sys.stdout`` and ``sys.stderr``, when terminals, neutralise controls."""
    saved = sys.stdout, sys.stderr
    if is_terminal(sys.stdout) and not isinstance(sys.stdout, _Neutralising):
        sys.stdout = _Neutralising(sys.stdout)
    if is_terminal(sys.stderr) and not isinstance(sys.stderr, _Neutralising):
        sys.stderr = _Neutralising(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
