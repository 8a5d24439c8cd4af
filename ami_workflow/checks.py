"""Small input checks shared by the records: texts and days.

    >>> required_text("  Lens ")
    'Lens'
    >>> optional_text("   ") is None
    True
    >>> required_text(42)
    Traceback (most recent call last):
    ...
    ami_workflow.errors.InvalidInput: a non-empty text is required, got 42
"""

from __future__ import annotations

from datetime import date, datetime

import attrs

from .errors import InvalidInput

__all__ = ["is_day", "optional_text", "required_text"]


def optional_text(value: object) -> str | None:
    """``value`` stripped, ``None`` when empty or ``None``; anything but text is refused."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"expected text, got {type(value).__name__}: {value!r}")
    return value.strip() or None


def required_text(value: object) -> str:
    """``value`` stripped; an empty text or anything but text is refused."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"a non-empty text is required, got {value!r}")
    return value.strip()


def is_day(instance: object, attribute: attrs.Attribute[date], value: object) -> None:
    """An attrs validator: a calendar day (a ``date``, not a ``datetime``)."""
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidInput(f"{attribute.name}: expected a date, got {value!r}")
