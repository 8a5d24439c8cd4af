"""Time in the call: Europe/Paris instants, date windows, amendments and clocks.

Every instant the library reads is interpreted in Europe/Paris. An aware
datetime is converted; a naive one is taken as Paris wall-clock time, and is
refused when that wall-clock time does not exist or happens twice (the DST
changes)::

    >>> from datetime import datetime
    >>> to_paris(datetime(2021, 4, 30, 23, 59)).isoformat()
    '2021-04-30T23:59:00+02:00'
    >>> to_paris(datetime(2021, 3, 28, 2, 30))
    Traceback (most recent call last):
    ...
    ami_workflow.errors.InvalidTime: 2021-03-28 02:30:00 does not exist in Europe/Paris
      (the clocks jump forward that night); give an aware datetime
    >>> Window(date(2021, 5, 1), date(2021, 5, 31)).contains(date(2021, 5, 31))
    True

A guard never reads the clock: the time is passed in, or read once by the
caller from an injectable :class:`Clock`.

For a person, a window reads in words, and the public holidays are named in
the current language (the ``holidays`` package's own translations)::

    >>> window_words(Window(date(2021, 5, 1), date(2021, 5, 31)))
    '1 May 2021 to 31 May 2021'
    >>> public_holidays("FR", 2022)[date(2022, 7, 14)]
    'National Day'
"""

from __future__ import annotations

import calendar as _stdcalendar
import functools
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import Protocol
from zoneinfo import ZoneInfo

import attrs

from .errors import InvalidInput, InvalidTime, InvalidTimeType, InvalidType
from .i18n import _, current_language, format_day
from .shown import shown

__all__ = [
    "PARIS",
    "Calendar",
    "CalendarAmendment",
    "Clock",
    "FixedClock",
    "SystemClock",
    "Window",
    "add_months",
    "financial_report_due",
    "month_window",
    "paris_date",
    "parse_instant",
    "public_holidays",
    "to_paris",
    "window_words",
]

PARIS = ZoneInfo("Europe/Paris")


def to_paris(at: datetime) -> datetime:
    """Return ``at`` as an aware Europe/Paris datetime.

    Raises :class:`~ami_workflow.errors.InvalidTime` for a naive time that does
    not exist or is ambiguous in Paris, and for anything that is not a datetime.
    """
    if not isinstance(at, datetime):
        raise InvalidTimeType(_("expected a datetime, got {type}: {value!r}").format(
            type=type(at).__name__, value=shown(at)))
    if at.tzinfo is not None and at.utcoffset() is not None:
        return at.astimezone(PARIS)
    early = at.replace(tzinfo=PARIS, fold=0)
    late = at.replace(tzinfo=PARIS, fold=1)
    if early.utcoffset() != late.utcoffset():
        round_trip = early.astimezone(UTC).astimezone(PARIS).replace(tzinfo=None)
        if round_trip != at.replace(tzinfo=None):
            raise InvalidTime(
                _("{time} does not exist in Europe/Paris (the clocks jump forward that night); "
                  "give an aware datetime").format(time=at)
            )
        raise InvalidTime(
            _("{time} is ambiguous in Europe/Paris (it happens twice when the clocks go back); "
              "give an aware datetime").format(time=at)
        )
    return early


def parse_instant(value: object) -> datetime:
    """Read an instant from a datetime, a date (its Paris midnight) or ISO 8601 text."""
    if isinstance(value, datetime):
        return to_paris(value)
    if isinstance(value, date):
        return to_paris(datetime.combine(value, time()))
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidTime(_("{value!r} is not an ISO 8601 date or time").format(value=shown(value))) from None
        return to_paris(parsed)
    raise InvalidTimeType(_("expected a datetime, a date or ISO text, got {type}").format(type=type(value).__name__))


def paris_date(at: datetime) -> date:
    """The calendar day in Paris of the instant ``at``."""
    return to_paris(at).date()


