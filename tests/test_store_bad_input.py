"""Junk input to every public write call of both stores: a clear library error, and nothing written.

"Nothing written" is checked on both backends by the dossiers, the journal's
length and head, and the totals; on SQLite also with
``sqlite3.Connection.total_changes`` (every row inserted, updated or deleted
since the connection opened) and a dump of the whole database.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from walk import BACKENDS, CAMPAIGN, TIMES, applicant, application, at, attach_all, new_flow, session

from ami_workflow import (
    TRIGGERS,
    AmiWorkflowError,
    Applicant,
    CommitteeSession,
    Convention,
    Deliberation,
    Member,
    PaperOriginal,
)
from ami_workflow.calendar import PARIS
from ami_workflow.store import Workflow

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=12),
    st.binary(max_size=8),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
    st.just(object()),
)


@pytest.fixture(scope="module", params=BACKENDS)
def flow(request: pytest.FixtureRequest) -> Any:
    """One store per backend, with a draft D1 holding every piece, the clock on the submission day."""
    store = new_flow(request.param)
    ref = store.create_dossier(applicant(1), application(), reference="D1").reference
    attach_all(store, ref)
    at(store, TIMES["hear"])
    store.record_session(session())
    at(store, TIMES["hear"].replace(hour=15))
    yield store
    if hasattr(store, "close"):
        store.close()


def _state(flow: Any) -> tuple[Any, ...]:
    sqlite = isinstance(flow, Workflow)
    return (
        flow.dossiers(),
        len(flow.events()),
        flow.head(),
        flow.totals(),
        flow.sessions(),
        flow.deliberations(),
        flow.conn.total_changes if sqlite else None,
        "\n".join(flow.conn.iterdump()) if sqlite else None,
    )


def _unchanged(flow: Any, call: Callable[[], Any]) -> None:
    before = _state(flow)
    with pytest.raises(AmiWorkflowError):
        call()
    assert _state(flow) == before


SETTINGS = settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(value=junk)
def test_create_dossier_with_junk(flow: Any, value: Any) -> None:
    _unchanged(flow, lambda: flow.create_dossier(value))
    _unchanged(flow, lambda: flow.create_dossier(applicant(3), value if value is not None else 1))
    if not isinstance(value, str):
        _unchanged(flow, lambda: flow.create_dossier(applicant(3), actor=value if value is not None else 1))


@SETTINGS
@given(name=st.text(max_size=8), siren=st.text(min_size=1, max_size=12).filter(lambda s: s.strip()))
def test_create_dossier_with_bad_identifiers(flow: Any, name: str, siren: str) -> None:
    from stdnum.fr import siren as std_siren

    if std_siren.is_valid(siren):
        return
    _unchanged(flow, lambda: flow.create_dossier(Applicant(name or "x", "association", siren=siren)))


@SETTINGS
@given(ref=junk, trigger=st.sampled_from(TRIGGERS) | junk)
def test_fire_on_unknown_dossiers_or_junk_triggers(flow: Any, ref: Any, trigger: Any) -> None:
    if ref == "D1":
        ref = "D-unknown"
    _unchanged(flow, lambda: flow.fire(ref, trigger))


@SETTINGS
@given(
    trigger=st.sampled_from(TRIGGERS),
    key=st.sampled_from(["amount", "criteria", "session", "motivation", "x"]),
    value=junk,
)
def test_fire_with_junk_data(flow: Any, trigger: str, key: str, value: Any) -> None:
    # Every datum is junk for some trigger; the ones that happen to fit are refused by a guard instead
    # (D1 is a draft on the day of the session: its submission is past the deadline).
    _unchanged(flow, lambda: flow.fire("D1", trigger, **{key: value}))


@SETTINGS
@given(when=junk)
def test_fire_with_junk_times(flow: Any, when: Any) -> None:
    if when is None:
        return
    _unchanged(flow, lambda: flow.fire("D1", "withdraw", at=when))
    _unchanged(flow, lambda: flow.fire("D1", "submit", postmark=when))


def test_fire_with_a_backdated_or_future_time(flow: Any) -> None:
    _unchanged(flow, lambda: flow.fire("D1", "withdraw", at=TIMES["pay"]))  # after now
    _unchanged(flow, lambda: flow.fire("D1", "withdraw", at=datetime(2021, 3, 20, tzinfo=PARIS)))  # before its last act
    _unchanged(flow, lambda: flow.fire("D1", "submit", at=TIMES["submit"]))  # a submission is never dated by the caller
    _unchanged(flow, lambda: flow.fire("D1", "submit", postmark=date(2021, 12, 1)))  # postmark after the receipt


@SETTINGS
@given(expected=st.integers(min_value=1, max_value=10**6) | junk)
def test_fire_with_a_stale_or_junk_version(flow: Any, expected: Any) -> None:
    if expected is None or expected == flow.get("D1").version:
        return
    _unchanged(flow, lambda: flow.fire("D1", "withdraw", expected_version=expected))
    _unchanged(flow, lambda: flow.update_application("D1", application(), expected_version=expected))


@SETTINGS
@given(key=junk, content=junk)
def test_attach_with_junk(flow: Any, key: Any, content: Any) -> None:
    _unchanged(flow, lambda: flow.attach("D1", key, content))


@SETTINGS
@given(value=junk)
def test_receive_original_and_update_with_junk(flow: Any, value: Any) -> None:
    _unchanged(flow, lambda: flow.receive_original("D1", value))
    _unchanged(flow, lambda: flow.update_application("D1", value, expected_version=flow.get("D1").version))
    _unchanged(flow, lambda: flow.receive_original("D1", PaperOriginal("rib", date(2021, 4, 2), False)))


@SETTINGS
@given(window=junk | st.sampled_from(["jury", "instruction"]), start=junk, reason=junk)
def test_amend_calendar_with_junk(flow: Any, window: Any, start: Any, reason: Any) -> None:
    _unchanged(flow, lambda: flow.amend_calendar(window, start, date(2021, 7, 1), reason=reason))


@SETTINGS
@given(value=junk)
def test_decisions_with_junk(flow: Any, value: Any) -> None:
    _unchanged(flow, lambda: flow.record_session(value))
    _unchanged(flow, lambda: flow.record_deliberation(value))
    _unchanged(flow, lambda: flow.record_convention(value))


def test_decisions_that_break_the_calls_rules(flow: Any) -> None:
    unchaired = CommitteeSession("s9", date(2021, 6, 14), "Maire", "Maire", (Member("A", "elus"),))
    _unchanged(flow, lambda: flow.record_session(unchaired))
    later = CommitteeSession("s10", date(2021, 6, 29), "VP", CAMPAIGN.committee.chair_role, session().members)
    _unchanged(flow, lambda: flow.record_session(later))  # not held yet
    _unchanged(flow, lambda: flow.record_deliberation(Deliberation("D", date(2021, 9, 1), ["D1"])))
    _unchanged(flow, lambda: flow.record_deliberation(Deliberation("D", date(2021, 9, 1), ["nope"])))
    _unchanged(flow, lambda: flow.record_convention(Convention("D1", "C", date(2021, 6, 1))))
    _unchanged(flow, lambda: flow.record_convention(Convention("nope", "C", date(2021, 6, 1))))
    _unchanged(flow, lambda: flow.attach("D1", "rib", b"x", filename=3))


def test_junk_campaign_and_open_arguments(tmp_path: Any) -> None:
    with pytest.raises(AmiWorkflowError):
        Workflow.open(":memory:", "ami-cohesion-sociale-2021")
    with pytest.raises(AmiWorkflowError):
        Workflow.open(":memory:", CAMPAIGN, synchronous=1)  # type: ignore[arg-type]
    assert not list(tmp_path.iterdir())


def test_bad_datetime_is_refused_before_writing(flow: Any) -> None:
    _unchanged(flow, lambda: flow.fire("D1", "withdraw", at=datetime(2021, 3, 28, 2, 30)))
