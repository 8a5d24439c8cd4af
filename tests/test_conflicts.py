"""Conflicts of interest at the committee (issue "The committee and the decision"), on both backends.

A member who sits on an applicant's board, or who declares a link with it, may be interested (CGCT L2131-11, by
L5211-3 for the CALL; Code pénal 432-12): the chair rules, and a confirmed conflict recuses the member.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from walk import SESSION_ID, TIMES, applicant, application, at, attach_all, walk_all

from ami_workflow import Refused, load_campaign
from ami_workflow.board import BoardMember, person_key, same_person
from ami_workflow.committee import CommitteeSession, Member
from ami_workflow.errors import InvalidInput
from ami_workflow.i18n import use_language

CAMPAIGN = load_campaign("ami-cohesion-sociale-2021")
GRID = CAMPAIGN.committee.grid
assert GRID is not None
MARKS = {c.key: 3 for c in GRID.criteria}
BOARD = (BoardMember("LEFEVRE Helene", "trésorière"), BoardMember("Paul Martin", "président", "bureau"))


def _session(*extra: Member, declared: tuple[str, ...] = (), convened: int | None = None) -> CommitteeSession:
    members = (
        Member("Hélène Lefèvre", "elus"),
        Member("Anne Roux", "personnalites"),
        Member("Marc Blanc", "techniciens", declared),
        Member("Rita Noir", "habitants"),
        *extra,
    )
    return CommitteeSession(SESSION_ID, date(2021, 6, 15), "Vice-président", CAMPAIGN.committee.chair_role, members,
                            convened)


def _instructed(flow: Any, board: tuple[BoardMember, ...] = BOARD) -> str:
    ref = str(flow.create_dossier(applicant(1), application()).reference)
    attach_all(flow, ref)
    flow.record_board(ref, board)
    walk_all(flow, [ref], "instruct")
    at(flow, TIMES["hear"])
    return ref


def _hear(flow: Any, ref: str) -> None:
    flow.fire(ref, "hear", session=SESSION_ID)


def test_rule_board_lists_are_recorded_from_their_pieces_as_personal_data(flow: Any) -> None:
    ref = str(flow.create_dossier(applicant(1), application()).reference)
    with pytest.raises(Refused) as refused:
        flow.record_board(ref, BOARD)
    text = str(refused.value)
    assert "the board list comes from the piece « liste des membres du Conseil d'Administration » (key " \
           "`liste_ca`)" in text and "(key `liste_bureau`)" in text
    attach_all(flow, ref)
    dossier = flow.record_board(ref, BOARD)
    assert dossier.board == BOARD
    event = flow.events()[-1]
    assert event.body["kind"] == "board_recorded" and "Lefevre" not in str(event.body).title()  # names off the chain
    assert event.body["data"]["board"][0] == {"role": "trésorière", "body": "board"}
    with pytest.raises(Refused, match="paul MARTIN is listed twice on the bureau"):
        flow.record_board(ref, (*BOARD, BoardMember("paul MARTIN", "secrétaire", "bureau")))
    assert flow.get(ref).board == BOARD
    assert flow.verify() is None


def test_rule_board_lists_are_closed_once_the_dossier_is_heard(flow: Any) -> None:
    ref = str(flow.create_dossier(applicant(1), application()).reference)
    attach_all(flow, ref)
    walk_all(flow, [ref], "hear")
    with pytest.raises(Refused, match="its board lists are recorded before its hearing"):
        flow.record_board(ref, BOARD)


def test_rule_names_match_whatever_their_accents_case_and_order() -> None:
    assert same_person("Hélène Lefèvre", "LEFEVRE Helene") and same_person("Jean-Pierre Dupont", "dupont jean pierre")
    assert not same_person("Claire Dupont", "Claire Dupond") and not same_person("", "")
    assert person_key("Œuvre d'Art") == person_key("oeuvre d art")


def test_rule_a_name_on_the_board_lists_opens_a_possible_conflict(flow: Any) -> None:
    ref = _instructed(flow)
    flow.record_session(_session())
    [conflict] = flow.conflicts()
    assert (conflict.dossier, conflict.member, conflict.name, conflict.status) == (ref, 0, "Hélène Lefèvre", "open")
    assert conflict.grounds == ("LEFEVRE Helene is on the applicant's board as trésorière",)


def test_rule_a_declared_link_opens_a_possible_conflict(flow: Any) -> None:
    ref = _instructed(flow, (BoardMember("Zoé Vert", "présidente"),))
    flow.record_session(_session(declared=(ref,)))
    [conflict] = flow.conflicts(session=SESSION_ID)
    assert (conflict.name, conflict.grounds) == ("Marc Blanc", ("Marc Blanc declared a link with the dossier",))
    with pytest.raises(Refused, match=r"declares a link with .*-9999, which is no dossier of the campaign"):
        flow.record_session(CommitteeSession("autre", date(2021, 6, 16), "VP", CAMPAIGN.committee.chair_role,
                                             (Member("X", "elus", ("ami-cohesion-sociale-2021-9999",)),)))


def test_rule_an_open_conflict_stops_the_hearing_of_that_dossier(flow: Any) -> None:
    ref = _instructed(flow)
    flow.record_session(_session())
    head = flow.head()
    with pytest.raises(Refused) as refused:
        _hear(flow, ref)
    assert "a possible conflict of interest of Hélène Lefèvre with " + ref + " is open" in str(refused.value)
    assert "the chair confirms or dismisses it before the hearing" in str(refused.value)
    assert flow.head() == head and flow.get(ref).state == "instructed"


def test_rule_the_chair_confirms_or_dismisses_with_a_journaled_reason(flow: Any) -> None:
    ref = _instructed(flow)
    flow.record_session(_session())
    conflict = flow.rule_conflict(ref, SESSION_ID, "Hélène Lefèvre", confirmed=False,
                                  reason="Homonyme : une autre personne.")
    assert conflict.status == "dismissed" and conflict.ruling.reason == "Homonyme : une autre personne."
    event = flow.events()[-1]
    assert event.body["kind"] == "conflict_ruled" and event.body["data"]["ruling"]["confirmed"] is False
    assert "Homonyme" not in str(event.body) and "reason" in event.body["personal"]  # only its digest is chained
    with pytest.raises(Refused, match="the chair has already ruled on the conflict of Hélène Lefèvre"):
        flow.rule_conflict(ref, SESSION_ID, "Hélène Lefèvre", confirmed=True, reason="Changement d'avis")
    with pytest.raises(Refused, match="no possible conflict of interest of Anne Roux"):
        flow.rule_conflict(ref, SESSION_ID, "Anne Roux", confirmed=True, reason="?")
    with pytest.raises(InvalidInput):
        flow.rule_conflict(ref, SESSION_ID, "Anne Roux", confirmed="yes", reason="?")
    _hear(flow, ref)  # a dismissed conflict lets the dossier be heard, with the member taking part
    flow.record_scores(ref, SESSION_ID, "Hélène Lefèvre", MARKS)
    assert flow.verify() is None


def test_rule_a_recused_member_takes_no_part_and_cannot_score(flow: Any) -> None:
    ref = _instructed(flow)
    flow.record_session(_session(Member("Luc Gris", "elus")))
    flow.rule_conflict(ref, SESSION_ID, "Hélène Lefèvre", confirmed=True, reason="Trésorière de l'association.")
    _hear(flow, ref)  # another elected member sits: every category is there without her
    with pytest.raises(Refused, match=r"Hélène Lefèvre is recused for .* their score is refused"):
        flow.record_scores(ref, SESSION_ID, "Hélène Lefèvre", MARKS)
    flow.record_scores(ref, SESSION_ID, "Luc Gris", MARKS)
    with pytest.raises(Refused, match="has already been heard at the session"):
        flow.rule_conflict(ref, SESSION_ID, "Hélène Lefèvre", confirmed=False, reason="?")
    assert [c.status for c in flow.conflicts()] == ["confirmed"]
    assert flow.verify() is None


def test_rule_every_category_sits_for_each_dossier_after_recusals(flow: Any) -> None:
    ref = _instructed(flow)
    flow.record_session(_session())  # she is the only elected member
    flow.rule_conflict(ref, SESSION_ID, "Hélène Lefèvre", confirmed=True, reason="Trésorière.")
    with pytest.raises(Refused) as refused:
        _hear(flow, ref)
    assert "once Hélène Lefèvre recused, no member of the category 'élus' (key `elus`) sits for this dossier" \
        in str(refused.value)


def test_rule_the_quorum_is_met_for_each_dossier_after_recusals(flow: Any) -> None:
    ref = _instructed(flow)
    flow.record_session(_session(Member("Luc Gris", "elus"), convened=9))  # 5 of 9: a majority, just
    flow.rule_conflict(ref, SESSION_ID, "Hélène Lefèvre", confirmed=True, reason="Trésorière.")
    with pytest.raises(Refused) as refused:
        _hear(flow, ref)
    assert "once Hélène Lefèvre recused: no quorum: 4 members present of 9 convened, a majority is 5" \
        in str(refused.value)


def test_rule_board_names_and_ruling_reasons_are_erased(flow: Any) -> None:
    ref = _instructed(flow)
    flow.record_session(_session())
    flow.rule_conflict(ref, SESSION_ID, "Hélène Lefèvre", confirmed=False, reason="Homonyme de LEFEVRE Helene.")
    flow.erase_committee_member("Hélène Lefèvre", reason="demande de l'intéressée")
    assert [c.ruling.reason for c in flow.conflicts()] == []  # her name is gone: no match any more
    assert all(r.reason == "" for r in flow._view().rulings(CAMPAIGN.id).values())
    flow.erase_personal_data(flow.get(ref).applicant.identity, reason="demande de l'association")
    assert {m.name for m in flow.get(ref).board} == {"[erased]"}
    assert flow.verify() is None


def test_conflicts_speak_french(flow: Any) -> None:
    ref = _instructed(flow)
    flow.record_session(_session())
    with use_language("fr"), pytest.raises(Refused) as refused:
        _hear(flow, ref)
    assert "un conflit d'intérêts possible de Hélène Lefèvre avec " + ref in str(refused.value)
    with use_language("fr"):
        [conflict] = flow.conflicts()
    assert conflict.grounds == ("LEFEVRE Helene siège au conseil d'administration du porteur comme trésorière",)


def test_junk_board_input_is_refused_before_anything_is_written(flow: Any) -> None:
    ref = str(flow.create_dossier(applicant(1), application()).reference)
    head = flow.head()
    for bad in ("Paul Martin", [("Paul Martin", "président")], [BoardMember("A", "b")][0]):
        with pytest.raises(InvalidInput):
            flow.record_board(ref, bad)
    with pytest.raises(InvalidInput):
        BoardMember("Paul", "président", "conseil")
    with pytest.raises(InvalidInput):
        Member("Paul", "elus", "ami-1")
    assert flow.head() == head


def test_rule_erasing_an_applicant_erases_the_chair_s_reasons_on_its_dossiers(flow: Any) -> None:
    ref = _instructed(flow)
    flow.record_session(_session())
    flow.rule_conflict(ref, SESSION_ID, "Hélène Lefèvre", confirmed=True, reason="Mme Lefèvre, trésorière de l'asso.")
    erased = flow.erase_personal_data(flow.get(ref).applicant.identity, reason="demande de l'association")
    assert erased > 0
    [ruling] = flow._view().rulings(CAMPAIGN.id).values()
    assert ruling.reason == "" and ruling.confirmed  # the ruling stays, its words go
    assert not any("trésorière de l'asso" in str(v) for e in flow.iter_journal() for v in e.personal.values())
    assert flow.verify() is None
