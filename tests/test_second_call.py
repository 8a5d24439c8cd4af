"""A second call defined only in TOML (the bundled FPH example) runs end to end on the same engine."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner

from ami_workflow import (
    Applicant,
    Application,
    CallFileError,
    IllegalTrigger,
    InvalidInput,
    Period,
    Refused,
    load_campaign,
    parse_campaign,
)
from ami_workflow.calendar import PARIS
from ami_workflow.cli import main
from ami_workflow.store import Workflow

FPH = load_campaign("fonds-participation-habitants-2021")
TEXT = (resources.files("ami_workflow.calls") / "fonds-participation-habitants-2021.toml").read_text(encoding="utf-8")


def at(m: int, d: int, h: int = 10) -> datetime:
    return datetime(2021, m, d, h, tzinfo=PARIS)


def collective(**changes: object) -> Applicant:
    data: dict[str, object] = {"name": "Collectif des jardins de la Cité 4", "kind": "collectif_habitants",
                               "legal_representative": "Fatima Benali", "iban": "FR1420041010050500013M02606"}
    data.update(changes)
    return Applicant(**data)  # type: ignore[arg-type]


def initiative(**changes: object) -> Application:
    data: dict[str, object] = {
        "title": "Fête des voisins de la Cité 4", "axis": "vie_de_quartier", "qpv_codes": ("QP062027",),
        "period": Period(date(2021, 6, 1), date(2021, 6, 30)), "total_cost": Decimal("2500.00"),
        "requested": Decimal("2000.00"), "participants": 80, "qpv_residents": 70, "young": 30, "women": 40,
    }
    data.update(changes)
    return Application(**data)  # type: ignore[arg-type]


def test_second_call_is_different_data_on_the_same_engine() -> None:
    assert FPH.calendar.rolling and not FPH.workflow.hearing
    assert FPH.funding.ceiling_rule == "flat_cap" and FPH.envelope.amount == Decimal("20000.00")
    assert "audited" not in FPH.workflow.machine().states
    assert {p.key for p in FPH.pieces} == {"fiche_initiative", "budget", "liste_habitants", "rib"}
    assert FPH.applicants.kinds["collectif_habitants"].requires == ("legal_representative",)


def test_residents_group_without_siret_runs_from_draft_to_paid_without_hearing() -> None:
    with Workflow.open(":memory:", FPH) as flow:
        ref = flow.create_dossier(collective(), initiative(), at=at(2, 1)).reference
        flow.attach(ref, "fiche_initiative", b"fiche", at=at(2, 1))
        flow.fire(ref, "submit", at=at(2, 2))  # any day the call is open: no deadline window
        for key in ("budget", "liste_habitants", "rib"):
            flow.attach(ref, key, key.encode(), at=at(2, 5))
        flow.fire(ref, "mark_complete", at=at(2, 6))
        flow.fire(ref, "instruct", at=at(2, 10))
        dossier = flow.get(ref)
        assert dossier.instruction is not None
        # The flat cap: 80 % of 2 500 € is 2 000 €, above the 1 500 € cap; the proposal is capped, not refused.
        assert (dossier.instruction.ceiling, dossier.instruction.proposed) == (Decimal("1500.00"), Decimal("1500.00"))
        with pytest.raises(IllegalTrigger):
            flow.fire(ref, "hear", at=at(2, 11), session="none")
        with pytest.raises(Refused, match="above the ceiling"):
            flow.fire(ref, "approve", at=at(2, 11), amount="1600")
        flow.fire(ref, "approve", at=at(2, 11))
        flow.fire(ref, "pay", at=at(2, 20))  # no deliberation guard in this call's file
        assert flow.get(ref).state == "paid"
        assert flow.verify() is None
        assert flow.totals().paid == Decimal("1500.00")


def test_second_call_keeps_its_own_rules() -> None:
    with Workflow.open(":memory:", FPH) as flow:
        with pytest.raises(InvalidInput, match="legal_representative: required"):
            flow.create_dossier(collective(legal_representative=None), at=at(2, 1))
        ref = flow.create_dossier(collective(), initiative(), at=at(2, 1)).reference
        flow.attach(ref, "fiche_initiative", b"fiche", at=at(2, 1))
        with pytest.raises(Refused, match="opens on 2021-01-15"):
            flow.fire(ref, "submit", at=at(1, 10))
        with pytest.raises(Refused, match="2021-11-30"):
            flow.fire(ref, "submit", at=at(12, 1))
        flow.fire(ref, "submit", at=at(3, 1))
        with pytest.raises(Refused, match="liste des habitants membres du collectif"):
            flow.fire(ref, "mark_complete", at=at(3, 2))


def test_both_calls_live_in_one_database(tmp_path: Path) -> None:
    path = tmp_path / "ami.db"
    with Workflow.open(path, load_campaign("ami-cohesion-sociale-2021")) as flow:
        flow.add_campaign(FPH)
        ref = flow.create_dossier(collective(), initiative(), campaign_id=FPH.id, at=at(2, 1)).reference
        assert flow.get(ref).campaign_id == FPH.id
        assert flow.possible_triggers(ref, at=at(2, 2))["submit"]  # the form is missing
        assert "hear" not in flow.possible_triggers(ref, at=at(2, 2))


@pytest.mark.parametrize(
    ("old", "new", "field", "problem"),
    [
        ('"approve: instructed -> approved",', '"approve: instructed -> paid",', "(top level)", "catalogue"),
        ('"approve: instructed -> approved",', '"soar: instructed -> approved",', "(top level)", "catalogue"),
        (
            'approve = ["instruction_window",', 'approve = ["crystal_ball",',
            "workflow.guards.approve", "unknown guard 'crystal_ball'",
        ),
        ('ceiling_rule = "flat_cap"', 'ceiling_rule = "lottery"', "funding", "unknown ceiling_rule 'lottery'"),
        ('mode = "rolling"', 'mode = "lunar"', "calendar", "mode"),
        (
            'requires = ["legal_representative"]', 'requires = ["passport"]',
            "applicants.kinds.collectif_habitants.requires", "unknown field 'passport'",
        ),
        ("[workflow.guards]\n", "[workflow.guards]\nteleport = []\n", "(top level)", "unknown trigger 'teleport'"),
        (
            'submit = ["submission_window",', 'submit = ["motivation", "submission_window",',
            "workflow.guards.submit", "reads the data of reject",
        ),
    ],
)
def test_unknown_names_in_a_call_file_are_clear_errors_at_load(old: str, new: str, field: str, problem: str) -> None:
    text = TEXT.replace(old, new, 1)
    assert text != TEXT
    with pytest.raises(CallFileError) as info:
        parse_campaign(text, source="fph.toml")
    assert problem in str(info.value)
    assert info.value.field.startswith(field.split(".")[0]) or field == "(top level)"


def test_amending_a_rolling_call_moves_its_whole_period() -> None:
    with Workflow.open(":memory:", FPH) as flow:
        flow.amend_calendar("submission", date(2021, 1, 15), date(2021, 12, 15), reason="prolongation", at=at(11, 2))
        calendar = flow.calendar()
        assert {w.end for w in calendar.windows().values()} == {date(2021, 12, 15)}
        ref = flow.create_dossier(collective(), initiative(), at=at(12, 1)).reference
        flow.attach(ref, "fiche_initiative", b"fiche", at=at(12, 1))
        flow.fire(ref, "submit", at=at(12, 2))
        for key in ("budget", "liste_habitants", "rib"):
            flow.attach(ref, key, key.encode(), at=at(12, 3))
        assert flow.fire(ref, "mark_complete", at=at(12, 4)).state == "complete"


def test_second_call_end_to_end_through_the_cli(tmp_path: Path) -> None:
    db = tmp_path / "fph.db"

    def run(*args: str, code: int = 0) -> str:
        result = CliRunner().invoke(main, ["--db", str(db), *args], catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    run("campaign", "add", "fonds-participation-habitants-2021")
    source = tmp_path / "initiative.json"
    source.write_text(json.dumps({
        "applicant": {"name": "Collectif du 3/15", "kind": "collectif_habitants", "legal_representative": "Ali B.",
                      "iban": "FR1420041010050500013M02606"},
        "application": {"title": "Repas partagé", "axis": "vie_de_quartier", "qpv_codes": ["QP062034"],
                        "period": {"start": "2021-05-01", "end": "2021-05-31"}, "total_cost": "1000.00",
                        "requested": "700.00", "participants": 50, "qpv_residents": 45, "young": 10, "women": 30},
    }), encoding="utf-8")
    ref = json.loads(run("dossier", "new", "--from", str(source), "--at", "2021-03-01", "--json"))["reference"]
    piece = tmp_path / "p.pdf"
    piece.write_bytes(b"%PDF")
    for key in ("fiche_initiative", "budget", "liste_habitants", "rib"):
        run("dossier", "attach", ref, key, str(piece), "--at", "2021-03-01")
    run("dossier", "fire", ref, "submit", "--at", "2021-03-02")
    run("dossier", "fire", ref, "mark_complete", "--at", "2021-03-03")
    run("dossier", "fire", ref, "instruct", "--at", "2021-03-10")
    assert "not possible from state 'instructed'" in run("dossier", "fire", ref, "hear", "--session", "x", code=1)
    run("dossier", "fire", ref, "approve", "--at", "2021-03-11")
    assert "-> paid" in run("pay", ref, "--at", "2021-03-20")
    assert "audited" not in run("diagram")
    assert "700,00 €" in run("report")
    assert "journal intact" in run("verify")
