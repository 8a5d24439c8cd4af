"""Next year's call from this year's: the yearly rollover.

:func:`rollover` moves a campaign to another year and explains every change;
:func:`campaign_to_toml` (of :mod:`ami_workflow.call_toml`, re-exported here
with :func:`~ami_workflow.qpv_csv.parse_qpv_csv`) writes any campaign as a call
file that loads back to the same campaign::

    >>> from ami_workflow.callfile import load_campaign, parse_campaign
    >>> result = rollover(load_campaign("ami-cohesion-sociale-2021"), 2022)
    >>> result.campaign.id, result.campaign.calendar.launch, result.campaign.calendar.deadline
    ('ami-cohesion-sociale-2022', datetime.date(2022, 3, 8), datetime.date(2022, 4, 29))
    >>> print(result.change("calendar.deadline"))
    calendar.deadline: 2021-04-30 -> 2022-04-29 (2022-04-30 is a Saturday; moved to the previous working day 2022-04-29)
    >>> parse_campaign(result.text) == result.campaign
    True

Point dates (the launch and the deadline, or a rolling call's opening and
closing) keep their day of the month and move off weekends and public holidays
by the file's ``[calendar.policy]``; whole-month windows stay whole months.
Nothing else changes unless asked (the envelope, a new QPV list). Dates are
Europe/Paris calendar days.
"""

from __future__ import annotations

import calendar as _stdcalendar
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from .calendar import Calendar, Window, public_holidays
from .call_toml import campaign_to_toml, file_data
from .callfile import check_campaign, parse_campaign
from .campaign import Campaign, Territory
from .errors import AmiWorkflowError, InvalidInput, InvalidType
from .i18n import _, babel_locale, ngettext
from .money import euros
from .qpv_csv import parse_qpv_csv
from .shown import shown

__all__ = [
    "Change",
    "RolloverResult",
    "campaign_to_toml",
    "parse_qpv_csv",
    "rollover",
    "working_day",
]

#: The first year of the national QPV list of décret n° 2023-1314 (metropolitan France).
_NEW_QPV_LIST_YEAR = 2024


# -- working days -----------------------------------------------------------------------


# Babel (like ``holidays``) is imported when a date is first worded, as in ami_workflow.i18n.
def _weekday(day: date) -> str:
    """The day of the week in words: « samedi », "Saturday"."""
    from babel.dates import format_date

    return format_date(day, "EEEE", locale=babel_locale())


def _day_off(day: date, country: str) -> str | None:
    """Why ``day`` is not a working day (``"a Saturday"``, ``"a public holiday (Labor Day)"``), or None."""
    reasons = []
    if day.weekday() >= 5:
        reasons.append(_("a {weekday}").format(weekday=_weekday(day)))
    holiday = public_holidays(country, day.year).get(day)
    if holiday is not None:
        reasons.append(_("a public holiday ({holiday})").format(holiday=holiday))
    return _(" and ").join(reasons) or None


_DIRECTIONS = {"previous": -1, "previous_working_day": -1, "next": 1, "next_working_day": 1}


