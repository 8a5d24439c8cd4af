"""The application's forecast budget (CERFA n° 12156, « Budget du projet »): journaled with the application,
checked at ``submit`` against the « Montant total » and the amount requested, given by the API, a file, the
command line or a sheet, and shown by ``dossier show``."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from strategies import forecast_budgets
from walk import TIMES, applicant, application, at, attach_all, new_flow

from ami_workflow import Budget, Refused, load_campaign
from ami_workflow.budget import IN_KIND_CHARGES, IN_KIND_PRODUCTS
from ami_workflow.calendar import SystemClock, parse_instant
from ami_workflow.callfile import parse_campaign
from ami_workflow.cli import main
from ami_workflow.core.plain import plain, plain_json, structure
from ami_workflow.dossier import Application
from ami_workflow.dossier_import import read_csv, read_json
from ami_workflow.errors import CallFileError, InvalidInput
from ami_workflow.i18n import use_language
from ami_workflow.rollover import campaign_to_toml

CAMPAIGN = load_campaign("ami-cohesion-sociale-2021")
FPH = load_campaign("fonds-participation-habitants-2021")
#: 10 000 € of costs, 5 000 € asked of the CALL (line 74 EPCI), the State for the rest, 500 € of volunteering.
BUDGET = Budget(charges={"60": "1000.00", "64": "9000.00", "86": "500.00"},
                products={"74.epci": "5000.00", "74.etat": "5000.00", "87": "500.00"})


def _submit(flow: Any, app: Application) -> Any:
    ref = flow.create_dossier(applicant(), app).reference
    attach_all(flow, ref)
    at(flow, TIMES["submit"])
    return ref


def _spaces(text: str) -> str:
    """``text`` with the narrow and no-break spaces of French amounts (« 10 000,00 € ») as plain spaces."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def _refusal(flow: Any, ref: str) -> list[str]:
    with pytest.raises(Refused) as info:
        flow.fire(ref, "submit")
    assert flow.get(ref).state == "draft"
    return [_spaces(reason) for reason in info.value.reasons]


# -- journaled with the application ------------------------------------------------------------


def test_an_application_without_a_budget_keeps_the_text_it_had_before_budgets() -> None:
    text = plain_json(plain(application(budget=None)))
    assert '"budget"' not in text
    assert text == (
        '{"axis":"numerique","cofunding":[],"cost_nature":"fonctionnement","description":null,"participants":100,'
        '"period":{"end":"2022-06-30","start":"2021-09-01"},"qpv_codes":["QP062024"],"qpv_residents":80,'
        '"requested":"5000.00","sourcing":"Centres sociaux et collèges.","title":"Ateliers numériques",'
        '"total_cost":"10000.00","women":50,"young":40}')
    assert structure(json.loads(text), Application) == application(budget=None)


def test_a_budget_is_journaled_by_line_and_read_back_the_same() -> None:
    data = plain(application(budget=BUDGET))
    assert data["budget"] == {"charges": {"60": "1000.00", "64": "9000.00", "86": "500.00"},
                              "products": {"74.epci": "5000.00", "74.etat": "5000.00", "87": "500.00"}}
    assert structure(data, Application).budget == BUDGET


def test_the_budget_goes_through_both_stores_and_verify(flow: Any) -> None:
    ref = flow.create_dossier(applicant(), application(budget=BUDGET)).reference
    assert flow.get(ref).application.budget == BUDGET
    other = Budget(charges={"64": "10000.00"}, products={"74.epci": "5000.00", "75": "5000.00"})
    flow.update_application(ref, application(budget=other), expected_version=flow.get(ref).version)
    assert flow.get(ref).application.budget == other
    flow.update_application(ref, application(budget=None), expected_version=flow.get(ref).version)
    assert flow.get(ref).application.budget is None
    if hasattr(flow, "verify"):
        assert flow.verify() is None


def test_a_budget_of_another_type_is_refused_before_anything_is_written() -> None:
    with pytest.raises(InvalidInput, match="Budget"):
        Application(budget={"charges": {"60": "1"}})  # type: ignore[arg-type]


# -- the rules at submit -----------------------------------------------------------------------


def test_rule_cerfa_12156_a_balanced_forecast_budget_of_the_total_cost_is_accepted_at_submit(flow: Any) -> None:
    ref = _submit(flow, application(budget=BUDGET))
    assert flow.fire(ref, "submit").state == "submitted"


