"""Reports, agenda and documents on a small campaign built by hand: every figure is computed by hand below.

The campaign (the 2021 call, envelope 150 000 €, convention threshold 23 000 €):

====== ============ ========= ============== ========== ========= ======== ========= ======= ===== =========
key    state        axis      QPV            total cost requested criteria approved  paid    young women
====== ============ ========= ============== ========== ========= ======== ========= ======= ===== =========
draft  draft        numerique 024            10 000     5 000     –        –         –       40    50
sub    submitted    education 024, 025       10 000     5 000     –        –         –       60    30
rej    rejected     sante     024            10 000     5 000     inn      –         –       10    70
appr   approved     numerique 024            10 000     5 000     jof      5 000     –       40    50
big    approved     insertion 025            60 000     30 000    –        30 000    –       40    20
paid   paid         numerique 024, 026       20 000     8 000     jof, ph  8 000     8 000   50    40
wd     withdrawn    education 024            10 000     4 000     –        (4 000)   –       40    60
====== ============ ========= ============== ========== ========= ======== ========= ======= ===== =========

(100 participants each; ``big`` and ``paid`` are granted by the deliberation of 2021-09-27; ``wd`` was
approved, then withdrawn, so its 4 000 € count nowhere.)
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

import attrs
import pytest
from walk import (
    BACKENDS,
    CAMPAIGN,
    SESSION_ID,
    TIMES,
    applicant,
    application,
    at,
    attach_all,
    new_flow,
    session,
    walk,
    walk_all,
)

from ami_workflow import Convention, Deliberation, Refused, State, notices
from ami_workflow.agenda import AgendaItem, AgendaKind, agenda
from ami_workflow.calendar import PARIS
from ami_workflow.protocol import Backend
from ami_workflow.reports import CampaignReport, campaign_report, percentage, report_dict, report_lines

XSS = "<script>alert('x')</script>"
TITLE = "Ateliers <i>numériques</i> & co"
MOTIVATION = 'Budget <incomplet> & "flou"'
CREATED = datetime(2021, 3, 10, 9, tzinfo=PARIS)
DELIBERATION = Deliberation("DEL-2021-09", date(2021, 9, 27), [], enforceable_on=date(2021, 9, 27))


def paris(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def euros(text: str) -> Decimal:
    return Decimal(text)


class Built(NamedTuple):
    flow: Backend
    refs: dict[str, str]
    snapshots: list[CampaignReport]


def build(flow: Backend, check: Callable[[Backend], None] = lambda flow: None) -> dict[str, str]:
    """The campaign of the module's table, written in chronological order; ``check`` runs after every write."""
    refs: dict[str, str] = {}

    def new(key: str, n: int, who: dict[str, Any] | None = None, **changes: Any) -> None:
        refs[key] = flow.create_dossier(applicant(n, **(who or {})), application(**changes)).reference
        check(flow)

    def fire(keys: str, trigger: str, when: datetime, **data: Any) -> None:
        at(flow, when)
        for key in keys.split():
            flow.fire(refs[key], trigger, actor="test", **data)
            check(flow)

    at(flow, CREATED)
    new("draft", 1)
    new("sub", 2, {"name": XSS}, title=TITLE, axis="education", qpv_codes=("QP062024", "QP062025"), young=60, women=30)
    new("rej", 3, axis="sante", young=10, women=70)
    new("appr", 4)
    new("big", 5, axis="insertion", qpv_codes=("QP062025",), total_cost=euros("60000.00"),
        requested=euros("30000.00"), women=20)
    new("paid", 0, qpv_codes=("QP062024", "QP062026"), total_cost=euros("20000.00"), requested=euros("8000.00"),
        young=50, women=40)
    new("wd", 6, {"siren": None, "rna": "W622000606"}, axis="education", requested=euros("4000.00"), women=60)
    for key in ("rej", "appr", "big", "paid", "wd"):
        attach_all(flow, refs[key])
        check(flow)
    at(flow, paris(2021, 4, 1))
    flow.attach(refs["sub"], "dossier_demande", b"formulaire", filename='form <1> & "2".pdf')
    check(flow)
    fire("sub rej appr big paid wd", "submit", TIMES["submit"])
    fire("rej appr big paid wd", "mark_complete", TIMES["mark_complete"])
    fire("rej", "instruct", TIMES["instruct"], criteria=["innovante"])
    fire("appr", "instruct", TIMES["instruct"], criteria=["jeunes_ou_femmes"])
    fire("big wd", "instruct", TIMES["instruct"], criteria=[])
    fire("paid", "instruct", TIMES["instruct"], criteria=["jeunes_ou_femmes", "participation_habitants"])
    at(flow, TIMES["hear"])
    flow.record_session(session())
    check(flow)
    fire("appr big paid wd", "hear", TIMES["hear"], session=SESSION_ID)
    fire("appr big paid wd", "approve", TIMES["approve"])
    fire("rej", "reject", paris(2021, 6, 15, 18), motivation=MOTIVATION)
    fire("wd", "withdraw", paris(2021, 7, 1), reason="L'action est reportée.")
    at(flow, paris(2021, 9, 27))
    flow.record_deliberation(attrs.evolve(DELIBERATION, dossiers=(refs["big"], refs["paid"])))
    check(flow)
    fire("paid", "pay", TIMES["pay"])
    return refs


