"""JSON text as the library writes it: keys sorted, no whitespace, non-ASCII kept as it is.

:func:`dumps` writes with orjson, which is several times faster than the standard library, and falls back to
:mod:`json` for what orjson refuses (integers beyond 64 bits, text with lone surrogates, keys that are not
strings), so the text is always the one ``json.dumps(value, sort_keys=True, separators=(",", ":"),
ensure_ascii=False)`` writes (``tests/test_journal.py`` checks that with Hypothesis). Dates and times go through
``default`` like any other type that is not JSON, never through orjson's own format.

    >>> dumps({"b": 1, "a": ["é", None, True]})
    '{"a":["é",null,true],"b":1}'
    >>> dumps({"big": 2**70})
    '{"big":1180591620717411303424}'
    >>> loads('{"a":[1,"é"]}')
    {'a': [1, 'é']}
    >>> loads('{"big":1180591620717411303424}')  # orjson would read it as a float
    {'big': 1180591620717411303424}
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import orjson

__all__ = ["dumps", "loads"]

_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


def dumps(value: Any, default: Callable[[Any], Any] | None = None) -> str:
    """``value`` as sorted, compact JSON text (``default`` converts what JSON has no type for)."""
    try:
        return orjson.dumps(value, default=default, option=_OPTIONS).decode()
    except TypeError:  # orjson.JSONEncodeError: a case orjson refuses; the standard library decides
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False,
                          default=default)


#: A number of 19 digits or more, which may be beyond 64 bits: orjson reads those as floats, silently.
_LONG_NUMBER = re.compile(rb"(?<![\w.\"])-?\d{19,}")
#: Every digit as ``0``, so that 19 digits in a row are found by ``bytes.find`` (a C scan) before the regular
#: expression, whose look-behind at every position cost more than orjson's parse of the text (verify, issue 9).
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_NINETEEN_DIGITS = b"0" * 19


def loads(text: str | bytes) -> Any:
    """The value of JSON ``text``, as the standard library reads it.

    orjson reads it, unless the text holds a number that may not fit in 64 bits (orjson would give a float) or
    is text orjson refuses: then the standard library does.
    """
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if _NINETEEN_DIGITS in data.translate(_DIGITS_AS_ZERO) and _LONG_NUMBER.search(data):
        return json.loads(text)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(text)
