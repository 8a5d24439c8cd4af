"""What-if replays (issue "The committee and the decision"): the list decided again, under other rules."""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from ami_workflow import FixedClock, load_campaign
from ami_workflow.calendar import PARIS
from ami_workflow.cli import main
from ami_workflow.errors import InvalidInput
from ami_workflow.sample import run_demo
from ami_workflow.store import Workflow
from ami_workflow.whatif import Changes, whatif


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("whatif") / "ami.db"
    clock = FixedClock(datetime(2021, 3, 8, 9, tzinfo=PARIS))
    with Workflow.open(str(path), load_campaign("ami-cohesion-sociale-2021"), clock=clock, actor="demo") as flow:
        run_demo(flow, echo=lambda line: None, count=12)
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))).hexdigest()


def _open(path: Path) -> Workflow:
    return Workflow.open(str(path), None, clock=FixedClock(datetime(2021, 12, 1, tzinfo=PARIS)), actor="auditor")


def test_rule_with_the_same_rules_a_what_if_gives_the_jury_s_proposals(demo_path: Path) -> None:
    with _open(demo_path) as flow:
        same = whatif(flow)
        deliberation = flow.deliberations()[0]
    assert same.policy == "pro_rata" and all(o.whatif == o.proposed for o in same.outcomes)
    # what differs from what was granted is the council's: the grant it reduced and the proposal it refused
    assert {o.reference for o in same.changed} == set(deliberation.amounts) | set(deliberation.refused)
    assert sum((o.whatif for o in same.outcomes), Decimal(0)) == sum((o.proposed for o in same.outcomes), Decimal(0))


def test_rule_a_what_if_re_decides_under_another_envelope_policy_and_bonus_and_writes_nothing(demo_path: Path) -> None:
    before = _digest(demo_path)
    with _open(demo_path) as flow:
        smaller = whatif(flow, changes=Changes(envelope=Decimal("40000.00")))
        ranked = whatif(flow, changes=Changes(envelope=Decimal("40000.00"), policy="rank"))
        richer = whatif(flow, changes=Changes(bonus_points=Decimal("10")))
        order = [r.reference for r in flow.ranking()]
    assert sum((o.whatif for o in smaller.outcomes), Decimal(0)) == Decimal("40000.00")
    assert smaller.changed and all(o.whatif <= o.ceiling for o in smaller.outcomes)
    by_ref = {o.reference: o for o in ranked.outcomes}
    funded = [ref for ref in order if by_ref[ref].whatif > 0]
    assert funded == order[: len(funded)]  # by rank: the best ranked are the ones funded
    assert all(new.ceiling >= old.ceiling for new, old in zip(richer.outcomes, smaller.outcomes, strict=True))
    assert set(ranked.by_axis) == {o.axis for o in ranked.outcomes}
    assert sum((b for _, b in ranked.by_axis.values()), Decimal(0)) == Decimal("40000.00")
    assert _digest(demo_path) == before  # byte for byte: the database and its -wal are untouched


def test_rule_amounts_set_by_hand_are_kept_and_flagged_where_they_break_a_limit(demo_path: Path) -> None:
    with _open(demo_path) as flow:
        kept = whatif(flow, changes=Changes(policy="committee", envelope=Decimal("10000.00")))
        smaller = whatif(flow, changes=Changes(bonus_points=Decimal("0")))
    assert all(o.hand_set and o.whatif == o.proposed for o in kept.outcomes if o.proposed)  # the committee's own
    assert kept.flags and "more than the envelope" in kept.flags[0]
    assert all(not o.hand_set for o in smaller.outcomes)  # the demo's list was shared pro rata: re-decided


def test_what_if_refuses_what_it_cannot_re_decide(demo_path: Path) -> None:
    with pytest.raises(InvalidInput):
        Changes(policy="lottery")
    with pytest.raises(InvalidInput):
        Changes(bonus_points=Decimal("-1"))
    with pytest.raises(InvalidInput):
        Changes(envelope=1.5)  # type: ignore[arg-type]


def test_the_command_line_answers_in_french_and_in_json(demo_path: Path) -> None:
    import json

    runner = CliRunner()
    out = runner.invoke(main, ["--db", str(demo_path), "whatif", "--envelope", "40000", "--policy", "rank"],
                        env={"AMI_WORKFLOW_LANG": "fr"})
    assert out.exit_code == 0, out.output
    assert "Et si : enveloppe 40\u202f000,00\u00a0€, règle rank" in out.output and "changent d'issue" in out.output
    data = json.loads(runner.invoke(main, ["--db", str(demo_path), "whatif", "--bonus-points", "10", "--json"],
                                    env={"AMI_WORKFLOW_LANG": "en"}).output)
    assert data["policy"] == "pro_rata" and {"reference", "recorded", "whatif", "ceiling"} <= set(data["dossiers"][0])


def test_rule_an_amount_set_by_hand_is_kept_and_flagged_above_its_new_ceiling() -> None:
    from walk import TIMES, applicant, application, at, attach_all, new_flow, session, walk_all

    flow = new_flow("memory")
    ref = flow.create_dossier(applicant(1), application(requested=Decimal("8000.00"))).reference
    attach_all(flow, ref)
    walk_all(flow, [ref], "mark_complete")
    at(flow, TIMES["instruct"])
    flow.fire(ref, "instruct", criteria=["innovante", "participation_habitants"])  # 50 % + 2 bonus: 65 %
    at(flow, TIMES["hear"])
    flow.record_session(session())
    flow.fire(ref, "hear", session=session().id)
    at(flow, TIMES["approve"])
    flow.fire(ref, "approve", amount=Decimal("6500.00"))  # one approval: the amount is the jury's own
    [outcome] = whatif(flow, changes=Changes(bonus_points=Decimal("0"))).outcomes
    assert outcome.hand_set and outcome.whatif == Decimal("6500.00") and outcome.ceiling == Decimal("5000.00")
    assert outcome.flags == ("set by hand at €6,500.00, above its ceiling under these rules (€5,000.00)",)
