"""Year N+1: applicants carried by identity, reused pieces, copied drafts, and the compte rendu financier.

Every test runs on both backends (the ``flow`` fixture). The store's clock is
moved forward through 2021, 2022 and 2023 with :func:`walk.at`: each act is
recorded on its day, in order.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from typing import Any

import pytest
from walk import CAMPAIGN, applicant, application, at, attach_all, walk

from ami_workflow import InvalidInput, Kind, Refused, parse_campaign
from ami_workflow.agenda import AgendaKind, agenda
from ami_workflow.calendar import PARIS, financial_report_due

TEXT = (resources.files("ami_workflow.calls") / "ami-cohesion-sociale-2021.toml").read_text(encoding="utf-8")
#: Every day the 2021 call file names in its calendar.
CALENDAR_DAYS = (
    "2021-03-08", "2021-04-30", "2021-05-01", "2021-05-31", "2021-06-01", "2021-06-30", "2021-09-01", "2021-09-30",
)


def year(n: int) -> Any:
    """The 2021 call moved to year ``n`` by editing its text (the rollover module does it properly)."""
    shift = n - 2021
    text = TEXT.replace("ami-cohesion-sociale-2021", f"ami-cohesion-sociale-{n}").replace("year = 2021", f"year = {n}")
    for old in CALENDAR_DAYS:
        text = text.replace(old, f"{2021 + shift}{old[4:]}")
    return parse_campaign(text)


def paris(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=PARIS)


def snapshot(flow: Any, *refs: str) -> tuple[Any, ...]:
    """What a refused action must leave as it was: the dossiers' states and versions, the journal, the totals."""
    return (tuple((flow.get(r).state, flow.get(r).version) for r in refs), len(flow.events()), flow.totals())


def granted_2021(flow: Any) -> str:
    """A 2021 dossier walked to paid: created at the launch, pieces on 1 April, paid on 5 October 2021."""
    ref = flow.create_dossier(applicant(1), application()).reference
    attach_all(flow, ref)
    walk(flow, ref, "pay")  # records the session, then the deliberation, on their days
    assert flow.get(ref).state == "paid"
    return ref


def submitted_and_complete(flow: Any, campaign_id: str, y: int) -> str:
    """A dossier of the year ``y`` campaign, created on 10 March, submitted 12 April, complete 3 May."""
    at(flow, paris(y, 3, 10))
    ref = flow.create_dossier(applicant(1), application(), campaign_id=campaign_id).reference
    attach_all(flow, ref)  # on 10 March of year y: the clock does not go back to 2021
    at(flow, paris(y, 4, 12))
    flow.fire(ref, "submit")
    at(flow, paris(y, 5, 3))
    flow.fire(ref, "mark_complete")
    return ref


def test_rule_financial_report_due_six_months_after_the_year_of_the_grant() -> None:
    assert financial_report_due(2021) == date(2022, 6, 30)
    assert financial_report_due(2021, CAMPAIGN.funding.financial_report_months) == date(2022, 6, 30)


def test_rule_overdue_financial_report_is_flagged_at_instruction(flow: Any) -> None:
    old = granted_2021(flow)
    c2022 = year(2022)
    c2023 = year(2023)
    flow.add_campaign(c2022)
    flow.add_campaign(c2023)
    # In 2022 the 2021 report is not due yet (2022-06-30): instruction passes.
    ref22 = submitted_and_complete(flow, c2022.id, 2022)
    at(flow, paris(2022, 5, 18))
    assert flow.check(ref22, "instruct", criteria=[]) == []
    # In 2023, with the 2021 report still missing, instruction is refused with the reason.
    ref23 = submitted_and_complete(flow, c2023.id, 2023)
    at(flow, paris(2023, 5, 18))
    before = snapshot(flow, ref23, old)
    with pytest.raises(Refused) as info:
        flow.fire(ref23, "instruct", criteria=[])
    assert info.value.reasons == (
        f"the applicant owes an overdue compte rendu financier: {old} (2021 grant) was due on 30 June 2022",)
    assert flow.get(ref23).state == "complete"
    assert snapshot(flow, ref23, old) == before
    # A report cannot be recorded as received after today.
    at(flow, paris(2023, 5, 20))
    before = snapshot(flow, ref23, old)
    with pytest.raises(Refused) as info:
        flow.record_financial_report(old, date(2023, 5, 21))
    assert info.value.reasons == ("the compte rendu financier cannot be received on 21 May 2023, after today",)
    assert snapshot(flow, ref23, old) == before and flow.financial_reports()[0].received_on is None
    # Once the report is recorded, the guard passes.
    flow.record_financial_report(old, date(2023, 5, 20))
    at(flow, paris(2023, 5, 22))
    assert flow.fire(ref23, "instruct", criteria=[]).state == "instructed"
    before = snapshot(flow, ref23, old)
    with pytest.raises(Refused, match="already recorded"):
        flow.record_financial_report(old, date(2023, 5, 21))
    assert snapshot(flow, ref23, old) == before
    assert flow.financial_reports()[0].received_on == date(2023, 5, 20)
    assert flow.verify() is None


