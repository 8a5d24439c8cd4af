"""Records rebuilt from the plain data the library itself stored, without checking them a second time.

A dossier read back from its row, or from an event of the journal, was
checked when it was recorded. Structuring it through the converter (cattrs)
runs every check again: each text, each amount, each record's validators.
:func:`rebuild` does what that structuring does, field by field, with the
decoding planned once per class, but it applies only the fields' converters
(which normalise; a text is only stripped, as ``checks.STORED_FORMS`` says) and skips the validators and
``__attrs_post_init__`` (which only refuse). Texts are taken as stored (:func:`~ami_workflow.checks.stored_data`).

Whatever the fast path does not expect (a key the class does not have, a
value of another type, a field type it does not plan) goes through the
converter instead, which gives the same record or the same error as before::

    >>> from datetime import date
    >>> from ami_workflow.pieces import PaperOriginal
    >>> original = rebuild({"key": "dossier_demande", "received_on": "2021-04-02", "signed": True,
    ...                     "signed_by": "Claire Dupont", "signer_role": None}, PaperOriginal)
    >>> original.received_on, original.signed_by
    (datetime.date(2021, 4, 2), 'Claire Dupont')
    >>> rebuild({"key": "rib", "colour": "blue"}, PaperOriginal)
    Traceback (most recent call last):
    ...
    cattrs.errors.ForbiddenExtraKeysError: Extra fields in constructor for PaperOriginal: colour

For records the library wrote, ``rebuild(plain(record), cls) == record``
(tested with Hypothesis in ``tests/test_rebuild.py``).
"""

from __future__ import annotations

import enum
import functools
import re
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import attrs

from .calendar import parse_instant
from .checks import STORED_FORMS, stored_data
from .codec import HOOKED, converter

__all__ = ["rebuild"]

_T = TypeVar("_T")
_Decode = Callable[[Any], Any]

#: The converter without its detailed error paths: the fallback for stored data (as ``core.evolve`` used).
_slow = converter.copy(detailed_validation=False)
#: A plain decimal number as the library writes one: ``Decimal(text)`` is then what ``parse_decimal`` gives.
_PLAIN_DECIMAL = re.compile(r"-?\d{1,30}(?:\.\d{1,30})?")
_new = object.__new__
_set = object.__setattr__


class _Unplanned(Exception):
    """A value the fast path does not decode: the record goes through the converter."""


def rebuild(data: Any, cls: type[_T]) -> _T:
    """The record of class ``cls`` that ``data`` (plain data the library stored) holds."""
    with stored_data():
        if isinstance(cls, type) and attrs.has(cls) and cls not in HOOKED:
            try:
                record: _T = _plan(cls)(data)
                return record
            except Exception:  # anything unexpected: the converter's own answer (the same record, or its error)
                pass
        result: _T = _slow.structure(data, cls)
        return result


def _same(kind: type) -> _Decode:
    def decode(value: Any) -> Any:
        if type(value) is kind:
            return value
        raise _Unplanned(kind)

    return decode


def _decimal(value: Any) -> Decimal:
    if type(value) is str and _PLAIN_DECIMAL.fullmatch(value):
        return Decimal(value)
    raise _Unplanned(Decimal)


def _date(value: Any) -> date:
    if type(value) is str:
        return date.fromisoformat(value)
    if type(value) is date:
        return value
    raise _Unplanned(date)


def _instant(value: Any) -> datetime:
    if type(value) is str:
        return parse_instant(value)
    raise _Unplanned(datetime)


def _optional(inner: _Decode) -> _Decode:
    def decode(value: Any) -> Any:
        return None if value is None else inner(value)

    return decode


def _tuple_of(inner: _Decode) -> _Decode:
    def decode(value: Any) -> tuple[Any, ...]:
        if type(value) is not list:
            raise _Unplanned(tuple)
        return tuple([inner(item) for item in value])

    return decode


def _frozenset_of(inner: _Decode) -> _Decode:
    def decode(value: Any) -> frozenset[Any]:
        if type(value) is not list:
            raise _Unplanned(frozenset)
        return frozenset([inner(item) for item in value])

    return decode


