"""The convention threshold, per funder and per beneficiary over the budget year, across every campaign of the
store (issue "After the grant"): loi 2000-321, art. 10, and décret 2001-495, art. 1 require a convention when the
amount granted by one authority to one body for a year exceeds 23 000 €."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from walk import applicant, application, at, attach_all, walk_all

from ami_workflow import Convention, Deliberation, InvalidInput, Refused, load_campaign
from ami_workflow.calendar import PARIS

AMI = load_campaign("ami-cohesion-sociale-2021")
FPH = load_campaign("fonds-participation-habitants-2021")


def _july(day: int) -> datetime:
    return datetime(2021, 7, day, 10, tzinfo=PARIS)


def _two_grants(flow: Any, ami_amount: str) -> str:
    """One association granted ``ami_amount`` by the AMI 2021 and 1 500 € by the FPH 2021, both from the CALL;
    returns the FPH dossier, approved and not yet paid."""
    flow.add_campaign(FPH)
    big = str(flow.create_dossier(applicant(1), application(total_cost=Decimal("44000.00"),
                                                            requested=Decimal("22000.00"))).reference)
    attach_all(flow, big)
    walk_all(flow, [big], "hear")
    flow.fire(big, "approve", amount=Decimal(ami_amount))
    small = str(flow.create_dossier(applicant(1), application(axis="vie_de_quartier", qpv_codes=("QP062027",),
                                                              total_cost=Decimal("2500.00"),
                                                              requested=Decimal("1500.00")),
                                    campaign_id=FPH.id).reference)
    at(flow, _july(1))
    for piece in FPH.pieces:
        flow.attach(small, piece.key, piece.key.encode())
    flow.fire(small, "submit")
    at(flow, _july(2))
    flow.fire(small, "mark_complete")
    at(flow, _july(5))
    flow.fire(small, "instruct")
    flow.fire(small, "approve")
    at(flow, _july(10))
    return small


def test_rule_the_threshold_counts_every_grant_of_the_funder_to_one_body_in_the_year(flow: Any) -> None:
    small = _two_grants(flow, "22000.00")  # 22 000 € + 1 500 € = 23 500 € from the CALL in 2021
    head = flow.head()
    with pytest.raises(Refused, match=r"above €23,000.00: a signed convention must be recorded"):
        flow.fire(small, "pay")
    assert flow.head() == head
    flow.record_convention(Convention(small, "CONV-FPH-1", date(2021, 7, 9)))
    flow.fire(small, "pay")
    assert flow.get(small).state == "paid"


def test_rule_exactly_23_000_euros_needs_no_convention(flow: Any) -> None:
    small = _two_grants(flow, "21500.00")  # 21 500 € + 1 500 € = 23 000,00 €: does not exceed
    flow.fire(small, "pay")
    assert flow.get(small).state == "paid"


def test_rule_23_000_euros_and_one_cent_needs_a_convention(flow: Any) -> None:
    small = _two_grants(flow, "21500.01")
    with pytest.raises(Refused, match=r"€23,000.01 this year"):
        flow.fire(small, "pay")


def test_rule_homonyms_known_by_their_name_only_are_never_merged(flow: Any) -> None:
    flow.add_campaign(FPH)
    at(flow, _july(1))
    refs = []
    for _ in range(2):  # two residents' collectives of one name, with no identifier: two bodies, maybe
        group = applicant(1, name="Les Amis", kind="collectif_habitants", siren=None, siret=None, rna=None)
        assert group.identity.startswith("name:")
        ref = str(flow.create_dossier(group, application(axis="vie_de_quartier", qpv_codes=("QP062027",),
                                                         total_cost=Decimal("2500.00"), requested=Decimal("1500.00")),
                                      campaign_id=FPH.id).reference)
        for piece in FPH.pieces:
            flow.attach(ref, piece.key, piece.key.encode())
        flow.fire(ref, "submit")
        flow.fire(ref, "mark_complete")
        flow.fire(ref, "instruct")
        flow.fire(ref, "approve")
        refs.append(ref)
    context = flow._view().context(flow.get(refs[1]), flow.clock.now(), frozenset({"funder_granted"}))
    assert context.funder_granted == Decimal(0)  # the other « Les Amis » is not counted as the same body


def test_rule_an_association_known_by_its_siren_or_rna_is_one_body_across_calls(flow: Any) -> None:
    assert FPH.applicants.kinds["association"].requires == ("siren|rna",)
    flow.add_campaign(FPH)
    head = flow.head()
    with pytest.raises(InvalidInput, match="siren or rna: required for Association de proximité"):
        flow.create_dossier(applicant(1, siren=None, siret=None, rna=None), application(), campaign_id=FPH.id)
    assert flow.head() == head
    ami = flow.create_dossier(applicant(1), application()).reference
    fph = flow.create_dossier(applicant(1), application(axis="vie_de_quartier", qpv_codes=("QP062027",)),
                              campaign_id=FPH.id).reference
    assert flow.get(ami).applicant.identity == flow.get(fph).applicant.identity == "siren:" + applicant(1).siren


def test_rule_a_payment_up_to_the_grant_is_accepted_and_one_cent_above_is_refused(flow: Any) -> None:
    ref = str(flow.create_dossier(applicant(1), application()).reference)
    attach_all(flow, ref)
    walk_all(flow, [ref], "approve")
    granted = flow.get(ref).approved
    at(flow, datetime(2021, 9, 27, 18, tzinfo=PARIS))
    flow.record_deliberation(Deliberation("DEL-1", date(2021, 9, 27), (ref,), enforceable_on=date(2021, 9, 27)))
    at(flow, datetime(2021, 10, 5, 10, tzinfo=PARIS))
    head = flow.head()
    with pytest.raises(Refused, match=r"paying €5,000.01 would exceed the grant: €5,000.00 granted"):
        flow.fire(ref, "pay", amount=granted + Decimal("0.01"))
    assert flow.head() == head
    flow.fire(ref, "pay", amount=granted)  # exactly the grant: paid in full
    assert flow.get(ref).state == "paid" and flow.get(ref).paid == granted


def test_rule_mark_complete_refuses_an_association_without_siren_or_rna() -> None:
    from ami_workflow.dossier import Dossier
    from ami_workflow.guards import Context, GuardInput, applicant_identity
    from ami_workflow.triggers import NoArgs

    # created where no identifier was required (a copied draft, an imported dossier), checked against the 2021 file
    copied = Dossier("ami-2021-0001", AMI.id, applicant(1, siren=None, siret=None, rna=None))
    g = GuardInput(copied, _july(1), NoArgs(), Context(AMI, AMI.calendar))
    assert applicant_identity(g) == ["siren or rna: required for Association"]
    known = Dossier("ami-2021-0002", AMI.id, applicant(1))
    assert applicant_identity(GuardInput(known, _july(1), NoArgs(), Context(AMI, AMI.calendar))) == []


def test_rule_the_2021_file_requires_a_siren_or_an_rna_of_an_association(flow: Any) -> None:
    head = flow.head()
    with pytest.raises(InvalidInput, match="siren or rna: required for Association"):
        flow.create_dossier(applicant(1, siren=None, siret=None, rna=None), application())
    assert flow.head() == head
    assert flow.create_dossier(applicant(1, siren=None, rna="W622000123"), application()).applicant.rna
