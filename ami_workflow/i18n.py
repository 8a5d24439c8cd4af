r"""The language of what a person reads: French by default, English on request, never the system locale.

Messages are written in English in the code, marked with :func:`_` (or
:func:`N_` where the text is translated later, and :func:`ngettext` for
plurals), and translated through the gettext catalogue compiled from
``ami_workflow/locale/fr/LC_MESSAGES/*.po`` (see docs/i18n.md). The language is, in
order: the one set by :func:`use_language` (or :func:`set_language`), else
``$AMI_WORKFLOW_LANG``, else French. ``LANG``, ``LC_ALL`` and the other
locale variables are ignored, so output is the same on every machine::

    >>> from datetime import date
    >>> from decimal import Decimal
    >>> with use_language("fr"):
    ...     _("possible here: {triggers}"), format_day(date(2021, 4, 8)), format_money(Decimal("150000"))
    ('possible ici : {triggers}', '8 avril 2021', '150\u202f000,00\xa0€')
    >>> with use_language("en"):
    ...     _("possible here: {triggers}"), format_day(date(2021, 4, 8)), format_money(Decimal("150000"))
    ('possible here: {triggers}', '8 April 2021', '€150,000.00')
    >>> set_language("de")
    Traceback (most recent call last):
    ...
    ami_workflow.errors.InvalidInput: unknown language 'de': choose one of en, fr

Dates, numbers and amounts are formatted by Babel with the CLDR data of
``fr_FR`` (or ``en_GB``): French amounts group by a narrow no-break space
(U+202F) and end with a no-break space and "€". Machine outputs (JSON, CSV,
SCDL, the journal) never go through this module.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING

from .errors import InvalidInput
from .shown import shown
from .translate import (
    CLICK_DOMAIN,
    DEFAULT_LANGUAGE,
    DOMAIN,
    LANGUAGE,
    LANGUAGES,
    LOCALE_DIR,
    N_,
    _,
    current_language,
    ngettext,
    translations,
)

if TYPE_CHECKING:
    from decimal import Decimal
    from zoneinfo import ZoneInfo

__all__ = [
    "CLICK_DOMAIN",
    "DEFAULT_LANGUAGE",
    "DOMAIN",
    "LANGUAGES",
    "LOCALE_DIR",
    "N_",
    "_",
    "babel_locale",
    "current_language",
    "format_day",
    "format_decimal",
    "format_instant",
    "format_money",
    "format_time",
    "ngettext",
    "set_language",
    "translations",
    "use_language",
]


@cache
def _paris_zone() -> ZoneInfo:
    """Paris's time zone, read when an instant is first shown (zoneinfo is not needed before: ``--help``)."""
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/Paris")


def _checked(language: object) -> str:
    if not isinstance(language, str) or language not in LANGUAGES:
        raise InvalidInput(_("unknown language {language!r}: choose one of {choices}").format(
            language=shown(language), choices=", ".join(sorted(LANGUAGES))))
    return language


def set_language(language: str) -> None:
    """Set the language of the current context (thread or task) from now on."""
    LANGUAGE.set(_checked(language))


@contextlib.contextmanager
def use_language(language: str) -> Iterator[str]:
    """Speak ``language`` inside the ``with`` block, then go back to the language before it."""
    token = LANGUAGE.set(_checked(language))
    try:
        yield language
    finally:
        LANGUAGE.reset(token)


def babel_locale() -> str:
    """The Babel locale of the current language."""
    return LANGUAGES[current_language()]


# Babel is imported when a date or an amount is first formatted: most commands never need its CLDR data.


def _paris(at: datetime) -> datetime:
    if not isinstance(at, datetime) or at.tzinfo is None:
        raise InvalidInput(_("{at!r} is not an instant with its time zone").format(at=shown(at)))
    return at.astimezone(_paris_zone())


def format_day(day: date) -> str:
    """A day in words: « 8 avril 2021 », "8 April 2021"."""
    from babel.dates import format_date

    return format_date(day, format="long", locale=babel_locale())


def format_time(at: datetime) -> str:
    """The hour and minute of an instant as it reads in Paris: « 10:05 »."""
    return f"{_paris(at):%H:%M}"


def format_instant(at: datetime) -> str:
    """An instant, read in Paris: « 8 avril 2021 à 10:05 (heure de Paris) »."""
    paris = _paris(at)
    return _("{day} at {time} (Paris time)").format(day=format_day(paris.date()), time=format_time(paris))


def format_money(amount: Decimal | int) -> str:
    """An amount in euros: « 150 000,00 € », "€150,000.00"."""
    from babel.numbers import format_currency

    return format_currency(amount, "EUR", locale=babel_locale())


def format_decimal(value: Decimal | int | float, digits: int = 0) -> str:
    """A number with the current language's separators: « 12 345 », « 62,5 »."""
    from babel.numbers import format_decimal as babel_decimal

    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return babel_decimal(value, format=pattern, locale=babel_locale())
