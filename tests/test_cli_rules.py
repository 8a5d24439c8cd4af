"""The library's rules behind the command line's traps (tests/test_cli_traps.py): each with its own test."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from walk import CAMPAIGN, applicant, application, attach_all, new_flow, walk

from ami_workflow.callfile import load_campaign
from ami_workflow.codec import converter
from ami_workflow.dossier_import import read_json
from ami_workflow.errors import AmbiguousCampaign, InvalidInput, NotFound
from ami_workflow.exports import DOSSIER_COLUMNS, write_dossiers_csv
from ami_workflow.store import Workflow, choose_campaign
from ami_workflow.triggers import InstructArgs, parse_args, required_data


def test_choose_campaign_names_the_only_or_the_wanted_one_and_refuses_an_ambiguous_choice() -> None:
    assert choose_campaign(["a"]) == "a" and choose_campaign(["a"], newest=False) == "a"
    assert choose_campaign(["a", "b"]) == "b"  # the library's default, for code that wants the newest
    assert choose_campaign(["a", "b"], "a", newest=False) == "a"
    with pytest.raises(AmbiguousCampaign) as caught:
        choose_campaign(["a", "b"], newest=False)
    assert caught.value.campaigns == ("a", "b") and isinstance(caught.value, InvalidInput)
    with pytest.raises(NotFound, match="it holds a, b"):
        choose_campaign(["a", "b"], "c")
    with pytest.raises(NotFound):
        choose_campaign([], newest=False)


def test_workflow_open_with_newest_false_needs_a_campaign_named(tmp_path: Path) -> None:
    path = tmp_path / "two.db"
    Workflow.open(path, CAMPAIGN).close()
    with Workflow.open(path, newest=False) as flow:  # one campaign: no choice to make
        assert flow.campaign.id == CAMPAIGN.id
    Workflow.open(path, load_campaign("fonds-participation-habitants-2021")).close()
    with pytest.raises(AmbiguousCampaign):
        Workflow.open(path, newest=False)
    with Workflow.open(path, CAMPAIGN.id, newest=False) as flow:
        assert flow.campaign.id == CAMPAIGN.id
    with Workflow.open(path) as flow:
        assert flow.campaign.id == "fonds-participation-habitants-2021"


def test_check_filters_refuses_an_unknown_state_axis_or_qpv_with_the_known_ones() -> None:
    CAMPAIGN.check_filters(state="paid", axis="education", qpv="QP062024")
    CAMPAIGN.check_filters()
    with pytest.raises(InvalidInput, match=r"unknown state 'payé'; the states are draft, submitted") as caught:
        CAMPAIGN.check_filters(state="payé", axis="sport")
    assert "unknown axis 'sport'; the call knows" in str(caught.value)
    with pytest.raises(InvalidInput, match="unknown QPV code 'QP0'"):
        CAMPAIGN.check_filters(qpv="QP0")
    flow = new_flow("memory")
    with pytest.raises(InvalidInput, match="unknown state"):
        flow.dossiers(state="payé")
    assert flow.dossiers(state="paid") == []


def test_parse_args_names_the_missing_data_and_possible_triggers_says_it() -> None:
    assert required_data("hear") == ["session"] and required_data("return_for_pieces") == ["issues"]
    assert required_data("instruct") == [] and required_data("nope") == []
    with pytest.raises(InvalidInput, match=r"^hear needs session$"):
        parse_args("hear", {})
    assert isinstance(parse_args("instruct", {}), InstructArgs)
    flow = new_flow("memory")
    ref = flow.create_dossier(applicant(), application()).reference
    attach_all(flow, ref)
    walk(flow, ref, "instruct")
    possible = flow.possible_triggers(ref)
    assert possible["hear"] == ["hear needs session"]
    assert possible["return_for_pieces"] == ["return_for_pieces needs issues"]


def test_converter_writes_a_typed_frozenset_as_a_sorted_list() -> None:
    args = InstructArgs(criteria=["qpv", "innovante"])
    assert converter.unstructure(args)["criteria"] == ["innovante", "qpv"]
    assert converter.unstructure(frozenset({"b", "a"}), frozenset[str]) == ["a", "b"]
    assert converter.structure(["a"], frozenset[str]) == frozenset({"a"})


def test_read_json_refuses_what_the_call_does_not_know_naming_each_entry() -> None:
    text = json.dumps([
        {"applicant": {"name": "A", "kind": "association"}, "application": {"axis": "education"}},
        {"applicant": {"name": "B", "kind": "club"}, "application": {"axis": "nope", "qpv_codes": ["QP0"]}},
    ])
    assert len(read_json(text, "f.json")) == 2  # without a campaign, only the records' own checks
    with pytest.raises(InvalidInput) as caught:
        read_json(text, "f.json", CAMPAIGN)
    message = str(caught.value)
    assert "entry 2, axis: unknown axis 'nope'; the call knows" in message and "entry 2, kind:" in message
    assert "entry 2, qpv:" in message and "entry 1" not in message


def test_mermaid_keeps_the_title_in_the_front_matter_and_marks_no_state_current() -> None:
    text = CAMPAIGN.workflow.machine().mermaid(title='Un "titre": ici')
    lines = text.splitlines()
    assert lines[:3] == ["---", 'title: "Un \\"titre\\": ici"', "---"]
    assert not [line for line in lines if line.startswith("  Class ") and line.endswith(" s_active")]
    states = [line for line in lines if line.startswith("  Class ")]
    assert len(states) == len(CAMPAIGN.workflow.machine().states)


def test_the_dossiers_csv_has_its_header_when_there_is_no_dossier() -> None:
    out = io.StringIO()
    write_dossiers_csv(new_flow("memory"), out)
    assert out.getvalue() == ",".join(DOSSIER_COLUMNS) + "\r\n"