@pytest.fixture(scope="module", params=BACKENDS)
def built(request: pytest.FixtureRequest) -> Any:
    """The module's campaign on each backend: every test using it runs on both."""
    flow = new_flow(request.param)
    snapshots: list[CampaignReport] = []
    refs = build(flow, lambda f: snapshots.append(campaign_report(f)))
    yield Built(flow, refs, snapshots)
    if hasattr(flow, "close"):
        flow.close()


@pytest.fixture(scope="module")
def report(built: Built) -> CampaignReport:
    return campaign_report(built.flow)


# -- the report ----------------------------------------------------------------


def test_the_scenario_reached_the_states_of_the_table(built: Built) -> None:
    states = {key: built.flow.get(ref).state for key, ref in built.refs.items()}
    assert states == {
        "draft": "draft", "sub": "submitted", "rej": "rejected", "appr": "approved", "big": "approved",
        "paid": "paid", "wd": "withdrawn",
    }


def test_counts_by_state_list_every_state_with_zeros(report: CampaignReport) -> None:
    assert list(report.by_state) == [s.value for s in State]
    assert report.by_state == {
        "draft": 1, "submitted": 1, "complete": 0, "instructed": 0, "audited": 0,
        "approved": 2, "paid": 1, "closed": 0, "recovery": 0, "recovered": 0, "rejected": 1, "withdrawn": 1,
    }
    assert report.dossiers == 7 and report.received == 6


def test_envelope_figures(report: CampaignReport) -> None:
    # appr 5 000 + big 30 000 + paid 8 000; wd's 4 000 left out because it was withdrawn.
    assert report.envelope == Decimal("150000.00")
    assert report.approved == Decimal("43000.00")
    assert report.paid == Decimal("8000.00")
    assert report.remaining == Decimal("107000.00")
    assert report.to_pay == Decimal("35000.00")


def test_totals_by_axis(report: CampaignReport) -> None:
    rows = [(a.key, a.number, a.count, a.requested, a.approved, a.paid) for a in report.by_axis]
    assert rows == [
        ("insertion", 1, 1, Decimal("30000.00"), Decimal("30000.00"), Decimal("0.00")),
        ("education", 2, 2, Decimal("9000.00"), Decimal("0.00"), Decimal("0.00")),  # sub 5 000 + wd 4 000
        ("sante", 3, 1, Decimal("5000.00"), Decimal("0.00"), Decimal("0.00")),
        ("numerique", 4, 2, Decimal("13000.00"), Decimal("13000.00"), Decimal("8000.00")),  # appr + paid
    ]
    assert [a.label for a in report.by_axis] == [a.label for a in CAMPAIGN.axes]
    assert report.by_axis[3].label == "L'inclusion numérique"


