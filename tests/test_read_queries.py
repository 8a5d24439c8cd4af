"""The SQL reads of the store equal the fold of the in-memory backend: report, flat rows, grants, CSV and SCDL.

Generated campaigns are played identically on both backends (every refusal
included), then every reader is compared: the report (record and JSON), the
aggregates it is built from, the flat rows of ``export csv`` and the grants of
``export scdl``, and the bytes of both exports. The pure functions of
:mod:`ami_workflow.core.figures` are also applied to the store's own
structured dossiers: the SQL answers what the dossiers say. The demo is
compared the same way, and its agenda on past dates is the agenda of the
journal folded to that date.

The default budget is small; ``HYPOTHESIS_PROFILE=dev`` runs about a hundred examples.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_exports import configured_campaign, valid_siret
from walk import PATH, SESSION_ID, TIMES, applicant, application, at, attach_all, new_flow, session

from ami_workflow import AmiWorkflowError, Convention, Deliberation, FixedClock, InvalidInput, MemoryWorkflow, Refused
from ami_workflow.agenda import AgendaKind, agenda, as_recorded
from ami_workflow.calendar import PARIS
from ami_workflow.core.figures import dossier_row, grant_rows, report_figures
from ami_workflow.exports import dossier_rows, scdl_csv, scdl_rows, write_csv, write_dossiers_csv, write_scdl_csv
from ami_workflow.protocol import Backend
from ami_workflow.reports import campaign_report, report_dict
from ami_workflow.sample import run_demo
from ami_workflow.store import Workflow

CAMPAIGN = configured_campaign()
AXES = [a.key for a in CAMPAIGN.axes]
QPV = [q.code for q in CAMPAIGN.territory.qpv][:5]
CRITERIA = sorted(CAMPAIGN.funding.criterion_keys())
TARGETS = ("draft", *PATH, "reject", "withdraw")
EXAMPLES = max(8, settings.default.max_examples // 5)


def paris(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2021, month, day, hour, tzinfo=PARIS)


class Plan(NamedTuple):
    """What happens to one generated dossier."""

    who: int
    with_siret: bool
    axis: str | None
    qpv: list[str]
    participants: int | None
    young: int | None
    women: int | None
    cost: int
    share: int
    target: str
    criteria: list[str]
    deliberated: bool
    early: bool
    convention: bool
    instalments: int


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    # Mostly what a submission needs (an axis, a QPV, the participants counted); else the submission is refused.
    if draw(st.integers(0, 4)):
        participants: int | None = draw(st.sampled_from([10, 40, 100]))
        count: st.SearchStrategy[int | None] = st.integers(0, participants or 0)
        axis: st.SearchStrategy[str | None] = st.sampled_from(AXES)
        qpv = st.lists(st.sampled_from(QPV), min_size=1, max_size=3, unique=True)
    else:
        participants = draw(st.sampled_from([None, 0, 10]))
        count = st.none() | st.integers(0, 10)
        axis = st.sampled_from(AXES) | st.none()
        qpv = st.lists(st.sampled_from(QPV), max_size=2, unique=True)
    return Plan(
        who=draw(st.integers(0, 5)),
        with_siret=draw(st.booleans()),
        axis=draw(axis),
        qpv=draw(qpv),
        participants=participants,
        young=draw(count),
        women=draw(count),
        cost=draw(st.integers(2_000, 80_000)),
        share=draw(st.sampled_from([30, 45, 50])),
        target=draw(st.sampled_from(TARGETS)),
        criteria=draw(st.lists(st.sampled_from(CRITERIA), unique=True)),
        deliberated=draw(st.booleans()),
        early=draw(st.booleans()),
        convention=draw(st.booleans()),
        instalments=draw(st.integers(1, 2)),
    )


def _reaches(plan: Plan, trigger: str) -> bool:
    if plan.target == "draft":
        return False
    until = {"reject": "instruct", "withdraw": "approve"}.get(plan.target, plan.target)
    return PATH.index(trigger) <= PATH.index(until)


def play(flow: Backend, campaign: list[Plan]) -> list[str]:
    """Play ``campaign`` on ``flow`` in calendar order; returns what was refused, in order."""
    refused: list[str] = []
    refs: list[str | None] = []
    stuck: set[str] = set()

    def attempt(label: str, act: Any, *args: Any, **kwargs: Any) -> None:
        try:
            act(*args, **kwargs)
        except AmiWorkflowError as error:
            refused.append(f"{label}: {error}")
            stuck.add(label.split()[0])

    at(flow, paris(3, 10, 9))
    for i, plan in enumerate(campaign):
        who: dict[str, Any] = {"siret": valid_siret(applicant(plan.who).siren or "")} if plan.with_siret else {}
        try:
            app = application(
                axis=plan.axis, qpv_codes=tuple(plan.qpv), participants=plan.participants, young=plan.young,
                women=plan.women, qpv_residents=min(80, plan.participants or 0), total_cost=Decimal(plan.cost),
                requested=Decimal(plan.cost * plan.share // 100),
            )
        except InvalidInput as error:
            refused.append(f"{i} application: {error}")
            refs.append(None)
            continue
        refs.append(flow.create_dossier(applicant(plan.who, **who), app).reference)
    walking = [(ref, plan) for ref, plan in zip(refs, campaign, strict=True) if ref is not None]
    for ref, plan in walking:
        if plan.target != "draft":
            attach_all(flow, ref)
    for trigger in PATH[:-1]:
        at(flow, TIMES[trigger])
        if trigger == "hear":
            flow.record_session(session())
        for ref, plan in walking:
            if _reaches(plan, trigger) and ref not in stuck:
                data: dict[str, Any] = {"instruct": {"criteria": plan.criteria}, "hear": {"session": SESSION_ID}}
                attempt(f"{ref} {trigger}", flow.fire, ref, trigger, **data.get(trigger, {}))
    at(flow, paris(6, 15, 18))
    for ref, plan in walking:
        if plan.target == "reject" and ref not in stuck:
            attempt(f"{ref} reject", flow.fire, ref, "reject", motivation="Hors du champ de l'appel.")
    at(flow, paris(7, 1))
    for ref, plan in walking:
        if plan.target == "withdraw" and ref not in stuck:
            attempt(f"{ref} withdraw", flow.fire, ref, "withdraw", reason="L'action est reportée.")
    approved = [ref for ref, plan in walking if flow.get(ref).state == "approved"]
    at(flow, paris(9, 27, 18))
    listed = [ref for ref, plan in walking if ref in approved and (plan.deliberated or plan.target == "pay")]
    if listed:
        attempt("DEL-A", flow.record_deliberation, Deliberation("DEL-A", date(2021, 9, 27), tuple(listed),
                                                                        enforceable_on=date(2021, 9, 27)))
    early = [ref for ref, plan in walking if ref in approved and plan.early]
    if early:  # recorded later, dated earlier: it is the first deliberation of its dossiers
        attempt("DEL-B", flow.record_deliberation, Deliberation("DEL-B", date(2021, 9, 20), tuple(early),
                                                                        enforceable_on=date(2021, 9, 20)))
    at(flow, paris(9, 28))
    for ref, plan in walking:
        if plan.convention and ref in approved:
            attempt(f"{ref} convention", flow.record_convention, Convention(ref, f"CONV-{ref[-4:]}", date(2021, 9, 28)))
    at(flow, TIMES["pay"])
    for ref, plan in walking:
        if plan.target == "pay" and ref not in stuck:
            amount = {"amount": Decimal(plan.cost * plan.share // 200)} if plan.instalments == 2 else {}
            attempt(f"{ref} pay", flow.fire, ref, "pay", **amount)
    at(flow, paris(11, 5))
    for ref, plan in walking:
        if plan.target == "pay" and plan.instalments == 2 and ref not in stuck:
            attempt(f"{ref} pay the balance", flow.fire, ref, "pay")
    return refused


def _scdl(flow: Backend) -> tuple[str, list[str]]:
    """The streamed SCDL CSV (or the reasons it is refused), checked against the list-building export."""
    try:
        rows = scdl_rows(flow)
    except Refused as refused:
        with pytest.raises(Refused) as streamed, scdl_csv(flow):
            pass
        assert streamed.value.reasons == refused.reasons
        return "", list(refused.reasons)
    with scdl_csv(flow) as checked:
        text = checked.read()
    out = io.StringIO(newline="")
    write_scdl_csv(rows, out)
    assert text == out.getvalue()
    return text, []


def assert_same_reads(memory: Backend, sql: Backend) -> None:
    """Every reader answers the same on both backends, and the store's SQL answers what its dossiers say."""
    assert report_dict(campaign_report(sql)) == report_dict(campaign_report(memory))
    assert campaign_report(sql) == campaign_report(memory)
    assert sql.report_figures() == memory.report_figures()
    dossiers = sql.dossiers(campaign_id=sql.campaign.id)
    assert sql.report_figures() == report_figures(dossiers)
    assert list(sql.iter_dossier_rows()) == list(memory.iter_dossier_rows()) == [dossier_row(d) for d in dossiers]
    cid = sql.campaign.id
    assert list(sql.iter_grants()) == list(memory.iter_grants()) == list(
        grant_rows(dossiers, sql.deliberations(cid), sql.conventions(cid))
    )
    streamed = _csv_of(sql)
    assert streamed == _csv_of(memory)
    out = io.StringIO(newline="")
    write_csv(dossier_rows(sql), out)
    assert streamed == out.getvalue()
    assert _scdl(sql) == _scdl(memory)