def test_rule_financial_report_guard_can_be_switched_off_in_the_file(flow: Any) -> None:
    granted_2021(flow)
    text = TEXT.replace("ami-cohesion-sociale-2021", "ami-cohesion-sociale-2023").replace("year = 2021", "year = 2023")
    for old in CALENDAR_DAYS:
        text = text.replace(old, f"2023{old[4:]}")
    text += '\n[workflow.guards]\ninstruct = ["instruction_window", "eligibility"]\n'
    lenient = parse_campaign(text)
    flow.add_campaign(lenient)
    ref = submitted_and_complete(flow, lenient.id, 2023)
    at(flow, paris(2023, 5, 18))
    assert flow.fire(ref, "instruct", criteria=[]).state == "instructed"


def test_rule_agenda_shows_financial_reports_due_and_late(flow: Any) -> None:
    ref = granted_2021(flow)
    assert [i for i in agenda(flow, paris(2021, 12, 1)) if i.kind == AgendaKind.FINANCIAL_REPORT] == []
    [due] = [i for i in agenda(flow, paris(2022, 3, 1)) if i.kind == AgendaKind.FINANCIAL_REPORT]
    assert (due.dossier, due.due, due.late) == (ref, date(2022, 6, 30), False)
    [late] = [i for i in agenda(flow, paris(2022, 7, 1)) if i.kind == AgendaKind.FINANCIAL_REPORT]
    assert late.late
    at(flow, paris(2022, 7, 3))
    flow.record_financial_report(ref, date(2022, 7, 3))
    assert [i for i in agenda(flow, paris(2022, 7, 4)) if i.kind == AgendaKind.FINANCIAL_REPORT] == []
    assert flow.financial_reports()[0].received_on == date(2022, 7, 3)


def test_financial_report_only_for_a_grant(flow: Any) -> None:
    ref = flow.create_dossier(applicant(2), application()).reference
    at(flow, paris(2022, 1, 5))
    before = snapshot(flow, ref)
    with pytest.raises(Refused) as info:
        flow.record_financial_report(ref, date(2022, 1, 5))
    assert info.value.reasons == (f"{ref} is draft: only a granted subsidy owes a compte rendu financier",)
    assert snapshot(flow, ref) == before and flow.financial_reports() == []


