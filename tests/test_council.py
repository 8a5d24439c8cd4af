"""The council's deliberation is the decision (issue "The committee and the decision"), on both backends.

The jury proposes; the council grants, reduces or refuses, by a deliberation that becomes enforceable once
transmitted to the prefecture and published (CGCT L2131-1, by L5211-3): payment waits for that day.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from walk import DELIBERATION_AT, SESSION_ID, TIMES, applicant, application, at, attach_all, session, walk_all

from ami_workflow import Refused, load_campaign
from ami_workflow.board import BoardMember
from ami_workflow.calendar import PARIS
from ami_workflow.committee import CommitteeSession, Member
from ami_workflow.core.events import Event, Kind
from ami_workflow.decisions import Deliberation
from ami_workflow.errors import InvalidInput
from ami_workflow.i18n import use_language

CAMPAIGN = load_campaign("ami-cohesion-sociale-2021")
DAY = DELIBERATION_AT.date()
ENFORCEABLE = date(2021, 10, 1)
PAY_AT = datetime(2021, 10, 5, 10, tzinfo=PARIS)


def _approved(flow: Any, count: int = 3) -> list[str]:
    refs = []
    for n in range(1, count + 1):
        ref = str(flow.create_dossier(applicant(n), application()).reference)
        attach_all(flow, ref)
        refs.append(ref)
    walk_all(flow, refs, "approve")
    at(flow, DELIBERATION_AT)
    return refs


def test_rule_the_council_grants_reduces_or_refuses_each_proposal(flow: Any) -> None:
    a, b, c = _approved(flow)
    proposed = flow.get(b).approved
    before = flow.totals().approved
    flow.record_deliberation(
        Deliberation("DEL-1", DAY, (a, b), amounts={b: proposed - Decimal("1000")}, refused=(c,),
                     enforceable_on=DAY),
        motivations={c: "Action déjà financée par ailleurs."},
    )
    assert flow.get(a).approved == flow.get(a).instruction.proposed  # the proposal, granted as it is
    assert flow.get(b).approved == proposed - Decimal("1000") and flow.get(b).state == "approved"
    refused = flow.get(c)
    assert (refused.state, refused.approved, refused.decision_note) == ("rejected", None,
                                                                         "Action déjà financée par ailleurs.")
    assert flow.totals().approved == before - Decimal("1000") - proposed  # c's amount went back to the envelope
    kinds = [e.body["kind"] for e in flow.events()[-3:]]
    assert kinds == ["deliberation_recorded", "grant_reduced", "triggered"]
    assert flow.events()[-1].body["data"]["trigger"] == "council_refuse"
    assert "déjà financée" not in str(flow.events()[-1].body)  # the motivation is kept outside the chain
    assert flow.verify() is None


def test_rule_payments_follow_the_deliberation_s_amount(flow: Any) -> None:
    a, b, _ = _approved(flow)
    reduced = flow.get(b).approved - Decimal("500")
    flow.record_deliberation(Deliberation("DEL-1", DAY, (a, b), amounts={b: reduced}, enforceable_on=DAY))
    at(flow, PAY_AT)
    with pytest.raises(Refused):
        flow.fire(b, "pay", amount=reduced + Decimal("0.01"))
    flow.fire(b, "pay")
    assert flow.get(b).state == "paid" and flow.get(b).paid == reduced


def test_rule_the_council_may_only_lower_a_proposal_and_motivates_each_refusal(flow: Any) -> None:
    a, b, c = _approved(flow)
    head = flow.head()
    with pytest.raises(Refused) as refused:
        flow.record_deliberation(Deliberation("DEL-1", DAY, (a, b), amounts={a: flow.get(a).approved + 1,
                                                                          b: Decimal(0), c: Decimal(10)},
                                              refused=(c, b)))
    text = str(refused.value)
    assert "above the jury's proposal" in text and "a grant above 0" in text
    assert f"{c} is given an amount but is not granted by the deliberation" in text
    assert f"{b} is both granted and refused" in text
    assert f"the refusal of {c} needs its motivation (CRPA L211-2)" in text
    assert flow.head() == head


def test_rule_payment_waits_for_the_deliberation_to_be_enforceable(flow: Any) -> None:
    a, _, _ = _approved(flow)
    flow.record_deliberation(Deliberation("DEL-1", DAY, (a,)))
    at(flow, PAY_AT)
    with pytest.raises(Refused, match="the deliberation DEL-1 is not enforceable yet"):
        flow.fire(a, "pay")
    with pytest.raises(Refused, match="before the deliberation"):
        flow.declare_enforceable("DEL-1", date(2021, 9, 1))
    with pytest.raises(Refused, match="after today"):
        flow.declare_enforceable("DEL-1", date(2021, 10, 6))
    at(flow, datetime(2021, 10, 7, 10, tzinfo=PARIS))
    flow.declare_enforceable("DEL-1", date(2021, 10, 6))  # transmitted and published on 6 October
    with pytest.raises(Refused, match="payment is possible from 6 October 2021, when the deliberation DEL-1"):
        flow.fire(a, "pay", at=PAY_AT)  # a payment dated the 5th
    with pytest.raises(Refused, match="already enforceable"):
        flow.declare_enforceable("DEL-1", date(2021, 10, 6))
    flow.fire(a, "pay")
    assert flow.get(a).state == "paid"
    assert flow.verify() is None


def test_rule_an_interested_councillor_takes_no_part_in_the_deliberation(flow: Any) -> None:
    ref = str(flow.create_dossier(applicant(1), application()).reference)
    attach_all(flow, ref)
    flow.record_board(ref, (BoardMember("Luc Gris", "président"),))
    walk_all(flow, [ref], "instruct")
    at(flow, TIMES["hear"])
    members = (*session().members, Member("Luc Gris", "elus"))
    flow.record_session(CommitteeSession(SESSION_ID, date(2021, 6, 15), "VP", CAMPAIGN.committee.chair_role, members))
    flow.rule_conflict(ref, SESSION_ID, "Luc Gris", confirmed=True, reason="Président de l'association.")
    flow.fire(ref, "hear", session=SESSION_ID)
    at(flow, TIMES["approve"])
    flow.fire(ref, "approve")
    at(flow, DELIBERATION_AT)
    with pytest.raises(Refused) as refused:
        flow.record_deliberation(Deliberation("DEL-1", DAY, (ref,)))
    assert "Luc Gris, an elected member of the committee, is interested in " + ref in str(refused.value)
    assert "CGCT L2131-11" in str(refused.value)
    flow.record_deliberation(Deliberation("DEL-1", DAY, (ref,), not_taking_part=("GRIS Luc",)))
    [held] = flow.deliberations()
    assert held.not_taking_part == ("GRIS Luc",)
    assert "GRIS" not in str(flow.events()[-1].body)  # the councillors' names are kept outside the chain
    flow.erase_committee_member("GRIS Luc", reason="demande")
    assert flow.deliberations()[0].not_taking_part == ("[erased]",)
    assert flow.verify() is None


def test_rule_a_deliberation_recorded_before_this_change_grants_the_proposal_from_its_day(flow: Any) -> None:
    from ami_workflow.core.evolve import World, evolve
    from ami_workflow.core.plain import plain

    world = World()
    evolve(world, Event(Kind.CAMPAIGN_ADDED, CAMPAIGN.id, None, DELIBERATION_AT, "x", {"call": plain(CAMPAIGN)}))
    old = {"reference": "DEL-0", "day": "2021-09-27", "dossiers": ["r-1"]}  # as older versions wrote it
    evolve(world, Event(Kind.DELIBERATION_RECORDED, CAMPAIGN.id, None, DELIBERATION_AT, "x", {"deliberation": old}))
    [held] = world.campaign(CAMPAIGN.id).deliberations
    assert (held.amounts, held.refused, held.enforceable_on) == ({}, (), date(2021, 9, 27))


def test_junk_deliberation_input_is_refused() -> None:
    with pytest.raises(InvalidInput):
        Deliberation("D", DAY, ("a",), amounts={"a": 1000.5})
    with pytest.raises(InvalidInput):
        Deliberation("D", DAY, ("a",), refused="b")
    with pytest.raises(InvalidInput):
        Deliberation("D", DAY, ("a",), enforceable_on="2021-10-01")


def test_the_council_speaks_french(flow: Any) -> None:
    a, _, _ = _approved(flow)
    flow.record_deliberation(Deliberation("DEL-1", DAY, (a,)))
    at(flow, PAY_AT)
    with use_language("fr"), pytest.raises(Refused) as refused:
        flow.fire(a, "pay")
    assert "la délibération DEL-1 n'est pas encore exécutoire" in str(refused.value)