def test_totals_by_qpv_overlap(report: CampaignReport) -> None:
    assert [q.code for q in report.by_qpv] == [q.code for q in CAMPAIGN.territory.qpv]
    targeted = {q.code: (q.name, q.count, q.approved) for q in report.by_qpv if q.count}
    assert targeted == {
        "QP062024": ("Cité 12-14 (NPNRU)", 5, Decimal("13000.00")),  # sub, rej, appr, paid, wd; appr + paid
        "QP062025": ("Grande Résidence", 2, Decimal("30000.00")),  # sub, big
        "QP062026": ("Cité 2", 1, Decimal("8000.00")),  # paid
    }
    assert all(q.approved == 0 for q in report.by_qpv if not q.count)
    # 'paid' targets two QPV and counts in both: the QPV totals add up to more than the approved total.
    assert sum(q.approved for q in report.by_qpv) == Decimal("51000.00") > report.approved


def test_bonus_criteria_count_instructed_dossiers(report: CampaignReport) -> None:
    assert report.instructed == 5  # rej, appr, big, paid, wd
    assert {c.key: c.confirmed for c in report.criteria} == {
        "participation_habitants": 1, "innovante": 1, "jeunes_ou_femmes": 2, "plusieurs_operateurs": 0,
    }
    assert [c.label for c in report.criteria] == [c.label for c in CAMPAIGN.funding.criteria]


def test_youth_and_women_shares(report: CampaignReport) -> None:
    # Young people at least half of 100 participants: sub (60) and paid (exactly 50): 2 of 6.
    assert (report.youth.count, report.youth.out_of, report.youth.percent) == (2, 6, Decimal("33.33"))
    # Women at least half: rej (70), appr (exactly 50), wd (60): 3 of 6.
    assert (report.women.count, report.women.out_of, report.women.percent) == (3, 6, Decimal("50.00"))
    bonus = report.youth_or_women_bonus
    assert bonus is not None and (bonus.count, bonus.out_of, bonus.percent) == (2, 6, Decimal("33.33"))


def test_funding_rate_weighted_by_cost(report: CampaignReport) -> None:
    # (5 000 + 30 000 + 8 000) / (10 000 + 60 000 + 20 000) = 47.777… %
    assert report.approved_cost == Decimal("90000.00")
    assert report.funding_rate == Decimal("47.78")
    assert percentage(Decimal("1.00"), Decimal("8.00")) == Decimal("12.50")
    assert percentage(1, 200) == Decimal("0.50") and percentage(1, 0) is None


def test_report_is_consistent_after_every_step(built: Built) -> None:
    assert len(built.snapshots) > 30
    for snapshot in built.snapshots:
        assert snapshot.problems() == []
        assert sum(snapshot.by_state.values()) == snapshot.dossiers
        assert snapshot.approved <= snapshot.envelope and snapshot.paid <= snapshot.approved
        assert snapshot.remaining == snapshot.envelope - snapshot.approved
        assert sum(a.approved for a in snapshot.by_axis) == snapshot.approved
        assert sum(a.paid for a in snapshot.by_axis) == snapshot.paid
    assert [s.dossiers for s in built.snapshots] == sorted(s.dossiers for s in built.snapshots)


def test_problems_are_found_when_figures_disagree(report: CampaignReport) -> None:
    broken = attrs.evolve(report, approved=Decimal("150000.01"), paid=Decimal("150000.02"))
    problems = broken.problems()
    assert any("exceeds the envelope" in p for p in problems)
    assert any("paid total" in p for p in problems)
    assert any("by axis" in p for p in problems)
    miscounted = attrs.evolve(report, by_state={**report.by_state, "draft": 2})
    assert miscounted.problems() == ["the counts by state add up to 8, not 7 dossiers"]