def test_rule_cerfa_12156_the_forecast_budget_is_balanced_at_submit(flow: Any) -> None:
    unbalanced = Budget(charges={"64": "10000.00", "86": "500.00"},
                        products={"74.epci": "5000.00", "74.etat": "4000.00", "87": "400.00"})
    with use_language("fr"):
        reasons = _refusal(flow, _submit(flow, application(budget=unbalanced)))
    assert any("n'est pas équilibré" in r and "10 000,00" in r and "9 000,00" in r for r in reasons), reasons
    assert any("contributions volontaires en nature" in r and "(ligne 86)" in r for r in reasons), reasons


def test_rule_cerfa_12156_the_budget_total_is_the_montant_total(flow: Any) -> None:
    budget = Budget(charges={"64": "12000.00"}, products={"74.epci": "5000.00", "74.etat": "7000.00"})
    with use_language("fr"):
        reasons = _refusal(flow, _submit(flow, application(budget=budget)))
    assert reasons == ["le total du budget prévisionnel (12 000,00 €) n'est pas le coût total de l'action "
                       "(10 000,00 €)"]


def test_rule_cerfa_12156_the_funder_line_is_the_amount_requested(flow: Any) -> None:
    budget = Budget(charges={"64": "10000.00"}, products={"74.epci": "4000.00", "74.etat": "6000.00"})
    with use_language("fr"):
        reasons = _refusal(flow, _submit(flow, application(budget=budget)))
    assert reasons == ["la ligne « 74 – Subventions d'exploitation : Intercommunalité(s) – EPCI » du budget "
                       "prévisionnel (4 000,00 €) n'est pas le montant demandé (5 000,00 €)"]


def test_rule_the_ami_2021_requires_a_forecast_budget_at_submit(flow: Any) -> None:
    assert CAMPAIGN.funding.budget_required and CAMPAIGN.funding.budget_line == "74.epci"
    with use_language("fr"):
        reasons = _refusal(flow, _submit(flow, application(budget=None)))
    assert reasons == ["manquant : le budget prévisionnel, selon les lignes du formulaire CERFA n° 12156 "
                       "(champ `budget`)"]


def test_rule_a_budget_that_breaks_every_rule_is_refused_with_every_reason(flow: Any) -> None:
    budget = Budget(charges={"64": "11000.00"}, products={"74.epci": "4000.00", "74.etat": "6000.00"})
    reasons = _refusal(flow, _submit(flow, application(budget=budget, title=None)))
    assert len(reasons) == 4, reasons  # the missing title, unbalanced, not the total cost, not the request
    assert [r for r in reasons if "title" in r]


def test_rule_the_fph_asks_no_budget_but_checks_one_given() -> None:
    from ami_workflow.guards import forecast_budget_problems

    assert not FPH.funding.budget_required and FPH.funding.budget_line == "74.epci"
    small = application(total_cost=Decimal("1000.00"), requested=Decimal("800.00"), budget=None)
    assert forecast_budget_problems(small, FPH) == []
    wrong = attrs.evolve(small, budget=Budget(charges={"60": "1000.00"}, products={"74.epci": "1000.00"}))
    assert len(forecast_budget_problems(wrong, FPH)) == 1


@given(st.integers(100, 5_000_000).flatmap(lambda cents: st.tuples(
    st.just(Decimal(cents) / 100), st.integers(1, cents).map(lambda c: Decimal(c) / 100))).flatmap(
    lambda pair: st.tuples(st.just(pair), forecast_budgets(*pair))), st.data())
def test_rule_cerfa_12156_a_matching_budget_is_accepted_and_one_cent_off_any_line_is_refused(
        drawn: tuple[tuple[Decimal, Decimal], Budget], data: st.DataObject) -> None:
    (total, requested), budget = drawn
    flow = new_flow("memory")
    ref = _submit(flow, application(total_cost=total, requested=requested, budget=budget))
    assert flow.possible_triggers(ref)["submit"] == []
    side = data.draw(st.sampled_from(["charges", "products"]))
    key = data.draw(st.sampled_from(sorted(getattr(budget, side))))
    lines = dict(getattr(budget, side))
    cent = Decimal("0.01") if lines[key] == 0 or data.draw(st.booleans()) else Decimal("-0.01")
    lines[key] += cent
    changed = attrs.evolve(budget, **{side: lines})
    flow.update_application(ref, application(total_cost=total, requested=requested, budget=changed),
                            expected_version=flow.get(ref).version)
    with use_language("en"):
        reasons = _refusal(flow, ref)
    expected = []
    if key in (IN_KIND_CHARGES, IN_KIND_PRODUCTS):
        expected.append("contributions in kind are not balanced")
    else:
        expected.append("the budget is not balanced")
        if side == "charges":
            expected.append("is not the action's total cost")
        if key == "74.epci":
            expected.append("is not the amount requested")
    assert len(reasons) == len(expected), reasons
    for words in expected:
        assert any(words in r for r in reasons), (words, reasons)