def working_day(day: date, direction: str, country: str = "FR") -> tuple[date, str | None]:
    """``day`` if it is a working day, else the previous or next one, and the reason in words.

    A day is not a working day on a Saturday, a Sunday or a public holiday of
    ``country`` (from the ``holidays`` package). ``direction`` is ``"previous"``
    or ``"next"`` (the policy names ``previous_working_day`` and
    ``next_working_day`` are accepted too).

    >>> working_day(date(2022, 3, 8), "next")
    (datetime.date(2022, 3, 8), None)
    >>> working_day(date(2022, 4, 30), "previous")
    (datetime.date(2022, 4, 29), '2022-04-30 is a Saturday; moved to the previous working day 2022-04-29')
    >>> working_day(date(2023, 5, 1), "next")[1]
    '2023-05-01 is a public holiday (Labor Day); moved to the next working day 2023-05-02'
    >>> working_day(date(2022, 5, 1), "previous")[1]
    '2022-05-01 is a Sunday and a public holiday (Labor Day); moved to the previous working day 2022-04-29'
    >>> working_day(date(2022, 5, 1), "sideways")
    Traceback (most recent call last):
    ...
    ami_workflow.errors.InvalidInput: direction must be 'previous' or 'next', not 'sideways'
    """
    step = _DIRECTIONS.get(direction) if isinstance(direction, str) else None
    if step is None:
        raise InvalidInput(_("direction must be 'previous' or 'next', not {direction!r}").format(
            direction=shown(direction)))
    if not isinstance(day, date):
        raise InvalidType(_("expected a date, got {day!r}").format(day=shown(day)))
    why = _day_off(day, country)
    if why is None:
        return day, None
    moved = day
    while _day_off(moved, country) is not None:
        moved = date.fromordinal(moved.toordinal() + step)
    template = (_("{day} is {why}; moved to the previous working day {moved}") if step < 0
                else _("{day} is {why}; moved to the next working day {moved}"))
    return moved, template.format(day=day.isoformat(), why=why, moved=moved.isoformat())


# -- the rollover ------------------------------------------------------------------------


@attrs.frozen
class Change:
    """One change the rollover made: the field, its old and new values, and why, in plain words (the reader's)."""

    field: str
    old: str
    new: str
    why: str

    def __str__(self) -> str:
        return f"{self.field}: {self.old} -> {self.new} ({self.why})"


@attrs.frozen
class RolloverResult:
    """The new campaign, every change with its reason, the warnings, and the call file to review."""

    campaign: Campaign
    changes: tuple[Change, ...]
    warnings: tuple[str, ...]
    text: str
    """The call file (TOML), headed by a comment listing every change and warning, one per line."""

    def change(self, field: str) -> Change | None:
        """The change of ``field`` (``"calendar.deadline"``), or None if it was not changed."""
        for change in self.changes:
            if change.field == field:
                return change
        return None