def _csv_of(flow: Backend) -> str:
    out = io.StringIO(newline="")
    write_dossiers_csv(flow, out)
    return out.getvalue()


@pytest.fixture
def backends() -> Iterator[tuple[Backend, Backend]]:
    memory, sql = new_flow("memory", CAMPAIGN), new_flow("sqlite", CAMPAIGN)
    yield memory, sql
    sql.close()


@settings(max_examples=EXAMPLES)
@given(campaign=st.lists(plans(), min_size=1, max_size=7))
def test_the_sql_reads_equal_the_fold_on_generated_campaigns(campaign: list[Plan]) -> None:
    memory, sql = new_flow("memory", CAMPAIGN), new_flow("sqlite", CAMPAIGN)
    try:
        assert play(sql, campaign) == play(memory, campaign)
        assert_same_reads(memory, sql)
    finally:
        sql.close()


def test_the_played_campaigns_reach_grants_and_refusals(backends: tuple[Backend, Backend]) -> None:
    """One fixed campaign through :func:`play`: it grants, pays in instalments and refuses (the generator's reach)."""
    memory, sql = backends
    base = Plan(1, True, "numerique", ["QP062024"], 100, 60, 50, 20_000, 50, "pay", ["jeunes_ou_femmes"],
                True, False, False, 2)
    campaign = [
        base,
        base._replace(who=2, target="withdraw", qpv=QPV[1:2]),
        base._replace(who=3, target="approve", early=True, convention=True, cost=60_000),
        base._replace(who=3, target="reject", axis="sante", qpv=QPV[:3], young=3, women=90),
        base._replace(who=5, target="submit", axis=None),
        base._replace(who=4, target="draft"),
    ]
    refused = play(sql, campaign)
    assert refused == play(memory, campaign)
    assert_same_reads(memory, sql)
    states = [d.state for d in sql.dossiers()]
    assert states == ["paid", "withdrawn", "approved", "rejected", "draft", "draft"]
    assert [r.split(":")[0] for r in refused] == [f"{sql.dossiers()[4].reference} submit"]
    grants = list(sql.iter_grants())
    assert [(g.deliberation, len(g.payment_days), g.convention_signed is not None) for g in grants] == [
        ("DEL-A", 2, False), ("DEL-B", 0, True),
    ]


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[Backend, Backend]]:
    """The demo played on both backends."""
    start = datetime(2021, 3, 8, 9, tzinfo=PARIS)
    memory = MemoryWorkflow(CAMPAIGN, clock=FixedClock(start), actor="demo")
    sql = Workflow.open(":memory:", CAMPAIGN, clock=FixedClock(start), actor="demo")
    assert run_demo(sql, echo=lambda line: None) == run_demo(memory, echo=lambda line: None)
    yield memory, sql
    sql.close()