def test_report_lines_are_readable(report: CampaignReport) -> None:
    lines = report_lines(report)  # in English here (the suite's language); tests/test_i18n_reports.py reads French
    text = "\n".join(lines)
    assert lines[0] == f"{CAMPAIGN.call.title} (ami-cohesion-sociale-2021)"
    padded = {" ".join(line.split()) for line in lines}  # the columns are as wide as the longest label
    assert {"Envelope €150,000.00", "Approved €43,000.00", "Remaining €107,000.00", "paid 1"} <= padded
    assert "heard (`audited`) 0" in padded  # a state's label, with its key when they differ
    assert ("  4. L'inclusion numérique: 2 dossiers, requested €13,000.00, approved €13,000.00, "
            "paid €8,000.00") in lines
    assert "  QP062024 Cité 12-14 (NPNRU): 5 dossiers, approved €13,000.00" in lines
    assert "  no dossier for the other 18 QPV of the call" in lines
    assert "overlap and do not add up to the envelope" in text
    assert "  for young people (at least half of the participants): 2 of 6 (33.33%)" in lines
    assert "Funding rate weighted by cost: 47.78% (€43,000.00 approved for €90,000.00 of total cost)" in lines
    assert "Inconsistencies" not in text


def test_report_dict_is_json_ready(report: CampaignReport) -> None:
    data = report_dict(report)
    assert json.loads(json.dumps(data)) == data
    assert data["approved"] == "43000.00" and data["remaining"] == "107000.00" and data["to_pay"] == "35000.00"
    assert data["by_state"]["paid"] == 1 and data["funding_rate"] == "47.78"
    assert data["by_axis"][3] == {
        "key": "numerique", "number": 4, "label": "L'inclusion numérique", "count": 2,
        "requested": "13000.00", "approved": "13000.00", "paid": "8000.00",
    }
    assert data["youth"] == {"count": 2, "out_of": 6, "percent": "33.33"}
    assert data["problems"] == []


def test_empty_campaign_report(flow: Backend) -> None:
    report = campaign_report(flow)
    assert report.dossiers == 0 and set(report.by_state.values()) == {0}
    assert report.funding_rate is None and report.youth.percent is None
    assert report.problems() == []
    assert "Funding rate weighted by cost: n/a" in report_lines(report)[-1]
    json.dumps(report_dict(report))


def test_a_refused_backdated_act_changes_no_figure(flow: Backend) -> None:
    at(flow, CREATED)
    ref = flow.create_dossier(applicant(1), application()).reference
    attach_all(flow, ref)
    walk(flow, ref, "approve")
    at(flow, paris(2021, 9, 27))
    flow.record_deliberation(attrs.evolve(DELIBERATION, dossiers=(ref,)))
    at(flow, TIMES["pay"])
    flow.fire(ref, "pay", amount=Decimal("2000.00"))
    before = report_dict(campaign_report(flow)), agenda(flow, paris(2022, 1, 10)), len(flow.events())
    version = flow.get(ref).version
    with pytest.raises(Refused, match="before the dossier's last recorded act"):
        flow.fire(ref, "pay", at=paris(2021, 10, 1), amount=Decimal("1000.00"))
    with pytest.raises(Refused, match="after the moment it is recorded"):
        flow.fire(ref, "pay", at=paris(2021, 10, 7), amount=Decimal("1000.00"))
    assert (report_dict(campaign_report(flow)), agenda(flow, paris(2022, 1, 10)), len(flow.events())) == before
    assert flow.get(ref).version == version and campaign_report(flow).paid == Decimal("2000.00")
    at(flow, paris(2021, 10, 7))
    flow.fire(ref, "pay", at=paris(2021, 10, 6), amount=Decimal("1000.00"))  # dated between the two: accepted
    assert campaign_report(flow).paid == Decimal("3000.00") and campaign_report(flow).problems() == []


def test_the_readers_read_no_clock(flow: Backend) -> None:
    build(flow)
    report, items = report_dict(campaign_report(flow)), agenda(flow, paris(2021, 9, 28))
    at(flow, paris(2030, 1, 1))  # years later, nothing recorded since: the same figures, the same agenda
    assert report_dict(campaign_report(flow)) == report and agenda(flow, paris(2021, 9, 28)) == items


# -- the agenda ----------------------------------------------------------------


def items_of(flow: Backend, when: datetime, kind: AgendaKind) -> list[AgendaItem]:
    return [item for item in agenda(flow, when) if item.kind == kind]


