"""The agenda: what needs doing on the campaign's dossiers, and by when, seen from a given instant.

:func:`agenda` reads the store and the calendar in force (amendments
included) and returns :class:`AgendaItem` records sorted by due date. The
instant ``at`` is always passed in (Europe/Paris); no clock is read::

    >>> from datetime import datetime
    >>> from ami_workflow import Applicant, FixedClock, load_campaign
    >>> from ami_workflow.calendar import PARIS
    >>> from ami_workflow.store import Workflow
    >>> clock = FixedClock(datetime(2021, 3, 9, 10, tzinfo=PARIS))
    >>> flow = Workflow.open(":memory:", load_campaign("ami-cohesion-sociale-2021"), clock=clock, actor="accueil")
    >>> _ = flow.create_dossier(Applicant("Asso", "association", rna="W621000123"))
    >>> agenda(flow, datetime(2021, 4, 10, 9))  # 20 days before the deadline: too early to remind
    []
    >>> [item] = agenda(flow, datetime(2021, 4, 27, 9))
    >>> item.kind, item.due, item.late
    (<AgendaKind.SUBMISSION_REMINDER: 'submission_reminder'>, datetime.date(2021, 4, 30), False)
    >>> print(item.message)
    Asso: the draft is not submitted yet; the submission deadline is 30 April 2021 at midnight, Paris time (in 3 days).

The kinds of item:

* ``submission_reminder``: a draft not yet submitted, from
  ``campaign.reminder_days_before_deadline`` days before the deadline; due on
  the deadline, late once it has passed.
* ``missing_pieces``: a submitted dossier still incomplete, from
  :data:`INCOMPLETE_NOTICE_DAYS` days before the end of the instruction; due
  on that day, late after it. The message lists what is missing.
* ``deliberation_pending``: an approved dossier that no deliberation grants
  yet; due on the last day of the deliberation window, late after it.
* ``convention_missing``: a granted dossier (listed in a deliberation) with no
  convention recorded while a convention is needed (the applicant's grants in
  the campaign add up to more than ``funding.convention_threshold``, the rule
  the payment guard applies); due on the deliberation's day, late after it.
* ``financial_report``: a granted dossier whose compte rendu financier has
  not arrived, once the year of the grant is over; due
  ``funding.financial_report_months`` months after the end of that year
  (2022-06-30 for a 2021 grant), or after the action's end when it runs past
  that day, or on the convention's day; late after it.
* ``report_questions``: a compte rendu financier under the instructor's
  questions; due on the day to answer by, late after it.
* ``payment_due``: a granted dossier with an amount the payment schedule
  makes due now (the deliberation enforceable; the convention, where one is
  needed, signed); due today, never late.
* ``recovery_open``: a recovery under way: the applicant's observations
  awaited until their day, then the titre de recette to issue, then the money
  to come back; due on the observations' day, never late.
* ``convention_publication``: a convention whose amount (its content in force,
  else the grant) is above ``funding.convention_threshold``: its essential data
  are published within three months of its signature (décret n° 2017-779 du
  5 mai 2017, art. 1); due on that day, late after it. The library does not
  record the publication itself, so the item stays on the agenda.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import takewhile

import attrs

from .calendar import PARIS, paris_date, to_paris
from .campaign import Campaign
from .conventions import publication_deadline
from .dossier import Dossier
from .i18n import _, format_day, format_money, ngettext
from .memory import MemoryWorkflow
from .money import ZERO
from .pieces import missing_pieces
from .protocol import Backend
from .settlement import payable
from .states import State

__all__ = ["AgendaItem", "AgendaKind", "INCOMPLETE_NOTICE_DAYS", "agenda", "as_recorded"]

#: How many days before the end of the instruction an incomplete dossier shows on the agenda.
INCOMPLETE_NOTICE_DAYS = 7


class AgendaKind(enum.StrEnum):
    """What an agenda item is about."""

    SUBMISSION_REMINDER = "submission_reminder"
    MISSING_PIECES = "missing_pieces"
    DELIBERATION_PENDING = "deliberation_pending"
    CONVENTION_MISSING = "convention_missing"
    FINANCIAL_REPORT = "financial_report"
    REPORT_QUESTIONS = "report_questions"
    PAYMENT_DUE = "payment_due"
    RECOVERY_OPEN = "recovery_open"
    CONVENTION_PUBLICATION = "convention_publication"


_ORDER = {kind: index for index, kind in enumerate(AgendaKind)}


@attrs.frozen
class AgendaItem:
    """One thing to do: its kind, the dossier (``None`` for the campaign), when it is due, and whether it is late."""

    kind: AgendaKind = attrs.field(converter=AgendaKind)
    dossier: str | None
    """The dossier's reference; ``None`` for an item about the whole campaign."""
    due: date
    late: bool
    message: str


