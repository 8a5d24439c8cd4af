"""The demo shows the committee's whole act (issue "The committee and the decision"): the scores, a recusal, the
ranking and the council's changes, and its report still adds up."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ami_workflow import FixedClock, MemoryWorkflow, load_campaign
from ami_workflow.calendar import PARIS
from ami_workflow.sample import run_demo


def test_the_demo_scores_recuses_ranks_and_has_the_council_reduce_and_refuse() -> None:
    lines: list[str] = []
    flow = MemoryWorkflow(load_campaign("ami-cohesion-sociale-2021"), clock=FixedClock(datetime(2021, 3, 8, 9,
                                                                                                tzinfo=PARIS)),
                          actor="demo")
    run_demo(flow, echo=lines.append, count=12)
    text = "\n".join(lines)
    assert "M. l'Élu is recused for ami-cohesion-sociale-2021-0001" in text
    assert "the committee scored" in text and "1. ami-cohesion-sociale-2021-" in text
    [conflict] = flow.conflicts()
    assert conflict.status == "confirmed" and conflict.name == "M. l'Élu"
    assert not [s for s in flow.scores() if s.dossier == conflict.dossier and s.member == conflict.member]
    [deliberation] = flow.deliberations()
    assert len(deliberation.amounts) == 1 and len(deliberation.refused) == 1
    assert deliberation.not_taking_part == ("M. l'Élu",) and deliberation.enforceable_on is not None
    [(reduced, amount)] = deliberation.amounts.items()
    assert flow.get(reduced).approved == amount and flow.get(reduced).paid == amount
    assert flow.get(deliberation.refused[0]).state == "rejected"
    assert "the council refuses " + deliberation.refused[0] in text
    totals = flow.totals()
    granted = sum((d.approved or Decimal(0) for d in flow.dossiers() if d.state != "withdrawn"), Decimal(0))
    assert totals.approved == granted == totals.paid <= flow.campaign.envelope.amount  # the report adds up
    assert flow.verify() is None