def test_the_sql_reads_equal_the_fold_on_the_demo(demo: tuple[Backend, Backend]) -> None:
    memory, sql = demo
    assert_same_reads(memory, sql)
    report = campaign_report(sql)
    assert report.received and report.approved and report.paid and report.instructed


def test_the_agenda_on_a_past_date_folds_the_journal_to_that_date(demo: tuple[Backend, Backend]) -> None:
    memory, sql = demo
    last = sql.last_recorded_at()
    assert last is not None and last == memory.last_recorded_at()
    assert as_recorded(sql, last) is sql and as_recorded(memory, last) is memory
    # In mid-July 2021 the approved dossiers waited for the deliberation of September; they are all paid now (but
    # the one the council refused; in 2022 one is closed and one recovered), so today's states would put none of
    # them on that day's agenda.
    july = paris(7, 15)
    waiting = [i for i in agenda(sql, july) if i.kind is AgendaKind.DELIBERATION_PENDING]
    assert waiting and all(sql.get(i.dossier).state in ("paid", "closed", "recovered", "rejected") for i in waiting)
    assert [sql.get(i.dossier).state for i in waiting].count("rejected") <= 1
    then = as_recorded(sql, july)
    assert {i.dossier for i in waiting} == {d.reference for d in then.dossiers(state="approved")}
    assert all(e.recorded_at is not None and e.recorded_at <= july for e in then.iter_journal())
    assert sql.dossiers(state="approved") == []
    # In late April, drafts since submitted were reminded of the deadline.
    reminded = [i.dossier for i in agenda(sql, paris(4, 27)) if i.kind is AgendaKind.SUBMISSION_REMINDER]
    assert any(sql.get(ref).state != "draft" for ref in reminded)
    for when in (paris(3, 7), paris(4, 27), paris(5, 28), july, paris(10, 1), datetime(2022, 7, 15, tzinfo=PARIS)):
        assert agenda(sql, when) == agenda(memory, when)
    assert agenda(sql, paris(3, 7)) == []  # before the campaign was registered
