"""Canonical JSON: the one text of a value that the journal hashes (:func:`canonical_json`).

Keys sorted, no whitespace, non-ASCII kept, amounts as their exact text, and
every value that has no exact JSON form (a float, a non-finite ``Decimal``, a
key that is not text, a circular structure) refused with where it is. The
journal (:mod:`ami_workflow.journal`) chains events by the hash of this text.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs

from . import jsontext
from .errors import InvalidInput
from .i18n import _
from .shown import shown

__all__ = ["canonical_json"]


def canonical_json(value: Any) -> str:
    """Write ``value`` as deterministic JSON: the text that gets hashed.

    Keys are sorted, there is no whitespace and non-ASCII text stays as it
    is, so the same content always gives the same text, whatever the order
    its keys were inserted in::

        >>> canonical_json({"b": 1, "a": [True, None, "é"]})
        '{"a":[true,null,"é"],"b":1}'
        >>> canonical_json({"amount": Decimal("150000.00"), "codes": {"b", "a"}, "at": date(2021, 4, 12)})
        '{"amount":"150000.00","at":"2021-04-12","codes":["a","b"]}'
        >>> canonical_json({"amount": 0.1})
        Traceback (most recent call last):
        ...
        ami_workflow.errors.InvalidInput: amount: a float cannot be journaled (0.1); use a Decimal or a string

    Conversions: a ``Decimal`` becomes its exact text ``str(d)`` (so
    ``"150000.00"`` and ``"150000.0"`` differ), a ``datetime`` or a ``date``
    its ``isoformat()``, a set or frozenset a sorted list (in natural order,
    or by the items' JSON text when they cannot be compared, such as numbers
    mixed with text), a tuple a list, an :class:`enum.Enum` its value and an
    attrs instance the mapping of its fields (as
    ``attrs.asdict(recurse=True)``, each field converted by these same rules,
    so a set field is sorted too). Mapping keys must be strings (or enums
    whose value is a string). The output is a fixed point: JSON read back
    with :func:`json.loads` gives the same text again, so a store may keep
    the text and verify the hash later.

    Raises :class:`~ami_workflow.errors.InvalidInput` for a float anywhere
    (amounts are never floats, and NaN has no JSON form), a non-finite
    ``Decimal``, a key that is not a string, two keys with the same text, a
    circular structure, text that is not valid Unicode, or any other type;
    the message names where the value is and its type.
    """
    if _is_plain(value):  # the fast path: already exact JSON types, its own plain form
        text = jsontext.dumps(value)
    else:
        text = json.dumps(_plain(value, "value", set()), sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidInput(_("value: text that cannot be written as UTF-8 ({reason})").format(
            reason=error.reason)) from None
    return text


def _is_plain(value: Any, depth: int = 0) -> bool:
    """Whether ``value`` is made of exact JSON types only (dict with str keys, list, str, int, bool, None).

    Such a value is its own :func:`_plain` form, so it can go to the C encoder as is. Anything else (a tuple, a
    Decimal, a float, a subclass, a deep or circular structure) answers ``False`` and takes the checked path.
    """
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return True
    if depth > 64:
        return False
    # Plain loops rather than all(...): this runs on every journaled event, and a generator costs more.
    if kind is dict:
        for key, item in value.items():  # noqa: SIM110
            if type(key) is not str or not _is_plain(item, depth + 1):
                return False
        return True
    if kind is list:
        for item in value:  # noqa: SIM110
            if not _is_plain(item, depth + 1):
                return False
        return True
    return False


def _plain(value: Any, where: str, active: set[int]) -> Any:
    """``value`` made of JSON types only: dict, list, str, int, bool and None."""
    if value is None or (isinstance(value, (bool, str)) and not isinstance(value, enum.Enum)):
        return value
    if isinstance(value, float):
        raise InvalidInput(_("{where}: a float cannot be journaled ({value!r}); use a Decimal or a string").format(
            where=where, value=shown(value)))
    if isinstance(value, enum.Enum):
        return _plain(value.value, where, active)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidInput(_("{where}: a non-finite Decimal cannot be journaled ({value!r})").format(
                where=where, value=shown(value)))
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (Mapping, list, tuple, set, frozenset)) or attrs.has(type(value)):
        if id(value) in active:
            raise InvalidInput(_("{where}: a circular structure cannot be journaled").format(where=where))
        active.add(id(value))
        try:
            return _container(value, where, active)
        finally:
            active.discard(id(value))
    raise InvalidInput(_("{where}: a {type} cannot be journaled ({value!r})").format(
        where=where, type=type(value).__qualname__, value=shown(value)))


def _container(value: Any, where: str, active: set[int]) -> Any:
    if isinstance(value, Mapping):
        return _mapping(value.items(), where, active)
    if isinstance(value, (list, tuple)):
        return [_plain(item, f"{where}[{index}]", active) for index, item in enumerate(value)]
    if isinstance(value, (set, frozenset)):
        items = [_plain(item, f"{where}{{}}", active) for item in value]
        texts = [json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False) for item in items]
        try:
            # Natural order (numbers by value, text alphabetically), the JSON
            # text breaking ties such as true and 1.
            order = sorted(range(len(items)), key=lambda i: (items[i], texts[i]))
        except TypeError:
            # Mixed types (numbers and text, objects...): order by JSON text.
            order = sorted(range(len(items)), key=lambda i: texts[i])
        return [items[i] for i in order]
    return _mapping(((f.name, getattr(value, f.name)) for f in attrs.fields(type(value))), where, active)


def _mapping(items: Iterable[tuple[Any, Any]], where: str, active: set[int]) -> dict[str, Any]:
    plain: dict[str, Any] = {}
    for key, item in items:
        name = key.value if isinstance(key, enum.Enum) else key
        if not isinstance(name, str):
            raise InvalidInput(_("{where}: a key must be a string, not a {type} ({key!r})").format(
                where=where, type=type(key).__qualname__, key=shown(key)))
        if name in plain:
            raise InvalidInput(_("{where}: the key {name!r} appears twice").format(where=where, name=shown(name)))
        plain[name] = _plain(item, f"{where}.{name}" if where != "value" else name, active)
    return plain
