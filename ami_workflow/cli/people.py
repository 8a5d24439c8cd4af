"""Personal data (RGPD): an applicant's export and erasure, a committee member's erasure."""

from __future__ import annotations

import click

from ..i18n import _, ngettext
from .app import _actor_option, _State, main

# -- personal data (RGPD) ---------------------------------------------------------


@main.group()
def applicant() -> None:
    """An applicant's personal data: export everything stored about it, or erase it (RGPD)."""


@applicant.command("export")
@click.argument("identity")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the JSON to a file.")
@click.pass_obj
def applicant_export(state: _State, identity: str, output: str | None) -> None:
    """Everything stored about one applicant (IDENTITY such as siren:732829320 or rna:W622000123), as JSON."""
    from ..private_files import open_private

    with state.flow() as flow:
        data = flow.export_applicant(identity)
    import json

    text = json.dumps(data, ensure_ascii=False, indent=2)
    if output:
        with open_private(output, "w", encoding="utf-8") as out:
            out.write(text + "\n")
        click.echo(_("wrote {path}").format(path=output), err=True)
    else:
        click.echo(text)


@applicant.command("erase")
@click.argument("identity")
@click.option("--reason", required=True, help="Why (the request, its date …); journaled.")
@_actor_option
@click.pass_obj
def applicant_erase(state: _State, identity: str, reason: str, actor: str) -> None:
    """Erase an applicant's personal data; the journal stays verifiable."""
    with state.flow() as flow:
        count = flow.erase_personal_data(identity, reason=reason, actor=actor)
    click.echo(ngettext("{identity}: {count} personal data item erased",
                        "{identity}: {count} personal data items erased", count).format(identity=identity, count=count))


@main.command("erase-member")
@click.argument("name")
@click.option("--reason", required=True, help="Why; journaled.")
@_actor_option
@click.pass_obj
def erase_member(state: _State, name: str, reason: str, actor: str) -> None:
    """Erase a committee member's name from every session (RGPD)."""
    with state.flow() as flow:
        count = flow.erase_committee_member(name, reason=reason, actor=actor)
    click.echo(ngettext("{name}: erased from {count} committee session",
                        "{name}: erased from {count} committee sessions", count).format(name=name, count=count))