def _relative(due: date, today: date) -> str:
    days = (due - today).days
    if days == 0:
        return _("today")
    if days == 1:
        return _("tomorrow")
    if days == -1:
        return _("yesterday")
    if days > 0:
        return ngettext("in {days} day", "in {days} days", days).format(days=days)
    return ngettext("{days} day ago", "{days} days ago", -days).format(days=-days)


def as_recorded(flow: Backend, at: datetime) -> Backend:
    """``flow`` as its journal stood at ``at``: ``flow`` itself unless events were recorded after ``at``.

    Otherwise, an in-memory store (:meth:`~ami_workflow.memory.MemoryWorkflow.replay`)
    holding the events recorded up to ``at``, folded: the dossiers in the states
    they had then, with the deliberations, conventions and amendments known then.
    """
    at = to_paris(at)
    last = flow.last_recorded_at()
    if last is None or last <= at:
        return flow
    known = takewhile(lambda event: event.recorded_at is None or event.recorded_at <= at, flow.iter_journal())
    return MemoryWorkflow.replay(known, flow.campaign, actor=flow.actor)


def agenda(flow: Backend, at: datetime, campaign_id: str | None = None) -> list[AgendaItem]:
    """What needs doing in the campaign on the Paris day of ``at``, sorted by due date (then kind and dossier).

    The dossiers are judged as the journal recorded them at ``at`` (see
    :func:`as_recorded`): on a past date, the states and decisions of that
    date, not today's. Nothing is due before the campaign was registered.
    """
    today = paris_date(at)
    campaign = flow.get_campaign(campaign_id or flow.campaign.id)
    flow = as_recorded(flow, at)
    if campaign.id not in flow.campaign_ids():
        return []
    campaign = flow.get_campaign(campaign.id)
    items = (
        _submission_reminders(flow, campaign, today)
        + _missing_pieces(flow, campaign, today)
        + _approved_items(flow, campaign, today)
        + _financial_reports(flow, campaign, today)
        + _payments_due(flow, campaign, today)
        + _recoveries(flow, campaign, today)
        + _publications(flow, campaign, today)
    )
    return sorted(items, key=lambda item: (item.due, _ORDER[item.kind], item.dossier or ""))


def _financial_reports(flow: Backend, campaign: Campaign, today: date) -> list[AgendaItem]:
    """Comptes rendus financiers not received, once the year of the grant is over."""
    if today.year <= campaign.envelope.year:
        return []
    items = []
    for status in flow.financial_reports(campaign.id):
        if status.status == "questions" and status.answer_by is not None:
            message = _("the instructor's questions on the compte rendu financier are to be answered by {day} "
                        "({when})").format(day=format_day(status.answer_by), when=_relative(status.answer_by, today))
            items.append(AgendaItem(AgendaKind.REPORT_QUESTIONS, status.dossier, status.answer_by,
                                    status.late(today), message))
        if status.received_on is not None:
            continue
        message = _("the compte rendu financier of the {year} grant is due on {due} ({when})").format(
            year=campaign.envelope.year, due=format_day(status.due), when=_relative(status.due, today))
        items.append(AgendaItem(AgendaKind.FINANCIAL_REPORT, status.dossier, status.due, status.late(today), message))
    return items


