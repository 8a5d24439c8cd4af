"""The campaign's decisions: calendar amendments, deliberations, conventions and their avenants."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import click

from ..i18n import _, format_day, format_money, ngettext
from .app import _actor_option, _day, _pair, _period, _State, main

if TYPE_CHECKING:
    from ..conventions import Convention

# -- campaign decisions ----------------------------------------------------------


@main.command("amend-calendar")
@click.argument("window", type=click.Choice(["submission", "instruction", "jury", "deliberation"]))
@click.argument("start")
@click.argument("end")
@click.option("--reason", required=True, help="Why the provisional calendar changes.")
@_actor_option
@click.pass_obj
def amend_calendar(state: _State, window: str, start: str, end: str, reason: str, actor: str) -> None:
    """Change one window of the provisional calendar, with a reason."""
    with state.flow() as flow:
        flow.amend_calendar(window, _day(start), _day(end), reason=reason, actor=actor)
        click.echo(_("the {window} window now runs {period}").format(
            window=window, period=_period(flow.calendar().window(window))))


@main.command()
@click.argument("reference")
@click.argument("day")
@click.argument("dossiers", nargs=-1)
@click.option("--all-approved", is_flag=True, help="List every approved dossier not yet in a deliberation.")
@click.option("--amount", "amounts", multiple=True,
              help="DOSSIER=EUROS: the council grants this dossier less than the jury proposed.")
@click.option("--refuse", "refusals", multiple=True,
              help="DOSSIER=MOTIVATION: the council refuses this proposal, with its motivation.")
@click.option("--absent", "absent", multiple=True, help="A councillor who did not take part (repeat for each).")
@click.option("--enforceable", help="The day it became enforceable (transmission to the prefecture, publication).")
@_actor_option
@click.pass_obj
def deliberation(state: _State, reference: str, day: str, dossiers: Sequence[str], all_approved: bool,
                 amounts: Sequence[str], refusals: Sequence[str], absent: Sequence[str], enforceable: str | None,
                 actor: str) -> None:
    """Record the council's deliberation REFERENCE of DAY, granting DOSSIERS (and reducing or refusing others)."""
    from ..decisions import Deliberation
    from ..money import parse_decimal

    given = dict(_pair(item, "--amount") for item in amounts)
    motivations = dict(_pair(item, "--refuse") for item in refusals)
    with state.flow() as flow:
        refs = list(dossiers) + [r for r in given if r not in dossiers]
        if all_approved:
            refs += [r for r in flow.awaiting_deliberation() if r not in refs and r not in motivations]
        flow.record_deliberation(
            Deliberation(reference, _day(day), refs, {r: parse_decimal(v, r) for r, v in given.items()},
                         tuple(motivations), tuple(absent), _day(enforceable) if enforceable else None),
            motivations=motivations, actor=actor)
    click.echo(ngettext("deliberation {reference} of {day} grants {count} dossier",
                        "deliberation {reference} of {day} grants {count} dossiers", len(refs))
               .format(reference=reference, day=format_day(_day(day)), count=len(refs)))
    if motivations:
        click.echo(ngettext("and refuses {count} proposal", "and refuses {count} proposals", len(motivations))
                   .format(count=len(motivations)))


@main.command()
@click.argument("reference")
@click.argument("day")
@_actor_option
@click.pass_obj
def enforceable(state: _State, reference: str, day: str, actor: str) -> None:
    """Record the DAY the deliberation REFERENCE became enforceable (transmitted to the prefecture and published)."""
    with state.flow() as flow:
        flow.declare_enforceable(reference, _day(day), actor=actor)
    click.echo(_("deliberation {reference} enforceable from {day}: its grants may be paid").format(
        reference=reference, day=format_day(_day(day))))


