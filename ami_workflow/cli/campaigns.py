"""The campaigns held in the database: list, show, add, the funder's identifiers, the yearly rollover."""

from __future__ import annotations

from pathlib import Path

import click

from ..i18n import _, ngettext
from .app import _actor_option, _emit, _fail, _money, _period, _State, _table, main

# -- campaigns -------------------------------------------------------------------


@main.group()
def campaign() -> None:
    """The calls for projects held in the database."""


@campaign.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def campaign_list(state: _State, as_json: bool) -> None:
    """List the campaigns in the database, and the calls bundled with the library."""
    from ..callfile import bundled_calls

    with state.flow(any_campaign=True) as flow:
        rows, table = [], []
        for cid in flow.campaign_ids():
            c = flow.get_campaign(cid)
            rows.append({"id": cid, "year": c.call.year, "title": c.call.title, "envelope": str(c.envelope.amount)})
            table.append((cid, c.call.year, _money(c.envelope.amount), c.call.title))
    _emit({"campaigns": rows, "bundled": bundled_calls()}, as_json, lambda: _table(
        table, (_("id"), _("year"), _("envelope"), _("title")),
    ) + ["", _("bundled calls: {calls}").format(calls=", ".join(bundled_calls()))])


@campaign.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def campaign_show(state: _State, as_json: bool) -> None:
    """Show the campaign's call: funder, envelope, calendar in force, QPV, axes, pieces, committee."""
    from ..codec import converter
    from ..demo import describe_campaign

    with state.flow() as flow:
        c = flow.campaign
        calendar = flow.calendar()
        amendments = flow.amendments()
        data = converter.unstructure(c)
    data["calendar_in_force"] = {name: str(w) for name, w in calendar.windows().items()}
    _emit(data, as_json, lambda: describe_campaign(c) + [
        "  " + _("amendment: the {window} window now runs {period} ({reason})").format(
            window=a.window, period=_period(a.new_window), reason=a.reason) for a in amendments
    ])


@campaign.command("add")
@click.argument("call_file")
@click.pass_obj
def campaign_add(state: _State, call_file: str) -> None:
    """Register a call file (a path, or the name of a bundled call) in the database."""
    from ..callfile import load_campaign

    c = load_campaign(call_file)
    with state.flow(create_with=c) as flow:
        ids = flow.campaign_ids()
        click.echo(_("campaign {id} registered in {db} ({total} in all)").format(id=c.id, db=state.db,
                                                                                total=len(ids)))
    if len(ids) > 1:
        click.echo(_("the database now holds {count} campaigns ({campaigns}): every command needs --campaign ID "
                     "(or AMI_WORKFLOW_CAMPAIGN), e.g. --campaign {id}").format(
            count=len(ids), campaigns=", ".join(ids), id=c.id), err=True)


@campaign.command("set-funder")
@click.option("--siret", help="The funder's 14-digit SIRET (it starts with the funder's SIREN).")
@click.option("--prefix", help="The funder's 360Giving identifier prefix, as 360Giving registered it (360G-…).")
@click.option("--reason", required=True, help="Why the funder's identifiers are set or changed.")
@_actor_option
@click.pass_obj
def campaign_set_funder(state: _State, siret: str | None, prefix: str | None, reason: str, actor: str) -> None:
    """Set the funder's SIRET and 360Giving prefix on the campaign: a journaled amendment, for the exports."""
    if siret is None and prefix is None:
        _fail(_("give --siret, --prefix, or both"))
    with state.flow() as flow:
        before = flow.campaign.funder
        funder = flow.amend_funder(siret=siret, registered_id_prefix=prefix, reason=reason, actor=actor)
        cid = flow.campaign.id
    if (funder.siret, funder.registered_id_prefix) == (before.siret, before.registered_id_prefix):
        click.echo(_("{campaign}: the funder's identifiers were already these, nothing recorded").format(campaign=cid))
    click.echo(_("{campaign}: funder {funder}, SIRET {siret}, 360Giving prefix {prefix}").format(
        campaign=cid, funder=funder.name, siret=funder.siret or "-", prefix=funder.registered_id_prefix or "-"))


@campaign.command("rollover")
@click.option("--year", type=int, required=True, help="The new call's year.")
@click.option("--call", "source",
              help="A call file or bundled call (default: the database's campaign, else the 2021 call).")
@click.option("--from", "old_source", hidden=True)  # the former name of --call
@click.option("--envelope", help="The new envelope, e.g. 160000 (default: this year's).")
@click.option("--qpv-csv", type=click.Path(exists=True, dir_okay=False),
              help="A new QPV list: CSV with the header code,name,communes "
                   "(communes split by '/', outside ones in brackets).")
@click.option("--valid-from", type=int, help="The first year of the new QPV list.")
@click.option("--valid-until", type=int, help="The last year of the new QPV list.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the call file (default stdout).")
@click.pass_obj
def campaign_rollover(state: _State, year: int, source: str | None, old_source: str | None, envelope: str | None,
                      qpv_csv: str | None, valid_from: int | None, valid_until: int | None, output: str | None) -> None:
    """Write next year's call file from this year's; the changes and warnings go to stderr.

    Dates keep their day of the month and move off weekends and French public holidays as the
    file's [calendar.policy] says; whole-month windows stay whole months. Review the list, edit
    the file, then register it with 'ami-workflow campaign add FILE'.
    """
    from ..calendar import SystemClock
    from ..private_files import open_private
    from ..rollover import rollover
    from ..store import current_campaign

    current = current_campaign(state.db, source or old_source, state.campaign, newest=False)
    result = rollover(current, year, envelope=envelope, qpv_csv=Path(qpv_csv) if qpv_csv else None,
                      valid_from=valid_from, valid_until=valid_until, today=SystemClock().now().date())
    if output:
        with open_private(output, "w", encoding="utf-8") as out:
            out.write(result.text)
    else:
        click.echo(result.text, nl=False)
    click.echo(ngettext("{source} -> {target}: {count} change", "{source} -> {target}: {count} changes",
                        len(result.changes)).format(source=current.id, target=result.campaign.id,
                                                    count=len(result.changes)), err=True)
    for change in result.changes:
        click.echo(f"  - {change}", err=True)
    for warning in result.warnings:
        click.echo(f"  ! {warning}", err=True)
    if output:
        click.echo(_("wrote {path}").format(path=output), err=True)