def _publications(flow: Backend, campaign: Campaign, today: date) -> list[AgendaItem]:
    """The publication deadline of each convention above the threshold (décret n° 2017-779, art. 1)."""
    threshold = campaign.funding.convention_threshold
    items = []
    for reference, convention in flow.conventions(campaign.id).items():
        dossier = flow.get(reference)
        current = convention.current()
        amount = current.amount if current.amount is not None else dossier.approved or ZERO
        if dossier.state == State.WITHDRAWN or amount <= threshold:
            continue
        due = publication_deadline(convention)
        message = _("{name}: the essential data of the convention {convention} (signed on {day}, {amount}) are to "
                    "be published by {due} ({when}; décret n° 2017-779, art. 1).").format(
            name=dossier.applicant.name, convention=convention.reference, day=format_day(convention.signed_on),
            amount=format_money(amount), due=format_day(due), when=_relative(due, today))
        items.append(AgendaItem(AgendaKind.CONVENTION_PUBLICATION, reference, due, today > due, message))
    return items


def _payments_due(flow: Backend, campaign: Campaign, today: date) -> list[AgendaItem]:
    """Granted dossiers with an amount due now by the schedule, that the payment's guards would let through."""
    approved = flow.dossiers(campaign_id=campaign.id, state=State.APPROVED)
    if not approved:
        return []
    received = {s.dossier for s in flow.financial_reports(campaign.id) if s.received_on is not None}
    at = min(_noon(today), flow.clock.now())
    items = []
    for dossier in approved:
        report = flow.financial_report(dossier.reference) if dossier.reference in received else None
        amount = payable(campaign, dossier, report)
        if amount <= 0 or flow.check(dossier.reference, "pay", at=at):
            continue  # nothing due, or not payable yet: the deliberation, the convention or the schedule says why
        message = _("{name}: {amount} can be paid now (granted {granted}, paid {paid})").format(
            name=dossier.applicant.name, amount=format_money(amount), granted=format_money(dossier.approved or ZERO),
            paid=format_money(dossier.paid))
        items.append(AgendaItem(AgendaKind.PAYMENT_DUE, dossier.reference, today, False, message))
    return items


def _recoveries(flow: Backend, campaign: Campaign, today: date) -> list[AgendaItem]:
    items = []
    for dossier in flow.dossiers(campaign_id=campaign.id, state=State.RECOVERY):
        recovery = dossier.recovery
        if recovery is None:
            continue
        if recovery.decided_at is None:
            message = _("{name}: recovery of {amount}; observations until {day} ({when}), then the motivated "
                        "decision and its titre de recette").format(
                name=dossier.applicant.name, amount=format_money(recovery.amount),
                day=format_day(recovery.observations_by), when=_relative(recovery.observations_by, today))
        else:
            message = _("{name}: titre de recette {title} of {amount} issued on {day}; the money is awaited").format(
                name=dossier.applicant.name, title=recovery.title, amount=format_money(recovery.amount),
                day=format_day(paris_date(recovery.decided_at)))
        items.append(AgendaItem(AgendaKind.RECOVERY_OPEN, dossier.reference, recovery.observations_by, False, message))
    return items


def _noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=PARIS)


def _submission_reminders(flow: Backend, campaign: Campaign, today: date) -> list[AgendaItem]:
    deadline = flow.calendar(campaign.id).deadline
    if today < deadline - timedelta(days=campaign.reminder_days_before_deadline):
        return []
    late = today > deadline
    when = _relative(deadline, today)
    items = []
    for dossier in flow.dossiers(campaign_id=campaign.id, state=State.DRAFT):
        if late:
            template = _("{name}: the draft was never submitted; the submission deadline was {deadline} ({when}), "
                         "so it can no longer be submitted.")
        else:
            template = _("{name}: the draft is not submitted yet; the submission deadline is {deadline} at midnight, "
                         "Paris time ({when}).")
        message = template.format(name=dossier.applicant.name, deadline=format_day(deadline), when=when)
        items.append(AgendaItem(AgendaKind.SUBMISSION_REMINDER, dossier.reference, deadline, late, message))
    return items