def test_submission_reminder_window_and_lateness(built: Built) -> None:
    flow, draft = built.flow, built.refs["draft"]
    assert items_of(flow, paris(2021, 4, 15, 23, 59), AgendaKind.SUBMISSION_REMINDER) == []  # 15 days before
    [first] = items_of(flow, paris(2021, 4, 16, 0, 0), AgendaKind.SUBMISSION_REMINDER)  # 14 days before
    assert (first.dossier, first.due, first.late) == (draft, date(2021, 4, 30), False)
    assert "in 14 days" in first.message and "Association 1" in first.message
    [last_day] = items_of(flow, paris(2021, 4, 30, 23, 59), AgendaKind.SUBMISSION_REMINDER)
    assert not last_day.late and "(today)" in last_day.message
    [late] = items_of(flow, paris(2021, 5, 1, 0, 0), AgendaKind.SUBMISSION_REMINDER)
    assert late.late and late.due == date(2021, 4, 30)
    assert "can no longer be submitted" in late.message and "yesterday" in late.message


def test_incomplete_dossier_lists_missing_pieces_near_the_end_of_instruction(built: Built) -> None:
    flow, sub = built.flow, built.refs["sub"]
    assert items_of(flow, paris(2021, 5, 23), AgendaKind.MISSING_PIECES) == []  # 8 days before 31 May
    [item] = items_of(flow, paris(2021, 5, 24), AgendaKind.MISSING_PIECES)
    assert (item.dossier, item.due, item.late) == (sub, date(2021, 5, 31), False)
    assert "missing piece: Relevé d'Identité Bancaire" in item.message
    assert "missing paper original: Dossier de demande de subvention" in item.message
    assert "missing piece: Dossier de demande" not in item.message  # the digital form was received
    assert "instruction ends on 31 May 2021 (in 7 days)" in item.message
    [late] = items_of(flow, paris(2021, 6, 1), AgendaKind.MISSING_PIECES)
    assert late.late and "instruction ended on 31 May 2021 (yesterday)" in late.message


def test_approved_dossier_waiting_on_a_deliberation(built: Built) -> None:
    flow, appr = built.flow, built.refs["appr"]
    # On 1 July (at midnight) the four approved dossiers wait for the deliberation of 27 September (wd is
    # withdrawn later that day); then big and paid are granted and wd withdrawn, and appr is left waiting.
    on_july_1 = items_of(flow, paris(2021, 7, 1, 0), AgendaKind.DELIBERATION_PENDING)
    assert [i.dossier for i in on_july_1] == sorted(built.refs[k] for k in ("appr", "big", "paid", "wd"))
    [item] = [i for i in on_july_1 if i.dossier == appr]
    assert (item.dossier, item.due, item.late) == (appr, date(2021, 9, 30), False)
    assert "approved for €5,000.00" in item.message
    [on_time] = items_of(flow, paris(2021, 9, 30, 23, 59), AgendaKind.DELIBERATION_PENDING)
    assert not on_time.late
    [late] = items_of(flow, paris(2021, 10, 1), AgendaKind.DELIBERATION_PENDING)
    assert late.late and "window ended on 30 September 2021" in late.message


def test_convention_missing_for_a_granted_dossier_above_the_threshold(built: Built) -> None:
    flow, big = built.flow, built.refs["big"]
    [item] = items_of(flow, paris(2021, 9, 27, 18), AgendaKind.CONVENTION_MISSING)  # paid (8 000 €) needs none
    assert (item.dossier, item.due, item.late) == (big, date(2021, 9, 27), False)
    assert "granted €30,000.00 by the deliberation DEL-2021-09 of 27 September 2021" in item.message
    assert "above €23,000.00, a signed convention must be recorded" in item.message
    [late] = items_of(flow, paris(2021, 9, 28), AgendaKind.CONVENTION_MISSING)
    assert late.late


