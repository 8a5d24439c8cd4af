"""A granted dossier after the decision: when its compte rendu financier is due, what may be paid now, what the
grant comes to on the compte rendu, and what comes back.

These read a dossier, its campaign, its compte rendu and its convention; the
guards, ``decide`` and both backends call them, so that each rule is written once.

    >>> from datetime import date
    >>> from ami_workflow.callfile import load_campaign
    >>> campaign = load_campaign("ami-cohesion-sociale-2021")
    >>> report_due(campaign, action_end=date(2021, 12, 31))
    datetime.date(2022, 6, 30)
    >>> report_due(campaign, action_end=date(2022, 6, 30))  # ends by the day the report is due
    datetime.date(2022, 6, 30)
    >>> report_due(campaign, action_end=date(2022, 8, 31))  # runs past it
    datetime.date(2023, 2, 28)
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from .calendar import add_months, financial_report_due
from .campaign import Campaign
from .decisions import Convention, FinancialReport, FinancialReportStatus
from .dossier import Dossier
from .money import ZERO
from .schedule import due_now, settled_due, to_recover

__all__ = ["dossier_settled", "payable", "recoverable", "report_due", "report_due_for", "report_status"]


def report_due(campaign: Campaign, action_end: date | None = None, convention: Convention | None = None) -> date:
    """The day the compte rendu financier is due: the convention's day if it sets one; else ``months`` after the
    end of the financial year of the grant (loi 2000-321, art. 10), or ``months`` after the action's end for an
    action running past that day (the library's reading)."""
    set_by_convention = convention.current().report_due if convention is not None else None  # avenants applied
    if isinstance(set_by_convention, date):
        return set_by_convention
    months = campaign.funding.financial_report_months
    due = financial_report_due(campaign.envelope.year, months)
    if action_end is not None and action_end > due:
        return add_months(action_end, months)
    return due


def report_due_for(campaign: Campaign, dossier: Dossier, convention: Convention | None = None) -> date:
    """:func:`report_due` for a dossier, its action ending on its period's last day."""
    period = dossier.application.period
    return report_due(campaign, period.end if period is not None else None, convention)


def dossier_settled(campaign: Campaign, dossier: Dossier, report: FinancialReport | None) -> Decimal | None:
    """What the grant comes to once the compte rendu is accepted (``None`` before): nothing for an action not
    carried out, else the call's settlement rule on the realised total against the forecast (the total cost)."""
    grant = dossier.approved or ZERO
    if report is None or not report.accepted:
        return None
    if not report.carried_out:
        return ZERO
    realised = report.realised.total if report.realised is not None else None
    return settled_due(campaign.funding.settlement, grant, dossier.application.total_cost, realised)


def payable(campaign: Campaign, dossier: Dossier, report: FinancialReport | None) -> Decimal:
    """What may be paid now under the schedule: what is due by the open stages, less what was paid (never < 0)."""
    grant = dossier.approved or ZERO
    due = due_now(grant, campaign.funding.payment_schedule, dossier_settled(campaign, dossier, report))
    return max(ZERO, due - dossier.paid)


def recoverable(campaign: Campaign, dossier: Dossier, report: FinancialReport | None, grounds: str) -> tuple[
        Decimal, Decimal]:
    """The grant's new amount and the amount to recover, for a recovery on ``grounds``: nothing is due for an action
    not carried out or withdrawn; under-spent, the settled amount of the accepted compte rendu."""
    if grounds in ("not_carried_out", "withdrawn"):
        due = ZERO
    else:
        settled = dossier_settled(campaign, dossier, report)
        due = settled if settled is not None else dossier.approved or ZERO
    return due, to_recover(dossier.paid, due)


def report_status(campaign: Campaign, dossier: Dossier, report: FinancialReport | None,
                  convention: Convention | None = None) -> FinancialReportStatus:
    """Where the dossier's compte rendu financier stands: its due day, and what came of it."""
    due = report_due_for(campaign, dossier, convention)
    if report is None:
        return FinancialReportStatus(dossier.reference, due, None)
    return FinancialReportStatus(dossier.reference, due, report.received_on, report.status, report.answer_by)
