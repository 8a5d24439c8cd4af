"""Allocation policies as data (issue "The committee and the decision"): pro rata, by rank, or set by the committee."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from walk import SESSION_ID, applicant, application, attach_all, new_flow, walk_all

from ami_workflow import Refused, load_campaign
from ami_workflow.campaign import Allocation
from ami_workflow.errors import CallFileError
from ami_workflow.rules import allocate_by_rank

CAMPAIGN = load_campaign("ami-cohesion-sociale-2021")
MEMBERS = [f"Membre {c.key}" for c in CAMPAIGN.committee.categories]
assert CAMPAIGN.committee.grid is not None
KEYS = [c.key for c in CAMPAIGN.committee.grid.criteria]


def with_policy(policy: str, shortfall: str = "partial", envelope: str = "12000.00") -> Any:
    funding = attrs.evolve(CAMPAIGN.funding, allocation=Allocation(policy, shortfall))
    return attrs.evolve(CAMPAIGN, funding=funding, envelope=attrs.evolve(CAMPAIGN.envelope, amount=Decimal(envelope)))


CLAIMS = st.lists(st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False), min_size=0, max_size=8)


ENVELOPES = st.decimals(min_value=0, max_value=200000, places=2, allow_nan=False)


@given(CLAIMS, ENVELOPES, st.sampled_from(["partial", "stop"]))
def test_rule_by_rank_never_exceeds_the_envelope_nor_a_claim_and_favours_the_better_ranked(
    amounts: list[Decimal], envelope: Decimal, shortfall: str
) -> None:
    claims = [(f"d{i}", a) for i, a in enumerate(amounts)]
    shares = allocate_by_rank(envelope, claims, shortfall)
    assert list(shares) == [k for k, _ in claims]
    assert sum(shares.values(), Decimal(0)) <= envelope
    assert all(shares[k] <= a for k, a in claims)
    completeness = [(shares[k] / a) if a else Decimal(1) for k, a in claims]
    short = next((i for i, c in enumerate(completeness) if c < 1), None)  # the first not funded in full
    if short is not None:  # everyone after it gets nothing: no worse-ranked dossier is funded more completely
        assert all(shares[k] == 0 or a == 0 for k, a in claims[short + 1:])


def _scored(flow: Any, count: int, requested: str = "5000.00", scored: int | None = None) -> list[str]:
    refs = []
    for n in range(1, count + 1):
        ref = flow.create_dossier(applicant(n), application(requested=Decimal(requested))).reference
        attach_all(flow, ref)
        refs.append(ref)
    walk_all(flow, refs, "hear")
    for rank, ref in enumerate(refs[:scored]):  # the first is the best: 5, 4, 3 …
        flow.record_scores(ref, SESSION_ID, MEMBERS[0], dict.fromkeys(KEYS, 5 - rank))
    return refs


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_rule_by_rank_funds_in_ranking_order_and_records_the_policy(backend: str) -> None:
    flow = new_flow(backend, with_policy("rank"))
    refs = _scored(flow, 3)
    result = flow.approve_batch(list(reversed(refs)))  # the list's order does not matter: the ranking does
    assert result.policy == "rank" and result.scaled
    assert result.approved == {refs[0]: Decimal("5000.00"), refs[1]: Decimal("5000.00"), refs[2]: Decimal("2000.00")}
    approvals = [e for e in flow.events() if (e.body["data"] or {}).get("trigger") == "approve"]
    assert {e.body["data"]["allocation"] for e in approvals} == {"rank"}
    assert flow.verify() is None


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_rule_by_rank_with_stop_funds_nothing_after_the_first_that_does_not_fit(backend: str) -> None:
    flow = new_flow(backend, with_policy("rank", "stop"))
    refs = _scored(flow, 3)
    result = flow.approve_batch(refs)
    assert result.approved == {refs[0]: Decimal("5000.00"), refs[1]: Decimal("5000.00")}
    assert result.unfunded == (refs[2],) and flow.get(refs[2]).state == "audited"


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_rule_by_rank_refuses_a_list_with_an_unscored_dossier(backend: str) -> None:
    flow = new_flow(backend, with_policy("rank"))
    refs = _scored(flow, 3, scored=2)
    head = flow.head()
    with pytest.raises(Refused, match=f"{refs[2]}: not scored by the committee"):
        flow.approve_batch(refs)
    assert flow.head() == head


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_rule_amounts_set_by_the_committee_are_checked_against_ceilings_requests_and_the_envelope(backend: str) -> None:
    flow = new_flow(backend, with_policy("committee"))
    refs = _scored(flow, 3)
    head = flow.head()
    with pytest.raises(Refused) as refused:
        flow.approve_batch({refs[0]: Decimal("5200.00"), refs[1]: None, refs[2]: Decimal("4000.00")})
    text = str(refused.value)
    assert "above its request, €5,000.00" in text and "the committee sets each amount" in text
    with pytest.raises(Refused, match=r"above what is left of the envelope, €12,000\.00"):
        flow.approve_batch({refs[0]: Decimal("5000.00"), refs[1]: Decimal("5000.00"), refs[2]: Decimal("4000.00")})
    assert flow.head() == head
    result = flow.approve_batch({refs[0]: Decimal("4500.00"), refs[1]: Decimal("4000.00"), refs[2]: Decimal("3500.00")})
    assert result.policy == "committee" and not result.scaled
    assert flow.totals().approved == Decimal("12000.00")


def test_rule_the_ami_2021_file_keeps_pro_rata_until_the_service_chooses() -> None:
    assert CAMPAIGN.funding.allocation == Allocation("pro_rata", "partial")


def test_an_unknown_policy_or_shortfall_is_a_call_file_error() -> None:
    from importlib import resources

    from ami_workflow.callfile import parse_campaign
    from ami_workflow.calls import __name__ as calls

    text = (resources.files(calls) / "ami-cohesion-sociale-2021.toml").read_text(encoding="utf-8")
    with pytest.raises(CallFileError, match=r"funding\.allocation\.policy"):
        parse_campaign(text.replace('policy = "pro_rata"', 'policy = "lottery"'))
    with pytest.raises(CallFileError, match=r"funding\.allocation\.shortfall"):
        parse_campaign(text.replace('shortfall = "partial"', 'shortfall = "some"'))