def _content_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options of a convention's content, shared by ``convention`` and ``avenant``."""
    options = [
        click.option("--object", "object_", help="The object of the convention (free text)."),
        click.option("--amount", help="The grant it formalises, in euros (default: the grant as decided)."),
        click.option("--start", help="The first day of its period (YYYY-MM-DD)."),
        click.option("--end", help="The last day of its period (YYYY-MM-DD)."),
        click.option("--months", type=int, help="Its duration in months (instead of, or besides, a period)."),
        click.option("--payment-terms", help="The payment terms, as the convention writes them."),
        click.option("--conditions", help="The conditions of use of the grant."),
        click.option("--reporting", help="The reporting obligations."),
        click.option("--report-due", help="The due day of the compte rendu financier, if the convention sets one."),
        click.option("--subgranting/--no-subgranting", default=None,
                     help="Whether it allows the grant to be passed on to other bodies (CGCT L1611-4; default: no)."),
        click.option("--year", "years", multiple=True,
                     help="YEAR=EUROS: the amount of one year of a convention pluriannuelle (repeat for each)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _content(given: Mapping[str, Any]) -> dict[str, Any]:
    """The content fields the options give (those left out are not there)."""
    from ..money import parse_decimal

    fields: dict[str, Any] = {}
    texts = {"object_": "object", "payment_terms": "payment_terms", "conditions": "conditions_of_use",
             "reporting": "reporting"}
    for option, field in texts.items():
        if given[option] is not None:
            fields[field] = given[option]
    if given["amount"] is not None:
        fields["amount"] = parse_decimal(given["amount"], "--amount")
    for option, field in (("start", "starts_on"), ("end", "ends_on"), ("report_due", "report_due")):
        if given[option] is not None:
            fields[field] = _day(given[option])
    if given["months"] is not None:
        fields["duration_months"] = given["months"]
    if given["subgranting"] is not None:
        fields["subgranting_allowed"] = given["subgranting"]
    if given["years"]:
        pairs = [_pair(item, "--year") for item in given["years"]]
        fields["years"] = {year: parse_decimal(amount, f"--year {year}") for year, amount in pairs}
    return fields


def _clauses(convention: Convention) -> None:
    for clause in convention.clauses():
        click.echo(_("  clause ({source}): {text}").format(source=clause.source, text=clause.text))


@main.command()
@click.argument("dossier_ref")
@click.argument("reference")
@click.argument("signed_on")
@_content_options
@click.option("--signatory", "signatories", multiple=True,
              help="NAME=ROLE: a person who signs for the beneficiary (repeat for each).")
@click.option("--funder-signatory", "funder_signatories", multiple=True,
              help="NAME=ROLE: a person who signs for the funder (repeat for each).")
@_actor_option
@click.pass_obj
def convention(state: _State, /, dossier_ref: str, reference: str, signed_on: str, signatories: Sequence[str],
               funder_signatories: Sequence[str], actor: str, **content: Any) -> None:
    """Record the convention REFERENCE signed on SIGNED_ON for a granted dossier, with its content."""
    from ..conventions import Convention, Signatory

    people = [Signatory(*_pair(item, "--signatory")) for item in signatories]
    people += [Signatory(*_pair(item, "--funder-signatory"), side="funder") for item in funder_signatories]
    recorded = Convention(dossier_ref, reference, _day(signed_on), signatories=tuple(people), **_content(content))
    with state.flow() as flow:
        flow.record_convention(recorded, actor=actor)
    click.echo(_("{dossier}: convention {reference} signed on {day}").format(
        dossier=dossier_ref, reference=reference, day=format_day(_day(signed_on))))
    _clauses(recorded)


@main.command()
@click.argument("dossier_ref")
@click.argument("reference")
@click.argument("signed_on")
@click.option("--reason", default="", help="Why the convention changes (kept as personal data).")
@_content_options
@_actor_option
@click.pass_obj
def avenant(state: _State, /, dossier_ref: str, reference: str, signed_on: str, reason: str, actor: str,
            **content: Any) -> None:
    """Record the avenant REFERENCE signed on SIGNED_ON to a dossier's convention: the fields given change."""
    from ..conventions import Avenant

    with state.flow() as flow:
        amended = flow.amend_convention(dossier_ref, Avenant(reference, _day(signed_on), _content(content), reason),
                                        actor=actor)
    current = amended.current()
    click.echo(_("{dossier}: avenant {reference} signed on {day} to the convention {convention} (version {version}, "
                 "{amount})").format(dossier=dossier_ref, reference=reference, day=format_day(_day(signed_on)),
                                     convention=amended.reference, version=amended.version,
                                     amount=_("the grant as decided") if current.amount is None
                                     else format_money(current.amount)))
    _clauses(amended)


@main.command("compte-rendu")
@click.argument("dossier_ref")
@click.argument("received_on")
@click.option("--charge", "charges", multiple=True, help="LINE=EUROS: a realised charge (CERFA 12156 line: 60, 64…).")
@click.option("--product", "products", multiple=True, help="LINE=EUROS: a realised product (74.epci, 75…).")
@click.option("--not-carried-out", is_flag=True, help="The action did not take place.")
@click.option("--action-end", help="The day the action actually ended.")
@click.option("--participants", type=int, help="The participants reached.")
@click.option("--qpv-residents", type=int, help="The QPV residents reached.")
@click.option("--young", type=int, help="The young people reached.")
@click.option("--women", type=int, help="The women reached.")
@click.option("--evaluation", default="", help="The qualitative evaluation (free text).")
@_actor_option
@click.pass_obj
def compte_rendu(state: _State, dossier_ref: str, received_on: str, charges: Sequence[str],
                 products: Sequence[str], not_carried_out: bool, action_end: str | None, participants: int | None,
                 qpv_residents: int | None, young: int | None, women: int | None, evaluation: str,
                 actor: str) -> None:
    """Record the compte rendu financier of a granted dossier, received on RECEIVED_ON (CERFA 15059)."""
    from ..budget import Budget

    realised = None
    if charges or products:
        realised = Budget(charges=dict(_pair(c, "--charge") for c in charges),
                          products=dict(_pair(p, "--product") for p in products))
    with state.flow() as flow:
        report = flow.record_financial_report(
            dossier_ref, _day(received_on), actor=actor, realised=realised, carried_out=not not_carried_out,
            action_end=_day(action_end) if action_end else None, participants=participants,
            qpv_residents=qpv_residents, young=young, women=women, evaluation=evaluation)
    click.echo(_("{dossier}: compte rendu financier received on {day}").format(
        dossier=dossier_ref, day=format_day(report.received_on)))


@main.command("review-compte-rendu")
@click.argument("dossier_ref")
@click.option("--accept", is_flag=True, help="Accept the compte rendu financier.")
@click.option("--questions", default="", help="The questions to the applicant (instead of --accept).")
@click.option("--answer-by", help="The day the questions are to be answered by.")
@_actor_option
@click.pass_obj
def review_compte_rendu(state: _State, dossier_ref: str, accept: bool, questions: str, answer_by: str | None,
                        actor: str) -> None:
    """Accept the compte rendu financier of a dossier, or ask questions with a day to answer by."""
    with state.flow() as flow:
        report = flow.review_financial_report(dossier_ref, accepted=accept, questions=questions,
                                              answer_by=_day(answer_by) if answer_by else None, actor=actor)
    if report.accepted:
        click.echo(_("{dossier}: compte rendu financier accepted").format(dossier=dossier_ref))
    else:
        click.echo(_("{dossier}: questions sent, to answer by {day}").format(
            dossier=dossier_ref, day=format_day(report.answer_by) if report.answer_by else "?"))
