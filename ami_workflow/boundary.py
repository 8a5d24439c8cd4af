"""The library's input boundary: every public call's arguments checked against its annotations.

A value of the wrong type raises :class:`~ami_workflow.errors.InvalidType`
(an ``InvalidInput`` and a ``TypeError``, as Python's conventions want) naming
the call and the parameter, before the call does anything; so does a call
with missing or unexpected arguments. Text holding an unpaired surrogate
(which UTF-8, and so SQLite, cannot encode) and an ``int`` beyond SQLite's
64-bit integers raise :class:`~ami_workflow.errors.InvalidInput`.

    >>> @checked
    ... def greet(name: str, times: int = 1) -> str:
    ...     return name * times
    >>> greet("ab", 2)
    'abab'
    >>> greet(["ab"])
    Traceback (most recent call last):
    ...
    ami_workflow.errors.InvalidType: greet: name: expected str, got list

The checks are shallow in the data (a ``Sequence[str]`` has its items
checked, a record is checked to be of its class, and its own validators check
its fields) and follow the annotations: ``Any`` is not checked, nor is an
annotation that cannot be resolved at run time (a type imported for type
checkers only). :func:`check_methods` applies them to a backend's public
methods, with the ``Backend`` protocol's annotations.
"""

from __future__ import annotations

import functools
import inspect
import math
import os
import sys
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from .errors import InvalidInput, InvalidType
from .i18n import _

__all__ = ["check_arguments", "check_methods", "checked"]

_F = TypeVar("_F", bound=Callable[..., Any])
_C = TypeVar("_C", bound=type)

#: SQLite's integers are 64-bit signed.
_INT_BITS = 63

Check = Callable[[object, str, str], None]


