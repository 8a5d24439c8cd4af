"""A guided walk of one sample dossier through the 2021 call, with the call's own dates.

``python -m ami_workflow`` runs :func:`walk_sample_dossier` and prints each step.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .budget import Budget
from .calendar import PARIS, FixedClock, Window
from .callfile import load_campaign
from .campaign import Campaign
from .committee import CommitteeSession, Member
from .decisions import Convention, Deliberation
from .dossier import Applicant, Application, CoFunding, Period
from .i18n import _, format_day, format_decimal, format_money, format_time
from .memory import MemoryWorkflow
from .pieces import PaperOriginal
from .rules import RateWithBonus

__all__ = ["SAMPLE_APPLICANT", "SAMPLE_APPLICATION", "describe_campaign", "walk_sample_dossier"]


#: The sample association of :func:`walk_sample_dossier` (a grant above the convention threshold).
SAMPLE_APPLICANT = Applicant(
    name="Association Les Ateliers du 12-14",
    kind="association",
    siren="732829320",
    iban="FR14 2004 1010 0505 0001 3M02 606",
    legal_representative="Claire Dupont",
)
SAMPLE_APPLICATION = Application(
    title="Ateliers numériques parents-enfants",
    axis="numerique",
    qpv_codes=("QP062024", "QP062026"),
    period=Period(date(2021, 9, 1), date(2022, 6, 30)),
    total_cost=Decimal("40000.00"),
    requested=Decimal("30000.00"),
    participants=120,
    qpv_residents=90,
    young=70,
    women=60,
    sourcing="Relais des centres sociaux et des collèges du quartier.",
    cofunding=(CoFunding("Département du Pas-de-Calais", Decimal("6000.00")),),
    budget=Budget(charges={"60": "6000.00", "61": "4000.00", "64": "30000.00", "86": "2000.00"},
                  products={"74.epci": "30000.00", "74.departement": "6000.00", "75": "4000.00", "87": "2000.00"}),
)


def _at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=PARIS)


def describe_campaign(campaign: Campaign) -> list[str]:
    """The call in a few lines: funder, envelope, calendar, territory, axes, rules, pieces, committee."""
    cal = campaign.calendar
    lines = [
        campaign.call.title,
        _("  funder: {name} ({acronym}), SIREN {siren}").format(
            name=campaign.funder.name, acronym=campaign.funder.acronym, siren=campaign.funder.siren),
        _("  envelope: {amount} ({natures}) for {year}").format(
            amount=format_money(campaign.envelope.amount), natures=", ".join(campaign.envelope.cost_natures),
            year=campaign.envelope.year),
        _("  calendar: launch {launch}, deadline {deadline} (Paris time, included)").format(
            launch=format_day(cal.launch), deadline=format_day(cal.deadline)),
        _("            instruction {instruction}, jury {jury}, deliberation {deliberation}").format(
            instruction=_window(cal.instruction), jury=_window(cal.jury), deliberation=_window(cal.deliberation)),
        _("  territory: {qpv} QPV in {communes} communes ({valid_from}-{valid_until})").format(
            qpv=len(campaign.territory.qpv), communes=len(campaign.territory.communes()),
            valid_from=campaign.territory.valid_from, valid_until=campaign.territory.valid_until),
        _("  public: at least {percent} of participants living in a QPV").format(
            percent=_percent(campaign.public.min_qpv_share_percent)),
        _("  funding: {rule}").format(rule=_describe_rule(campaign)),
        _("  axes:"),
    ]
    lines += [f"    {a.number}. {a.label}" for a in campaign.axes]
    lines.append(_("  pieces:"))
    lines += [f"    - {p.label}" for p in campaign.pieces]
    lines.append(_("  committee: {name}, chaired by the {chair}").format(
        name=campaign.committee.name, chair=campaign.committee.chair_role))
    return lines


def _window(window: Window) -> str:
    return _("{start} to {end}").format(start=format_day(window.start), end=format_day(window.end))


def _number(value: Decimal | int) -> str:
    exponent = Decimal(value).normalize().as_tuple().exponent
    return format_decimal(value, max(0, -exponent) if isinstance(exponent, int) else 0)


def _percent(value: Decimal | int) -> str:
    return _("{number}%").format(number=_number(value))


def _describe_rule(campaign: Campaign) -> str:
    rule = campaign.funding.ceiling
    criteria = len(campaign.funding.criteria)
    if isinstance(rule, RateWithBonus):
        return _("ceiling {base} of the total cost, + {points} points per confirmed bonus criterion ({criteria}), "
                 "at most {most}").format(base=_percent(rule.base_rate_percent),
                                          points=_number(rule.points_per_criterion), criteria=criteria,
                                          most=_percent(rule.max_rate_percent))
    return _("flat cap of {amount} a dossier, at most {rate} of the cost").format(
        amount=format_money(rule.amount), rate=_percent(rule.rate_percent))


def walk_sample_dossier(
    campaign: Campaign | None = None, echo: Callable[[str], None] = print
) -> MemoryWorkflow:
    """Walk one association's dossier from draft to paid on the 2021 calendar; returns the in-memory store.

    The store runs on a simulated clock that the walk moves forward: every
    event is dated by the store, as in real use.
    """
    campaign = campaign or load_campaign("ami-cohesion-sociale-2021")
    for line in describe_campaign(campaign):
        echo(line)
    clock = FixedClock(_at(2021, 3, 9))
    flow = MemoryWorkflow(campaign, clock=clock, actor="demo")
    applicant, application = SAMPLE_APPLICANT, SAMPLE_APPLICATION
    dossier = flow.create_dossier(applicant, application)
    ref = dossier.reference
    echo("\n" + _("{ref}: created as `{state}` for {name}").format(ref=ref, state=dossier.state, name=applicant.name))

    def step(label: str, trigger: str, at: datetime, **data: Any) -> None:
        clock.set(at)
        result = flow.fire(ref, trigger, **data)
        when = _("{day} at {time}").format(day=format_day(at.date()), time=format_time(at))
        echo(f"{when:<26} {label:<48} -> {result.state}")  # the state is a key

    clock.set(_at(2021, 4, 12, 9))
    flow.attach(ref, "dossier_demande", b"formulaire", filename="dossier.pdf", actor="accueil")
    step(_("submit (digital form attached)"), "submit", _at(2021, 4, 12))
    clock.set(_at(2021, 4, 20))
    for key in ("courrier_demande", "rib", "liste_ca", "liste_bureau", "statuts", "recepisse_declaration"):
        flow.attach(ref, key, f"contenu {key}".encode(), actor="accueil")
    clock.set(_at(2021, 4, 26))
    flow.receive_original(ref, PaperOriginal("dossier_demande", date(2021, 4, 26), True, "Claire Dupont",
                                             "représentant légal"), actor="accueil")
    step(_("mark_complete (all pieces, signed original)"), "mark_complete", _at(2021, 5, 3))
    step(_("instruct (2 bonus criteria confirmed)"), "instruct", _at(2021, 5, 18),
         criteria=["jeunes_ou_femmes", "participation_habitants"])
    instruction = flow.get(ref).instruction
    assert instruction is not None
    echo(" " * 17 + _("ceiling {ceiling}, proposed {proposed}").format(
        ceiling=format_money(instruction.ceiling), proposed=format_money(instruction.proposed)))
    session = CommitteeSession(
        "comite-2021-06-15", date(2021, 6, 15), "Vice-président", "Vice-Président en charge de la Cohésion sociale",
        (Member("A. Martin", "personnalites"), Member("B. Leroy", "elus"),
         Member("C. Petit", "techniciens"), Member("D. Moreau", "habitants")),
    )
    clock.set(_at(2021, 6, 15, 9))
    flow.record_session(session)
    step(_("hear (committee session of 15 June)"), "hear", _at(2021, 6, 15, 14), session=session.id)
    step(_("approve (jury retains the project)"), "approve", _at(2021, 6, 15, 17))
    granted = flow.get(ref).approved or Decimal(0)
    clock.set(_at(2021, 9, 28, 18))
    flow.record_deliberation(Deliberation("DEL-2021-09-27-042", date(2021, 9, 27), (ref,),
                                          enforceable_on=date(2021, 9, 28)))
    flow.record_convention(Convention(ref, "CONV-2021-017", date(2021, 9, 28)))
    echo(" " * 17 + _("deliberation {deliberation}; convention {convention} (grant above {threshold})").format(
        deliberation="DEL-2021-09-27-042", convention="CONV-2021-017",
        threshold=format_money(campaign.funding.convention_threshold)))
    first = (granted * Decimal("0.8")).quantize(Decimal("0.01"))
    step(_("pay first instalment {amount}").format(amount=format_money(first)), "pay",
         _at(2021, 10, 5), amount=first, reference="MANDAT-1")
    step(_("pay the balance {amount}").format(amount=format_money(granted - first)), "pay",
         _at(2022, 7, 4), reference="MANDAT-2")
    t = flow.totals()
    echo("\n" + _("history:"))
    for event in flow.history(ref):
        echo(f"  {event.at:%Y-%m-%d %H:%M} {event.trigger:<20} {event.source or '':>10} -> {event.dest or '':<10} "
             f"{dict(event.payload)}")
    echo("\n" + _("envelope {envelope}: approved {approved}, paid {paid}, remaining {remaining}").format(
        envelope=format_money(t.envelope), approved=format_money(t.approved), paid=format_money(t.paid),
        remaining=format_money(t.remaining)))
    return flow
