"""Small input checks shared by the records: single-line texts, free texts and days.

A *single-line* text (a name, a reference, a title, a session id) is refused
when it holds a control character (Unicode category Cc: NUL, tab, newline …,
CWE-150), a bidirectional control (U+202A–U+202E, U+2066–U+2069, U+200E,
U+200F, U+061C: Unicode TR#9, UTS#39's "Trojan Source" spoofing) or an
unpaired surrogate (not encodable in UTF-8); it is NFC-normalised (Unicode
TR#15) and at most :data:`LINE_MAX` characters. A *free text* (a motivation,
a note, an opinion, a reason) may hold newlines and tabs, is checked alike
otherwise, and is at most :data:`TEXT_MAX` characters. These are the
library's ceilings, checked by every record; the call's own limits
(``[limits] line_max`` and ``text_max``, by default 300 and 10 000
characters) are checked where the call is known (:func:`limit_problems`).

    >>> required_text("  Lens ")
    'Lens'
    >>> optional_text("   ") is None
    True
    >>> required_text(42)
    Traceback (most recent call last):
    ...
    ami_workflow.errors.InvalidType: a non-empty text is required, got 42
    >>> required_text("Asso\\x00ciation")
    Traceback (most recent call last):
    ...
    ami_workflow.errors.InvalidInput: control character U+0000 refused in a single-line text
    >>> free_text("Motif :\\n\\tpièces manquantes") == "Motif :\\n\\tpièces manquantes"
    True
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable
from contextlib import AbstractContextManager
from contextvars import ContextVar
from datetime import date, datetime
from typing import Any

import attrs

from .errors import InvalidInput, InvalidType
from .i18n import N_, _
from .shown import shown

__all__ = [
    "LINE_MAX",
    "STORED_FORMS",
    "TEXT_MAX",
    "file_path",
    "free_text",
    "instance_of",
    "sequence_of",
    "is_day",
    "limit_problems",
    "line_or_empty",
    "line_problem",
    "optional_free_text",
    "optional_text",
    "required_text",
    "required_free_text",
    "stored_data",
    "text_problem",
]

#: The library's ceiling on a single-line text, in characters (a call sets its own ``[limits] line_max`` below it).
LINE_MAX = 1_000
#: The library's ceiling on a free text, in characters (a call sets its own ``[limits] text_max`` below it).
TEXT_MAX = 100_000

#: The bidirectional formatting characters (Unicode TR#9): embeddings, overrides, isolates and marks.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
#: What a free text may hold among the control characters.
_TEXT_CONTROLS = frozenset("\n\t")


def _problem(value: str, allowed: frozenset[str], limit: int, what: str) -> str | None:
    """The problem of ``value``, or ``None``; ``what`` names the kind of text (a message, translated here)."""
    if value.isascii() and value.isprintable():  # no control, bidirectional or surrogate character: a C scan
        if len(value) > limit:
            return _("{length} characters in {what}, more than the {limit} allowed").format(
                length=len(value), what=_(what), limit=limit)
        return None
    what = _(what)
    for ch in value:
        code = ord(ch)
        if 0xD800 <= code <= 0xDFFF:
            return _("unpaired surrogate U+{code:04X} refused in {what}").format(code=code, what=what)
        if ch in _BIDI:
            return _("bidirectional control character U+{code:04X} ({name}) refused in {what}").format(
                code=code, name=unicodedata.name(ch, "?"), what=what)
        if unicodedata.category(ch) == "Cc" and ch not in allowed:
            return _("control character U+{code:04X} refused in {what}").format(code=code, what=what)
    if len(value) > limit:
        return _("{length} characters in {what}, more than the {limit} allowed").format(
            length=len(value), what=what, limit=limit)
    return None


def line_problem(value: str, limit: int = LINE_MAX) -> str | None:
    """Why ``value`` is not a valid single-line text of at most ``limit`` characters; ``None`` when it is."""
    return _problem(value, frozenset(), limit, N_("a single-line text"))


def text_problem(value: str, limit: int = TEXT_MAX) -> str | None:
    """Why ``value`` is not a valid free text of at most ``limit`` characters; ``None`` when it is."""
    return _problem(value, _TEXT_CONTROLS, limit, N_("a free text"))


#: Set while records are rebuilt from what a store holds (:func:`stored_data`).
_STORED: ContextVar[bool] = ContextVar("ami_workflow_stored_data", default=False)


def stored_data() -> AbstractContextManager[None]:
    """Rebuild records from stored data: their texts are taken as stored (only stripped, as they were checked
    when recorded), so that a database written before these checks (a name holding a control character) stays
    readable and its journal replays to the same records. New input is always checked."""
    return _StoredData()


class _StoredData(AbstractContextManager[None]):
    """:func:`stored_data`'s block: a class rather than a generator, since a replay enters one per record."""

    __slots__ = ("_token",)

    def __enter__(self) -> None:
        self._token = _STORED.set(True)

    def __exit__(self, *exc: object) -> None:
        _STORED.reset(self._token)


def _clean(value: str, check: str) -> str:
    if _STORED.get():
        return value.strip()
    text = unicodedata.normalize("NFC", value.strip())
    problem = line_problem(text) if check == "line" else text_problem(text)
    if problem is not None:
        raise InvalidInput(problem)
    return text


