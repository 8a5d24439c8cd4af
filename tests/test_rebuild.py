"""``rebuild`` (issue 9: a stored trigger reads its dossier without the cattrs round trip) gives the record the
converter gives, for every record the library writes, and falls back to the converter for anything else."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from cattrs.errors import ForbiddenExtraKeysError
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import paris

from ami_workflow import FixedClock, MemoryWorkflow, load_campaign
from ami_workflow.calendar import PARIS
from ami_workflow.campaign import Campaign
from ami_workflow.checks import STORED_FORMS, stored_data
from ami_workflow.codec import converter
from ami_workflow.core.plain import plain, plain_json
from ami_workflow.decisions import Convention, Deliberation, FinancialReport
from ami_workflow.dossier import Applicant, Application, Dossier, Instruction, Payment, Period, Recovery
from ami_workflow.pieces import IssueReason, PaperOriginal, PieceIssue, PieceReceipt
from ami_workflow.rebuild import rebuild
from ami_workflow.sample import run_demo, with_usual_schedule

_slow = converter.copy(detailed_validation=False)


def converted(data: Any, cls: type[Any]) -> Any:
    """What the converter makes of stored data (the way every stored record was read before ``rebuild``)."""
    with stored_data():
        return _slow.structure(data, cls)


def assert_same(record: Any, cls: type[Any]) -> None:
    data = plain(record)
    rebuilt = rebuild(plain(record), cls)
    assert rebuilt == record == converted(data, cls)
    assert type(rebuilt) is type(record)
    assert plain_json(converter.unstructure(rebuilt)) == plain_json(converter.unstructure(record))


@pytest.fixture(scope="module")
def demo() -> MemoryWorkflow:
    flow = MemoryWorkflow(with_usual_schedule(load_campaign("ami-cohesion-sociale-2021")),
                          clock=FixedClock(datetime(2021, 3, 8, 9, tzinfo=PARIS)), actor="demo")
    run_demo(flow, echo=lambda line: None)
    return flow


def test_every_record_of_the_demo_is_rebuilt_as_the_converter_builds_it(demo: MemoryWorkflow) -> None:
    dossiers = demo.dossiers()
    assert {d.state for d in dossiers} >= {"approved", "rejected", "closed"} and any(d.payments for d in dossiers)
    for dossier in dossiers:
        assert_same(dossier, Dossier)
    assert demo.deliberations() and demo.conventions()
    for deliberation in demo.deliberations():
        assert_same(deliberation, Deliberation)
    for convention in demo.conventions().values():
        assert_same(convention, Convention)
    reports = [demo.financial_report(s.dossier) for s in demo.financial_reports() if s.received_on]
    assert reports and any(d.recovery for d in dossiers)
    for report in reports:
        assert_same(report, FinancialReport)
    assert_same(demo.campaign, Campaign)


texts = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=12).map(
    str.strip).filter(bool)
amounts = st.integers(0, 10**9).map(lambda cents: Decimal(cents).scaleb(-2))
days = st.dates(date(2020, 1, 1), date(2023, 12, 31))
instants = st.builds(paris, st.integers(2020, 2023), st.integers(1, 12), st.integers(1, 28), st.integers(0, 23))
digests = st.text("0123456789abcdef", min_size=64, max_size=64)

applicants = st.builds(Applicant, texts, st.sampled_from(["association", "collectif"]),
                       siren=st.none() | st.just("732829320"), rna=st.none() | st.just("W623000001"),
                       legal_representative=st.none() | texts, iban=st.none() | texts)
applications = st.builds(
    Application, title=st.none() | texts, axis=st.none() | texts, qpv_codes=st.lists(texts, max_size=3),
    period=st.none() | days.map(lambda d: Period(d, d)), total_cost=st.none() | amounts,
    requested=st.none() | amounts, participants=st.none() | st.integers(0, 500), sourcing=st.none() | texts,
)
pieces = st.builds(PieceReceipt, texts, days, sha256=st.none() | digests, size=st.none() | st.integers(0, 10**6))
originals = st.builds(PaperOriginal, texts, days, st.just(True), signed_by=texts)
issues = st.builds(PieceIssue, texts, st.sampled_from(list(IssueReason)), note=texts)
payments = st.builds(Payment, amounts, instants, reference=texts)
instructions = st.builds(Instruction, st.frozensets(texts, max_size=3), amounts, amounts, instants, actor=texts)
recoveries = st.builds(Recovery, texts, amounts, amounts, instants, days, title=texts,
                       decided_at=st.none() | instants)
dossiers = st.builds(
    Dossier, texts, texts, applicants, applications, st.sampled_from(["draft", "submitted", "paid"]),
    pieces=st.lists(pieces, max_size=4).map(tuple), originals=st.lists(originals, max_size=2).map(tuple),
    issues=st.lists(issues, max_size=2).map(tuple), submitted_at=st.none() | instants,
    instruction=st.none() | instructions, hearing=st.none() | texts, approved=st.none() | amounts,
    payments=st.lists(payments, max_size=3).map(tuple), decision_note=st.none() | texts,
    recovery=st.none() | recoveries, version=st.integers(0, 50),
)


@settings(max_examples=150)
@given(dossiers)
def test_a_dossier_is_rebuilt_as_the_converter_builds_it(dossier: Dossier) -> None:
    assert_same(dossier, Dossier)


def test_data_the_fast_path_does_not_expect_goes_through_the_converter() -> None:
    stored = plain(Payment(Decimal("10.50"), datetime(2021, 10, 5, 10, tzinfo=PARIS), "M-1"))
    assert rebuild({**stored, "amount": 12}, Payment).amount == Decimal("12.00")  # an int: the converter's cents
    assert str(rebuild({**stored, "amount": "1 500,5"}, Payment).amount) == "1500.50"
    with pytest.raises(ForbiddenExtraKeysError):
        rebuild({**stored, "colour": "blue"}, Payment)
    with pytest.raises(TypeError, match="expected a number"):  # a float is never money
        rebuild({**stored, "amount": 10.5}, Payment)
    assert rebuild(["a", "b"], tuple[str, ...]) == ("a", "b")  # not a record: the converter


@given(st.none() | st.text(max_size=8) | st.integers())
def test_the_stored_form_of_each_text_check_does_what_the_check_does_to_stored_data(value: Any) -> None:
    for check, stored_form in STORED_FORMS.items():
        with stored_data():
            try:
                expected: Any = check(value)
            except Exception as exc:
                with pytest.raises(type(exc)):
                    stored_form(value)
                continue
            assert stored_form(value) == expected


def test_a_stored_dossier_takes_the_fast_path_whole(demo: MemoryWorkflow, monkeypatch: pytest.MonkeyPatch) -> None:
    """No part of a dossier the library wrote goes through the converter (a fallback would be correct but slow,
    so this is what keeps the speed from quietly going away)."""
    import ami_workflow.rebuild as module

    class Refusing:
        def structure(self, *args: Any) -> Any:
            raise AssertionError(f"the converter was asked for {args!r:.200}")

    monkeypatch.setattr(module, "_slow", Refusing())
    for dossier in demo.dossiers():
        assert rebuild(plain(dossier), Dossier) == dossier
