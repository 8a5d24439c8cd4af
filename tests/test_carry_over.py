"""Year N+1: applicants carried by identity, reused pieces, copied drafts, and the compte rendu financier."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from importlib import resources

import pytest
from walk import CAMPAIGN, TIMES, applicant, application, attach_all, session, walk

from ami_workflow import Deliberation, InvalidInput, Refused, parse_campaign
from ami_workflow.agenda import AgendaKind, agenda
from ami_workflow.calendar import PARIS, financial_report_due
from ami_workflow.store import Workflow

TEXT = (resources.files("ami_workflow.calls") / "ami-cohesion-sociale-2021.toml").read_text(encoding="utf-8")
#: Every day the 2021 call file names in its calendar.
CALENDAR_DAYS = (
    "2021-03-08", "2021-04-30", "2021-05-01", "2021-05-31", "2021-06-01", "2021-06-30", "2021-09-01", "2021-09-30",
)


def year(n: int) -> object:
    """The 2021 call moved to year ``n`` by editing its text (the rollover module does it properly)."""
    shift = n - 2021
    text = TEXT.replace("ami-cohesion-sociale-2021", f"ami-cohesion-sociale-{n}").replace("year = 2021", f"year = {n}")
    for old in CALENDAR_DAYS:
        text = text.replace(old, f"{2021 + shift}{old[4:]}")
    return parse_campaign(text)


def at(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=PARIS)


@pytest.fixture
def flow() -> Workflow:
    flow = Workflow.open(":memory:", CAMPAIGN)
    flow.record_session(session())
    return flow


def granted_2021(flow: Workflow) -> str:
    ref = flow.create_dossier(applicant(1), application(), at=TIMES["submit"]).reference
    attach_all(flow, ref)
    walk(flow, ref, "approve")
    flow.record_deliberation(Deliberation("DEL-2021", date(2021, 9, 27), [ref]))
    flow.fire(ref, "pay", at=TIMES["pay"])
    return ref


def test_rule_financial_report_due_six_months_after_the_year_of_the_grant() -> None:
    assert financial_report_due(2021) == date(2022, 6, 30)
    assert financial_report_due(2021, CAMPAIGN.funding.financial_report_months) == date(2022, 6, 30)


def test_rule_overdue_financial_report_is_flagged_at_instruction(flow: Workflow) -> None:
    old = granted_2021(flow)
    c2022 = year(2022)
    c2023 = year(2023)
    flow.add_campaign(c2022)
    flow.add_campaign(c2023)
    # In 2022 the 2021 report is not due yet (2022-06-30): instruction passes.
    ref22 = flow.create_dossier(applicant(1), application(), campaign_id=c2022.id, at=at(2022, 3, 10)).reference
    attach_all(flow, ref22)
    for trigger, when in (("submit", at(2022, 4, 12)), ("mark_complete", at(2022, 5, 3))):
        flow.fire(ref22, trigger, at=when)
    assert flow.check(ref22, "instruct", at=at(2022, 5, 18), criteria=[]) == []
    # In 2023, with the 2021 report still missing, instruction is refused with the reason.
    ref23 = flow.create_dossier(applicant(1), application(), campaign_id=c2023.id, at=at(2023, 3, 10)).reference
    attach_all(flow, ref23)
    for trigger, when in (("submit", at(2023, 4, 12)), ("mark_complete", at(2023, 5, 3))):
        flow.fire(ref23, trigger, at=when)
    with pytest.raises(Refused) as info:
        flow.fire(ref23, "instruct", at=at(2023, 5, 18), criteria=[])
    assert info.value.reasons == (
        f"the applicant owes an overdue compte rendu financier: {old} (2021 grant) was due on 2022-06-30",
    )
    assert flow.get(ref23).state == "complete"
    # Once the report is recorded, the guard passes.
    flow.record_financial_report(old, date(2023, 5, 20), at=at(2023, 5, 20))
    assert flow.fire(ref23, "instruct", at=at(2023, 5, 22), criteria=[]).state == "instructed"
    with pytest.raises(Refused, match="already recorded"):
        flow.record_financial_report(old, date(2023, 5, 21))


def test_rule_financial_report_guard_can_be_switched_off_in_the_file(flow: Workflow) -> None:
    granted_2021(flow)
    text = TEXT.replace("ami-cohesion-sociale-2021", "ami-cohesion-sociale-2023").replace("year = 2021", "year = 2023")
    for old in CALENDAR_DAYS:
        text = text.replace(old, f"2023{old[4:]}")
    text += '\n[workflow.guards]\ninstruct = ["instruction_window", "eligibility"]\n'
    lenient = parse_campaign(text)
    flow.add_campaign(lenient)
    ref = flow.create_dossier(applicant(1), application(), campaign_id=lenient.id, at=at(2023, 3, 10)).reference
    attach_all(flow, ref)
    flow.fire(ref, "submit", at=at(2023, 4, 12))
    flow.fire(ref, "mark_complete", at=at(2023, 5, 3))
    assert flow.fire(ref, "instruct", at=at(2023, 5, 18), criteria=[]).state == "instructed"


def test_rule_agenda_shows_financial_reports_due_and_late(flow: Workflow) -> None:
    ref = granted_2021(flow)
    assert [i for i in agenda(flow, at(2021, 12, 1)) if i.kind == AgendaKind.FINANCIAL_REPORT] == []
    [due] = [i for i in agenda(flow, at(2022, 3, 1)) if i.kind == AgendaKind.FINANCIAL_REPORT]
    assert (due.dossier, due.due, due.late) == (ref, date(2022, 6, 30), False)
    [late] = [i for i in agenda(flow, at(2022, 7, 1)) if i.kind == AgendaKind.FINANCIAL_REPORT]
    assert late.late
    flow.record_financial_report(ref, date(2022, 7, 3), at=at(2022, 7, 3))
    assert [i for i in agenda(flow, at(2022, 7, 4)) if i.kind == AgendaKind.FINANCIAL_REPORT] == []
    assert flow.financial_reports()[0].received_on == date(2022, 7, 3)


def test_financial_report_only_for_a_grant(flow: Workflow) -> None:
    ref = flow.create_dossier(applicant(2), application(), at=TIMES["submit"]).reference
    with pytest.raises(Refused, match="only a granted subsidy"):
        flow.record_financial_report(ref, date(2022, 1, 5))


def test_rule_applicants_carry_over_by_identity_and_pieces_are_reused_on_confirmation(flow: Workflow) -> None:
    old = granted_2021(flow)
    c2022 = year(2022)
    flow.add_campaign(c2022)
    new = flow.create_dossier(applicant(1), application(), campaign_id=c2022.id, at=at(2022, 3, 10)).reference
    ids = {r[0] for r in flow.conn.execute("SELECT applicant_id FROM dossiers")}
    assert len(ids) == 1  # one applicant across the two campaigns
    with pytest.raises(Refused) as info:
        flow.reuse_pieces(new, old, ["statuts", "liste_ca", "dossier_demande", "courrier_demande"], at=at(2022, 3, 11))
    assert len(info.value.reasons) == 3 and all("must be new each year" in r for r in info.value.reasons)
    assert flow.get(new).pieces == ()
    dossier = flow.reuse_pieces(new, old, ["statuts", "recepisse_declaration", "rib"], at=at(2022, 3, 11))
    assert {p.key for p in dossier.pieces} == {"statuts", "recepisse_declaration", "rib"}
    assert dossier.piece("statuts") == flow.get(old).piece("statuts")
    assert flow.history(new)[-1].trigger == "reuse_pieces"
    other = flow.create_dossier(applicant(2), application(), campaign_id=c2022.id, at=at(2022, 3, 10)).reference
    with pytest.raises(Refused, match="another applicant"):
        flow.reuse_pieces(other, old, ["statuts"])
    with pytest.raises(InvalidInput):
        flow.reuse_pieces(new, old, "statuts")  # type: ignore[arg-type]


def test_rule_only_unsubmitted_drafts_are_copied_on_request(flow: Workflow) -> None:
    granted_2021(flow)
    draft = flow.create_dossier(applicant(3), application(title="Projet en cours"), at=TIMES["submit"]).reference
    c2022 = year(2022)
    flow.add_campaign(c2022)
    assert flow.dossiers(campaign_id=c2022.id) == []  # nothing moves by itself
    copied = flow.copy_drafts(CAMPAIGN.id, c2022.id, at=at(2022, 1, 3))
    assert list(copied) == [draft]
    new = flow.get(copied[draft])
    assert (new.campaign_id, new.state, new.application.title, new.pieces) == (c2022.id, "draft", "Projet en cours", ())
    assert flow.copy_drafts(CAMPAIGN.id, c2022.id, at=at(2022, 1, 4)) == {}  # a second run copies nothing again
    assert len(flow.dossiers(campaign_id=c2022.id)) == 1
    assert flow.history(copied[draft])[0].payload["copied_from"] == draft
    with pytest.raises(InvalidInput):
        flow.copy_drafts(CAMPAIGN.id, CAMPAIGN.id)


def test_rule_identity_requirements_come_from_the_file(flow: Workflow) -> None:
    text = TEXT.replace(
        'signer_label = "porteur de projet"', 'signer_label = "porteur de projet"\nrequires = ["legal_representative"]'
    )
    text = text.replace('signer_label = "représentant légal de l\'association"',
                        'signer_label = "représentant légal de l\'association"\nrequires = ["siren|rna"]')
    strict = parse_campaign(text.replace("ami-cohesion-sociale-2021", "strict-2021"))
    flow.add_campaign(strict)
    with pytest.raises(InvalidInput, match="siren or rna: required for Association"):
        flow.create_dossier(applicant(1, siren=None), campaign_id=strict.id, at=TIMES["submit"])
    with pytest.raises(InvalidInput, match="legal_representative: required"):
        flow.create_dossier(applicant(1, kind="collectif_habitants", siren=None, legal_representative=None),
                            campaign_id=strict.id, at=TIMES["submit"])
    with pytest.raises(InvalidInput, match="unknown applicant kind 'entreprise'"):
        flow.create_dossier(applicant(1, kind="entreprise"), campaign_id=strict.id, at=TIMES["submit"])
    ok = flow.create_dossier(applicant(1, siren=None, rna="W622000123"), campaign_id=strict.id, at=TIMES["submit"])
    assert ok.applicant.rna == "W622000123"
    assert Decimal(0) == flow.totals(strict.id).approved