def _mapping_of(inner: _Decode) -> _Decode:
    def decode(value: Any) -> dict[str, Any]:
        if type(value) is not dict:
            raise _Unplanned(dict)
        return {key: inner(item) for key, item in value.items()}

    return decode


def _enum(kind: type[enum.Enum]) -> _Decode:
    def decode(value: Any) -> Any:
        return kind(value)

    return decode


def _fallback(kind: Any) -> _Decode:
    def decode(value: Any) -> Any:
        return _slow.structure(value, kind)

    return decode


def _decoder(kind: Any) -> _Decode:
    """How to decode a stored value of type ``kind`` (its field's converter applies afterwards)."""
    if kind is str or kind is int or kind is bool:
        return _same(kind)
    if kind is Decimal:
        return _decimal
    if kind is date:
        return _date
    if kind is datetime:
        return _instant
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return _enum(kind)
    if isinstance(kind, type) and attrs.has(kind) and kind not in HOOKED:
        return _Lazy(kind)
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType) and len(args) == 2 and type(None) in args:
        return _optional(_decoder(next(a for a in args if a is not type(None))))
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _tuple_of(_decoder(args[0]))
    if origin is frozenset and len(args) == 1:
        return _frozenset_of(_decoder(args[0]))
    if origin in (Mapping, dict) and len(args) == 2 and args[0] is str:
        return _mapping_of(_decoder(args[1]))
    return _fallback(kind)


class _Lazy:
    """A nested record's decoder, planned when first used (a class may refer to itself)."""

    __slots__ = ("_decode", "_kind")

    def __init__(self, kind: type) -> None:
        self._kind = kind
        self._decode: _Decode | None = None

    def __call__(self, value: Any) -> Any:
        if self._decode is None:
            self._decode = _plan(self._kind)
        return self._decode(value)


_ABSENT: Any = object()


@functools.cache
def _plan(cls: type) -> _Decode:
    """The decoder of ``cls``'s plain data: each field decoded by its type, then converted; no validators."""
    attrs.resolve_types(cls)
    fields = attrs.fields(cls)
    if any(not f.init or f.alias != f.name for f in fields):
        return _fallback(cls)
    # A text, number or flag (or None) is taken as it is when its type is the field's: no call to decode it.
    steps = tuple((f.name, _plain_types(f.type), _decoder(f.type), _stored_form(f.converter), f.default)
                  for f in fields)
    names = frozenset(f.name for f in fields)

    def decode(data: Any) -> Any:
        if type(data) is not dict or not names.issuperset(data):
            raise _Unplanned(cls)
        record: Any = _new(cls)
        for name, plain_types, decode_value, convert, default in steps:
            try:
                value = data[name]
            except KeyError:
                value = _default(name, default)
            else:
                if plain_types is None:
                    value = decode_value(value)
                elif type(value) not in plain_types:
                    raise _Unplanned(name)
            _set(record, name, value if convert is None else convert(value))
        return record

    return decode


def _stored_form(converter: Any) -> Any:
    """The field's converter, or what it does to a stored text when it is one of the text checks."""
    return STORED_FORMS.get(converter, converter) if callable(converter) else converter


def _plain_types(kind: Any) -> tuple[type, ...] | None:
    """The exact types a stored value of type ``kind`` has when it needs no decoding (``None``: it needs some)."""
    if kind in (str, int, bool):
        return (kind,)
    args = typing.get_args(kind)
    if typing.get_origin(kind) in (typing.Union, types.UnionType) and len(args) == 2 and type(None) in args:
        inner = next(a for a in args if a is not type(None))
        if inner in (str, int, bool):
            return (inner, type(None))
    return None


def _default(name: str, default: Any) -> Any:
    """The value of a field the data leaves out: its default, or its factory's product."""
    if default is attrs.NOTHING:
        raise _Unplanned(name)
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        if default.takes_self:
            raise _Unplanned(name)
        return default.factory()
    return default
