"""The guards of a grant's life after the decision: payments, the compte rendu financier, closing and recovery.

Each is a pure function of a :class:`~ami_workflow.guard_input.GuardInput`
returning its reasons in plain words, registered by name in
:data:`ami_workflow.guards.GUARDS`.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from stdnum import iban as _iban

from .calendar import paris_date
from .guard_input import GuardInput
from .guard_input import day_words as _day
from .i18n import _, format_day, format_money
from .money import ZERO
from .schedule import OPENINGS, next_stage
from .settlement import dossier_settled, payable, recoverable
from .shown import shown
from .triggers import OrderRecoveryArgs, PayArgs, StartRecoveryArgs

__all__ = [
    "bank_account",
    "convention",
    "deliberation",
    "financial_reports",
    "not_paid_yet",
    "payment_amount",
    "payment_schedule",
    "recovery_decision",
    "recovery_grounds",
    "recovery_title",
    "settled",
]


def not_paid_yet(g: GuardInput) -> list[str]:
    """No payment has been made yet: after the first one the dossier can no longer be withdrawn.
    Not in the call: a library rule.
    """
    if g.dossier.payments:
        return [_("a first payment was made on {day}: the dossier can no longer be withdrawn; a withdrawal after a "
                  "payment goes through a recovery (start_recovery, grounds withdrawn)").format(
            day=_day(g.dossier.payments[0].at))]
    return []


def deliberation(g: GuardInput) -> list[str]:
    """A recorded deliberation grants the dossier, and the payment is not before the day it became enforceable.
    Enforceable: transmitted to the prefecture and published (CGCT L2131-1, by L5211-3).
    Call: « Septembre 2021 · Délibération pour versement des subventions »; with several
    deliberations, the earliest enforceable one that lists the dossier counts.
    """
    granting = [d for d in g.context.deliberations if g.dossier.reference in d.dossiers]
    if not granting:
        return [_("no deliberation grants this dossier yet")]
    ready = [d for d in granting if d.enforceable_on is not None]
    if not ready:
        first = min(granting, key=lambda d: d.day)
        return [_("the deliberation {reference} is not enforceable yet: payment waits for its transmission to the "
                  "prefecture and its publication (CGCT L2131-1); record the day it became enforceable").format(
                      reference=first.reference)]
    earliest = min(ready, key=lambda d: (d.enforceable_on or d.day, d.day))
    day = earliest.enforceable_on or earliest.day
    if paris_date(g.at) < day:
        return [_("payment is possible from {day}, when the deliberation {reference} became enforceable; it is "
                  "{today}").format(day=format_day(day), reference=earliest.reference, today=_day(g.at))]
    return []


def bank_account(g: GuardInput) -> list[str]:
    """A valid IBAN is recorded for the applicant.
    Call: the « Relevé d'Identité Bancaire » among the pieces; the IBAN is checked with
    python-stdnum.
    """
    iban = g.dossier.applicant.iban
    if not iban:
        return [_("no IBAN is recorded for the applicant")]
    if not _iban.is_valid(iban):
        return [_("the IBAN {iban!r} is not valid").format(iban=shown(iban))]
    return []


def convention(g: GuardInput) -> list[str]:
    """Above 23 000 € granted in the year, a convention signed by the payment date is recorded.
    Law: loi n° 2000-321 du 12 avril 2000, art. 10, and décret n° 2001-495 du 6 juin 2001, art. 1
    (the threshold is the call file's ``funding.convention_threshold``; every grant of the same funder
    to the same beneficiary for the same budget year counts, whatever the call).
    """
    granted = g.dossier.approved or ZERO
    threshold = g.campaign.funding.convention_threshold
    year_total = g.context.funder_granted + granted
    if year_total <= threshold:
        return []
    conv = g.context.conventions.get(g.dossier.reference)
    if conv is None:
        return [_("the grant ({total} this year) is above {threshold}: a signed convention must be recorded before "
                  "the first payment").format(total=format_money(year_total), threshold=format_money(threshold))]
    if conv.signed_on > paris_date(g.at):
        return [_("the convention {reference} is signed on {day}, after the payment date").format(
            reference=conv.reference, day=format_day(conv.signed_on))]
    return []


def _payment_amount(g: GuardInput) -> Decimal:
    assert isinstance(g.args, PayArgs)
    if g.args.amount is not None:
        return g.args.amount
    return payable(g.campaign, g.dossier, g.context.financial_report)


def payment_amount(g: GuardInput) -> list[str]:
    """The payment is above 0, and the payments made stay within the grant.
    Without an amount, what the schedule makes due now is paid; instalments are allowed.
    """
    amount = _payment_amount(g)
    granted = g.dossier.approved or ZERO
    if amount <= 0:
        return [_("a payment must be above 0")]
    if g.dossier.paid + amount > granted:
        return [_("paying {amount} would exceed the grant: {granted} granted, {paid} already paid").format(
            amount=format_money(amount), granted=format_money(granted), paid=format_money(g.dossier.paid))]
    return []


def financial_reports(g: GuardInput) -> list[str]:
    """The applicant owes no overdue compte rendu financier for an earlier grant.
    Law: loi n° 2000-321 du 12 avril 2000, art. 10: the report is due within six months of the end
    of the year of the grant (the call file's ``funding.financial_report_months``).
    """
    return [_("the applicant owes an overdue compte rendu financier: {report}").format(report=item)
            for item in g.context.overdue_reports]


def payment_schedule(g: GuardInput) -> list[str]:
    """The payment stays within what the call's payment schedule makes due at this stage.
    Call file: ``[[funding.payment_schedule]]`` (for example 80 % once the grant is enforceable, then 20 % once
    the compte rendu financier is accepted); without one, the whole grant once it is enforceable.
    """
    amount = _payment_amount(g)
    now = payable(g.campaign, g.dossier, g.context.financial_report)
    stage = next_stage(g.campaign.funding.payment_schedule, dossier_settled(g.campaign, g.dossier,
                                                                             g.context.financial_report))
    if amount <= now and (now > 0 or stage is None):
        return []
    due = now + g.dossier.paid
    if stage is not None and now <= 0:
        return [_("nothing more is due now ({due} due, {paid} paid): the stage « {stage} » ({share} %) is paid "
                  "{opening}").format(due=format_money(due), paid=format_money(g.dossier.paid), stage=stage.stage,
                                      share=f"{stage.share.normalize():f}", opening=_(OPENINGS[stage.after]))]
    if stage is not None:
        return [_("paying {amount} is above what the schedule makes due now ({due} due, {paid} paid): the stage "
                  "« {stage} » ({share} %) is paid {opening}").format(
                      amount=format_money(amount), due=format_money(due), paid=format_money(g.dossier.paid),
                      stage=stage.stage, share=f"{stage.share.normalize():f}", opening=_(OPENINGS[stage.after]))]
    return [_("paying {amount} is above what is due: {due} on the accepted compte rendu financier, {paid} paid").format(
        amount=format_money(amount), due=format_money(due), paid=format_money(g.dossier.paid))]


def settled(g: GuardInput) -> list[str]:
    """The compte rendu financier is accepted and everything due is paid, no more.
    Closing (soldé). Law: loi n° 2000-321, art. 10 (the compte rendu financier); the grant comes to the settled amount.
    """
    report = g.context.financial_report
    if report is None or not report.accepted:
        return [_("the compte rendu financier is not accepted yet: the grant cannot be closed")]
    due = dossier_settled(g.campaign, g.dossier, report)
    assert due is not None
    if g.dossier.paid < due:
        return [_("{left} is still due on the accepted compte rendu financier ({due} due, {paid} paid)").format(
            left=format_money(due - g.dossier.paid), due=format_money(due), paid=format_money(g.dossier.paid))]
    if g.dossier.paid > due:
        return [_("{over} was paid above the {due} due on the compte rendu financier: start a recovery").format(
            over=format_money(g.dossier.paid - due), due=format_money(due))]
    return []


def recovery_grounds(g: GuardInput) -> list[str]:
    """A recovery has its grounds and something to recover, and gives time for observations.
    Law: CRPA L242-2 (a grant withdrawn when its conditions are not met), L121-1 and L122-1 (the person is first
    invited to submit observations); the amount is the call file's ``funding.settlement`` rule.
    """
    assert isinstance(g.args, StartRecoveryArgs)
    reasons = []
    report = g.context.financial_report
    if g.dossier.paid <= 0:
        reasons.append(_("nothing was paid: there is nothing to recover (a grant not paid yet is withdrawn)"))
    if g.args.grounds == "under_spent" and (report is None or not report.accepted):
        reasons.append(_("an under-spending is found on the accepted compte rendu financier: accept it first"))
    elif g.args.grounds == "not_carried_out" and report is not None and report.carried_out:
        reasons.append(_("the compte rendu financier says the action was carried out"))
    elif g.dossier.paid > 0:
        due, amount = recoverable(g.campaign, g.dossier, report, g.args.grounds)
        if amount <= 0:
            reasons.append(_("nothing to recover: {due} is due and {paid} was paid; pay the balance and close the "
                             "grant").format(due=format_money(due), paid=format_money(g.dossier.paid)))
    days = g.campaign.funding.settlement.observation_days
    today = paris_date(g.at)
    if (g.args.observations_by - today).days < days:
        reasons.append(_("the applicant is given at least {days} days to submit its observations (until {day} at the "
                         "earliest), not until {given}").format(
                             days=days, day=format_day(_date_after(today, days)),
                             given=format_day(g.args.observations_by)))
    return reasons


def recovery_decision(g: GuardInput) -> list[str]:
    """The recovery is ordered after the time for observations, with its motivation and its titre de recette.
    Law: CRPA L122-1 and L211-2 (a motivated decision), CGCT L1617-5 (the titre de recette and its recourse).
    """
    assert isinstance(g.args, OrderRecoveryArgs)
    recovery = g.dossier.recovery
    reasons = []
    if recovery is None:
        return [_("no recovery is open")]
    if recovery.decided_at is not None:
        reasons.append(_("the recovery is already ordered (titre de recette {title})").format(title=recovery.title))
    if paris_date(g.at) <= recovery.observations_by and not g.args.observations:
        reasons.append(_("the applicant may submit its observations until {day}: decide after, or record the "
                         "observations received").format(day=format_day(recovery.observations_by)))
    if not g.args.motivation.strip():
        reasons.append(_("a recovery decision states its grounds in writing (CRPA L211-2): give its motivation"))
    if not g.args.title:
        reasons.append(_("give the reference of the titre de recette"))
    return reasons


def recovery_title(g: GuardInput) -> list[str]:
    """The money comes back once the recovery is ordered by its titre de recette.
    Law: CGCT L1617-5.
    """
    recovery = g.dossier.recovery
    if recovery is None or recovery.decided_at is None:
        return [_("the recovery is not ordered yet: issue its titre de recette first")]
    return []


def _date_after(day: date, days: int) -> date:
    return day + timedelta(days=days)
