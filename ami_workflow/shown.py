"""Values quoted in messages: ``repr`` that never fails and stays short.

``repr`` of an input can itself raise: ``RecursionError`` for a list nested
ten thousand deep, ``ValueError`` for an int of more than 4 300 digits
(Python's limit on int-to-text conversion, CVE-2020-10735). A message is
built from :func:`shown` instead, which formats with ``!r`` as the value
would, cut to :data:`SHOWN_MAX` characters::

    >>> "{value!r}".format(value=shown("Lens"))
    "'Lens'"
    >>> "{value!r}".format(value=shown(10 ** 5000))
    '<an int of 16610 bits>'
    >>> len("{value!r}".format(value=shown("x" * 10_000))) <= SHOWN_MAX + 1
    True
"""

from __future__ import annotations

__all__ = ["SHOWN_MAX", "shown"]

#: The most characters of a value quoted in a message.
SHOWN_MAX = 200


class _Shown:
    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __repr__(self) -> str:
        value = self.value
        if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 4_000:
            return f"<an int of {value.bit_length()} bits>"
        try:
            text = repr(value)
        except (RecursionError, ValueError):
            return f"<a {type(value).__name__} nested too deeply to show>"
        return text if len(text) <= SHOWN_MAX else text[: SHOWN_MAX - 1] + "…"

    def __str__(self) -> str:
        if isinstance(self.value, str):
            return self.value if len(self.value) <= SHOWN_MAX else self.value[: SHOWN_MAX - 1] + "…"
        return repr(self)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def shown(value: object) -> object:
    """``value`` for a message: formats with ``!r`` (or plainly) safely, cut to :data:`SHOWN_MAX` characters."""
    return _Shown(value)
