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
from .i18n import _

__all__ = ["is_day", "optional_text", "required_text"]


def optional_text(value: object) -> str | None:
    """``value`` stripped, ``None`` when empty or ``None``; anything but text is refused."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(_("expected text, got {type}: {value!r}").format(type=type(value).__name__, value=value))
    return value.strip() or None


def required_text(value: object) -> str:
    """``value`` stripped; an empty text or anything but text is refused."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(_("a non-empty text is required, got {value!r}").format(value=value))
    return value.strip()


def is_day(instance: object, attribute: attrs.Attribute[date], value: object) -> None:
    """An attrs validator: a calendar day (a ``date``, not a ``datetime``)."""
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidInput(_("{name}: expected a date, got {value!r}").format(name=attribute.name, value=value))
