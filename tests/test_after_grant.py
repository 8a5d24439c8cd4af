"""After the grant (issue 11): the payment schedule, the compte rendu financier and its review, closing and
recovery, on both backends."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from walk import BACKENDS, CAMPAIGN, applicant, application, at, attach_all, new_flow, walk

from ami_workflow import Deliberation, Refused, load_campaign
from ami_workflow.budget import Budget
from ami_workflow.calendar import PARIS
from ami_workflow.callfile import check_campaign
from ami_workflow.schedule import PaymentStage, Settlement, settled_due, to_recover
from ami_workflow.settlement import report_due

SCHEDULED = attrs.evolve(CAMPAIGN, funding=attrs.evolve(CAMPAIGN.funding, payment_schedule=(
    PaymentStage("avance", Decimal("80"), "grant"), PaymentStage("solde", Decimal("20"), "report_accepted"))))

#: A realised budget of the whole forecast (10 000 € of charges), and one of 5 000 €.
FULL = Budget(charges={"60": "2000", "64": "8000"}, products={"74.epci": "5000", "74.etat": "5000"})
HALF = Budget(charges={"60": "1000", "64": "4000"}, products={"74.epci": "2500", "74.etat": "2500"})


def _day(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 10, tzinfo=PARIS)


@pytest.fixture(params=BACKENDS)
def scheduled(request: pytest.FixtureRequest) -> Any:
    """A store of each backend whose campaign pays 80 % on the grant and 20 % on the accepted compte rendu."""
    store = new_flow(request.param, SCHEDULED)
    yield store
    if hasattr(store, "close"):
        store.close()


def _granted(flow: Any, until: str = "approve") -> str:
    ref = str(flow.create_dossier(applicant(1, siret="55210055400013"), application()).reference)
    attach_all(flow, ref)
    walk(flow, ref, until)
    return ref


def _paid_in_full(flow: Any) -> str:
    ref = _granted(flow, "pay")
    assert flow.get(ref).state == "paid"
    return ref


def _unchanged(flow: Any, ref: str) -> tuple[Any, ...]:
    return flow.get(ref).state, flow.get(ref).version, flow.head(), flow.totals()


def test_rule_payment_schedule_pays_the_advance_then_the_balance_on_the_accepted_report(scheduled: Any) -> None:
    flow = scheduled
    ref = _granted(flow, "pay")  # the walk pays without an amount: what the schedule makes due now
    dossier = flow.get(ref)
    assert dossier.state == "approved" and dossier.paid == Decimal("4000.00")  # 80 % of 5 000 €
    before = _unchanged(flow, ref)
    with pytest.raises(Refused, match=r"stage « solde » \(20 %\) is paid once the compte rendu financier is accepted"):
        flow.fire(ref, "pay", amount="0.01")
    assert _unchanged(flow, ref) == before
    at(flow, _day(2022, 3, 1))
    flow.record_financial_report(ref, date(2022, 3, 1), realised=FULL, participants=100, qpv_residents=80)
    with pytest.raises(Refused, match="stage « solde »"):
        flow.fire(ref, "pay")  # received, not yet accepted
    flow.review_financial_report(ref, accepted=True)
    flow.fire(ref, "pay", reference="MANDAT-2022-0042")
    dossier = flow.get(ref)
    assert dossier.state == "paid" and dossier.paid == Decimal("5000.00")
    assert dossier.payments[-1].reference == "MANDAT-2022-0042"
    flow.fire(ref, "close")
    assert flow.get(ref).state == "closed"
    assert flow.verify() is None


def test_rule_payment_schedule_floors_the_advance_to_the_cent_and_the_balance_takes_the_rest(scheduled: Any) -> None:
    flow = scheduled
    ref = str(flow.create_dossier(applicant(1), application(requested=Decimal("4999.99"))).reference)
    attach_all(flow, ref)
    walk(flow, ref, "pay")
    assert flow.get(ref).paid == Decimal("3999.99")  # floor(4 999,99 × 80 %) = 3 999,992 → 3 999,99
    at(flow, _day(2022, 3, 1))
    flow.record_financial_report(ref, date(2022, 3, 1), realised=FULL)
    flow.review_financial_report(ref, accepted=True)
    with pytest.raises(Refused, match="above what is due"):
        flow.fire(ref, "pay", amount="1000.01")
    flow.fire(ref, "pay", amount="1000.00")
    assert flow.get(ref).paid == Decimal("4999.99") and flow.get(ref).state == "paid"


def test_rule_schedule_shares_add_up_to_100_percent() -> None:
    bad = attrs.evolve(CAMPAIGN, funding=attrs.evolve(CAMPAIGN.funding, payment_schedule=(
        PaymentStage("avance", "80"), PaymentStage("solde", "30", "report_accepted"))))
    assert ("funding.payment_schedule", "the shares of the payment schedule add up to 110 %, not 100 %") in \
        check_campaign(bad)
    assert not [p for p in check_campaign(SCHEDULED) if p[0] == "funding.payment_schedule"]


def test_rule_compte_rendu_content_close_to_cerfa_15059(flow: Any) -> None:
    ref = _paid_in_full(flow)
    at(flow, _day(2022, 3, 1))
    head = flow.head()
    with pytest.raises(Refused) as refused:
        flow.record_financial_report(ref, date(2022, 3, 1), realised=Budget(charges={"60": "100"}),
                                     participants=10, qpv_residents=11, women=12)
    assert len(refused.value.reasons) == 3  # residents and women above the participants, an unbalanced budget
    assert flow.head() == head
    report = flow.record_financial_report(ref, date(2022, 3, 1), realised=FULL, participants=90, qpv_residents=70,
                                          young=30, women=45, evaluation="Les ateliers ont trouvé leur public.")
    assert (report.realised, report.participants, report.qpv_residents, report.status) == (FULL, 90, 70, "received")
    assert report.evaluation == "Les ateliers ont trouvé leur public."
    assert flow.financial_report(ref) == report
    assert flow.verify() is None


def test_rule_instructor_accepts_the_compte_rendu_or_asks_questions_with_a_deadline(flow: Any) -> None:
    ref = _paid_in_full(flow)
    at(flow, _day(2022, 3, 1))
    flow.record_financial_report(ref, date(2022, 3, 1), realised=FULL)
    with pytest.raises(Refused) as refused:
        flow.review_financial_report(ref, accepted=False, questions=" ", answer_by=date(2022, 3, 1))
    assert len(refused.value.reasons) == 2  # no questions written, and no day after today
    report = flow.review_financial_report(ref, accepted=False, questions="Détaillez la ligne 64.",
                                          answer_by=date(2022, 4, 1))
    assert (report.status, report.answer_by, report.questions) == ("questions", date(2022, 4, 1),
                                                                    "Détaillez la ligne 64.")
    [status] = [s for s in flow.financial_reports() if s.dossier == ref]
    assert not status.late(date(2022, 4, 1)) and status.late(date(2022, 4, 2))
    with pytest.raises(Refused, match="awaiting answers"):
        flow.review_financial_report(ref, accepted=True)  # a corrected compte rendu is awaited
    at(flow, _day(2022, 3, 20))
    flow.record_financial_report(ref, date(2022, 3, 20), realised=FULL, evaluation="Ligne 64 détaillée.")
    assert flow.review_financial_report(ref, accepted=True).accepted
    with pytest.raises(Refused, match="already recorded"):
        flow.record_financial_report(ref, date(2022, 3, 20))
    assert flow.verify() is None


def test_rule_report_due_six_months_after_the_action_end_when_it_runs_past_the_usual_day() -> None:
    assert report_due(CAMPAIGN) == date(2022, 6, 30)
    assert report_due(CAMPAIGN, action_end=date(2022, 6, 30)) == date(2022, 6, 30)
    assert report_due(CAMPAIGN, action_end=date(2022, 9, 30)) == date(2023, 3, 31)  # month end to month end
    assert report_due(CAMPAIGN, action_end=date(2022, 9, 15)) == date(2023, 3, 15)


def test_rule_closed_once_the_report_is_accepted_and_everything_due_is_paid(flow: Any) -> None:
    ref = _paid_in_full(flow)
    before = _unchanged(flow, ref)
    with pytest.raises(Refused, match="not accepted yet"):
        flow.fire(ref, "close")
    assert _unchanged(flow, ref) == before
    at(flow, _day(2022, 3, 1))
    flow.record_financial_report(ref, date(2022, 3, 1), realised=FULL)
    flow.review_financial_report(ref, accepted=True)
    flow.fire(ref, "close")
    assert flow.get(ref).state == "closed" and flow.get(ref).approved == Decimal("5000.00")
    assert flow.verify() is None


def test_rule_under_spending_reduces_the_unpaid_balance_first(scheduled: Any) -> None:
    flow = scheduled
    ref = _granted(flow, "pay")  # 4 000 € paid of 5 000 €
    at(flow, _day(2022, 3, 1))
    realised = Budget(charges={"64": "9000"}, products={"74.epci": "4500", "74.etat": "4500"})  # 90 % spent
    flow.record_financial_report(ref, date(2022, 3, 1), realised=realised)
    flow.review_financial_report(ref, accepted=True)
    with pytest.raises(Refused, match=r"above what is due: €4,500\.00"):
        flow.fire(ref, "pay", amount="1000.00")
    flow.fire(ref, "pay")  # the balance, cut from 1 000 € to 500 €
    assert flow.get(ref).paid == Decimal("4500.00")
    with pytest.raises(Refused, match="nothing to recover"):
        flow.fire(ref, "start_recovery", grounds="under_spent", observations_by=date(2022, 4, 1))
    flow.fire(ref, "close")
    assert flow.get(ref).approved == Decimal("4500.00")  # the 500 € left go back to the envelope
    assert flow.totals().approved == Decimal("4500.00") and flow.totals().paid == Decimal("4500.00")
    assert flow.verify() is None


def test_rule_recovery_invites_observations_then_a_motivated_titre_de_recette(flow: Any) -> None:
    ref = _paid_in_full(flow)  # 5 000 € paid
    at(flow, _day(2022, 3, 1))
    flow.record_financial_report(ref, date(2022, 3, 1), realised=HALF)
    flow.review_financial_report(ref, accepted=True)
    with pytest.raises(Refused, match=r"was paid above the €2,500\.00 due"):
        flow.fire(ref, "close")
    before = _unchanged(flow, ref)
    with pytest.raises(Refused, match="at least 15 days"):
        flow.fire(ref, "start_recovery", grounds="under_spent", observations_by=date(2022, 3, 10))
    assert _unchanged(flow, ref) == before
    flow.fire(ref, "start_recovery", grounds="under_spent", observations_by=date(2022, 3, 16),
              note="Moitié des charges réalisées.")
    recovery = flow.get(ref).recovery
    assert flow.get(ref).state == "recovery" and (recovery.due, recovery.amount) == (Decimal("2500.00"),
                                                                                     Decimal("2500.00"))
    at(flow, _day(2022, 3, 10))
    with pytest.raises(Refused) as refused:
        flow.fire(ref, "order_recovery", title="")
    assert len(refused.value.reasons) == 3  # observations still open, no motivation, no titre de recette
    at(flow, _day(2022, 3, 17))
    flow.fire(ref, "order_recovery", title="TR-2022-0107", motivation="Action réalisée à moitié (CRPA L242-2).")
    assert flow.get(ref).approved == Decimal("5000.00") and flow.totals().paid == Decimal("5000.00")
    at(flow, _day(2022, 4, 20))
    flow.fire(ref, "recover", receipt="ENC-2022-33")
    dossier = flow.get(ref)
    assert dossier.state == "recovered" and dossier.paid == Decimal("2500.00")
    assert flow.totals().approved == Decimal("2500.00") and flow.totals().paid == Decimal("2500.00")
    assert flow.verify() is None


def test_rule_withdrawal_after_a_payment_goes_through_recovery(scheduled: Any) -> None:
    flow = scheduled
    ref = _granted(flow, "pay")  # the 4 000 € advance
    with pytest.raises(Refused, match="goes through a recovery"):
        flow.fire(ref, "withdraw", reason="Action abandonnée.")
    at(flow, _day(2021, 11, 2))
    flow.fire(ref, "start_recovery", grounds="withdrawn", observations_by=date(2021, 11, 17))
    assert (flow.get(ref).recovery.due, flow.get(ref).recovery.amount) == (Decimal("0.00"), Decimal("4000.00"))
    at(flow, _day(2021, 11, 18))
    flow.fire(ref, "order_recovery", title="TR-2021-0900", motivation="Retrait après versement de l'avance.")
    flow.fire(ref, "recover")
    assert flow.totals().approved == Decimal("0.00") and flow.totals().paid == Decimal("0.00")
    assert flow.verify() is None


def test_rule_an_action_not_carried_out_is_recovered_in_full(flow: Any) -> None:
    ref = _paid_in_full(flow)
    at(flow, _day(2022, 3, 1))
    flow.record_financial_report(ref, date(2022, 3, 1), carried_out=False)
    flow.fire(ref, "start_recovery", grounds="not_carried_out", observations_by=date(2022, 3, 20))
    assert flow.get(ref).recovery.amount == Decimal("5000.00")


cents = st.integers(min_value=0, max_value=10_000_000).map(lambda c: Decimal(c) / 100)


@given(grant=cents, forecast=cents.filter(bool), realised=cents, paid=cents,
       tolerance=st.integers(min_value=0, max_value=100))
def test_rule_recovery_amount_is_exact_and_never_above_what_was_paid(grant: Decimal, forecast: Decimal,
                                                                      realised: Decimal, paid: Decimal,
                                                                      tolerance: int) -> None:
    due = settled_due(Settlement(tolerance=Decimal(tolerance)), grant, forecast, realised)
    assert Decimal(0) <= due <= grant and due == due.quantize(Decimal("0.01"))
    if realised * 100 < forecast * (100 - tolerance):  # beyond the tolerance: the pro rata, floored to the cent
        assert due <= realised * grant / forecast < due + Decimal("0.01") or due == grant
    back = to_recover(paid, due)
    assert back == max(Decimal(0), paid - due) and back <= paid


def test_the_2021_file_reads_its_settlement_rule() -> None:
    settlement = load_campaign("ami-cohesion-sociale-2021").funding.settlement
    assert settlement.observation_days == 15 and "L1617-5" in settlement.recourse


def test_rule_agenda_shows_payments_due_questions_and_recoveries(scheduled: Any) -> None:
    from ami_workflow.agenda import AgendaKind, agenda

    flow = scheduled
    ref = _granted(flow, "approve")
    at(flow, datetime(2021, 9, 27, 18, tzinfo=PARIS))
    flow.record_deliberation(Deliberation("DEL-2021-1", date(2021, 9, 27), (ref,), enforceable_on=date(2021, 9, 27)))
    at(flow, _day(2021, 10, 5))
    [due] = [i for i in agenda(flow, _day(2021, 10, 5)) if i.kind is AgendaKind.PAYMENT_DUE]
    assert due.dossier == ref and "€4,000.00 can be paid now" in due.message and not due.late
    flow.fire(ref, "pay")
    assert flow.get(ref).paid == Decimal("4000.00")
    assert not [i for i in agenda(flow, flow.clock.now()) if i.kind is AgendaKind.PAYMENT_DUE]  # the balance waits
    at(flow, _day(2022, 3, 1))
    flow.record_financial_report(ref, date(2022, 3, 1), realised=HALF)
    flow.review_financial_report(ref, accepted=False, questions="Pourquoi la moitié ?", answer_by=date(2022, 3, 15))
    [question] = [i for i in agenda(flow, _day(2022, 3, 16)) if i.kind is AgendaKind.REPORT_QUESTIONS]
    assert question.dossier == ref and question.due == date(2022, 3, 15) and question.late
    at(flow, _day(2022, 3, 14))
    flow.record_financial_report(ref, date(2022, 3, 14), realised=HALF, evaluation="Public réduit de moitié.")
    flow.review_financial_report(ref, accepted=True)
    flow.fire(ref, "start_recovery", grounds="under_spent", observations_by=date(2022, 4, 1))
    [recovery] = [i for i in agenda(flow, _day(2022, 3, 20)) if i.kind is AgendaKind.RECOVERY_OPEN]
    assert recovery.dossier == ref and recovery.due == date(2022, 4, 1) and "€1,500.00" in recovery.message


def test_rule_exports_follow_the_payments_and_the_schedule(flow: Any) -> None:
    from ami_workflow.exports import giving360
    from ami_workflow.scdl import scdl_rows

    flow.amend_funder(siret="24620036400007", registered_id_prefix="360G-test", reason="Publication.")
    ref = _paid_in_full(flow)
    at(flow, _day(2022, 3, 1))
    flow.record_financial_report(ref, date(2022, 3, 1), realised=HALF)
    flow.review_financial_report(ref, accepted=True)
    flow.fire(ref, "start_recovery", grounds="under_spent", observations_by=date(2022, 3, 20))
    at(flow, _day(2022, 3, 21))
    flow.fire(ref, "order_recovery", title="TR-2022-9", motivation="Moitié réalisée.")
    flow.fire(ref, "recover")
    [grant] = giving360(flow)["grants"]
    assert grant["amountAwarded"] == 2500 and grant["amountDisbursed"] == 2500
    assert [t["value"] for t in grant["disbursementTransaction"]] == [5000, -2500]
    assert sum(t["value"] for t in grant["disbursementTransaction"]) == grant["amountDisbursed"]
    [row] = scdl_rows(flow)
    assert row["montant"] == "2500.00"  # the grant as it came to, after the recovery


def test_rule_scdl_plans_payments_in_instalments_under_a_schedule(scheduled: Any) -> None:
    from ami_workflow.scdl import scdl_rows

    flow = scheduled
    flow.amend_funder(siret="24620036400007", registered_id_prefix=None, reason="Publication.")
    ref = _granted(flow, "approve")
    at(flow, datetime(2021, 9, 27, 18, tzinfo=PARIS))
    flow.record_deliberation(Deliberation("DEL-2021-1", date(2021, 9, 27), (ref,), enforceable_on=date(2021, 9, 27)))
    [row] = scdl_rows(flow)
    assert row["conditionsVersement"] == "échelonné" and "/" in row["datesPeriodeVersement"]


def test_rule_withdrawal_after_the_deliberation_frees_the_amount_against_it(flow: Any) -> None:
    ref = _granted(flow, "approve")
    at(flow, datetime(2021, 9, 27, 18, tzinfo=PARIS))
    flow.record_deliberation(Deliberation("DEL-2021-1", date(2021, 9, 27), (ref,), enforceable_on=date(2021, 9, 27)))
    assert flow.totals().approved == Decimal("5000.00")
    at(flow, _day(2021, 10, 2))
    flow.fire(ref, "withdraw", reason="L'association renonce.")
    assert flow.totals().approved == Decimal("0.00")
    last = flow.history(ref)[-1]
    assert last.trigger == "withdraw" and last.data["deliberations"] == ["DEL-2021-1"]
    assert flow.verify() is None


def test_rule_recovery_documents_invite_observations_then_give_the_titre_de_recette_and_its_recourse(
        flow: Any) -> None:
    import html

    from ami_workflow import notices
    from ami_workflow.i18n import use_language

    ref = _paid_in_full(flow)
    at(flow, _day(2022, 3, 1))
    flow.record_financial_report(ref, date(2022, 3, 1), realised=HALF)
    flow.review_financial_report(ref, accepted=True)
    flow.fire(ref, "start_recovery", grounds="under_spent", observations_by=date(2022, 3, 16),
              note="La moitié des charges prévues.")
    at(flow, _day(2022, 3, 17))
    flow.fire(ref, "order_recovery", title="TR-2022-0107", motivation="Action réalisée à moitié.")
    with use_language("fr"):
        notices.issue(flow, ref, "invitation_observations")
        notices.issue(flow, ref, "titre_recette")
    invitation = html.unescape(flow.document_bytes(ref, "invitation_observations", "html").decode("utf-8"))
    assert "L121-1 et L122-1" in invitation and "16 mars 2022" in invitation
    assert "2\u202f500,00" in invitation  # the amount to pay back
    assert "La moitié des charges prévues." in invitation
    title = html.unescape(flow.document_bytes(ref, "titre_recette", "html").decode("utf-8"))
    assert "TR-2022-0107" in title and "Action réalisée à moitié." in title and "L211-2" in title
    assert CAMPAIGN.funding.settlement.recourse in title  # the call file's recourse (CGCT L1617-5)
    assert [d.kind for d in flow.documents(ref)][-2:] == ["invitation_observations", "titre_recette"]
