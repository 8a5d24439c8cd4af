"""A second call defined only in TOML (the bundled FPH example) runs end to end on the same engine.

The behaviour tests run on both backends, each store on a simulated clock
inside the call's rolling window (:func:`walk.new_flow`), moved forward with
:func:`walk.at`.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from walk import BACKENDS, at, new_flow

from ami_workflow import (
    Applicant,
    Application,
    CallFileError,
    IllegalTrigger,
    InvalidInput,
    Kind,
    Period,
    Refused,
    load_campaign,
    parse_campaign,
)
from ami_workflow.calendar import PARIS, SystemClock
from ami_workflow.cli import main

FPH = load_campaign("fonds-participation-habitants-2021")
TEXT = (resources.files("ami_workflow.calls") / "fonds-participation-habitants-2021.toml").read_text(encoding="utf-8")


def paris(m: int, d: int, h: int = 10) -> datetime:
    return datetime(2021, m, d, h, tzinfo=PARIS)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def fph(backend: str) -> Any:
    """A store of the FPH call alone, of each backend, on a clock at 1 February 2021 (the call is open)."""
    store = new_flow(backend, FPH, start=paris(2, 1))
    yield store
    if hasattr(store, "close"):
        store.close()


def snapshot(flow: Any, *refs: str) -> tuple[Any, ...]:
    """What a refused action must leave as it was: the dossiers' states and versions, the journal, the totals."""
    return (tuple((flow.get(r).state, flow.get(r).version) for r in refs), len(flow.events()), flow.totals())


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


def test_residents_group_without_siret_runs_from_draft_to_paid_without_hearing(fph: Any) -> None:
    flow = fph
    ref = flow.create_dossier(collective(), initiative()).reference
    flow.attach(ref, "fiche_initiative", b"fiche")
    at(flow, paris(2, 2))
    flow.fire(ref, "submit")  # any day the call is open: no deadline window
    at(flow, paris(2, 5))
    for key in ("budget", "liste_habitants", "rib"):
        flow.attach(ref, key, key.encode())
    at(flow, paris(2, 6))
    flow.fire(ref, "mark_complete")
    at(flow, paris(2, 10))
    flow.fire(ref, "instruct")
    dossier = flow.get(ref)
    assert dossier.instruction is not None
    # The flat cap: 80 % of 2 500 € is 2 000 €, above the 1 500 € cap; the proposal is capped, not refused.
    assert (dossier.instruction.ceiling, dossier.instruction.proposed) == (Decimal("1500.00"), Decimal("1500.00"))
    at(flow, paris(2, 11))
    before = snapshot(flow, ref)
    with pytest.raises(IllegalTrigger):
        flow.fire(ref, "hear", session="none")
    with pytest.raises(Refused, match="above the ceiling"):
        flow.fire(ref, "approve", amount="1600")
    assert snapshot(flow, ref) == before
    flow.fire(ref, "approve")
    at(flow, paris(2, 20))
    flow.fire(ref, "pay")  # no deliberation guard in this call's file
    assert flow.get(ref).state == "paid"
    assert [(e.trigger, e.at) for e in flow.history(ref) if e.kind is Kind.TRIGGERED] == [
        ("submit", paris(2, 2)), ("mark_complete", paris(2, 6)), ("instruct", paris(2, 10)),
        ("approve", paris(2, 11)), ("pay", paris(2, 20))]
    assert flow.verify() is None
    assert flow.totals().paid == Decimal("1500.00")


def test_the_second_call_s_documents_name_no_committee(fph: Any) -> None:
    from pdftext import pdf_text

    from ami_workflow import notices
    from ami_workflow.i18n import use_language

    flow = fph
    ref = flow.create_dossier(collective(), initiative()).reference
    for key in ("fiche_initiative", "budget", "liste_habitants", "rib"):
        flow.attach(ref, key, key.encode())
    for day, trigger in ((2, "submit"), (6, "mark_complete"), (10, "instruct"), (11, "approve")):
        at(flow, paris(2, day))
        flow.fire(ref, trigger)
    with use_language("fr"):
        issued = notices.issue_all(flow, ref)
    assert [d.kind for d in issued] == ["accuse_reception", "notification_decision"]
    text = " ".join(pdf_text(flow.document_bytes(ref, "notification_decision")).split())
    assert "le Président de la Communauté d'Agglomération de Lens-Liévin" in text and "1 500,00 €" in text
    assert "comité de sélection" not in text  # this call has no hearing
    receipt = " ".join(pdf_text(flow.document_bytes(ref, "accuse_reception")).split())
    assert "comité de sélection" not in receipt and "au titre de « Fonds de Participation" in receipt
    assert "Tribunal administratif de Lille" in text