def _describe(hint: Any) -> str:
    """An annotation as written: ``str | None``, ``Sequence[str]``."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return " | ".join("None" if a is type(None) else _describe(a) for a in args)
    if origin is not None:
        name = getattr(origin, "__name__", str(origin))
        return f"{name}[{', '.join(_describe(a) for a in args)}]" if args else name
    return getattr(hint, "__name__", str(hint))


def _wrong(value: object, hint: Any, call: str, name: str) -> InvalidType:
    return InvalidType(_("{call}: {parameter}: expected {expected}, got {type}").format(
        call=call, parameter=name, expected=_describe(hint), type=type(value).__name__))


def _text(value: str, call: str, name: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidInput(_("{call}: {parameter}: unpaired surrogate U+{code:04X} refused (text must be valid "
                             "Unicode)").format(call=call, parameter=name, code=ord(value[error.start]))) from None


def _matches(value: object, hint: Any) -> bool:
    """Whether ``value`` is of the outer type of ``hint`` (not its items)."""
    origin = typing.get_origin(hint) or hint
    if hint is Any or hint is object or hint is Decimal:
        return True
    if hint is type(None) or hint is None:
        return value is None
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, a) for a in typing.get_args(hint))
    if origin is typing.Literal:
        return value in typing.get_args(hint)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is bytes:
        return isinstance(value, (bytes, bytearray))
    if hint is Path:
        return isinstance(value, os.PathLike)
    if origin in (Sequence, list, tuple):
        return isinstance(value, (list, tuple)) or (
            origin is Sequence and isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray)))
    if origin in (Mapping, dict):
        return isinstance(value, Mapping)
    if origin in (Callable, typing.Callable):  # typing.Callable's origin is collections.abc's
        return callable(value)
    if origin is Iterable:
        return isinstance(value, Iterable) and not isinstance(value, (str, bytes, bytearray))
    if isinstance(origin, type):
        if getattr(origin, "_is_protocol", False) and not getattr(origin, "_is_runtime_protocol", False):
            return True  # a protocol that cannot be checked at run time: its use will tell
        return isinstance(value, origin)
    return True


def _check(value: object, hint: Any, call: str, name: str) -> None:
    """Raise if ``value`` does not fit ``hint``; items of containers are checked too."""
    if not _matches(value, hint):
        raise _wrong(value, hint, call, name)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        _check(value, next(a for a in args if _matches(value, a)), call, name)
    elif isinstance(value, str):
        if not value.isascii():
            _text(value, call, name)
    elif isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > _INT_BITS:
            raise InvalidInput(_("{call}: {parameter}: an integer of {bits} bits is out of range (at most 63 bits)")
                               .format(call=call, parameter=name, bits=value.bit_length()))
    elif isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput(_("{call}: {parameter}: {value} is not a finite number").format(
            call=call, parameter=name, value=value))
    elif origin is tuple and args and args[-1] is not Ellipsis:
        items = typing.cast(Sequence[object], value)
        if len(items) != len(args):
            raise InvalidType(_("{call}: {parameter}: expected {count} items, got {actual}").format(
                call=call, parameter=name, count=len(args), actual=len(items)))
        for item, item_hint in zip(items, args, strict=True):
            _check(item, item_hint, call, name)
    elif origin in (Sequence, list, tuple, Iterable) and args and isinstance(value, (list, tuple)):
        for item in typing.cast(Sequence[object], value):
            _check(item, args[0], call, name)
    elif origin in (Mapping, dict) and len(args) == 2:
        for key, item in typing.cast(Mapping[object, object], value).items():
            _check(key, args[0], call, name)
            _check(item, args[1], call, name)


def _plain_item(origin: Any, args: tuple[Any, ...]) -> type | None:
    """The item class of ``Sequence[C]``, ``list[C]``, ``tuple[C, ...]`` or ``Iterable[C]`` when ``C`` is a plain
    class (not text, a number, bytes, a path or a protocol, whose items :func:`_check` looks into); else ``None``."""
    if not ((origin in (Sequence, list, Iterable) and len(args) == 1)
            or (origin is tuple and len(args) == 2 and args[1] is Ellipsis)):
        return None
    item = args[0]
    if (not isinstance(item, type) or typing.get_origin(item) is not None or getattr(item, "_is_protocol", False)
            or issubclass(item, (str, int, float, bytes, bytearray, Path, Decimal))):
        return None
    return item


def _compile(hint: Any) -> Check | None:
    """A fast check for ``hint``: the common cases tested directly, the others by :func:`_check`; ``None`` for
    ``Any``."""
    if hint is Any or hint is object:
        return None
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType) and len(args) == 2 and type(None) in args:
        inner = _compile(args[0] if args[1] is type(None) else args[1])
        if inner is None:
            return None
        optional_inner = inner

        def optional(value: object, call: str, name: str) -> None:
            if value is not None:
                try:
                    optional_inner(value, call, name)
                except InvalidType:
                    _check(value, hint, call, name)  # the message names the whole annotation, `str | None`
                    raise
        return optional
    item = _plain_item(origin, args)
    if item is not None:
        def items(value: object, call: str, name: str) -> None:
            # A list or tuple of instances of a plain class: what _check would find, tested directly.
            if type(value) is list or type(value) is tuple:
                for one in value:
                    if not isinstance(one, item):
                        break
                else:
                    return
            _check(value, hint, call, name)
        return items
    if hint is str:
        def text(value: object, call: str, name: str) -> None:
            if type(value) is not str or not value.isascii():
                _check(value, hint, call, name)
        return text
    if hint is int:
        def integer(value: object, call: str, name: str) -> None:
            if type(value) is not int or not -(2**_INT_BITS) <= value < 2**_INT_BITS:
                _check(value, hint, call, name)
        return integer
    if (isinstance(hint, type) and origin is None and hint not in (float, bytes, Path, Decimal)
            and not getattr(hint, "_is_protocol", False)):
        def instance(value: object, call: str, name: str) -> None:
            if not isinstance(value, hint):
                raise _wrong(value, hint, call, name)
        return instance

    def general(value: object, call: str, name: str) -> None:
        _check(value, hint, call, name)
    return general


def _resolve(func: Callable[..., Any], names: Mapping[str, Any]) -> dict[str, Any]:
    """The annotations of ``func``'s parameters, evaluated in its module; ``Any`` for what cannot be."""
    namespace = {**vars(sys.modules[func.__module__]), **names}
    hints: dict[str, Any] = {}
    for parameter, annotation in inspect.get_annotations(func).items():
        if parameter == "return":
            continue
        try:
            hints[parameter] = eval(annotation, namespace) if isinstance(annotation, str) else annotation
        except Exception:  # a name imported for type checkers only: not checked
            hints[parameter] = Any
    return hints