# -- the call files ----------------------------------------------------------------------------


def test_the_call_file_keys_of_the_budget_are_written_back_and_checked() -> None:
    text = campaign_to_toml(CAMPAIGN)
    assert 'budget_line = "74.epci"' in text and "budget_required = true" in text
    assert parse_campaign(text) == CAMPAIGN
    with pytest.raises(CallFileError, match=r"funding\.budget_line"):
        parse_campaign(text.replace('budget_line = "74.epci"', 'budget_line = "64"'))
    with pytest.raises(CallFileError, match=r"funding\.budget_required"):
        parse_campaign(text.replace("budget_required = true", 'budget_required = "oui"'))
    assert parse_campaign(text.replace('budget_line = "74.epci"', 'budget_line = ""')).funding.budget_line == ""


# -- the ways a budget comes in, and dossier show ------------------------------------------------


def test_a_sheet_gives_the_budget_one_column_a_line() -> None:
    text = ("reference;applicant;total_cost;requested;budget_64;budget_86;budget_74.epci;budget_74.etat;budget_87\r\n"
            "EXT-1;Asso;10 000,00;5 000,00;10 000,00;500;5 000,00;5 000,00;500\r\n")
    [(_, (_, app, _))] = read_csv(text, CAMPAIGN)
    assert app.budget == Budget(charges={"64": "10000", "86": "500"},
                                products={"74.epci": "5000", "74.etat": "5000", "87": "500"})
    with pytest.raises(InvalidInput, match="budget_99"):
        read_csv("reference;applicant;budget_99\r\nEXT-1;Asso;1\r\n", CAMPAIGN)
    with pytest.raises(InvalidInput, match="budget_64"):
        read_csv("reference;applicant;budget_64\r\nEXT-1;Asso;beaucoup\r\n", CAMPAIGN)


def test_a_json_import_gives_the_budget_as_its_two_tables() -> None:
    entry = {"applicant": {"name": "Asso", "kind": "association"}, "reference": "EXT-2",
             "application": {"total_cost": "10000.00", "requested": "5000.00",
                             "budget": {"charges": {"60": "1000.00", "64": "9000.00", "86": "500.00"},
                                        "products": {"74.epci": "5000.00", "74.etat": "5000.00", "87": "500.00"}}}}
    [(_, (_, app, _))] = read_json(json.dumps([entry]), "dossiers.json", CAMPAIGN)
    assert app.budget == BUDGET
    entry["application"]["budget"] = {"charges": {"60": "1000.00"}, "lines": {}}  # type: ignore[index]
    with pytest.raises(InvalidInput, match="lines"):
        read_json(json.dumps([entry]), "dossiers.json", CAMPAIGN)


def _cli(db: Path, *args: str) -> Any:
    return CliRunner().invoke(main, ["--db", str(db), "--lang", "fr", *args], catch_exceptions=False)


def test_the_command_line_takes_the_budget_by_line_and_shows_it_with_its_totals(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SystemClock, "now", lambda self: parse_instant("2021-03-10T09:00"))
    db = tmp_path / "ami.db"
    assert _cli(db, "campaign", "add", "ami-cohesion-sociale-2021").exit_code == 0
    made = _cli(db, "dossier", "new", "--name", "Asso", "--siren", "732829320", "--total-cost", "10000",
                "--requested", "5000",
                "--charge", "60=1000", "--charge", "64=9000", "--charge", "86=500",
                "--product", "74.epci=5000", "--product", "74.etat=5000", "--product", "87=500", "--json")
    assert made.exit_code == 0, made.output
    ref = json.loads(made.output)["reference"]
    shown = _spaces(_cli(db, "dossier", "show", ref).output)
    assert "budget prévisionnel (CERFA n° 12156) :" in shown
    assert "60 – Achats" in shown and "74 – Subventions d'exploitation : Intercommunalité(s) – EPCI" in shown
    total = next(line for line in shown.splitlines() if "total des charges" in line)
    assert total.rstrip().endswith("10 000,00 €")
    assert "86 – Emplois des contributions volontaires en nature" in shown
    assert "n'est pas équilibré" not in shown
    bad = _cli(db, "dossier", "new", "--name", "Asso", "--charge", "60")
    assert bad.exit_code != 0 and "--charge attend LIGNE=EUROS" in bad.output
    unknown = _cli(db, "dossier", "new", "--name", "Asso", "--product", "74=10")
    assert unknown.exit_code != 0 and "ligne de produits inconnue '74'" in unknown.output