def _year(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= 9000:
        raise InvalidInput(_("{name} must be a year (an int between 1900 and 9000), not {value!r}").format(
            name=name, value=shown(value)))
    return value


def _same_day(day: date, years: int) -> date:
    """The same day of the month ``years`` years later; 29 February becomes the 28th in a common year."""
    year = day.year + years
    return date(year, day.month, min(day.day, _stdcalendar.monthrange(year, day.month)[1]))


def _months(window: Window) -> str:
    from babel.dates import format_date

    first = format_date(window.start, "LLLL y", locale=babel_locale())
    last = format_date(window.end, "LLLL y", locale=babel_locale())
    return first if first == last else _("{first} to {last}").format(first=first, last=last)


def _shift_window(window: Window, years: int) -> tuple[Window, str]:
    if window.is_whole_months():
        end = _same_day(date(window.end.year, window.end.month, 1), years)
        shifted = Window(_same_day(window.start, years),
                         date(end.year, end.month, _stdcalendar.monthrange(end.year, end.month)[1]))
        return shifted, _("whole months stay whole months: {old} becomes {new}").format(
            old=_months(window), new=_months(shifted))
    shifted = Window(_same_day(window.start, years), _same_day(window.end, years))
    return shifted, ngettext("the same days of the month, {years} year later",
                             "the same days of the month, {years} years later", years).format(years=years)


def _replace_year(text: str, old: int, new: int) -> str | None:
    """``text`` with the year ``old`` replaced by ``new``; None if it does not name that year."""
    exact = re.compile(rf"(?<!\d){old}(?!\d)")
    return exact.sub(str(new), text) if exact.search(text) else None


class _Dates:
    """Moves the point dates by the file's policy, and records the changes and warnings."""

    def __init__(self, campaign: Campaign, years: int, changes: list[Change], warnings: list[str]) -> None:
        self.policy = campaign.calendar_policy
        self.years = years
        self.changes = changes
        self.warnings = warnings

    def point(self, field: str, day: date, policy_name: str) -> date:
        policy: str = getattr(self.policy, policy_name)
        same = _same_day(day, self.years)
        clamp = "" if same.day == day.day else _("{day} has no counterpart in {year}: {same}; ").format(
            day=day.isoformat(), year=same.year, same=same.isoformat())
        off = _day_off(same, self.policy.holidays)
        if off is None:
            new, why = same, clamp + _("the same day of the month, a {weekday}").format(weekday=_weekday(same))
        elif policy == "keep":
            new = same
            why = clamp + _("{day} is {off}; kept (calendar.policy.{policy} = keep)").format(
                day=same.isoformat(), off=off, policy=policy_name)
            self.warnings.append(_("{field} {day} is {off}: kept as the file's policy says; check it").format(
                field=field, day=same.isoformat(), off=off))
        else:
            new, moved = working_day(same, policy, self.policy.holidays)
            why = clamp + (moved or "")
        self.changes.append(Change(field, day.isoformat(), new.isoformat(), why))
        return new

    def window(self, field: str, window: Window) -> Window:
        new, why = _shift_window(window, self.years)
        self.changes.append(Change(field, str(window), str(new), why))
        return new


def rollover(
    campaign: Campaign,
    year: int,
    *,
    envelope: Decimal | str | int | None = None,
    qpv_csv: str | Path | None = None,
    valid_from: int | None = None,
    valid_until: int | None = None,
    territory_name: str | None = None,
    today: date | None = None,
) -> RolloverResult:
    """Next year's call: ``campaign`` moved to ``year``, with every change explained.

    - the id and the title get the new year (``...-2021`` becomes ``...-2022``;
      an id without the old year gets ``-2022`` appended); ``call.year`` and
      ``envelope.year`` become ``year``;
    - the launch and the deadline (a rolling call's opening and closing) keep
      their day of the month; one that falls on a weekend or a public holiday
      moves by ``[calendar.policy]``: the deadline to the previous working day,
      the opening to the next, unless the policy says ``keep``;
    - whole-month windows stay whole months (May 2021 becomes May 2022); other
      windows keep their days of the month;
    - the envelope, the rules and the pieces are carried over; ``envelope``
      overrides the amount;
    - ``qpv_csv`` (see :func:`parse_qpv_csv`) replaces the QPV list, and
      ``valid_from``, ``valid_until`` and ``territory_name`` the list's years
      and name. A year past the list's validity without a new list is warned
      about: the 2024 national list (décret n° 2023-1314) renewed the QPV,
      with new codes.

    ``today``, when given, warns about a launch already past. Raises
    :class:`~ami_workflow.errors.InvalidInput` for a bad year, amount or QPV
    list, or a result the loader would refuse.
    """
    if not isinstance(campaign, Campaign):
        raise InvalidType(_("expected a Campaign, got {type}").format(type=type(campaign).__name__))
    year = _year(year, "year")
    old_year = campaign.call.year
    if year <= old_year:
        raise InvalidInput(_("the rollover goes forward: {year} is not after the campaign's year {old_year}").format(
            year=year, old_year=old_year))
    years = year - old_year
    changes: list[Change] = []
    warnings: list[str] = []

    # The call: id, title, year.
    call = campaign.call
    replaced = _replace_year(call.id, old_year, year)
    new_id = replaced or f"{call.id}-{year}"
    changes.append(Change("call.id", call.id, new_id, _("the year in the id") if replaced
                          else _("the id did not name {old_year}: the year appended").format(old_year=old_year)))
    new_title = _replace_year(call.title, old_year, year)
    if new_title is None:
        new_title = call.title
        warnings.append(_("call.title {title!r} does not name {old_year}: check it").format(
            title=shown(call.title), old_year=old_year))
    else:
        changes.append(Change("call.title", call.title, new_title, _("the year in the title")))
    changes.append(Change("call.year", str(old_year), str(year), _("the call's year")))
    new_call = attrs.evolve(call, id=new_id, title=new_title, year=year)

    # The envelope.
    amount = campaign.envelope.amount
    if envelope is not None:
        amount = euros(envelope, "envelope")
        if amount != campaign.envelope.amount:
            changes.append(Change("envelope.amount", str(campaign.envelope.amount), str(amount),
                                  _("the amount given")))
    changes.append(Change("envelope.year", str(campaign.envelope.year), str(year), _("the call's year")))
    new_envelope = attrs.evolve(campaign.envelope, amount=amount, year=year)

    # The calendar.
    dates = _Dates(campaign, years, changes, warnings)
    cal = campaign.calendar
    if cal.rolling:
        opens = dates.point("calendar.opens", cal.submission.start, "opening")
        closes = dates.point("calendar.closes", cal.submission.end, "deadline")
        if closes < opens:
            raise InvalidInput(_("the rolling call would close ({closes}) before it opens ({opens}): edit the calendar")
                               .format(closes=closes, opens=opens))
        new_calendar = Calendar.rolling_window(Window(opens, closes))
    else:
        launch = dates.point("calendar.launch", cal.launch, "opening")
        deadline = dates.point("calendar.deadline", cal.deadline, "deadline")
        if deadline < launch:
            raise InvalidInput(_("the deadline ({deadline}) would fall before the launch ({launch}): edit the calendar")
                               .format(deadline=deadline, launch=launch))
        new_calendar = Calendar(
            Window(launch, deadline),
            dates.window("calendar.instruction", cal.instruction),
            dates.window("calendar.jury", cal.jury),
            dates.window("calendar.deliberation", cal.deliberation),
        )
        if cal.deadline < cal.instruction.start and new_calendar.instruction.start <= deadline:
            warnings.append(_("the deadline {deadline} now falls in the instruction window ({window}): check the "
                              "calendar").format(deadline=deadline.isoformat(), window=new_calendar.instruction))
    if today is not None:
        if not isinstance(today, date):
            raise InvalidType(_("today must be a date, got {today!r}").format(today=shown(today)))
        if new_calendar.launch < today:
            warnings.append(_("the call opens on {launch}, before today ({today}): check the calendar").format(
                launch=new_calendar.launch.isoformat(), today=today.isoformat()))

    # The territory.
    territory = _territory(campaign, year, qpv_csv, valid_from, valid_until, territory_name, changes, warnings)

    new = attrs.evolve(campaign, call=new_call, envelope=new_envelope, calendar=new_calendar, territory=territory)
    problems = check_campaign(new)
    if problems:
        raise InvalidInput(_("the rolled-over call would not load: {problems}").format(
            problems="; ".join(f"{field}: {problem}" for field, problem in problems)))
    warnings += _old_year_mentions(new, old_year)
    text = _header(campaign, new, changes, warnings) + campaign_to_toml(new)
    if parse_campaign(text, source=f"rollover of {campaign.id}") != new:  # pragma: no cover - a bug, never input
        raise AmiWorkflowError(_("the rolled-over call file of {id} does not load back to the same campaign").format(
            id=new.id))
    return RolloverResult(new, tuple(changes), tuple(warnings), text)


def _territory(
    campaign: Campaign,
    year: int,
    qpv_csv: str | Path | None,
    valid_from: int | None,
    valid_until: int | None,
    territory_name: str | None,
    changes: list[Change],
    warnings: list[str],
) -> Territory:
    old = campaign.territory
    new = old
    if qpv_csv is not None:
        qpv = parse_qpv_csv(qpv_csv)
        old_codes, new_codes = [q.code for q in old.qpv], [q.code for q in qpv]
        added = [c for c in new_codes if c not in old_codes]
        removed = [c for c in old_codes if c not in new_codes]
        kept = [q.code for q in qpv if old.get(q.code) == q]
        edited = [c for c in new_codes if c in old_codes and c not in kept]
        parts = [_("{count} unchanged").format(count=len(kept))]
        parts += [what.format(count=len(codes), codes=", ".join(codes)) for what, codes in
                  ((_("{count} added ({codes})"), added), (_("{count} removed ({codes})"), removed),
                   (_("{count} changed ({codes})"), edited)) if codes]
        changes.append(Change("territory.qpv", f"{len(old.qpv)} QPV", f"{len(qpv)} QPV",
                              _("the new list given: {parts}").format(parts=", ".join(parts))))
        new = attrs.evolve(new, qpv=qpv)
    if valid_from is not None and _year(valid_from, "valid_from") != old.valid_from:
        changes.append(Change("territory.valid_from", str(old.valid_from), str(valid_from), _("the year given")))
        new = attrs.evolve(new, valid_from=valid_from)
    if valid_until is not None and _year(valid_until, "valid_until") != old.valid_until:
        changes.append(Change("territory.valid_until", str(old.valid_until), str(valid_until), _("the year given")))
        new = attrs.evolve(new, valid_until=valid_until)
    if territory_name is not None:
        if not isinstance(territory_name, str) or not territory_name.strip():
            raise InvalidInput(_("territory_name must be a non-empty text"))
        if territory_name != old.name:
            changes.append(Change("territory.name", old.name, territory_name, _("the name given")))
            new = attrs.evolve(new, name=territory_name)
    if year > new.valid_until and qpv_csv is None:
        extended = (_(" The 2014 list was kept to the end of 2023 (loi de finances pour 2022): for 2023, check it "
                      "and set valid_until = 2023.") if year < _NEW_QPV_LIST_YEAR else "")
        warnings.append(
            _("WARNING: the QPV list ({valid_from}-{valid_until}) is not valid in {year} and no new list was "
              "given.{extended} From 1 January 2024 the national list of décret n° 2023-1314 du 28 décembre 2023 "
              "renewed the QPV, with new codes: give the list in force (qpv_csv, valid_from, valid_until).").format(
                valid_from=new.valid_from, valid_until=new.valid_until, year=year, extended=extended)
        )
    elif not new.valid_from <= year <= new.valid_until:
        warnings.append(_("the new QPV list is said to be valid {valid_from}-{valid_until}, which does not include "
                          "{year}: give valid_from and valid_until").format(
            valid_from=new.valid_from, valid_until=new.valid_until, year=year))
    if qpv_csv is not None and new.name == old.name:
        warnings.append(_("territory.name still reads {name!r} with the new QPV list: check it (territory_name)")
                        .format(name=shown(old.name)))
    return new


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, sub in value.items():
            yield from _strings(sub, f"{path}.{key}" if path else str(key))
    elif isinstance(value, (list, tuple)):
        for i, sub in enumerate(value):
            yield from _strings(sub, f"{path}[{i}]")


def _old_year_mentions(campaign: Campaign, old_year: int) -> list[str]:
    """Texts of the new call that still name the old year (other than the ones the rollover changed)."""
    pattern = re.compile(rf"(?<!\d){old_year}(?!\d)")
    found = [path for path, text in _strings(file_data(campaign), "") if pattern.search(text)]
    return [_("{path} still mentions {old_year}: check it").format(path=path, old_year=old_year) for path in found]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _header(old: Campaign, new: Campaign, changes: Sequence[Change], warnings: Sequence[str]) -> str:
    lines = [
        _one_line(new.call.title),
        _("Rolled over from {old} to {new} by ami_workflow.rollover: review every change and warning,").format(
            old=old.id, new=new.id),
        _("edit this file, then register it with: ami-workflow campaign add FILE"),
        _("The original file's comments (the call's own words) are not carried over."),
        "",
        _("Changes ({count}):").format(count=len(changes)),
        *(f"- {_one_line(str(c))}" for c in changes),
        "",
        _("Warnings ({count}):").format(count=len(warnings)) if warnings else _("Warnings: none"),
        *(f"- {_one_line(w)}" for w in warnings),
    ]
    return "".join(f"# {line}\n" if line else "#\n" for line in lines) + "\n"