def test_agenda_is_sorted_by_due_date(built: Built) -> None:
    items = agenda(built.flow, paris(2021, 9, 28))
    refs = built.refs
    assert [(i.kind, i.dossier, i.due, i.late) for i in items] == [
        (AgendaKind.SUBMISSION_REMINDER, refs["draft"], date(2021, 4, 30), True),
        (AgendaKind.MISSING_PIECES, refs["sub"], date(2021, 5, 31), True),
        (AgendaKind.CONVENTION_MISSING, refs["big"], date(2021, 9, 27), True),
        (AgendaKind.PAYMENT_DUE, refs["paid"], date(2021, 9, 28), False),  # granted, not paid yet on that day
        (AgendaKind.DELIBERATION_PENDING, refs["appr"], date(2021, 9, 30), False),
    ]
    # On 20 March every dossier was a draft (as the journal had them then): too early to remind them.
    assert agenda(built.flow, paris(2021, 3, 20)) == []


def test_agenda_follows_calendar_amendments(flow: Backend) -> None:
    at(flow, CREATED)
    ref = flow.create_dossier(applicant(1), application()).reference
    at(flow, paris(2021, 4, 20))
    flow.amend_calendar("submission", date(2021, 3, 8), date(2021, 5, 7), reason="Confinement")
    flow.amend_calendar("instruction", date(2021, 5, 8), date(2021, 6, 15), reason="Confinement")
    [reminder] = agenda(flow, paris(2021, 5, 2))
    assert (reminder.due, reminder.late) == (date(2021, 5, 7), False)
    at(flow, paris(2021, 5, 3))  # after the call's deadline of 30 April, within the amended window
    flow.attach(ref, "dossier_demande", b"form")
    flow.fire(ref, "submit")
    assert agenda(flow, paris(2021, 5, 26)) == []  # the instruction now ends on 15 June
    [item] = agenda(flow, paris(2021, 6, 8))
    assert (item.kind, item.due, item.late) == (AgendaKind.MISSING_PIECES, date(2021, 6, 15), False)


def test_convention_threshold_counts_the_applicants_grants_in_the_campaign(flow: Backend) -> None:
    at(flow, CREATED)
    refs = []
    for _ in range(2):  # one applicant, two grants of 15 000 €: 30 000 € in all, above 23 000 €
        ref = flow.create_dossier(applicant(1), application(total_cost=euros("30000.00"),
                                                            requested=euros("15000.00"))).reference
        refs.append(ref)
    for ref in refs:
        attach_all(flow, ref)
    walk_all(flow, refs, "approve")
    assert items_of(flow, paris(2021, 9, 1), AgendaKind.CONVENTION_MISSING) == []  # not granted yet
    at(flow, paris(2021, 9, 20))
    flow.record_deliberation(Deliberation("DEL-1", date(2021, 9, 20), refs, enforceable_on=date(2021, 9, 20)))
    items = items_of(flow, paris(2021, 9, 21), AgendaKind.CONVENTION_MISSING)
    assert [(i.dossier, i.late) for i in items] == [(refs[0], True), (refs[1], True)]
    assert "the applicant's grants in the campaign come to €30,000.00" in items[0].message
    at(flow, paris(2021, 9, 22))
    flow.record_convention(Convention(refs[0], "CONV-1", date(2021, 9, 22)))
    assert [i.dossier for i in items_of(flow, paris(2021, 9, 22), AgendaKind.CONVENTION_MISSING)] == [refs[1]]


# -- the documents (their French mentions: tests/test_notices.py) -------------------


def event_hash(flow: Backend, ref: str, trigger: str) -> tuple[int, str]:
    [event] = [e for e in flow.events()
               if e.body["dossier"] == ref and e.body["kind"] == "triggered" and e.body["data"]["trigger"] == trigger]
    return event.seq, event.hash


def html_of(flow: Backend, ref: str, kind: str) -> str:
    notices.issue(flow, ref, kind)
    document = flow.document_bytes(ref, kind, "html").decode("utf-8")
    assert document.startswith("<!DOCTYPE html>") and document.rstrip().endswith("</html>")
    assert '<meta charset="utf-8">' in document and "<style>" in document and "@media print" in document
    assert "<script" not in document.lower() and "src=" not in document and "<link" not in document
    return document


