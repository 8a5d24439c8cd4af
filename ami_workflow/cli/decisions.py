"""The campaign's decisions: calendar amendments, deliberations, conventions."""

from __future__ import annotations

from collections.abc import Sequence

import click

from ..i18n import _, format_day, ngettext
from .app import _actor_option, _day, _period, _State, main

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
@_actor_option
@click.pass_obj
def deliberation(state: _State, reference: str, day: str, dossiers: Sequence[str], all_approved: bool,
                 actor: str) -> None:
    """Record the council's deliberation REFERENCE of DAY, granting DOSSIERS."""
    from ..decisions import Deliberation

    with state.flow() as flow:
        refs = list(dossiers)
        if all_approved:
            refs += [r for r in flow.awaiting_deliberation() if r not in refs]
        flow.record_deliberation(Deliberation(reference, _day(day), refs), actor=actor)
    click.echo(ngettext("deliberation {reference} of {day} grants {count} dossier",
                        "deliberation {reference} of {day} grants {count} dossiers", len(refs))
               .format(reference=reference, day=format_day(_day(day)), count=len(refs)))


@main.command()
@click.argument("dossier_ref")
@click.argument("reference")
@click.argument("signed_on")
@_actor_option
@click.pass_obj
def convention(state: _State, dossier_ref: str, reference: str, signed_on: str, actor: str) -> None:
    """Record the convention REFERENCE signed on SIGNED_ON for a granted dossier."""
    from ..decisions import Convention

    with state.flow() as flow:
        flow.record_convention(Convention(dossier_ref, reference, _day(signed_on)), actor=actor)
    click.echo(_("{dossier}: convention {reference} signed on {day}").format(
        dossier=dossier_ref, reference=reference, day=format_day(_day(signed_on))))