def _missing_pieces(flow: Backend, campaign: Campaign, today: date) -> list[AgendaItem]:
    end = flow.calendar(campaign.id).instruction.end
    if today < end - timedelta(days=INCOMPLETE_NOTICE_DAYS):
        return []
    late = today > end
    if late:
        template = _("{name}: the dossier is still incomplete and the instruction ended on {end} ({when}); {what}.")
    else:
        template = _("{name}: the dossier is still incomplete and the instruction ends on {end} ({when}); {what}.")
    items = []
    for dossier in flow.dossiers(campaign_id=campaign.id, state=State.SUBMITTED):
        missing = missing_pieces(campaign.pieces, dossier.applicant.kind, dossier.pieces, dossier.originals)
        what = "; ".join(missing) if missing else _("every piece is in: it can be marked complete (`mark_complete`)")
        message = template.format(name=dossier.applicant.name, end=format_day(end), when=_relative(end, today),
                                  what=what)
        items.append(AgendaItem(AgendaKind.MISSING_PIECES, dossier.reference, end, late, message))
    return items


def _approved_items(flow: Backend, campaign: Campaign, today: date) -> list[AgendaItem]:
    approved = flow.dossiers(campaign_id=campaign.id, state=State.APPROVED)
    if not approved:
        return []
    window_end = flow.calendar(campaign.id).deliberation.end
    granted_by: dict[str, tuple[str, date]] = {}
    for deliberation in flow.deliberations(campaign.id):
        for reference in deliberation.dossiers:
            known = granted_by.get(reference)
            if known is None or deliberation.day < known[1]:
                granted_by[reference] = (deliberation.reference, deliberation.day)
    conventions = flow.conventions(campaign.id)
    by_applicant = _granted_by_applicant(approved + flow.dossiers(campaign_id=campaign.id, state=State.PAID))
    threshold = campaign.funding.convention_threshold
    items = []
    for dossier in approved:
        amount = format_money(dossier.approved or ZERO)
        name = dossier.applicant.name
        grant = granted_by.get(dossier.reference)
        if grant is None:
            late = today > window_end
            if late:
                template = _("{name}: approved for {amount}, but no deliberation grants it yet; the deliberation "
                             "window ended on {end} ({when}).")
            else:
                template = _("{name}: approved for {amount}, but no deliberation grants it yet; the deliberation "
                             "window ends on {end} ({when}).")
            message = template.format(name=name, amount=amount, end=format_day(window_end),
                                      when=_relative(window_end, today))
            items.append(AgendaItem(AgendaKind.DELIBERATION_PENDING, dossier.reference, window_end, late, message))
            continue
        year_total = by_applicant.get(dossier.applicant.identity, ZERO)
        if year_total <= threshold or dossier.reference in conventions:
            continue
        granting, day = grant
        total = ""
        if year_total != dossier.approved:
            total = _(" (the applicant's grants in the campaign come to {total})").format(
                total=format_money(year_total))
        message = _("{name}: granted {amount} by the deliberation {deliberation} of {day}{total}; above "
                    "{threshold}, a signed convention must be recorded before the first payment (due {when}).").format(
            name=name, amount=amount, deliberation=granting, day=format_day(day), total=total,
            threshold=format_money(threshold), when=_relative(day, today))
        items.append(AgendaItem(AgendaKind.CONVENTION_MISSING, dossier.reference, day, today > day, message))
    return items


def _granted_by_applicant(dossiers: list[Dossier]) -> Mapping[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for dossier in dossiers:
        identity = dossier.applicant.identity
        totals[identity] = totals.get(identity, ZERO) + (dossier.approved or ZERO)
    return totals