def optional_text(value: object) -> str | None:
    """A single-line text: ``value`` stripped and NFC-normalised, ``None`` when empty or ``None``."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidType(_("expected text, got {type}: {value!r}").format(
            type=type(value).__name__, value=shown(value)))
    return _clean(value, "line") or None


def required_text(value: object) -> str:
    """A single-line text: ``value`` stripped and NFC-normalised; an empty text or anything but text is refused."""
    if not isinstance(value, str) or not value.strip():
        error = InvalidInput if isinstance(value, str) else InvalidType
        raise error(_("a non-empty text is required, got {value!r}").format(value=shown(value)))
    return _clean(value, "line")


def free_text(value: object) -> str:
    """A free text (newlines and tabs allowed): ``value`` stripped and NFC-normalised, ``""`` when empty."""
    if not isinstance(value, str):
        raise InvalidType(_("expected text, got {type}: {value!r}").format(
            type=type(value).__name__, value=shown(value)))
    return _clean(value, "text")


def optional_free_text(value: object) -> str | None:
    """A free text, ``None`` when empty or ``None``."""
    return None if value is None else free_text(value) or None


def required_free_text(value: object) -> str:
    """A non-empty free text."""
    if not isinstance(value, str) or not value.strip():
        error = InvalidInput if isinstance(value, str) else InvalidType
        raise error(_("a non-empty text is required, got {value!r}").format(value=shown(value)))
    return free_text(value)


def line_or_empty(value: object) -> str:
    """A single-line text that may be empty (``""``)."""
    return optional_text(value) or ""


_LINES = (required_text, optional_text, line_or_empty)
_TEXTS = (free_text, optional_free_text, required_free_text)


def _stored_required(value: object) -> str:
    if type(value) is str and (text := value.strip()):
        return text
    return required_text(value)  # what is not a stored text: the checked form, which raises


def _stored_optional(value: object) -> str | None:
    return value.strip() or None if type(value) is str else optional_text(value)


def _stored_or_empty(value: object) -> str:
    return value.strip() if type(value) is str else line_or_empty(value)


def _stored_free(value: object) -> str:
    return value.strip() if type(value) is str else free_text(value)


def _stored_optional_free(value: object) -> str | None:
    return value.strip() or None if type(value) is str else optional_free_text(value)


def _stored_required_free(value: object) -> str:
    if type(value) is str and (text := value.strip()):
        return text
    return required_free_text(value)


#: Each text converter above and what it does to a stored text (:func:`stored_data`: stripped, not checked again),
#: without going through its checks: ``ami_workflow.rebuild`` applies these to the records it rebuilds.
STORED_FORMS: dict[Callable[[object], object], Callable[[object], object]] = {
    required_text: _stored_required, optional_text: _stored_optional, line_or_empty: _stored_or_empty,
    free_text: _stored_free, optional_free_text: _stored_optional_free, required_free_text: _stored_required_free,
}


def limit_problems(record: object, line_max: int, text_max: int) -> list[str]:
    """Every text of ``record`` (an attrs record, walked into its records and tuples of records) longer than the
    call's limits: ``line_max`` for its single-line fields, ``text_max`` for its free texts."""
    problems: list[str] = []
    if isinstance(record, (tuple, list)):
        for item in record:
            problems += limit_problems(item, line_max, text_max)
        return problems
    if not attrs.has(type(record)):
        return problems
    for field in attrs.fields(type(record)):  # type: ignore[arg-type]  # attrs.has() checked it
        value = getattr(record, field.name)
        if isinstance(value, str):
            limit = line_max if field.converter in _LINES else text_max if field.converter in _TEXTS else None
            if limit is not None and len(value) > limit:
                problems.append(_("{field}: {length} characters, more than the {limit} the call allows").format(
                    field=field.name, length=len(value), limit=limit))
        elif isinstance(value, (tuple, list)) or attrs.has(type(value)):
            problems += limit_problems(value, line_max, text_max)
    return problems


def file_path(value: object, field: str = "path") -> str | os.PathLike[str]:
    """A path given by the caller, to be opened as it is: text or a ``os.PathLike`` of text, without NUL.

    An int is refused (``open(3)`` would open file descriptor 3), as are bytes and anything else.
    """
    if isinstance(value, os.PathLike):
        text = os.fspath(value)
    elif isinstance(value, str):
        text = value
    else:
        raise InvalidType(_("{field}: expected a file path (text or a Path), got {type}").format(
            field=field, type=type(value).__name__))
    if not isinstance(text, str):
        raise InvalidType(_("{field}: expected a file path (text or a Path), got {type}").format(
            field=field, type=type(text).__name__))
    if not text or "\x00" in text:
        raise InvalidInput(_("{field}: {value!r} is not a file path").format(field=field, value=shown(text[:200])))
    try:
        os.fsencode(text)
    except UnicodeEncodeError:
        raise InvalidInput(_("{field}: {value!r} cannot be a file name on this system").format(
            field=field, value=shown(text[:200]))) from None
    return value if isinstance(value, os.PathLike) else text


def instance_of(cls: type) -> Callable[[object, attrs.Attribute[Any], object], None]:
    """An attrs validator: a ``cls`` instance, else :class:`~ami_workflow.errors.InvalidType` naming the field."""
    def validate(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, cls):
            raise InvalidType(_("{name}: expected {expected}, got {type}").format(
                name=attribute.name, expected=cls.__name__, type=type(value).__name__))
    return validate


def sequence_of(value: object, what: str) -> tuple[object, ...]:
    """``value`` as a tuple when it is a list, a tuple, a set or a frozenset; else ``InvalidType``."""
    if not isinstance(value, (list, tuple, set, frozenset)):
        raise InvalidType(_("{what}: expected a list or a tuple, got {type}").format(
            what=what, type=type(value).__name__))
    return tuple(value)


def is_day(instance: object, attribute: attrs.Attribute[date], value: object) -> None:
    """An attrs validator: a calendar day (a ``date``, not a ``datetime``)."""
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidType(_("{name}: expected a date, got {value!r}").format(name=attribute.name, value=shown(value)))
