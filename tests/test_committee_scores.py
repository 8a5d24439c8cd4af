"""The committee's scores and ranking (issue "The committee and the decision", first part), on both backends.

The call gives no grid: the AMI 2021 file ships the library's reading (``[committee.grid]``, docs/rules.md).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest
from walk import SESSION_ID, applicant, application, at, attach_all, session, walk_all

from ami_workflow import Refused, load_campaign
from ami_workflow.calendar import PARIS
from ami_workflow.errors import InvalidInput
from ami_workflow.i18n import use_language
from ami_workflow.scoring import ScoreSheet, result

CAMPAIGN = load_campaign("ami-cohesion-sociale-2021")
GRID = CAMPAIGN.committee.grid
assert GRID is not None
MEMBERS = [f"Membre {c.key}" for c in CAMPAIGN.committee.categories]
ALL = {c.key: 3 for c in GRID.criteria}


def _heard(flow: Any, *specs: dict[str, Any]) -> list[str]:
    refs = []
    for n, spec in enumerate(specs or ({},), start=1):
        ref = flow.create_dossier(applicant(n), application(**spec)).reference
        attach_all(flow, ref)
        refs.append(ref)
    walk_all(flow, refs, "hear")
    return refs


def marks(**changes: int) -> dict[str, int]:
    return {**ALL, **changes}


def test_rule_the_ami_2021_grid_is_the_library_s_documented_reading() -> None:
    assert GRID.scale_max == 5 and sum(c.weight for c in GRID.criteria) == 11
    assert [c.key for c in GRID.criteria] == ["priorites", "public_qpv", "jeunes_femmes", "innovation",
                                              "partenariat", "participation"]
    assert "bibliothèque" in GRID.reading
    assert load_campaign("fonds-participation-habitants-2021").committee.grid is None  # the FPH hears no one


def test_rule_each_present_member_scores_a_heard_dossier_and_every_score_is_an_event(flow: Any) -> None:
    [ref] = _heard(flow)
    before = len(flow.events())
    sheet = flow.record_scores(ref, SESSION_ID, MEMBERS[0], marks(priorites=5), opinion="Action solide.")
    assert (sheet.dossier, sheet.session, sheet.member, sheet.opinion) == (ref, SESSION_ID, 0, "Action solide.")
    event = flow.events()[-1]
    assert len(flow.events()) == before + 1 and event.body["kind"] == "scores_recorded"
    assert event.body["data"]["score"]["member"] == 0 and "Membre" not in str(event.body)  # no name in the chain
    assert "Action solide." not in str(event.body) and "opinion" in event.body["personal"]  # only its digest
    assert flow.scores() == [sheet]
    assert flow.verify() is None


def test_rule_scoring_is_refused_outside_a_session_from_an_absent_member_or_twice(flow: Any) -> None:
    [ref] = _heard(flow)
    flow.record_scores(ref, SESSION_ID, MEMBERS[1], marks())
    head = flow.head()
    with pytest.raises(Refused, match="no committee session 'comite-X' is recorded"):
        flow.record_scores(ref, "comite-X", MEMBERS[1], marks())
    with pytest.raises(Refused, match="Mme Absente was not present at the session"):
        flow.record_scores(ref, SESSION_ID, "Mme Absente", marks())
    with pytest.raises(Refused, match="has already scored") as twice:
        flow.record_scores(ref, SESSION_ID, MEMBERS[1], marks())
    assert twice.value.action == "record_scores"
    assert flow.head() == head and len(flow.scores()) == 1  # nothing written


def test_rule_only_a_heard_dossier_is_scored_with_every_criterion_on_the_scale(flow: Any) -> None:
    [heard] = _heard(flow)
    draft = flow.create_dossier(applicant(9), application()).reference
    with pytest.raises(Refused) as refused:
        flow.record_scores(draft, SESSION_ID, MEMBERS[0], marks())
    assert "was not heard at the session" in str(refused.value)
    with pytest.raises(Refused) as refused:
        flow.record_scores(heard, SESSION_ID, MEMBERS[0], {"priorites": 6, "autre": 1})
    text = str(refused.value)
    assert "no mark for `public_qpv`" in text and "unknown criteria `autre`" in text
    assert "the mark 6 for `priorites` is outside the scale, 0 to 5" in text
    for bad in ({"priorites": 2.5}, {"priorites": "4"}, ["priorites"], {1: 3}):
        with pytest.raises(InvalidInput):
            flow.record_scores(heard, SESSION_ID, MEMBERS[0], bad)
    assert flow.scores() == []


def test_rule_a_dossier_s_result_is_the_mean_of_the_members_weighted_means(flow: Any) -> None:
    [ref] = _heard(flow)
    flow.record_scores(ref, SESSION_ID, MEMBERS[0], {k: 5 for k in ALL})  # 5
    flow.record_scores(ref, SESSION_ID, MEMBERS[1], marks(priorites=0, public_qpv=0))  # (0+0+2×3+3+3+3)/11 = 15/11
    [ranked] = flow.ranking()
    assert ranked.reference == ref and ranked.members == 2
    assert ranked.result == ((Decimal(5) + Decimal(15) / 11) / 2).quantize(Decimal("0.01"))  # 3.18


def test_rule_the_ranking_breaks_ties_by_qpv_share_then_submission_then_reference(flow: Any) -> None:
    refs = _heard(flow, {"qpv_residents": 70}, {"qpv_residents": 90}, {"qpv_residents": 90})
    for ref in refs:
        flow.record_scores(ref, SESSION_ID, MEMBERS[0], marks())
    flow.record_scores(refs[0], SESSION_ID, MEMBERS[1], {k: 5 for k in ALL})  # the best result
    ranking = flow.ranking()
    # refs[1] and refs[2] tie (3.00, 90 %, submitted together): the reference decides
    assert [r.reference for r in ranking] == [refs[0], refs[1], refs[2]]
    assert [r.rank for r in ranking] == [1, 2, 3]
    assert ranking[1].result == ranking[2].result == Decimal("3.00")


def test_the_opinion_is_french_free_text_and_the_refusals_are_in_french(flow: Any) -> None:
    [ref] = _heard(flow)
    with use_language("fr"), pytest.raises(Refused) as refused:
        flow.record_scores(ref, SESSION_ID, "Mme Absente", marks())
    assert "Mme Absente n'était pas présent(e) à la séance" in str(refused.value)


def test_result_of_no_sheet_is_none_and_a_sheet_checks_its_member() -> None:
    assert result(GRID, []) is None
    with pytest.raises(InvalidInput):
        ScoreSheet("d", "s", -1, {})


def test_rule_erasing_a_committee_member_erases_their_opinions_and_verify_still_passes(flow: Any) -> None:
    [ref] = _heard(flow)
    flow.record_scores(ref, SESSION_ID, MEMBERS[0], marks(), opinion="Avis de Membre : bon projet.")
    flow.record_scores(ref, SESSION_ID, MEMBERS[1], marks(), opinion="Un autre avis.")
    flow.erase_committee_member(MEMBERS[0], reason="demande de la personne")
    by_member = {s.member: s for s in flow.scores()}
    assert by_member[0].opinion == "" and by_member[0].marks == marks()  # the marks stay: they name no one
    assert by_member[1].opinion == "Un autre avis."
    assert flow.verify() is None


def test_rule_a_session_sits_with_a_majority_of_the_members_convened(flow: Any) -> None:
    assert CAMPAIGN.committee.quorum == "majority"
    at(flow, datetime(2021, 6, 15, 9, tzinfo=PARIS))
    base = session()  # four members present, one per category
    with pytest.raises(Refused, match="no quorum: 4 members present of 9 convened, a majority is 5"):
        flow.record_session(attrs.evolve(base, convened=9))
    assert flow.sessions() == []
    flow.record_session(attrs.evolve(base, convened=7))  # 4 of 7: a majority
    assert flow.sessions()[0].convened == 7
    with pytest.raises(InvalidInput, match="more than the 3 convened"):
        attrs.evolve(base, convened=3)