def _check_window(instance: Window, attribute: attrs.Attribute[date], value: date) -> None:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidType(_("window {field}: expected a date, got {value!r}").format(
            field=attribute.name, value=shown(value)))
    if attribute.name == "end" and value < instance.start:
        raise InvalidInput(_("window ends ({end}) before it starts ({start})").format(end=value, start=instance.start))


@attrs.frozen
class Window:
    """An inclusive range of Paris calendar days."""

    start: date = attrs.field(validator=_check_window)
    end: date = attrs.field(validator=_check_window)

    def contains(self, day: date) -> bool:
        """Whether the Paris day ``day`` lies in the window (both ends included)."""
        return self.start <= day <= self.end

    def contains_instant(self, at: datetime) -> bool:
        """Whether the instant ``at`` falls on a day of the window, in Paris time."""
        return self.contains(paris_date(at))

    def closes_at(self) -> datetime:
        """The first Paris instant after the window: midnight after its last day."""
        return to_paris(datetime.combine(self.end + timedelta(days=1), time()))

    def is_whole_months(self) -> bool:
        """Whether the window starts on a 1st and ends on the last day of a month."""
        last = _stdcalendar.monthrange(self.end.year, self.end.month)[1]
        return self.start.day == 1 and self.end.day == last

    def __str__(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


def window_words(window: Window) -> str:
    """The window as a person reads it, in the current language: « du 1 mai 2021 au 31 mai 2021 »."""
    return _("{start} to {end}").format(start=format_day(window.start), end=format_day(window.end))


#: The ``holidays`` package's name of each language the library speaks.
_HOLIDAY_LANGUAGES = {"fr": "fr", "en": "en_US"}


def public_holidays(country: str, year: int) -> Mapping[date, str]:
    """The public holidays of ``country`` (ISO code, ``"FR"``) in ``year``, named in the current language.

    The names come from the ``holidays`` package (« Fête nationale », "National Day"); a country whose
    calendar is not translated into the current language gives its own names. ``InvalidInput`` for a
    country the package does not know.
    """
    return _public_holidays(country, year, current_language())


@functools.lru_cache(maxsize=256)
def _public_holidays(country: str, year: int, language: str) -> Mapping[date, str]:
    import holidays as _holidays  # ~60 ms to import (every country's calendar): only when a holiday is looked up

    wanted = _HOLIDAY_LANGUAGES.get(language)
    localized = wanted if wanted in _holidays.list_localized_countries().get(country, ()) else None
    try:
        found = _holidays.country_holidays(country, years=year, language=localized)
    except NotImplementedError:
        raise InvalidInput(_("no public holidays known for the country {country!r}").format(
            country=shown(country))) from None
    return MappingProxyType(dict(found))


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, kept at the month's end when ``day`` is one (or the month is shorter).

    >>> add_months(date(2021, 12, 31), 6), add_months(date(2021, 8, 31), 1), add_months(date(2021, 3, 15), -2)
    (datetime.date(2022, 6, 30), datetime.date(2021, 9, 30), datetime.date(2021, 1, 15))
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = _stdcalendar.monthrange(year, month + 1)[1]
    at_end = day.day == _stdcalendar.monthrange(day.year, day.month)[1]
    return date(year, month + 1, last if at_end else min(day.day, last))


def financial_report_due(grant_year: int, months: int = 6) -> date:
    """When the compte rendu financier of a grant for ``grant_year`` is due (loi 2000-321, art. 10).

    Within ``months`` months of the end of the financial year for which the
    grant was made: for a 2021 grant, 2022-06-30.

    >>> financial_report_due(2021)
    datetime.date(2022, 6, 30)
    """
    for name, value, low, high in (("grant_year", grant_year, 1, 9000), ("months", months, 0, 1200)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidType(_("{name}: expected an integer, got {type}").format(name=name, type=type(value).__name__))
        if not low <= value <= high:
            raise InvalidInput(_("{name}: expected an integer from {low} to {high}").format(
                name=name, low=low, high=high))
    return add_months(date(grant_year, 12, 31), months)


def month_window(year: int, month: int) -> Window:
    """The whole month as a window: ``month_window(2021, 5)`` is May 2021."""
    last = _stdcalendar.monthrange(year, month)[1]
    return Window(date(year, month, 1), date(year, month, last))


#: The names of the calendar's windows, in their natural order.
WINDOW_NAMES = ("submission", "instruction", "jury", "deliberation")


@attrs.frozen
class Calendar:
    """The call's provisional calendar ("calendrier prévisionnel").

    ``submission`` runs from the launch to the deadline, both included: a
    dossier submitted on the deadline day at 23:59 Paris time is on time.
    """

    submission: Window
    instruction: Window
    jury: Window
    deliberation: Window
    rolling: bool = False
    """A rolling call is open all along one window: submission, instruction, decision and payment alike."""

    @classmethod
    def rolling_window(cls, window: Window) -> Calendar:
        """A rolling calendar: every window is the one period the call stays open."""
        return cls(window, window, window, window, rolling=True)

    @property
    def launch(self) -> date:
        return self.submission.start

    @property
    def deadline(self) -> date:
        return self.submission.end

    def window(self, name: str) -> Window:
        """The window called ``name`` (one of ``submission``, ``instruction``, ``jury``, ``deliberation``)."""
        if name not in WINDOW_NAMES:
            raise InvalidInput(_("unknown calendar window {name!r}; expected one of {names}").format(
                name=shown(name), names=", ".join(WINDOW_NAMES)))
        window: Window = getattr(self, name)
        return window

    def windows(self) -> dict[str, Window]:
        return {name: self.window(name) for name in WINDOW_NAMES}

    def problems(self) -> list[tuple[str, str]]:
        """Order problems between the windows, as (field, problem); empty when the calendar is coherent."""
        problems: list[tuple[str, str]] = []
        if self.rolling:
            return problems
        if self.instruction.end < self.deadline:
            problems.append(("calendar.instruction", _("the instruction ends before the submission deadline")))
        if self.jury.start < self.instruction.start:
            problems.append(("calendar.jury", _("the jury starts before the instruction")))
        if self.deliberation.start < self.jury.start:
            problems.append(("calendar.deliberation", _("the deliberation starts before the jury")))
        return problems

    def amended(self, amendments: Iterable[CalendarAmendment]) -> Calendar:
        """The calendar after applying ``amendments`` in order.

        A rolling calendar has a single open period: an amendment of any of its
        windows moves the whole period.
        """
        amendments = tuple(amendments)
        if not amendments:
            return self
        windows = self.windows()
        for amendment in amendments:
            if self.rolling:  # a rolling call has one period: every window name moves it
                windows = dict.fromkeys(windows, amendment.new_window)
            else:
                windows[amendment.window] = amendment.new_window
        return Calendar(
            windows["submission"],
            windows["instruction"],
            windows["jury"],
            windows["deliberation"],
            rolling=self.rolling,
        )


def _check_window_name(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in WINDOW_NAMES:
        raise InvalidInput(_("unknown calendar window {name!r}; expected one of {names}").format(
            name=shown(value), names=", ".join(WINDOW_NAMES)))


def _check_reason(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(_("a calendar amendment needs a reason in words"))


@attrs.frozen
class CalendarAmendment:
    """An explicit change of one window of the provisional calendar, with its reason."""

    window: str = attrs.field(validator=_check_window_name)
    new_window: Window = attrs.field(validator=attrs.validators.instance_of(Window))
    reason: str = attrs.field(validator=_check_reason)
    at: datetime = attrs.field(converter=to_paris)
    actor: str = ""


class Clock(Protocol):
    """Anything with a ``now()`` that returns an aware datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock, in Europe/Paris."""

    def now(self) -> datetime:
        return datetime.now(PARIS)


@attrs.define
class FixedClock:
    """A clock that says what it is told: for tests, demos and replays."""

    current: datetime = attrs.field(converter=to_paris)

    def now(self) -> datetime:
        return self.current

    def set(self, at: datetime) -> None:
        self.current = to_paris(at)

    def advance(self, delta: timedelta) -> None:
        self.current = to_paris(self.current + delta)
