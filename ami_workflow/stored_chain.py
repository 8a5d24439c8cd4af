"""The chain checked over the rows a store keeps: each event's canonical text hashed as it is, in one pass.

:func:`verify_texts` is :func:`~ami_workflow.journal.verify_chain` for a store that keeps, for each event, the
canonical JSON text that was hashed (``(seq, text, previous, hash)``): nothing is parsed or written again, so a
journal of millions of events is checked at the speed of reading it and hashing it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from .errors import InvalidInput
from .i18n import _
from .journal import GENESIS, ChainProblem, _check, _check_expectations, _ending, _sha256
from .shown import shown

__all__ = ["verify_texts"]


class _Stored(NamedTuple):
    """One stored row of the journal, as :func:`verify_texts` reads it."""

    seq: Any
    text: Any
    previous: Any
    hash: Any


def verify_texts(
    rows: Iterable[tuple[Any, Any, Any, Any]],
    expected_count: int | None = None,
    expected_head: str | None = None,
) -> ChainProblem | None:
    """:func:`verify_chain` over the rows a store keeps, ``(seq, text, previous, hash)``, in one pass.

    ``text`` is the event's canonical JSON as stored (:func:`link_with_text`): it is hashed as it is, with no
    parsing and no re-serialisation, and its last member must be ``"seq"`` with the row's ``seq`` (a body whose
    keys sort after ``"seq"``, as an earlier version wrote, is parsed to read it). A text that hashes to the
    chained hash is byte for byte the canonical text that was hashed when the event was written, so nothing
    else needs checking; any other text (re-spaced, re-ordered, edited) is ``edited``. The problems found and
    their wording are those of :func:`verify_chain`.

        >>> from ami_workflow.journal import link_with_text
        >>> first, text = link_with_text(GENESIS, 1, {"kind": "a"})
        >>> verify_texts([(1, text, GENESIS, first.hash)]) is None
        True
        >>> verify_texts([(1, text.replace('"a"', '"b"'), GENESIS, first.hash)])
        ChainProblem(seq=1, reason='edited: its hash does not match its content')
    """
    _check_expectations(expected_count, expected_head)
    sha256 = hashlib.sha256
    position = 0
    expected_previous = GENESIS
    last: tuple[Any, Any, Any, Any] | None = None
    head_at = 0 if expected_head == GENESIS else None
    remaining: Iterator[tuple[Any, Any, Any, Any]] = iter(rows)
    while True:
        for row in remaining:
            seq, text, previous, digest = row
            position += 1
            try:
                sound = (
                    seq == position
                    and previous == expected_previous
                    and type(text) is str
                    and text.endswith(f',"seq":{position}}}')
                    and sha256(f"{previous}\n{text}".encode()).hexdigest() == digest
                )
            except UnicodeEncodeError:
                sound = False
            after = None
            if not sound:  # the rare path: say what is wrong, with the row after it to tell a swap from an insertion
                after = next(remaining, None)
                stored = _Stored(*row)
                problem = _check(
                    position,
                    stored,
                    None if after is None else _Stored(*after),
                    expected_previous,
                    None if last is None else _Stored(*last),
                    _text_problem(stored),
                )
                if problem is not None:
                    return problem
            if head_at is None and digest == expected_head:
                head_at = position
            last, expected_previous = row, digest
            if after is not None:  # read ahead: put it back
                remaining = itertools.chain([after], remaining)
                break
        else:
            break
    return _ending(position, expected_previous, head_at, expected_count, expected_head)


def _text_problem(row: _Stored) -> str | None:
    """Why a stored row does not match its own hash, or ``None``."""
    if type(row.text) is not str:
        return _("edited: its body is not text but a {type}").format(type=type(row.text).__qualname__)
    if type(row.seq) is not int or not row.text.endswith(f',"seq":{row.seq}}}'):
        try:
            body = json.loads(row.text)
        except ValueError:
            return _("edited: its body is not JSON")
        if not isinstance(body, dict):
            return _("edited: its body is not a mapping but a {type}").format(type=type(body).__qualname__)
        claimed = body.get("seq")
        if type(claimed) is not int or type(row.seq) is not int or claimed != row.seq:
            return _("edited: its body says seq {claimed!r} but it is stored as seq {seq!r}").format(
                claimed=shown(claimed), seq=shown(row.seq))
    if not isinstance(row.previous, str):
        return _("edited: its content cannot be hashed ({error})").format(error=_(
            "previous: a hash must be a string, not a {type}").format(type=type(row.previous).__qualname__))
    try:
        actual = _sha256(row.previous + "\n" + row.text, "previous")
    except InvalidInput as error:
        return _("edited: its content cannot be hashed ({error})").format(error=error)
    return None if actual == row.hash else _("edited: its hash does not match its content")
