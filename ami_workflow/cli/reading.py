"""Reading the campaign: the report, the agenda, the exports and the open-data publication."""

from __future__ import annotations

import sys
from contextlib import nullcontext

import click

from ..i18n import _, ngettext
from .app import _emit, _fail, _State, _table, main

# -- reading ---------------------------------------------------------------------


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def report(state: _State, as_json: bool) -> None:
    """The campaign report: states, envelope, axes, QPV, bonus criteria, publics, funding rate."""
    from .. import reports

    with state.flow() as flow:
        result = reports.campaign_report(flow)
    _emit(reports.report_dict(result), as_json, lambda: reports.report_lines(result))


@main.command()
@click.option("--at", help="The day (ISO date, its midnight) or instant to look from (default now).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def agenda(state: _State, at: str | None, as_json: bool) -> None:
    """What is due and what is late at a date, with the dossiers as the journal had them then."""
    from .. import agenda as agenda_module
    from ..calendar import parse_instant
    from ..codec import converter

    with state.flow() as flow:
        items = agenda_module.agenda(flow, parse_instant(at) if at is not None else flow.clock.now())
    data = [converter.unstructure(item) for item in items]
    late, due = _("LATE"), _("due")
    width = max(len(late), len(due))
    _emit(data, as_json, lambda: [
        f"{(late if i.late else due):<{width}} {i.due}  {i.dossier or '':<32} {i.message}" for i in items
    ] or [_("nothing due")])


@main.command()
@click.argument("fmt", metavar="FORMAT", type=click.Choice(["csv", "xlsx", "json", "scdl", "360giving"]))
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write to a file (default stdout; xlsx needs a file).")
@click.option("--dialect", type=click.Choice(["rfc", "fr"]), default="rfc", show_default=True,
              help="csv: rfc (comma, decimal point, ISO dates: for programs) or fr (semicolon, BOM, decimal comma, "
                   "JJ/MM/AAAA: for a French spreadsheet).")
@click.option("--above-threshold", is_flag=True, help="scdl: only the grants above 23 000 € (décret 2017-779).")
@click.pass_obj
def export(state: _State, fmt: str, output: str | None, dialect: str, above_threshold: bool) -> None:
    """Export the dossiers (csv, xlsx, json), the SCDL 'subventions' open data (scdl) or 360Giving JSON."""
    from .. import exports, sheets
    from ..private_files import open_private

    if fmt == "xlsx" and not output:
        _fail(_("xlsx: give the file to write with -o FILE.xlsx"))
    if dialect != "rfc" and fmt != "csv":
        _fail(_("--dialect is for csv only"))
    with state.flow() as flow:
        cid = flow.campaign.id
        if fmt == "csv":  # streamed from the store
            with open_private(output, "w", encoding="utf-8", newline="") if output else nullcontext(sys.stdout) as out:
                if dialect == "fr":
                    sheets.write_dossiers_csv_fr(flow, out, cid)
                else:
                    exports.write_dossiers_csv(flow, out, cid)
        elif fmt == "xlsx":
            assert output is not None
            with open_private(output, "wb") as binary:
                sheets.write_dossiers_xlsx(flow, binary, cid)
        elif fmt == "scdl":  # streamed, checked whole before the output is opened: a refusal writes nothing
            with exports.scdl_csv(flow, cid, above_threshold_only=above_threshold) as checked, (
                open_private(output, "w", encoding="utf-8", newline="") if output else nullcontext(sys.stdout)
            ) as out:
                for chunk in iter(lambda: checked.read(1 << 16), ""):
                    out.write(chunk)
        else:
            data = exports.dossiers_json(flow, cid) if fmt == "json" else exports.giving360(flow, cid)
            with open_private(output, "w", encoding="utf-8", newline="") if output else nullcontext(sys.stdout) as out:
                import json

                out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    if output:
        click.echo(_("wrote {path}").format(path=output), err=True)


# -- publish: the open data, without personal data -----------------------------------


@main.command()
@click.argument("out", metavar="OUT.db", type=click.Path(dir_okay=False))
@click.option("--metadata", "metadata_path", type=click.Path(dir_okay=False),
              help="Where to write Datasette's metadata (default: metadata.json beside OUT.db).")
@click.option("--force", is_flag=True, help="Replace OUT.db and its metadata if they exist.")
@click.pass_obj
def publish(state: _State, out: str, metadata_path: str | None, force: bool) -> None:
    """Write an open-data SQLite database for everyone (mode 0644) and its metadata.json for Datasette.

    Every campaign's received dossiers, with their labels and amounts in euros; no
    names of people, IBAN, piece, committee member, note or journal.
    """
    from ..store import publish as publish_database

    with state.flow() as flow:
        done = publish_database(flow, out, metadata_path=metadata_path, force=force)
    click.echo(ngettext("wrote {path} ({count} dossier) and {metadata}",
                        "wrote {path} ({count} dossiers) and {metadata}", done.dossiers).format(
        path=done.database, count=done.dossiers, metadata=done.metadata))
    click.echo(_("to browse it: datasette {path} --metadata {metadata}").format(
        path=done.database, metadata=done.metadata))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def ranking(state: _State, as_json: bool) -> None:
    """The committee's ranking: each scored dossier's rank and result on the call's grid (best first)."""
    from ..i18n import format_decimal

    with state.flow() as flow:
        ranked = flow.ranking()
    data = [{"rank": r.rank, "reference": r.reference, "result": str(r.result), "members": r.members} for r in ranked]
    _emit(data, as_json, lambda: _table(
        [(r.rank, r.reference, format_decimal(r.result, 2), r.members) for r in ranked],
        (_("rank"), _("reference"), _("result"), _("members")),
    ) if ranked else [_("no dossier has been scored")])


@main.command()
@click.option("--envelope", help="Another envelope, in euros.")
@click.option("--policy", type=click.Choice(["pro_rata", "rank"]), help="Another allocation policy.")
@click.option("--shortfall", type=click.Choice(["partial", "stop"]),
              help="By rank: what the first dossier that does not fit gets.")
@click.option("--bonus-points", help="Other points per confirmed bonus criterion.")
@click.option("--call", "call_name", help="Another call file's rules (a path or a bundled call).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def whatif(state: _State, envelope: str | None, policy: str | None, shortfall: str | None, bonus_points: str | None,
           call_name: str | None, as_json: bool) -> None:
    """Decide the committee's list again under other rules, in memory, beside what was granted; writes nothing."""
    from .. import whatif as whatifs
    from ..callfile import load_campaign
    from ..i18n import format_money
    from ..money import parse_decimal

    changes = whatifs.Changes(
        envelope=envelope, policy=policy, shortfall=shortfall,
        bonus_points=parse_decimal(bonus_points, "bonus_points") if bonus_points is not None else None,
        campaign=load_campaign(call_name) if call_name else None)
    with state.flow() as flow:
        result = whatifs.whatif(flow, state.campaign, changes)
    data = {
        "envelope": str(result.envelope), "policy": result.policy,
        "dossiers": [{"reference": o.reference, "proposed": str(o.proposed), "recorded": str(o.recorded),
                      "whatif": str(o.whatif), "ceiling": str(o.ceiling), "hand_set": o.hand_set,
                      "flags": list(o.flags)} for o in result.outcomes],
        "flags": list(result.flags),
        "by_axis": {k: {"recorded": str(a), "whatif": str(b)} for k, (a, b) in result.by_axis.items()},
        "by_qpv": {k: {"recorded": str(a), "whatif": str(b)} for k, (a, b) in result.by_qpv.items()},
        "changed": [o.reference for o in result.changed],
    }

    def lines() -> list[str]:
        head = [_("What if: envelope {envelope}, policy {policy}").format(
            envelope=format_money(result.envelope), policy=result.policy)]
        rows = [(o.reference, format_money(o.proposed), format_money(o.recorded),
                 format_money(o.whatif) + (" *" if o.hand_set else ""), format_money(o.ceiling))
                for o in result.outcomes]
        table = _table(rows, (_("reference"), _("proposed"), _("granted"), _("what if"), _("ceiling")))
        if any(o.hand_set for o in result.outcomes):
            table.append(_("* set by hand: kept, not re-decided"))
        table += [_("{reference}: {flag}").format(reference=o.reference, flag=flag)
                  for o in result.outcomes for flag in o.flags] + list(result.flags)
        axes = [_("  {axis}: {recorded} → {whatif}").format(axis=k, recorded=format_money(a), whatif=format_money(b))
                for k, (a, b) in result.by_axis.items()]
        changed = ngettext("{count} dossier changes outcome", "{count} dossiers change outcome",
                           len(result.changed)).format(count=len(result.changed))
        return head + table + [_("By axis:")] + axes + [changed]

    _emit(data, as_json, lines)
