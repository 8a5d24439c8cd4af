"""Conventions with their content, the clauses the law expects, avenants, conventions pluriannuelles d'objectifs
and the publication deadline of their essential data (issue 11, « Conventions with their content »).

Every test using ``flow`` runs on both backends (the SQLite store and ``MemoryWorkflow``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from walk import DELIBERATION_AT, applicant, application, at, attach_all, new_flow, walk

from ami_workflow import Convention, Deliberation, InvalidInput, MemoryWorkflow, Refused
from ami_workflow.agenda import AgendaKind, agenda
from ami_workflow.calendar import PARIS, SystemClock
from ami_workflow.cli import main
from ami_workflow.conventions import Avenant, Signatory, content_refusals, publication_deadline
from ami_workflow.core.events import Kind
from ami_workflow.personal import ERASED

GRANT = Decimal("30000.00")
SIGNED = date(2021, 9, 28)


def _paris(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=PARIS)


def _granted(flow: Any, requested: Decimal = GRANT) -> str:
    """A dossier approved for ``requested`` and granted by an enforceable deliberation; the clock on 29 September."""
    ref = str(flow.create_dossier(applicant(1), application(total_cost=requested * 2, requested=requested)).reference)
    attach_all(flow, ref)
    walk(flow, ref, "approve")
    at(flow, DELIBERATION_AT)
    flow.record_deliberation(Deliberation("DEL-2021-001", DELIBERATION_AT.date(), (ref,),
                                          enforceable_on=DELIBERATION_AT.date()))
    at(flow, _paris(2021, 9, 29))
    assert flow.get(ref).approved == requested
    return ref


def _full(ref: str, **changes: Any) -> Convention:
    content: dict[str, Any] = {
        "object": "Ateliers numériques pour les habitants des quartiers prioritaires",
        "amount": GRANT,
        "starts_on": date(2021, 9, 1),
        "ends_on": date(2022, 6, 30),
        "payment_terms": "80 % à la signature, le solde à réception du compte rendu financier",
        "conditions_of_use": "La subvention finance exclusivement l'action décrite.",
        "reporting": "Compte rendu financier et bilan qualitatif.",
        "report_due": date(2022, 12, 31),
        "signatories": (Signatory("Claire Dupont", "présidente"),
                        Signatory("Sylvain Robert", "président", side="funder")),
    }
    content.update(changes)
    return Convention(ref, "CONV-2021-001", SIGNED, **content)


def _snapshot(flow: Any) -> tuple[Any, ...]:
    return flow.head(), flow.conventions(), flow.dossiers(), flow.totals()


def _refused(flow: Any, action: Callable[[], object], *expected: str) -> list[str]:
    """``action`` is refused with a reason holding each of ``expected``, and changes nothing."""
    before = _snapshot(flow)
    with pytest.raises(Refused) as info:
        action()
    for text in expected:
        assert any(text in reason for reason in info.value.reasons), (text, info.value.reasons)
    assert _snapshot(flow) == before
    assert flow.verify() is None
    return list(info.value.reasons)


# -- content ------------------------------------------------------------------------


def test_rule_a_convention_holds_its_content_and_its_signatories_are_personal_data(flow: Any) -> None:
    ref = _granted(flow)
    convention = _full(ref)
    flow.record_convention(convention)
    assert flow.conventions()[ref] == convention
    [event] = [e for e in flow.iter_journal() if e.kind is Kind.CONVENTION_RECORDED]
    data = event.data["convention"]
    assert data["object"].startswith("Ateliers") and data["amount"] == "30000.00"
    assert data["signatories"] == [{"role": "présidente", "side": "beneficiary"},
                                   {"role": "président", "side": "funder"}]
    assert "Claire Dupont" not in str(event.data) and "Sylvain Robert" not in str(event.data)
    assert dict(event.personal) == {"signatories.0.name": "Claire Dupont", "signatories.1.name": "Sylvain Robert"}
    assert flow.verify() is None


def test_rule_the_three_field_convention_records_and_replays_as_before(flow: Any) -> None:
    ref = _granted(flow)
    flow.record_convention(Convention(ref, "CONV-1", SIGNED))
    [event] = [e for e in flow.iter_journal() if e.kind is Kind.CONVENTION_RECORDED]
    assert dict(event.data) == {"convention": {"dossier": ref, "reference": "CONV-1", "signed_on": "2021-09-28"}}
    held = flow.conventions()[ref]
    assert (held.amount, held.object, held.years, held.signatories, held.avenants) == (None, "", {}, (), ())
    assert held.subgranting_allowed is False and held.version == 1
    replayed = MemoryWorkflow.replay(flow.iter_journal(), flow.campaign)
    assert replayed.conventions() == flow.conventions()


def test_rule_a_convention_cannot_formalise_more_than_the_grant(flow: Any) -> None:
    ref = _granted(flow)
    reasons = _refused(
        flow, lambda: flow.record_convention(_full(ref, amount=Decimal("30000.01"), starts_on=date(2022, 7, 1),
                                                   years={2021: Decimal("100.00")})),
        "the convention's amount (€30,000.01) is above what the council granted (€30,000.00)",
        "the convention's period ends on 30 June 2022, before it starts (1 July 2022)",
        "the yearly amounts add up to €100.00, not to the convention's amount (€30,000.01)",
        "some yearly amounts fall outside the convention's period: 2021",
    )
    assert len(reasons) == 4


def test_rule_bad_content_is_refused_before_anything_is_written() -> None:
    with pytest.raises(InvalidInput):
        Convention("d", "c", SIGNED, amount=Decimal("-1"))
    with pytest.raises(InvalidInput):
        Convention("d", "c", SIGNED, duration_months=0)
    with pytest.raises(InvalidInput):
        Signatory("Claire Dupont", "présidente", side="témoin")
    with pytest.raises(InvalidInput, match="an avenant may change"):
        Avenant("AV-1", SIGNED, {"dossier": "autre"})
    with pytest.raises(InvalidInput, match="at least one field"):
        Avenant("AV-1", SIGNED, {})


# -- the clauses of the law -----------------------------------------------------------


def test_rule_convention_clauses_certified_accounts_and_no_subgranting() -> None:
    """CGCT L1611-4: the certified budget and accounts of the past year, and no grant passed on to another body
    unless the convention expressly allows it."""
    plain = Convention("d", "c", SIGNED)
    assert [c.key for c in plain.clauses()] == ["certified_accounts", "no_subgranting"]
    assert {c.source for c in plain.clauses()} == {"CGCT L1611-4"}
    assert "certified copy of its budget and of its accounts of the past financial year" in plain.clauses()[0].text
    allowed = Convention("d", "c", SIGNED, subgranting_allowed=True)
    assert [c.key for c in allowed.clauses()] == ["certified_accounts", "subgranting_allowed"]
    amended = plain.with_avenant(Avenant("AV-1", SIGNED, {"subgranting_allowed": True}))
    assert [c.key for c in amended.clauses()] == ["certified_accounts", "subgranting_allowed"]


# -- avenants -------------------------------------------------------------------------


def test_rule_an_avenant_is_journaled_with_its_reason_and_versions_the_convention(flow: Any) -> None:
    ref = _granted(flow)
    flow.record_convention(_full(ref))
    at(flow, _paris(2021, 11, 3))
    flow.amend_convention(ref, Avenant("AV-1", date(2021, 11, 2), {"ends_on": date(2022, 8, 31)},
                                       "Report des ateliers d'été à la demande de Mme Dupont"))
    latest = flow.amend_convention(ref, Avenant("AV-2", date(2021, 11, 3), {"amount": Decimal("25000.00"),
                                                                             "object": "Ateliers réduits"}))
    assert latest.version == 3 and [a.reference for a in latest.avenants] == ["AV-1", "AV-2"]
    assert latest.amount == GRANT and latest.ends_on == date(2022, 6, 30)  # the original, as signed
    current = latest.current()
    assert (current.amount, current.ends_on, current.object) == (Decimal("25000.00"), date(2022, 8, 31),
                                                                 "Ateliers réduits")
    events = [e for e in flow.iter_journal() if e.kind is Kind.CONVENTION_AMENDED]
    assert [dict(e.personal) for e in events] == [
        {"avenants.0.reason": "Report des ateliers d'été à la demande de Mme Dupont"}, {}]
    assert events[0].data["avenant"]["changes"] == {"ends_on": "2022-08-31"}
    assert "Dupont" not in str(events[0].data)
    assert flow.conventions() == MemoryWorkflow.replay(flow.iter_journal(), flow.campaign).conventions()
    assert flow.verify() is None


def test_rule_an_avenant_is_refused_with_every_reason(flow: Any) -> None:
    ref = _granted(flow)
    _refused(flow, lambda: flow.amend_convention(ref, Avenant("AV-1", SIGNED, {"object": "x"})),
             "has no convention to amend")
    flow.record_convention(_full(ref))
    reasons = _refused(flow, lambda: flow.amend_convention(ref, Avenant("CONV-2021-001", date(2021, 9, 1),
                                                                        {"object": "x"})),
                       "the reference CONV-2021-001 is already the convention's",
                       "the avenant is signed on 1 September 2021, before the convention as it stands (28 September "
                       "2021)")
    assert len(reasons) == 2
    _refused(flow, lambda: flow.amend_convention(ref, Avenant("AV-1", date(2021, 10, 30), {"object": "x"})),
             "after today")


def test_rule_an_avenant_below_what_is_paid_is_refused(flow: Any) -> None:
    ref = _granted(flow)
    flow.record_convention(_full(ref))
    at(flow, _paris(2021, 10, 5))
    flow.fire(ref, "pay", amount="24000.00", reference="MANDAT-1")
    reasons = _refused(flow, lambda: flow.amend_convention(ref, Avenant("AV-1", date(2021, 10, 5),
                                                                        {"amount": Decimal("23999.99")})),
                       "the convention's amount (€23,999.99) is below what has already been paid (€24,000.00)")
    assert len(reasons) == 1
    assert flow.amend_convention(ref, Avenant("AV-1", date(2021, 10, 5), {"amount": Decimal("24000.00")})) \
        .current().amount == Decimal("24000.00")


def test_rule_an_avenant_above_the_grant_is_refused(flow: Any) -> None:
    ref = _granted(flow)
    flow.record_convention(_full(ref, amount=Decimal("28000.00")))
    _refused(flow, lambda: flow.amend_convention(ref, Avenant("AV-1", SIGNED, {"amount": Decimal("30000.01")})),
             "the convention's amount (€30,000.01) is above what the council granted (€30,000.00)")
    assert flow.amend_convention(ref, Avenant("AV-1", SIGNED, {"amount": GRANT})).current().amount == GRANT


_AMOUNTS = st.decimals(min_value=Decimal("0"), max_value=Decimal("40000"), places=2)


@given(granted=_AMOUNTS, paid=_AMOUNTS, amounts=st.lists(_AMOUNTS, min_size=1, max_size=6))
def test_rule_avenants_never_take_the_amount_below_paid_nor_above_the_grant(
    granted: Decimal, paid: Decimal, amounts: list[Decimal]
) -> None:
    """Whatever avenants are tried, one by one, those accepted keep the amount in force between what is paid
    and what was granted; a refused one changes nothing."""
    convention = Convention("d", "c", SIGNED)
    for i, amount in enumerate(amounts):
        tried = convention.with_avenant(Avenant(f"AV-{i}", SIGNED, {"amount": amount}))
        reasons = content_refusals(tried, granted=granted, paid=paid, grant_year=2021)
        assert bool(reasons) == (not paid <= amount <= granted)
        if not reasons:
            convention = tried
        held = convention.current().amount
        assert held is None or paid <= held <= granted


# -- conventions pluriannuelles d'objectifs -------------------------------------------


def test_rule_a_convention_pluriannuelle_has_an_amount_per_year(flow: Any) -> None:
    ref = _granted(flow)
    reasons = _refused(
        flow, lambda: flow.record_convention(_full(ref, ends_on=date(2023, 12, 31), years={
            2022: Decimal("20000.00"), 2023: Decimal("5000.00"), 2024: Decimal("5000.00")})),
        "the yearly amounts leave out 2021, the year of the grant",
        "some yearly amounts fall outside the convention's period: 2024")
    assert len(reasons) == 2
    years = {2021: Decimal("10000.00"), 2022: Decimal("10000.00"), 2023: Decimal("10000.00")}
    flow.record_convention(_full(ref, ends_on=date(2023, 12, 31), years=years))
    assert flow.conventions()[ref].years == years
    at(flow, _paris(2021, 10, 5))
    _refused(flow, lambda: flow.amend_convention(ref, Avenant("AV-1", date(2021, 10, 5), {"years": {
        2021: "10000.00", 2022: "15000.00", 2023: "10000.00"}})), "add up to €35,000.00")
    amended = flow.amend_convention(ref, Avenant("AV-1", date(2021, 10, 5), {"amount": "25000.00", "years": {
        2021: "10000.00", 2022: "10000.00", 2023: "5000.00"}}))
    assert amended.current().years == {2021: Decimal("10000.00"), 2022: Decimal("10000.00"),
                                       2023: Decimal("5000.00")}
    assert flow.verify() is None


# -- erasure ----------------------------------------------------------------------------


def test_rule_erasure_blanks_the_beneficiary_signatories_and_the_avenants_reasons(flow: Any) -> None:
    ref = _granted(flow)
    flow.record_convention(_full(ref))
    flow.amend_convention(ref, Avenant("AV-1", SIGNED, {"object": "Ateliers"}, "À la demande de Claire Dupont"))
    at(flow, _paris(2032, 1, 1))  # after the ten years a granted dossier is kept
    count = flow.erase_personal_data(flow.get(ref).applicant.identity, reason="demande de la personne")
    assert count > 0
    held = flow.conventions()[ref]
    assert [s.name for s in held.signatories] == [ERASED, "Sylvain Robert"]  # the funder's signatory is kept
    assert [a.reason for a in held.avenants] == [ERASED]
    values = {path: value for e in flow.iter_journal()
              if e.kind in (Kind.CONVENTION_RECORDED, Kind.CONVENTION_AMENDED) for path, value in e.personal.items()}
    assert values == {"signatories.0.name": None, "signatories.1.name": "Sylvain Robert", "avenants.0.reason": None}
    assert flow.conventions() == MemoryWorkflow.replay(flow.iter_journal(), flow.campaign).conventions()
    assert flow.verify() is None


# -- publication (décret n° 2017-779) ---------------------------------------------------


def test_rule_the_agenda_shows_the_publication_deadline_of_a_convention_above_the_threshold(flow: Any) -> None:
    """Décret n° 2017-779 du 5 mai 2017, art. 1: the essential data of a convention above the threshold are
    published at the latest three months after its signature."""
    ref = _granted(flow)
    flow.record_convention(_full(ref))
    assert publication_deadline(flow.conventions()[ref]) == date(2021, 12, 28)
    [item] = [i for i in agenda(flow, _paris(2021, 10, 1)) if i.kind is AgendaKind.CONVENTION_PUBLICATION]
    assert (item.dossier, item.due, item.late) == (ref, date(2021, 12, 28), False)
    assert "CONV-2021-001" in item.message and "décret n° 2017-779" in item.message
    [late] = [i for i in agenda(flow, _paris(2021, 12, 29)) if i.kind is AgendaKind.CONVENTION_PUBLICATION]
    assert late.late


def test_rule_a_convention_up_to_the_threshold_has_no_publication_deadline(flow: Any) -> None:
    ref = _granted(flow)
    flow.record_convention(_full(ref, amount=Decimal("23000.00")))  # formalises 23 000 € of the 30 000 € granted
    assert not [i for i in agenda(flow, _paris(2021, 10, 1)) if i.kind is AgendaKind.CONVENTION_PUBLICATION]


# -- the command line -------------------------------------------------------------------


def test_the_convention_and_avenant_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "ami.db"
    flow = new_flow("sqlite", path=str(db))
    ref = _granted(flow)
    flow.close()
    monkeypatch.setattr(SystemClock, "now", lambda self: _paris(2021, 10, 1))

    def run(*args: str) -> str:
        result = CliRunner().invoke(main, ["--db", str(db), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    out = run("convention", ref, "CONV-1", "2021-09-28", "--object", "Ateliers", "--amount", "30000",
              "--start", "2021-09-01", "--end", "2022-12-31", "--year", "2021=20000", "--year", "2022=10000",
              "--payment-terms", "80 % puis 20 %", "--report-due", "2023-06-30",
              "--signatory", "Claire Dupont=présidente", "--funder-signatory", "Sylvain Robert=président")
    assert "convention CONV-1" in out and "CGCT L1611-4" in out
    out = run("avenant", ref, "AV-1", "2021-09-30", "--amount", "28000", "--year", "2021=18000",
              "--year", "2022=10000", "--subgranting", "--reason", "Réduction du programme")
    assert "version 2" in out and "28" in out
    run("convention", "--help")
    reopened = new_flow("sqlite", path=str(db), start=_paris(2021, 10, 1))
    held = reopened.conventions()[ref]
    assert held.current().amount == Decimal("28000.00") and held.current().subgranting_allowed
    assert held.years == {2021: Decimal("20000.00"), 2022: Decimal("10000.00")}
    assert [(s.name, s.side) for s in held.signatories] == [("Claire Dupont", "beneficiary"),
                                                             ("Sylvain Robert", "funder")]
    assert held.avenants[0].reason == "Réduction du programme"
    assert reopened.verify() is None
    reopened.close()


def test_the_convention_command_keeps_its_positional_form(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "ami.db"
    flow = new_flow("sqlite", path=str(db))
    ref = _granted(flow)
    flow.close()
    monkeypatch.setattr(SystemClock, "now", lambda self: _paris(2021, 10, 1))
    result = CliRunner().invoke(main, ["--db", str(db), "convention", ref, "CONV-1", "2021-09-28"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    reopened = new_flow("sqlite", path=str(db), start=_paris(2021, 10, 1))
    assert reopened.conventions()[ref] == Convention(ref, "CONV-1", SIGNED)
    reopened.close()


def test_the_report_due_in_force_is_the_last_avenant_s(flow: Any) -> None:
    ref = _granted(flow)
    flow.record_convention(_full(ref))  # the compte rendu due on 31 December 2022
    [status] = [s for s in flow.financial_reports() if s.dossier == ref]
    assert status.due == date(2022, 12, 31)
    flow.amend_convention(ref, Avenant("AV-1", SIGNED, {"report_due": date(2023, 3, 31)}))
    [status] = [s for s in flow.financial_reports() if s.dossier == ref]
    assert status.due == date(2023, 3, 31)
