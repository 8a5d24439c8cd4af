"""The funder's decisions recorded for a campaign: deliberations and conventions.

The jury *retains* projects in June; the legal grant is the council's
deliberation in September, which lists the dossiers it grants. A grant above
the convention threshold (23 000 € a year, décret 2001-495) needs a signed
convention before its first payment.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import attrs

from .errors import InvalidInput

__all__ = ["Convention", "Deliberation"]


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"a non-empty text is required, got {value!r}")
    return value.strip()


def _refs(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise InvalidInput("a deliberation lists its dossiers as a sequence of references, not one string")
    return tuple(dict.fromkeys(_text(v) for v in value))


def _day(instance: object, attribute: attrs.Attribute[date], value: date) -> None:
    if not isinstance(value, date):
        raise InvalidInput(f"{attribute.name}: expected a date, got {value!r}")


@attrs.frozen
class Deliberation:
    """A deliberation of the funder's council: its reference, its date, and the dossiers it grants."""

    reference: str = attrs.field(converter=_text)
    day: date = attrs.field(validator=_day)
    dossiers: tuple[str, ...] = attrs.field(converter=_refs)


@attrs.frozen
class Convention:
    """The signed convention (agreement) for one dossier."""

    dossier: str = attrs.field(converter=_text)
    reference: str = attrs.field(converter=_text)
    signed_on: date = attrs.field(validator=_day)