def test_rule_applicants_carry_over_by_identity_and_pieces_are_reused_on_confirmation(flow: Any) -> None:
    old = granted_2021(flow)
    c2022 = year(2022)
    flow.add_campaign(c2022)
    at(flow, paris(2022, 3, 10))
    new = flow.create_dossier(applicant(1), application(), campaign_id=c2022.id).reference
    # One applicant across the two campaigns.
    identity = flow.get(new).applicant.identity
    assert identity == flow.get(old).applicant.identity
    assert {d["reference"] for d in flow.export_applicant(identity)["dossiers"]} == {old, new}
    if hasattr(flow, "conn"):  # the SQLite store keeps one applicants row for both
        assert len({r[0] for r in flow.conn.execute("SELECT applicant_id FROM dossiers")}) == 1
    at(flow, paris(2022, 3, 11))
    before = snapshot(flow, new, old)
    with pytest.raises(Refused) as info:
        flow.reuse_pieces(new, old, ["statuts", "liste_ca", "dossier_demande", "courrier_demande"])
    assert len(info.value.reasons) == 3 and all("must be new each year" in r for r in info.value.reasons)
    assert flow.get(new).pieces == ()
    assert snapshot(flow, new, old) == before
    dossier = flow.reuse_pieces(new, old, ["statuts", "recepisse_declaration", "rib"])
    assert {p.key for p in dossier.pieces} == {"statuts", "recepisse_declaration", "rib"}
    assert dossier.piece("statuts") == flow.get(old).piece("statuts")
    last = flow.history(new)[-1]
    assert (last.kind, last.data["from"], last.at) == (Kind.PIECES_REUSED, old, paris(2022, 3, 11))
    other = flow.create_dossier(applicant(2), application(), campaign_id=c2022.id).reference
    before = snapshot(flow, new, old, other)
    with pytest.raises(Refused, match="another applicant"):
        flow.reuse_pieces(other, old, ["statuts"])
    with pytest.raises(InvalidInput):
        flow.reuse_pieces(new, old, "statuts")
    assert snapshot(flow, new, old, other) == before and flow.get(other).pieces == ()
    assert flow.verify() is None


def test_rule_only_unsubmitted_drafts_are_copied_on_request(flow: Any) -> None:
    granted_2021(flow)
    draft = flow.create_dossier(applicant(3), application(title="Projet en cours")).reference
    c2022 = year(2022)
    flow.add_campaign(c2022)
    assert flow.dossiers(campaign_id=c2022.id) == []  # nothing moves by itself
    at(flow, paris(2022, 1, 3))
    copied = flow.copy_drafts(CAMPAIGN.id, c2022.id)
    assert list(copied) == [draft]
    new = flow.get(copied[draft])
    assert (new.campaign_id, new.state, new.application.title, new.pieces) == (c2022.id, "draft", "Projet en cours", ())
    at(flow, paris(2022, 1, 4))
    events = len(flow.events())
    assert flow.copy_drafts(CAMPAIGN.id, c2022.id) == {}  # a second run copies nothing again
    assert len(flow.events()) == events
    assert len(flow.dossiers(campaign_id=c2022.id)) == 1
    first = flow.history(copied[draft])[0]
    assert first.payload["copied_from"] == draft and first.at == paris(2022, 1, 3)
    with pytest.raises(InvalidInput):
        flow.copy_drafts(CAMPAIGN.id, CAMPAIGN.id)
    assert len(flow.events()) == events
    assert flow.verify() is None


def test_rule_identity_requirements_come_from_the_file(flow: Any) -> None:
    text = TEXT.replace('signer_label = "porteur de projet"',
                        'signer_label = "porteur de projet"\nrequires = ["legal_representative"]')
    assert 'requires = ["siren|rna"]' in text  # the 2021 file requires it of an association
    strict = parse_campaign(text.replace("ami-cohesion-sociale-2021", "strict-2021"))
    flow.add_campaign(strict)
    events = len(flow.events())
    with pytest.raises(InvalidInput, match="siren or rna: required for Association"):
        flow.create_dossier(applicant(1, siren=None), campaign_id=strict.id)
    with pytest.raises(InvalidInput, match="legal_representative: required"):
        flow.create_dossier(applicant(1, kind="collectif_habitants", siren=None, legal_representative=None),
                            campaign_id=strict.id)
    with pytest.raises(InvalidInput, match="unknown applicant kind 'entreprise'"):
        flow.create_dossier(applicant(1, kind="entreprise"), campaign_id=strict.id)
    assert len(flow.events()) == events and flow.dossiers(campaign_id=strict.id) == []
    ok = flow.create_dossier(applicant(1, siren=None, rna="W622000123"), campaign_id=strict.id)
    assert ok.applicant.rna == "W622000123"
    assert Decimal(0) == flow.totals(strict.id).approved