class _Checker:
    """The checks of one callable, built on its first call (its module's names are all defined by then).

    Arguments are matched to parameters by position and name directly (``Signature.bind`` costs more than
    the checks); when they do not fit, ``bind`` says why.
    """

    def __init__(self, func: Callable[..., Any], call: str, annotated: Callable[..., Any] | None = None) -> None:
        self.func = func
        self.call = call
        self.annotated = annotated or func
        self._ready = False

    def _prepare(self) -> None:
        self.signature = inspect.signature(self.func)
        hints = _resolve(self.annotated, {})
        kinds = inspect.Parameter
        parameters = list(self.signature.parameters.values())
        #: The positional parameters' names and checks (``None``: not checked); the keywords' checks, and whether
        #: ``None`` is left to the callable.
        self.positional: list[tuple[str, Check | None]] = [
            (p.name, _compile(hints.get(p.name, Any))) for p in parameters if p.kind in (kinds.POSITIONAL_ONLY,
                                                                              kinds.POSITIONAL_OR_KEYWORD)]
        self.keywords: dict[str, tuple[Check | None, bool]] = {
            p.name: (_compile(hints.get(p.name, Any)), p.kind is kinds.KEYWORD_ONLY and p.default is kinds.empty)
            for p in parameters if p.kind in (kinds.POSITIONAL_OR_KEYWORD, kinds.KEYWORD_ONLY)}
        self.required = frozenset(p.name for p in parameters
                                  if p.default is kinds.empty and p.kind not in (kinds.VAR_POSITIONAL,
                                                                                 kinds.VAR_KEYWORD))
        self.var_positional = any(p.kind is kinds.VAR_POSITIONAL for p in parameters)
        self.var_keyword = any(p.kind is kinds.VAR_KEYWORD for p in parameters)
        self._ready = True

    def _refuse_binding(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        try:
            self.signature.bind(*args, **kwargs)
        except TypeError as error:
            raise InvalidType(_("{call}: {problem}").format(call=self.call, problem=error)) from None

    def check(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if not self._ready:
            self._prepare()
        positional = self.positional
        if len(args) > len(positional) and not self.var_positional:
            self._refuse_binding(args, kwargs)
        given = {name for name, _hint in positional[:len(args)]}
        if not self.required <= given | (kwargs.keys() & self.keywords.keys()):
            self._refuse_binding(args, kwargs)
        for (name, check), value in zip(positional, args, strict=False):
            if check is not None:
                check(value, self.call, name)
        for name, value in kwargs.items():
            entry = self.keywords.get(name)
            if entry is None or name in given:
                if self.var_keyword and name not in given:
                    continue  # **data: the callable checks it
                self._refuse_binding(args, kwargs)
                continue
            check, none_left = entry
            if check is None or (value is None and none_left):
                continue  # a required keyword given as None: the callable says what it needs (expected_version …)
            check(value, self.call, name)


def check_arguments(func: Callable[..., Any], call: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Check one call's arguments against ``func``'s annotations (for a function that cannot be decorated)."""
    _Checker(func, call).check(args, kwargs)


def checked(func: _F, *, name: str | None = None) -> _F:
    """A function whose arguments are checked against its annotations at each call (named ``name`` if given:
    a module may keep the unchecked function under another name for its own calls with values it built)."""
    checker = _Checker(func, name or func.__name__)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        checker.check(args, kwargs)
        return func(*args, **kwargs)

    if name is not None:
        wrapper.__name__ = wrapper.__qualname__ = name
    return typing.cast(_F, wrapper)


def _wrap(func: Callable[..., Any], call: str, annotated: Callable[..., Any] | None) -> Callable[..., Any]:
    checker = _Checker(func, call, annotated)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        checker.check(args, kwargs)
        return func(*args, **kwargs)

    return wrapper


def check_methods(cls: _C, protocol: type, extra: Iterable[str] = ()) -> _C:
    """Check the arguments of ``cls``'s methods named in ``protocol`` (with its annotations) and in ``extra``."""
    names = {n for n, v in vars(protocol).items() if callable(v) and not n.startswith("_")}
    for name in sorted(names | set(extra)):
        raw = inspect.getattr_static(cls, name)
        call = f"{cls.__name__}.{name}"
        annotated = getattr(protocol, name) if name in names else None
        if isinstance(raw, classmethod):
            setattr(cls, name, classmethod(_wrap(raw.__func__, call, annotated)))
        elif isinstance(raw, staticmethod):
            setattr(cls, name, staticmethod(_wrap(raw.__func__, call, annotated)))
        elif inspect.isfunction(raw):
            setattr(cls, name, _wrap(raw, call, annotated))
    return cls