def test_second_call_keeps_its_own_rules(backend: str) -> None:
    flow = new_flow(backend, FPH, start=paris(1, 10))  # before the call opens
    events = len(flow.events())
    with pytest.raises(InvalidInput, match="legal_representative: required"):
        flow.create_dossier(collective(legal_representative=None))
    assert len(flow.events()) == events
    ref = flow.create_dossier(collective(), initiative()).reference
    flow.attach(ref, "fiche_initiative", b"fiche")
    before = snapshot(flow, ref)
    with pytest.raises(Refused, match="opens on 15 January 2021"):
        flow.fire(ref, "submit")
    assert snapshot(flow, ref) == before
    at(flow, paris(3, 1))
    flow.fire(ref, "submit")
    at(flow, paris(3, 2))
    before = snapshot(flow, ref)
    with pytest.raises(Refused, match="liste des habitants membres du collectif"):
        flow.fire(ref, "mark_complete")
    assert snapshot(flow, ref) == before
    late = flow.create_dossier(collective(name="Collectif en retard"), initiative()).reference
    flow.attach(late, "fiche_initiative", b"fiche")
    at(flow, paris(12, 1))
    before = snapshot(flow, ref, late)
    with pytest.raises(Refused, match="30 November 2021"):
        flow.fire(late, "submit")
    # A late submission cannot be dated back into the window by the caller.
    with pytest.raises(InvalidInput, match="dated when the service receives it"):
        flow.fire(late, "submit", at=paris(11, 30))
    assert snapshot(flow, ref, late) == before
    # Sent by post on the last day, received the next: on time by its postmark.
    assert flow.fire(late, "submit", postmark=date(2021, 11, 30)).state == "submitted"
    assert flow.history(late)[-1].at == datetime(2021, 11, 30, tzinfo=PARIS)
    if hasattr(flow, "close"):
        flow.close()


def test_administrative_acts_cannot_be_dated_after_now_or_before_the_last_act(fph: Any) -> None:
    flow = fph
    ref = flow.create_dossier(collective(), initiative()).reference
    for key in ("fiche_initiative", "budget", "liste_habitants", "rib"):
        flow.attach(ref, key, key.encode())
    at(flow, paris(2, 2))
    flow.fire(ref, "submit")
    at(flow, paris(2, 6))
    before = snapshot(flow, ref)
    with pytest.raises(Refused, match="after the moment it is recorded"):
        flow.fire(ref, "mark_complete", at=paris(2, 7))
    with pytest.raises(Refused, match="before the dossier's last recorded act"):
        flow.fire(ref, "mark_complete", at=paris(2, 1))
    assert snapshot(flow, ref) == before
    # Dated back, but not before the submission: accepted, and dated as asked.
    assert flow.fire(ref, "mark_complete", at=paris(2, 4)).state == "complete"
    assert flow.history(ref)[-1].at == paris(2, 4)
    assert flow.verify() is None


def test_both_calls_live_in_one_database(flow: Any) -> None:
    flow.add_campaign(FPH)
    assert set(flow.campaign_ids()) == {"ami-cohesion-sociale-2021", FPH.id}
    ref = flow.create_dossier(collective(), initiative(), campaign_id=FPH.id).reference
    assert flow.get(ref).campaign_id == FPH.id
    assert flow.possible_triggers(ref)["submit"]  # the form is missing
    assert "hear" not in flow.possible_triggers(ref)
    assert flow.dossiers(campaign_id="ami-cohesion-sociale-2021") == []


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


def test_amending_a_rolling_call_moves_its_whole_period(fph: Any) -> None:
    flow = fph
    at(flow, paris(11, 2))
    flow.amend_calendar("submission", date(2021, 1, 15), date(2021, 12, 15), reason="prolongation")
    calendar = flow.calendar()
    assert {w.end for w in calendar.windows().values()} == {date(2021, 12, 15)}
    at(flow, paris(12, 1))
    ref = flow.create_dossier(collective(), initiative()).reference
    flow.attach(ref, "fiche_initiative", b"fiche")
    at(flow, paris(12, 2))
    flow.fire(ref, "submit")
    at(flow, paris(12, 3))
    for key in ("budget", "liste_habitants", "rib"):
        flow.attach(ref, key, key.encode())
    at(flow, paris(12, 4))
    assert flow.fire(ref, "mark_complete").state == "complete"
    assert flow.verify() is None


def test_second_call_end_to_end_through_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "fph.db"
    # The command line dates every act by the system clock: it is set to each day of 2021 in turn.
    now = [paris(3, 1)]
    monkeypatch.setattr(SystemClock, "now", lambda self: now[0])

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
    ref = json.loads(run("dossier", "new", "--from", str(source), "--json"))["reference"]
    piece = tmp_path / "p.pdf"
    piece.write_bytes(b"%PDF")
    for key in ("fiche_initiative", "budget", "liste_habitants", "rib"):
        run("dossier", "attach", ref, key, str(piece))
    now[0] = paris(3, 2)
    assert "dated when the service receives it" in run("dossier", "fire", ref, "submit", "--at", "2021-03-01", code=2)
    run("dossier", "fire", ref, "submit")
    now[0] = paris(3, 3)
    run("dossier", "fire", ref, "mark_complete")
    now[0] = paris(3, 10)
    run("dossier", "fire", ref, "instruct")
    assert "not possible from state 'instructed'" in run("dossier", "fire", ref, "hear", "--session", "x", code=1)
    now[0] = paris(3, 12)
    assert "after the moment it is recorded" in run("dossier", "fire", ref, "approve", "--at", "2021-03-13", code=1)
    run("dossier", "fire", ref, "approve", "--at", "2021-03-11")  # an act taken the day before, recorded today
    now[0] = paris(3, 20)
    assert "-> paid" in run("pay", ref)
    assert "audited" not in run("diagram")
    assert "€700.00" in run("report")
    assert "journal intact" in run("verify")
