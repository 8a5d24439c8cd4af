"""The call as data: the bundled 2021 file matches the call's own figures, and bad files fail clearly."""

from __future__ import annotations

from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from ami_workflow.callfile import bundled_calls, load_campaign, parse_campaign
from ami_workflow.campaign import Campaign
from ami_workflow.codec import converter
from ami_workflow.errors import CallFileError

TEXT = (resources.files("ami_workflow.calls") / "ami-cohesion-sociale-2021.toml").read_text(encoding="utf-8")


def test_bundled_file_matches_the_calls_figures(campaign: Campaign) -> None:
    assert "ami-cohesion-sociale-2021" in bundled_calls()
    assert len(campaign.territory.qpv) == 21
    assert len(campaign.territory.communes()) == 19  # « 19 communes sur 36 »
    assert campaign.territory.communes_total == 36
    assert len(campaign.axes) == 4
    assert campaign.envelope.amount == Decimal("150000.00")
    assert campaign.funder.siren == "246200364"
    assert campaign.funder.siret == ""  # not in the call: never invented
    assert campaign.funder.addressee is not None and campaign.funder.addressee.name == "Sylvain ROBERT"


def test_load_by_path_gives_the_same_campaign(tmp_path: Path, campaign: Campaign) -> None:
    path = tmp_path / "call.toml"
    path.write_text(TEXT, encoding="utf-8")
    assert load_campaign(path) == campaign
    assert load_campaign(str(path)) == campaign


def test_records_are_frozen(campaign: Campaign) -> None:
    with pytest.raises(AttributeError):
        campaign.envelope.amount = Decimal(1)  # type: ignore[misc]


def test_unstructure_keeps_money_exact(campaign: Campaign) -> None:
    data = converter.unstructure(campaign)
    assert data["envelope"]["amount"] == "150000.00"
    assert data["calendar"]["deadline"].isoformat() == "2021-04-30"


def test_unknown_file_names_the_bundled_calls() -> None:
    with pytest.raises(CallFileError, match="ami-cohesion-sociale-2021"):
        load_campaign("no-such-call")


BAD_FILES = [
    ("deadline = 2021-04-30", "deadline = 2021-03-01", "calendar", "before the launch"),
    ('amount = "150000.00"', 'amount = "-150000.00"', "envelope", "negative"),
    ('amount = "150000.00"', "amount = 150000.5", "envelope.amount", "string or an int"),
    ('amount = "150000.00"', 'amount = "0"', "envelope.amount", "above 0"),
    ('base_rate_percent = "50"', 'base_rate_percent = "85"', "funding", "above max_rate_percent"),
    ('code = "QP062047"', 'code = "QP062002"', "territory.qpv", "duplicate QPV code"),
    ('ceiling_rule = "rate_with_bonus"', 'ceiling_rule = "plafond_magique"', "funding", "unknown ceiling_rule"),
    ('accepted = ["association"]', 'accepted = ["entreprise"]', "applicants.accepted", "unknown applicant kind"),
    ('[envelope]\n', '[envelope]\nby_axis = { culture = "1000" }\n', "envelope.by_axis.culture", "unknown axis"),
    ('key = "sante"', 'key = "sante"\ncolour = "red"', "axes[2]", "unknown keys: colour"),
    ('label = "La santé"\n', "", "axes[2].label", "required field is missing"),
    ('siren = "246200364"', 'siren = "246200365"', "funder.siren", "not a valid SIREN"),
    ("valid_until = 2022", "valid_until = 2010", "territory.valid_until", "ends before it starts"),
    (
        "instruction = { start = 2021-05-01, end = 2021-05-31 }",
        "instruction = { start = 2021-05-31, end = 2021-05-01 }",
        "calendar",
        "before it starts",
    ),
    ("format = 1", "format = 7", "format", "format 1"),
    ("[call]", "[call", "(syntax)", ""),
]


@pytest.mark.parametrize(("old", "new", "field", "problem"), BAD_FILES, ids=[b[2] + ":" + b[3] for b in BAD_FILES])
def test_bad_file_names_file_field_and_problem(old: str, new: str, field: str, problem: str) -> None:
    text = TEXT.replace(old, new, 1)
    assert text != TEXT
    with pytest.raises(CallFileError) as info:
        parse_campaign(text, source="bad.toml")
    assert info.value.source == "bad.toml"
    assert info.value.field == field
    assert problem in info.value.problem
    assert str(info.value).startswith(f"bad.toml: {field}: ")