def test_deposit_receipt_quotes_the_submit_event_and_escapes_user_text(built: Built) -> None:
    flow, ref = built.flow, built.refs["sub"]
    document = html_of(flow, ref, "accuse_reception")
    seq, digest = event_hash(flow, ref, "submit")
    assert digest in document and f"event no. {seq} of the campaign&#x27;s journal" in document
    assert flow.dossier_events(ref)[0].hash not in document  # not the creation event's
    assert html.escape(XSS) in document and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in document
    assert html.escape(TITLE) in document and "<i>" not in document
    assert html.escape(CAMPAIGN.funder.name) in document and html.escape(CAMPAIGN.call.title) in document
    assert "12 April 2021 at 10:00 (Paris time)" in document
    assert html.escape(CAMPAIGN.piece("dossier_demande").label[1:]) in document  # type: ignore[union-attr]
    required = document.split("Pieces still required", 1)[1]  # the RIB was not sent with the submission
    assert "(key `rib`)</li>" in required  # not received at all
    assert "(key `dossier_demande`): the original on paper" in required  # received digitally, its original not yet


def test_deposit_receipt_of_a_later_dossier_lists_the_pieces_held_at_its_submission(built: Built) -> None:
    flow, ref = built.flow, built.refs["paid"]
    document = html_of(flow, ref, "accuse_reception")
    assert event_hash(flow, ref, "submit")[1] in document
    assert event_hash(flow, ref, "approve")[1] not in document
    assert "original on paper" in document and "Claire Dupont" not in document  # the signer is personal data


def test_documents_are_refused_without_their_act(built: Built) -> None:
    draft = built.refs["draft"]
    with pytest.raises(Refused, match="has no `submit` in the journal") as refused:
        notices.issue(built.flow, draft, "accuse_reception")
    assert refused.value.action == "issue_document"
    with pytest.raises(Refused, match="has no `approve` or `reject`"):
        notices.issue(built.flow, draft, "notification_decision")


def test_decision_notice_of_a_grant(built: Built) -> None:
    flow, ref = built.flow, built.refs["appr"]
    document = html_of(flow, ref, "notification_decision")
    assert "attribution de subvention" in document and "refus de subvention" not in document
    seq, digest = event_hash(flow, ref, "approve")
    assert digest in document and f"event no. {seq}" in document
    assert event_hash(flow, ref, "submit")[1] not in document
    assert "€5,000.00" in document  # granted
    assert "€5,750.00" in document  # ceiling: 57.5 % of 10 000 € with one criterion
    labels = {c.key: c.label for c in CAMPAIGN.funding.criteria}
    assert html.escape(labels["jeunes_ou_femmes"]) in document
    assert html.escape(labels["innovante"]) not in document
    assert "expected between 1 September 2021 and 30 September 2021" in document


def test_decision_notice_of_a_paid_grant_says_what_was_known_at_the_approval(built: Built) -> None:
    flow, ref = built.flow, built.refs["paid"]
    document = html_of(flow, ref, "notification_decision")
    assert event_hash(flow, ref, "approve")[1] in document
    assert "€13,000.00" in document
    assert "DEL-2021-09" not in document  # the deliberation came after the approval the notice attests
    labels = {c.key: c.label for c in CAMPAIGN.funding.criteria}
    assert html.escape(labels["participation_habitants"]) in document


def test_decision_notice_of_a_rejection(built: Built) -> None:
    flow, ref = built.flow, built.refs["rej"]
    document = html_of(flow, ref, "notification_decision")
    assert "refus de subvention" in document
    assert event_hash(flow, ref, "reject")[1] in document
    assert html.escape(MOTIVATION) in document and "<incomplet>" not in document


def test_decision_notice_refused_before_a_decision(built: Built) -> None:
    with pytest.raises(Refused, match="there is no notification_decision to issue"):
        notices.issue(built.flow, built.refs["sub"], "notification_decision")


def test_a_grant_withdrawn_later_keeps_the_notice_of_its_decision(built: Built) -> None:
    document = html_of(built.flow, built.refs["wd"], "notification_decision")  # approved in June, withdrawn in July
    assert "attribution de subvention" in document and "withdraw" not in document
