"""The campaign report: where the dossiers stand, where the envelope stands, and who the projects reach.

Everything is read from the store's public read API; nothing is written and
no clock is read. Amounts are exact ``Decimal`` euros and percentages are
``Decimal`` rounded half up to 0.01::

    >>> from datetime import datetime
    >>> from ami_workflow import Applicant, FixedClock, load_campaign
    >>> from ami_workflow.calendar import PARIS
    >>> from ami_workflow.store import Workflow
    >>> clock = FixedClock(datetime(2021, 3, 9, 10, tzinfo=PARIS))
    >>> flow = Workflow.open(":memory:", load_campaign("ami-cohesion-sociale-2021"), clock=clock, actor="accueil")
    >>> _ = flow.create_dossier(Applicant("Asso", "association", rna="W621000123"))
    >>> report = campaign_report(flow)
    >>> report.dossiers, report.by_state["draft"], report.by_state["paid"], report.remaining
    (1, 1, 0, Decimal('150000.00'))
    >>> report.problems()
    []
    >>> report_lines(report)[4]
    'Envelope         €150,000.00'

The rules the figures follow:

* **Dossiers received** are those that were submitted, whatever they became
  since (complete, instructed, heard, approved, paid, rejected or withdrawn);
  drafts are not applications yet. Axis, QPV and public figures count the
  dossiers received.
* **Approved** and **paid** amounts leave out withdrawn dossiers, like
  :meth:`ami_workflow.store.Workflow.totals`.
* **By QPV**: a dossier that targets several QPV counts in each of them, with
  its full approved amount. QPV totals therefore overlap: they do not add up
  to the approved total nor to the envelope.
* **Bonus criteria** count the dossiers holding an instruction (instructed or
  beyond; a dossier sent back for pieces loses its instruction).
* **Youth** (or **women**): a project counts for young people (or for women)
  when they are at least half of its declared participants.
* **Funding rate weighted by cost**: the approved total divided by the total
  cost of the approved actions, in percent.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import attrs

from .core.figures import AxisFigures, QpvFigures
from .i18n import N_, _, format_decimal, format_money, ngettext
from .money import CENT, ZERO
from .protocol import Backend
from .states import state_words

__all__ = [
    "AxisLine",
    "CampaignReport",
    "CriterionLine",
    "QpvLine",
    "Share",
    "YOUTH_OR_WOMEN_CRITERION",
    "campaign_report",
    "format_percent",
    "percentage",
    "report_dict",
    "report_lines",
]

#: The 2021 call's bonus criterion "s'adresse à un public de jeunes ou de femmes".
YOUTH_OR_WOMEN_CRITERION = "jeunes_ou_femmes"


def percentage(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """``part`` as a percentage of ``whole``, rounded half up to 0.01; ``None`` when ``whole`` is 0.

    >>> percentage(1, 3), percentage(Decimal("43000.00"), Decimal("90000.00")), percentage(0, 0)
    (Decimal('33.33'), Decimal('47.78'), None)
    """
    if whole == 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(CENT, rounding=ROUND_HALF_UP)


def _share_percent(share: Share) -> Decimal | None:
    return percentage(share.count, share.out_of)


@attrs.frozen
class Share:
    """``count`` dossiers out of ``out_of``, and that share in percent (``None`` when ``out_of`` is 0)."""

    count: int
    out_of: int
    percent: Decimal | None = attrs.field(
        init=False, default=attrs.Factory(_share_percent, takes_self=True)
    )


@attrs.frozen
class AxisLine:
    """One axis of the call: the dossiers received on it, what they request, and the approved and paid totals."""

    key: str
    number: int
    label: str
    count: int
    requested: Decimal
    approved: Decimal
    paid: Decimal


@attrs.frozen
class QpvLine:
    """One QPV of the call: the dossiers received that target it, and their full approved amounts (overlapping)."""

    code: str
    name: str
    count: int
    approved: Decimal


@attrs.frozen
class CriterionLine:
    """One bonus criterion of the call, and how many instructed dossiers had it confirmed."""

    key: str
    label: str
    confirmed: int


@attrs.frozen
class CampaignReport:
    """The campaign's figures at the time it was read (see the module's rules)."""

    campaign_id: str
    title: str
    funder: str
    dossiers: int
    """Every dossier of the campaign, drafts included."""
    by_state: Mapping[str, int]
    """The number of dossiers in each state of the machine, zeros included; it adds up to ``dossiers``."""
    envelope: Decimal
    approved: Decimal
    paid: Decimal
    remaining: Decimal
    """What is left to approve: the envelope less the approved total."""
    received: int
    """The dossiers that were submitted (whatever they became since)."""
    by_axis: tuple[AxisLine, ...]
    by_qpv: tuple[QpvLine, ...]
    """Every QPV of the call, in the call's order; the lines overlap (see the module's rules)."""
    instructed: int
    """The dossiers holding an instruction: those the criteria counts are out of."""
    criteria: tuple[CriterionLine, ...]
    youth: Share
    """Received dossiers whose young participants are at least half of the participants."""
    women: Share
    """Received dossiers whose women participants are at least half of the participants."""
    youth_or_women_bonus: Share | None
    """Received dossiers with the criterion ``jeunes_ou_femmes`` confirmed (``None`` if the call has no such one)."""
    approved_cost: Decimal
    """The total cost of the approved actions (withdrawn ones left out)."""
    funding_rate: Decimal | None
    """``approved / approved_cost`` in percent, rounded to 0.01; ``None`` when nothing is approved."""

    @property
    def to_pay(self) -> Decimal:
        """Approved but not paid yet."""
        return self.approved - self.paid

    def problems(self) -> list[str]:
        """Every inconsistency between the figures, in plain words; empty when the report holds together."""
        problems = []
        if sum(self.by_state.values()) != self.dossiers:
            problems.append(_("the counts by state add up to {total}, not {dossiers} dossiers").format(
                total=sum(self.by_state.values()), dossiers=self.dossiers))
        if self.approved > self.envelope:
            problems.append(_("the approved total {approved} exceeds the envelope {envelope}").format(
                approved=format_money(self.approved), envelope=format_money(self.envelope)))
        if self.paid > self.approved:
            problems.append(_("the paid total {paid} exceeds the approved total {approved}").format(
                paid=format_money(self.paid), approved=format_money(self.approved)))
        if self.remaining != self.envelope - self.approved:
            problems.append(_("the remaining amount is not the envelope less the approved total"))
        for name, total in (("approved", self.approved), ("paid", self.paid)):
            by_axis = sum((getattr(line, name) for line in self.by_axis), ZERO)
            if by_axis != total:
                template = (_("the approved amounts by axis add up to {by_axis}, not {total}") if name == "approved"
                            else _("the paid amounts by axis add up to {by_axis}, not {total}"))
                problems.append(template.format(by_axis=format_money(by_axis), total=format_money(total)))
        if sum(line.count for line in self.by_axis) > self.received:
            problems.append(_("the axes count more dossiers than were received"))
        for qpv in self.by_qpv:
            if qpv.approved > self.approved:
                problems.append(_("the QPV {code} has more approved ({approved}) than the campaign").format(
                    code=qpv.code, approved=format_money(qpv.approved)))
        for criterion in self.criteria:
            if criterion.confirmed > self.instructed:
                problems.append(_("the criterion `{key}` is confirmed more often than dossiers were instructed").format(
                    key=criterion.key))
        shares = ((N_("youth"), self.youth), (N_("women"), self.women),
                  (N_("youth or women bonus"), self.youth_or_women_bonus))
        for name, share in shares:
            if share is not None and not 0 <= share.count <= share.out_of == self.received:
                problems.append(_("the {name} share {count} of {out_of} does not fit {received} received dossiers")
                                .format(name=_(name), count=share.count, out_of=share.out_of, received=self.received))
        if self.funding_rate is not None and not 0 <= self.funding_rate <= 100:
            problems.append(_("the funding rate {rate} is not between 0 and 100").format(
                rate=format_percent(self.funding_rate)))
        return problems


def campaign_report(flow: Backend, campaign_id: str | None = None) -> CampaignReport:
    """The report of one campaign of ``flow`` (its default campaign when ``campaign_id`` is ``None``).

    The aggregates come from the backend's :meth:`~ami_workflow.protocol.Backend.report_figures` (SQL
    aggregates in the SQLite store, a fold of the dossiers in memory); this lays them out in the call's order.
    """
    campaign = flow.get_campaign(campaign_id or flow.campaign.id)
    figures = flow.report_figures(campaign.id)
    totals = flow.totals(campaign.id)
    by_state = dict.fromkeys(campaign.workflow.machine().states, 0)
    by_state.update(figures.by_state)
    no_axis = AxisFigures(0, ZERO, ZERO, ZERO)
    by_axis = tuple(
        AxisLine(axis.key, axis.number, axis.label, line.count, line.requested, line.approved, line.paid)
        for axis in campaign.axes
        for line in (figures.by_axis.get(axis.key, no_axis),)
    )
    no_qpv = QpvFigures(0, ZERO)
    by_qpv = tuple(
        QpvLine(qpv.code, qpv.name, line.count, line.approved)
        for qpv in campaign.territory.qpv
        for line in (figures.by_qpv.get(qpv.code, no_qpv),)
    )
    criteria = tuple(CriterionLine(c.key, c.label, figures.criteria.get(c.key, 0)) for c in campaign.funding.criteria)
    bonus = None
    if YOUTH_OR_WOMEN_CRITERION in campaign.funding.criterion_keys():
        bonus = Share(figures.received_criteria.get(YOUTH_OR_WOMEN_CRITERION, 0), figures.received)
    return CampaignReport(
        campaign_id=campaign.id,
        title=campaign.call.title,
        funder=(
            f"{campaign.funder.name} ({campaign.funder.acronym})" if campaign.funder.acronym else campaign.funder.name
        ),
        dossiers=figures.dossiers,
        by_state=by_state,
        envelope=totals.envelope,
        approved=totals.approved,
        paid=totals.paid,
        remaining=totals.remaining,
        received=figures.received,
        by_axis=by_axis,
        by_qpv=by_qpv,
        instructed=figures.instructed,
        criteria=criteria,
        youth=Share(figures.youth, figures.received),
        women=Share(figures.women, figures.received),
        youth_or_women_bonus=bonus,
        approved_cost=figures.approved_cost,
        funding_rate=percentage(figures.approved, figures.approved_cost),
    )


def format_percent(value: Decimal | None) -> str:
    """A percentage in the current language: « 47,78 % », "47.78%"; « n.d. », "n/a" when there is nothing to divide by.

    >>> from ami_workflow.i18n import use_language
    >>> with use_language("fr"):
    ...     format_percent(Decimal("47.78")), format_percent(None)
    ('47,78\u202f%', 'n.d.')
    >>> with use_language("en"):
    ...     format_percent(Decimal("47.78")), format_percent(None)
    ('47.78%', 'n/a')
    """
    if value is None:
        return _("n/a")
    return _("{number}%").format(number=format_decimal(value, 2))


def _share_text(share: Share) -> str:
    return _("{count} of {out_of} ({percent})").format(
        count=share.count, out_of=share.out_of, percent=format_percent(share.percent))


def _dossiers(count: int) -> str:
    return ngettext("{count} dossier", "{count} dossiers", count).format(count=count)


def report_lines(report: CampaignReport) -> list[str]:
    """The report as plain-text lines in the current language, amounts as « 150 000,00 € » or "€150,000.00"."""
    amounts = [
        (_("Envelope"), report.envelope),
        (_("Approved"), report.approved),
        (_("Paid"), report.paid),
        (_("To pay"), report.to_pay),
        (_("Remaining"), report.remaining),
    ]
    states = [(state_words(state), count) for state, count in report.by_state.items()]
    width = max([16] + [len(label) + 1 for label, _amount in amounts] + [len(name) + 3 for name, _n in states])
    lines = [
        _("{title} ({campaign_id})").format(title=report.title, campaign_id=report.campaign_id),
        _("Funder: {funder}").format(funder=report.funder),
        "",
        _("Envelope and grants"),
        *(f"{label:<{width}} {format_money(amount)}" for label, amount in amounts),
        "",
        _("Dossiers by state ({dossiers} in all, {received} received)").format(
            dossiers=report.dossiers, received=report.received),
    ]
    lines += [f"  {name:<{width - 2}} {count:>5}" for name, count in states]
    lines += ["", _("By axis (dossiers received; approved and paid without withdrawn dossiers)")]
    for axis in report.by_axis:
        lines.append(
            _("  {number}. {label}: {dossiers}, requested {requested}, approved {approved}, paid {paid}").format(
                number=axis.number, label=axis.label, dossiers=_dossiers(axis.count),
                requested=format_money(axis.requested), approved=format_money(axis.approved),
                paid=format_money(axis.paid))
        )
    lines += ["", _("By QPV (a dossier targeting several QPV counts in each: these totals overlap "
                    "and do not add up to the envelope)")]
    targeted = [q for q in report.by_qpv if q.count]
    lines += [
        _("  {code} {name}: {dossiers}, approved {approved}").format(
            code=q.code, name=q.name, dossiers=_dossiers(q.count), approved=format_money(q.approved))
        for q in targeted
    ]
    others = len(report.by_qpv) - len(targeted)
    if others:
        lines.append(ngettext("  no dossier for the other {count} QPV of the call",
                              "  no dossier for the other {count} QPV of the call", others).format(count=others))
    lines += [
        "",
        ngettext("Bonus criteria confirmed at instruction (out of {count} instructed dossier)",
                 "Bonus criteria confirmed at instruction (out of {count} instructed dossiers)",
                 report.instructed).format(count=report.instructed),
    ]
    lines += [_("  {label}: {confirmed}").format(label=c.label, confirmed=c.confirmed) for c in report.criteria]
    lines += [
        "",
        ngettext("Publics (out of {count} dossier received)", "Publics (out of {count} dossiers received)",
                 report.received).format(count=report.received),
        _("  for young people (at least half of the participants): {share}").format(share=_share_text(report.youth)),
        _("  for women (at least half of the participants): {share}").format(share=_share_text(report.women)),
    ]
    if report.youth_or_women_bonus is not None:
        lines.append(
            _("  with the bonus criterion `{key}` confirmed: {share}").format(
                key=YOUTH_OR_WOMEN_CRITERION, share=_share_text(report.youth_or_women_bonus))
        )
    lines += [
        "",
        _("Funding rate weighted by cost: {rate} ({approved} approved for {cost} of total cost)").format(
            rate=format_percent(report.funding_rate), approved=format_money(report.approved),
            cost=format_money(report.approved_cost)),
    ]
    problems = report.problems()
    if problems:
        lines += ["", _("Inconsistencies found")] + [f"  {p}" for p in problems]
    return lines


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if attrs.has(type(value)):
        return {f.name: _jsonable(getattr(value, f.name)) for f in attrs.fields(type(value))}
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def report_dict(report: CampaignReport) -> dict[str, Any]:
    """The report as JSON-ready data: amounts and percentages as strings (``"150000.00"``), tuples as lists.

    It holds every field of :class:`CampaignReport`, plus ``to_pay`` and ``problems``.
    """
    data: dict[str, Any] = _jsonable(report)
    data["to_pay"] = str(report.to_pay)
    data["problems"] = report.problems()
    return data
