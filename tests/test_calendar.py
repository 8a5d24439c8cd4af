"""Time is Europe/Paris: conversions, DST refusals, windows, amendments and clocks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ami_workflow.calendar import (
    PARIS,
    CalendarAmendment,
    FixedClock,
    Window,
    month_window,
    paris_date,
    parse_instant,
    to_paris,
)
from ami_workflow.campaign import Campaign
from ami_workflow.errors import InvalidInput, InvalidTime


def test_naive_time_is_paris_wall_clock() -> None:
    assert to_paris(datetime(2021, 4, 30, 23, 59)).utcoffset() == timedelta(hours=2)


def test_aware_time_is_converted_to_paris() -> None:
    utc = datetime(2021, 4, 30, 22, 30, tzinfo=UTC)
    assert paris_date(utc) == date(2021, 5, 1)  # 00:30 in Paris: already May


def test_nonexistent_paris_time_is_refused() -> None:
    with pytest.raises(InvalidTime, match="does not exist"):
        to_paris(datetime(2021, 3, 28, 2, 30))


def test_ambiguous_paris_time_is_refused() -> None:
    with pytest.raises(InvalidTime, match="ambiguous"):
        to_paris(datetime(2021, 10, 31, 2, 30))


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
@example(datetime(2024, 10, 27, 0, 0, tzinfo=UTC))  # 02:00 in Paris, the first of the two that night
def test_aware_times_keep_their_instant(at: datetime) -> None:
    # Compared in UTC: by PEP 495, a time in the repeated autumn hour never equals (==) one of another zone.
    assert to_paris(at).astimezone(UTC) == at
    assert to_paris(at).timestamp() == at.timestamp()
    assert to_paris(at).tzinfo is PARIS


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_naive_times_are_either_read_or_refused(at: datetime) -> None:
    try:
        result = to_paris(at)
    except InvalidTime:
        return
    assert result.replace(tzinfo=None) == at


def test_parse_instant_forms() -> None:
    assert parse_instant("2021-04-30T23:59:00").isoformat() == "2021-04-30T23:59:00+02:00"
    assert parse_instant(date(2021, 5, 1)) == datetime(2021, 5, 1, tzinfo=PARIS)
    with pytest.raises(InvalidTime):
        parse_instant("30/04/2021")
    with pytest.raises(InvalidTime):
        parse_instant(20210430)


def test_window_bounds_are_included() -> None:
    may = month_window(2021, 5)
    assert may == Window(date(2021, 5, 1), date(2021, 5, 31))
    assert may.contains(date(2021, 5, 1)) and may.contains(date(2021, 5, 31))
    assert not may.contains(date(2021, 6, 1))
    assert may.is_whole_months()
    assert may.closes_at() == datetime(2021, 6, 1, tzinfo=PARIS)


def test_window_cannot_end_before_it_starts() -> None:
    with pytest.raises(InvalidInput):
        Window(date(2021, 5, 31), date(2021, 5, 1))


def test_amendment_moves_one_window_and_keeps_the_others(campaign: Campaign) -> None:
    amendment = CalendarAmendment(
        "jury", Window(date(2021, 7, 1), date(2021, 7, 9)), "comité reporté (élections)", datetime(2021, 5, 20, 9)
    )
    amended = campaign.calendar.amended([amendment])
    assert amended.jury == Window(date(2021, 7, 1), date(2021, 7, 9))
    assert amended.submission == campaign.calendar.submission
    assert campaign.calendar.jury == month_window(2021, 6)  # the call's own calendar is untouched


def test_amendment_needs_a_reason_and_a_known_window() -> None:
    with pytest.raises(InvalidInput, match="reason"):
        CalendarAmendment("jury", month_window(2021, 7), "  ", datetime(2021, 5, 20, 9))
    with pytest.raises(InvalidInput, match="unknown calendar window"):
        CalendarAmendment("vacances", month_window(2021, 7), "x", datetime(2021, 5, 20, 9))


def test_fixed_clock() -> None:
    clock = FixedClock(datetime(2021, 4, 30, 12))
    clock.advance(timedelta(hours=12))
    assert clock.now() == datetime(2021, 5, 1, 0, tzinfo=PARIS)
