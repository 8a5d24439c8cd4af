"""The ``ami-workflow`` command line: a thin layer over the library's public API.

Every command opens the SQLite database (``--db``, ``$AMI_WORKFLOW_DB`` or
``./ami.db``) and calls :class:`ami_workflow.store.Workflow` and the report,
agenda, export and document modules. Exit codes: 0 ok; 1 an action refused by a
guard, by the dossier's state or by a stale version (every reason printed);
2 a usage error or bad input (a clear message, no traceback).
"""

from __future__ import annotations

import gettext
import inspect
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from .errors import AmbiguousCampaign, AmiWorkflowError, IllegalTrigger, InvalidInput, Refused, VersionConflict
from .i18n import (
    CLICK_DOMAIN,
    LANGUAGES,
    LOCALE_DIR,
    N_,
    _,
    current_language,
    format_day,
    format_decimal,
    format_money,
    ngettext,
    set_language,
    use_language,
)
from .states import TRIGGERS, state_label, state_words, trigger_label

if TYPE_CHECKING:
    from .calendar import Clock, Window
    from .campaign import Campaign
    from .dossier import Dossier
    from .store import Workflow

__all__ = ["main"]

# Each command imports the library modules it uses when it runs: ``ami-workflow --help`` (and every command)
# then pays only for what it needs, not for the whole library, its SQLite layer, its holidays and its
# cryptography. tests/test_cli_startup.py checks what --help imports.


@contextmanager
def _speaking(language: str) -> Iterator[None]:
    """The library and click's own strings (« Usage », « Afficher ce message ») in ``language``.

    click words its strings through the standard ``gettext.gettext``, which finds its catalogue by the global
    text domain and ``$LANGUAGE``: for the duration of the command, both point at the library's catalogue and
    language (so the system locale plays no part), and are put back afterwards.
    """
    domain, env = gettext.textdomain(), os.environ.get("LANGUAGE")
    gettext.bindtextdomain(CLICK_DOMAIN, str(LOCALE_DIR))
    gettext.textdomain(CLICK_DOMAIN)
    os.environ["LANGUAGE"] = language
    try:
        with use_language(language):
            yield
    finally:
        gettext.textdomain(domain)
        if env is None:
            os.environ.pop("LANGUAGE", None)
        else:
            os.environ["LANGUAGE"] = env


#: The English help of each command and parameter (by id), as written: its translation is set at each run.
_ENGLISH_HELP: dict[int, str | None] = {}
#: What click calls a path parameter, by (file_okay, dir_okay): the metavar (FILE) and the errors' « File 'x' … »,
#: worded by click when the option is declared, so again at each run from click's catalogue.
_PATH_NAMES = {(True, False): "file", (False, True): "directory"}


def _translate_help(command: click.Command) -> None:
    """Word every command's and option's help in the current language (tools/catalog.py extracts them)."""
    for item in (command, *command.params):
        if id(item) not in _ENGLISH_HELP:
            _ENGLISH_HELP[id(item)] = getattr(item, "help", None)
        english = _ENGLISH_HELP[id(item)]
        if english and isinstance(item, (click.Command, click.Option)):
            text = inspect.cleandoc(english)
            translated = _(text)
            # The help that click itself gives (--version's) is in click's catalogue.
            item.help = translated if translated != text else gettext.gettext(text)
        if isinstance(item, click.Parameter) and isinstance(item.type, click.Path):
            item.type.name = gettext.gettext(_PATH_NAMES.get((item.type.file_okay, item.type.dir_okay), "path"))
    cached = getattr(command, "_help_option", None)  # click makes --help once, worded in the language of that moment
    if isinstance(cached, click.Option):
        cached.help = gettext.gettext("Show this message and exit.")
    if isinstance(command, click.Group):
        if not command.chain:
            command.subcommand_metavar = _("COMMAND [ARGS]...")
        for sub in command.commands.values():
            _translate_help(sub)


def _choose_language(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        set_language(value)
        os.environ["LANGUAGE"] = value
        _translate_help(ctx.find_root().command)
    return value


class _Group(click.Group):
    """Speaks the reader's language, and maps the library's errors to exit codes and plain messages."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        with _speaking(current_language()):
            _translate_help(self)
            return super().main(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (Refused, IllegalTrigger, VersionConflict) as exc:
            if isinstance(exc, Refused):
                click.echo(_("{action} refused:").format(action=exc.action), err=True)
                for reason in exc.reasons:
                    click.echo(f"  - {reason}", err=True)
            else:
                click.echo(_("Refused: {problem}").format(problem=exc), err=True)
            ctx.exit(1)
        except AmbiguousCampaign as exc:
            click.echo(_("Error: the database holds {count} campaigns ({campaigns}): choose one with --campaign ID "
                         "(or set AMI_WORKFLOW_CAMPAIGN)").format(count=len(exc.campaigns),
                                                                  campaigns=", ".join(exc.campaigns)), err=True)
            ctx.exit(2)
        except AmiWorkflowError as exc:
            click.echo(_("Error: {problem}").format(problem=exc), err=True)
            ctx.exit(2)
        except (OSError, UnicodeDecodeError) as exc:
            click.echo(_("Error: {problem}").format(problem=exc), err=True)
            ctx.exit(2)


class _State:
    """The database and the campaign a command works on (``--db`` and ``--campaign``, before or after it)."""

    def __init__(self, db: str, campaign: str | None) -> None:
        self.db = db
        self.campaign = campaign
        self._said = False

    @contextmanager
    def flow(self, *, create_with: Campaign | None = None, clock: Clock | None = None,
             any_campaign: bool = False) -> Iterator[Workflow]:
        """The database open on the campaign: the one named, or its only one; with several and none named, the
        command is refused (``any_campaign``: the newest, for a command about every campaign). With several,
        the one used is said on stderr."""
        from .store import Workflow

        if create_with is None and self.db != ":memory:" and not Path(self.db).exists():
            _fail(_("no database at {path}: run 'ami-workflow demo' or 'ami-workflow campaign add FILE' first")
                  .format(path=self.db))
        with Workflow.open(self.db, create_with or self.campaign, clock=clock, actor=_login(),
                           newest=any_campaign) as flow:
            if create_with is None and not any_campaign:
                self.say_campaign(flow.campaign.id, len(flow.campaign_ids()))
            yield flow

    def say_campaign(self, campaign_id: str, count: int) -> None:
        """Say on stderr, once, which campaign the command uses when the database holds several."""
        if count > 1 and not self._said:
            self._said = True
            click.echo(_("campaign {campaign} (one of {count} in {db})").format(
                campaign=campaign_id, count=count, db=self.db), err=True)


def _login() -> str:
    """Who acts when a command names no one: the login name."""
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "ami-workflow"


def _fail(message: str) -> NoReturn:
    raise click.UsageError(message)


def _emit(data: Any, as_json: bool, lines: Callable[[], Iterable[str]]) -> None:
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default))
    else:
        for line in lines():
            click.echo(line)


def _json_default(value: Any) -> Any:
    """What JSON has no type for: a set as a sorted list, anything else (a day, an amount) as its text."""
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return str(value)


def _table(rows: Sequence[Sequence[object]], headers: Sequence[str]) -> list[str]:
    cells = [[str(c) for c in headers]] + [[("" if c is None else str(c)) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    out = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in cells]
    out.insert(1, "  ".join("-" * w for w in widths))
    return out


def _instant(value: str | None) -> datetime | None:
    from .calendar import parse_instant

    return None if value is None else parse_instant(value)


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(_("{value!r} is not an ISO date (YYYY-MM-DD)").format(value=value)) from None


def _period(window: Window) -> str:
    """A window of the calendar in words: « du 1 juin 2021 au 9 juillet 2021 »."""
    return _("from {start} to {end}").format(start=format_day(window.start), end=format_day(window.end))


def _money(amount: Any) -> str:
    """An amount for a person, or nothing when there is none."""
    return "" if amount is None else format_money(amount)


def _interactive() -> bool:
    """Whether stderr is a terminal, where a progress bar is drawn."""
    return sys.stderr.isatty()


def _progress(items: Sequence[Any], label: str) -> Any:
    """A progress bar on a terminal, nothing when piped."""
    if _interactive():
        return click.progressbar(items, label=label, file=sys.stderr)
    return _Quiet(items)


class _Quiet:
    def __init__(self, items: Sequence[Any]) -> None:
        self.items = items

    def __enter__(self) -> Sequence[Any]:
        return self.items

    def __exit__(self, *exc: object) -> None:
        return None


@click.group(cls=_Group)
@click.option("--db", envvar="AMI_WORKFLOW_DB", default="ami.db", show_default=True,
              help="The SQLite database (or set AMI_WORKFLOW_DB).")
@click.option("--campaign", "campaign_id", envvar="AMI_WORKFLOW_CAMPAIGN", default=None,
              help="The campaign id, required when the database holds several (or set AMI_WORKFLOW_CAMPAIGN).")
@click.option("--lang", type=click.Choice(sorted(LANGUAGES)), default=None, is_eager=True, expose_value=False,
              callback=_choose_language,
              help="The language of the output: fr (the default) or en (or set AMI_WORKFLOW_LANG).")
@click.version_option(package_name="ami-workflow")
@click.pass_context
def main(ctx: click.Context, db: str, campaign_id: str | None) -> None:
    """Run a call for projects (AMI) end to end on an embedded SQLite database.

    --db and --campaign go before or after the command. A database of several campaigns needs --campaign
    (or AMI_WORKFLOW_CAMPAIGN): no command picks one silently.
    """
    ctx.obj = _State(db, campaign_id)


def _late_db(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(_State).db = value


def _late_campaign(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(_State).campaign = value


def _late_options(group: click.Group) -> None:
    """Give every command --db and --campaign too, so that they work after the command's name as well."""
    for command in group.commands.values():
        if isinstance(command, click.Group):
            _late_options(command)
            continue
        command.params += [
            click.Option(["--db"], expose_value=False, callback=_late_db,
                         help="The SQLite database (or set AMI_WORKFLOW_DB)."),
            click.Option(["--campaign"], expose_value=False, callback=_late_campaign,
                         help="The campaign id, required when the database holds several (or set "
                              "AMI_WORKFLOW_CAMPAIGN)."),
        ]


def _actor_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """--actor, by default the login name (the same everywhere)."""
    return click.option("--actor", default=_login, help="Who does it (default: the login name).")(func)


# -- demo ------------------------------------------------------------------------


@main.command()
@click.option("--reset", is_flag=True, help="Delete the database first.")
@click.option("--seed", default=2021, show_default=True, help="The seed of the sample dossiers.")
@click.option("--count", default=30, show_default=True, help="How many sample dossiers.")
@click.option("--documents/--no-documents", default=True, show_default=True,
              help="Issue the documents the acts call for (about a quarter of a second each).")
@click.pass_obj
def demo(state: _State, reset: bool, seed: int, count: int, documents: bool) -> None:
    """Load the 2021 call, walk about 30 sample dossiers through its calendar, and print the report."""
    from . import issuance, reports
    from .anchor import generate_key, load_private_key, load_public_key
    from .calendar import PARIS, FixedClock
    from .callfile import DEFAULT_CALL, load_campaign
    from .sample import run_demo

    path = Path(state.db)
    if path.exists():
        if not reset:
            _fail(_("{path} already exists: run 'ami-workflow demo --reset' to start again, or use --db")
                  .format(path=path))
        for suffix in ("", "-wal", "-shm", ".anchor"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    campaign = load_campaign(DEFAULT_CALL)
    # The demo simulates 2021 on a clock of its own, which the walk moves forward day by day.
    with state.flow(create_with=campaign, clock=FixedClock(datetime(2021, 3, 8, 9, tzinfo=PARIS))) as flow:
        # One transaction: all or nothing. No progress bar: the walk's narrative, on stdout, is its progress (a bar
        # on stderr would be drawn over it).
        with flow.batch():
            refs = run_demo(flow, echo=click.echo, seed=seed, count=count)
        # The documents each act called for, as the service would have sent them: stored as issued (HTML and PDF).
        wanted = issuance.to_issue(flow, refs) if documents else []
        with _progress(wanted, _("Issuing the documents")) as bar, flow.batch():
            ticks = iter(bar)
            issued = len(issuance.issue_many(flow, wanted, actor="demo", tick=lambda: next(ticks, None)))
        if documents:
            click.echo(ngettext(
                "{count} document issued (accusés de réception, demandes de pièces, notices of decision): "
                "ami-workflow document list REFERENCE",
                "{count} documents issued (accusés de réception, demandes de pièces, notices of decision): "
                "ami-workflow document list REFERENCE", issued).format(count=issued))
        click.echo("")
        for line in reports.report_lines(reports.campaign_report(flow)):
            click.echo(line)
        key, public, anchor = (Path(f"{path}.{suffix}") for suffix in ("key.pem", "pub.pem", "anchor"))
        if not key.exists():
            generate_key(key, public)
        signed = flow.checkpoint(load_private_key(key), anchor, actor="demo")
        problem = flow.verify_anchor(load_public_key(public), anchor)
        count = len(flow.events())
        if problem is None:
            closing = ngettext(
                "Journal: {count} event, intact; head at event {head} signed with {key}, the checkpoint recorded as "
                "event {checkpoint} (check: ami-workflow verify --key {public} --anchor {anchor})",
                "Journal: {count} events, intact; head at event {head} signed with {key}, the checkpoint recorded as "
                "event {checkpoint} (check: ami-workflow verify --key {public} --anchor {anchor})", count)
        else:
            closing = ngettext(
                "Journal: {count} event, {problem}; head at event {head} signed with {key}, the checkpoint recorded "
                "as event {checkpoint} (check: ami-workflow verify --key {public} --anchor {anchor})",
                "Journal: {count} events, {problem}; head at event {head} signed with {key}, the checkpoint recorded "
                "as event {checkpoint} (check: ami-workflow verify --key {public} --anchor {anchor})", count)
        click.echo("\n" + closing.format(count=count, problem=problem, head=signed.seq, key=key,
                                          checkpoint=signed.seq + 1, public=public, anchor=anchor))


# -- campaigns -------------------------------------------------------------------


@main.group()
def campaign() -> None:
    """The calls for projects held in the database."""


@campaign.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def campaign_list(state: _State, as_json: bool) -> None:
    """List the campaigns in the database, and the calls bundled with the library."""
    from .callfile import bundled_calls

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
    from .codec import converter
    from .demo import describe_campaign

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
    from .callfile import load_campaign

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
    from .calendar import SystemClock
    from .private_files import open_private
    from .rollover import rollover
    from .store import current_campaign

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


# -- dossiers --------------------------------------------------------------------


@main.group()
def dossier() -> None:
    """Create, complete, move and read dossiers."""


def _read_data_file(path: str) -> dict[str, Any]:
    import tomllib

    text = Path(path).read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text) if path.endswith(".toml") else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(_("{path}: {problem}").format(path=path, problem=exc)) from None
    if not isinstance(data, dict):
        raise InvalidInput(_("{path}: expected a table with [applicant] and [application]").format(path=path))
    return data


@dossier.command("new")
@click.option("--from", "source", type=click.Path(exists=True, dir_okay=False),
              help="A TOML or JSON file with [applicant] and [application] tables.")
@click.option("--name", help="The applicant's name.")
@click.option("--kind", default="association", show_default=True, help="The applicant's kind (a key of the call).")
@click.option("--siren")
@click.option("--siret")
@click.option("--rna")
@click.option("--iban")
@click.option("--legal-representative", help="The legal representative (personal data).")
@click.option("--representative", hidden=True)  # the former name of --legal-representative
@click.option("--title", help="The action's title.")
@click.option("--axis")
@click.option("--qpv", multiple=True, help="A target QPV code (repeat for several).")
@click.option("--start", help="The action's first day (YYYY-MM-DD).")
@click.option("--end", help="The action's last day (YYYY-MM-DD).")
@click.option("--total-cost")
@click.option("--requested")
@click.option("--participants", type=int)
@click.option("--qpv-residents", type=int)
@click.option("--young", type=int)
@click.option("--women", type=int)
@click.option("--sourcing")
@click.option("--reference", help="A reference of your own (default: <campaign>-NNNN).")
@_actor_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def dossier_new(state: _State, /, source: str | None, reference: str | None, actor: str,
                as_json: bool, **options: Any) -> None:
    """Create a draft dossier from a file or from options."""
    from .codec import converter, structure_record
    from .dossier import Applicant, Application

    if source:
        data = _read_data_file(source)
        applicant_data, application_data = data.get("applicant"), data.get("application", {})
    else:
        if not options["name"]:
            _fail(_("give --from FILE, or at least --name"))
        applicant_data = {k: options[k] for k in ("name", "kind", "siren", "siret", "rna", "iban")}
        applicant_data["legal_representative"] = options["legal_representative"] or options["representative"]
        application_data = {k: options[k] for k in ("title", "axis", "total_cost", "requested", "participants",
                                                     "qpv_residents", "young", "women", "sourcing")}
        application_data["qpv_codes"] = list(options["qpv"])
        if options["start"] or options["end"]:
            application_data["period"] = {"start": options["start"], "end": options["end"]}
    applicant = structure_record({k: v for k, v in (applicant_data or {}).items()}, Applicant, "applicant")
    application = structure_record(
        {k: v for k, v in application_data.items() if v is not None}, Application, "application"
    )
    with state.flow() as flow:
        created = flow.create_dossier(applicant, application, reference=reference, actor=actor)
    _emit(converter.unstructure(created), as_json,
          lambda: [_("{reference}: created as draft").format(reference=created.reference)])


@dossier.command("import")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "file_format", type=click.Choice(["csv", "json"]), default=None,
              help="The file's format (default: csv for a name ending in .csv, else json).")
@_actor_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def dossier_import(state: _State, source: str, file_format: str | None, actor: str, as_json: bool) -> None:
    """Create drafts from a CSV file (French spreadsheet format) or a JSON list of {"applicant": …, "application": …}.

    The reference (a CSV's reference column, a JSON entry's "reference") is the external id: a dossier already
    imported under it is counted, not created again, so that the same import can run twice. One transaction:
    every line is checked first, a bad one is named with its column, and nothing is created.
    """
    from .dossier_import import import_dossiers, read_file

    with state.flow() as flow:
        entries = read_file(source, flow.campaign, file_format)
        label = ngettext("Importing {count} dossier", "Importing {count} dossiers", len(entries)).format(
            count=len(entries))
        is_csv = (file_format or ("csv" if source.lower().endswith(".csv") else "json")) == "csv"
        with flow.batch(), _progress(entries, label) as bar:
            ticks = iter(bar)
            result = import_dossiers(flow, entries, actor=actor, what="line" if is_csv else "entry",
                                     progress=lambda _: next(ticks, None))

    def lines() -> list[str]:
        created, already = len(result.created), len(result.already_imported)
        said = _("{created}, {already}").format(
            created=ngettext("{count} dossier created", "{count} dossiers created", created).format(count=created),
            already=ngettext("{count} already imported", "{count} already imported", already).format(count=already))
        return [said] + ([", ".join(result.created)] if result.created else [])

    _emit({"created": list(result.created), "already_imported": list(result.already_imported)}, as_json, lines)


@dossier.command("attach")
@click.argument("reference")
@click.argument("piece")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--media-type", help="e.g. application/pdf")
@click.option("--postmark", help="The postmark's day, for a piece sent by post (default: received today).")
@click.option("--expected-version", type=int)
@_actor_option
@click.pass_obj
def dossier_attach(state: _State, reference: str, piece: str, file: str, media_type: str | None,
                   postmark: str | None, expected_version: int | None, actor: str) -> None:
    """Attach the file FILE as the piece PIECE (a key of the call, e.g. statuts) of a dossier."""
    with state.flow() as flow:
        d = flow.attach(reference, piece, Path(file), media_type=media_type,
                        postmark=_day(postmark) if postmark else None, expected_version=expected_version,
                        actor=actor)
        label = flow.campaign.piece(piece)
    stored = d.piece(piece)
    size = (stored.size or 0) if stored else 0
    click.echo(ngettext("{reference}: {label} (key `{key}`) received ({size} byte, sha256 {sha256})",
                        "{reference}: {label} (key `{key}`) received ({size} bytes, sha256 {sha256})", size).format(
        reference=reference, label=label.label if label else piece, key=piece, size=format_decimal(size),
        sha256=stored.sha256 if stored else ""))


@dossier.command("original")
@click.argument("reference")
@click.argument("piece")
@click.option("--postmark", help="The postmark's day, for an original sent by post (default: received today).")
@click.option("--signed/--unsigned", default=True, show_default=True)
@click.option("--signed-by", help="Who signed it (personal data).")
@click.option("--role", help="The signer's role, e.g. représentant légal.")
@_actor_option
@click.pass_obj
def dossier_original(state: _State, reference: str, piece: str, signed: bool,
                     signed_by: str | None, role: str | None, postmark: str | None, actor: str) -> None:
    """Record the paper original of PIECE: whether it is signed, and by whom; dated when received (or --postmark)."""
    from .calendar import SystemClock
    from .pieces import PaperOriginal

    # The library dates the original by its receipt (or postmark): the day given here is a placeholder.
    original = PaperOriginal(piece, SystemClock().now().date(), signed, signed_by, role)
    with state.flow() as flow:
        flow.receive_original(reference, original, postmark=_day(postmark) if postmark else None, actor=actor)
        found = flow.campaign.piece(piece)
    message = (_("{reference}: paper original of {label} (key `{piece}`) recorded (signed)") if signed
               else _("{reference}: paper original of {label} (key `{piece}`) recorded (not signed)"))
    click.echo(message.format(reference=reference, piece=piece, label=found.label if found else piece))


def _trigger_data(data: Sequence[str], criteria: str | None, amount: str | None, session: str | None,
                  motivation: str | None, reason: str | None, issue: Sequence[str], payment_ref: str | None,
                  proposed: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in data:
        key, sep, value = item.partition("=")
        if not sep:
            raise InvalidInput(_("--data takes KEY=VALUE, not {item!r}").format(item=item))
        out[key.strip()] = value
    if criteria is not None:
        out["criteria"] = [c.strip() for c in criteria.split(",") if c.strip()]
    named: tuple[tuple[str, str | None], ...] = (
        ("amount", amount), ("session", session), ("motivation", motivation),
        ("reason", reason), ("reference", payment_ref), ("proposed", proposed),
    )
    for name, text in named:
        if text is not None:
            out[name] = text
    if issue:
        issues = []
        for item in issue:
            key, _sep, rest = item.partition(":")
            why, _sep, note = rest.partition(":")
            issues.append({"key": key, "reason": why or "missing", "note": note})
        out["issues"] = issues
    return out


_FIRE_OPTIONS = {
    "at": click.option("--at", help="When the act took effect, if before now (ISO date or time, Paris time); "
                                    "not for submit."),
    "postmark": click.option("--postmark", help="submit: the postmark's day of a dossier sent by post."),
    "actor": click.option("--actor", default=_login, help="Who does it (default: the login name)."),
    "expected_version": click.option("--expected-version", type=int,
                                     help="Refuse if the dossier changed since this version."),
    "criteria": click.option("--criteria", help="instruct: the confirmed bonus criteria, comma-separated."),
    "proposed": click.option("--proposed", help="instruct: the proposed amount."),
    "amount": click.option("--amount", help="approve, pay: the amount."),
    "session": click.option("--session", help="hear: the committee session id."),
    "motivation": click.option("--motivation", help="reject: the written motivation."),
    "reason": click.option("--reason", help="withdraw: the reason."),
    "issue": click.option("--issue", multiple=True,
                          help="return_for_pieces: PIECE:missing|incorrect|outdated[:NOTE]."),
    "payment_ref": click.option("--payment-ref", help="pay: the payment's reference."),
    "data": click.option("--data", multiple=True, help="Any trigger datum as KEY=VALUE."),
}
#: The options of a trigger's data (triggers.required_data's names), for a person told what to give.
_DATA_OPTIONS = {"issues": "--issue PIECE:missing|incorrect|outdated[:NOTE]", "session": "--session SESSION"}


def _fire_options(*names: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The options of ``dossier fire`` named (all of them by default), in their order."""
    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        for name in reversed([n for n in _FIRE_OPTIONS if n in names or not names]):
            func = _FIRE_OPTIONS[name](func)
        return func
    return decorate


def _fire(state: _State, reference: str, trigger: str, at: str | None, actor: str, expected_version: int | None,
          postmark: str | None = None, **data: Any) -> Dossier:
    payload = _trigger_data(data.pop("data", ()), data.pop("criteria", None), data.pop("amount", None),
                            data.pop("session", None), data.pop("motivation", None), data.pop("reason", None),
                            data.pop("issue", ()), data.pop("payment_ref", None), data.pop("proposed", None))
    with state.flow() as flow:
        return flow.fire(reference, trigger, at=_instant(at), postmark=_day(postmark) if postmark else None,
                         actor=actor, expected_version=expected_version, keep_refusal=True, **payload)


#: What a person reads for each kind of event that is not a trigger (the triggers have states.trigger_label).
_EVENT_WORDS = {
    "dossier_created": N_("dossier created"),
    "application_updated": N_("application updated"),
    "piece_attached": N_("piece received"),
    "original_received": N_("paper original received"),
    "pieces_reused": N_("pieces reused"),
    "document_issued": N_("document issued"),
    "dossier_imported": N_("dossier imported"),
    "personal_data_erased": N_("personal data erased"),
}


def _event_words(kind: str, trigger: str) -> str:
    """An event of a dossier's history in words, the trigger's key beside its label: « déposer (`submit`) »."""
    if kind == "triggered":
        label = trigger_label(trigger)
        return label if label == trigger else _("{label} (`{key}`)").format(label=label, key=trigger)
    words = _EVENT_WORDS.get(kind)
    return _(words) if words is not None else kind


def _history_words(kind: str, trigger: str, payload: Mapping[str, Any]) -> str:
    """A line of a dossier's history in words, naming the piece of a piece's event: « pièce reçue : statuts »."""
    what = _event_words(kind, trigger)
    record = payload.get("piece") or payload.get("original")
    piece = record.get("key") if isinstance(record, Mapping) else None
    return _("{event}: {piece}").format(event=what, piece=piece) if piece else what


#: The triggers whose act is attested by a document sent to the applicant (ami_workflow.issued.DOCUMENT_KINDS).
_DOCUMENTED = frozenset({"submit", "return_for_pieces", "approve", "reject"})


@dossier.command("fire")
@click.argument("reference")
@click.argument("trigger", type=click.Choice(TRIGGERS))
@_fire_options()
@click.option("--no-document", is_flag=True,
              help="Do not issue the document the act calls for (accusé de réception, demande de pièces, notice).")
@click.pass_obj
def dossier_fire(state: _State, /, reference: str, trigger: str, no_document: bool, **options: Any) -> None:
    """Fire TRIGGER on a dossier (submit, mark_complete, instruct, hear, approve, pay …).

    A submission, a return for pieces, an approval or a rejection then issues the document it calls for (stored
    as issued: ami-workflow document print).
    """
    d = _fire(state, reference, trigger, **options)
    click.echo(_("{reference}: {trigger} -> {state} (version {version})").format(
        reference=reference, trigger=trigger, state=d.state, version=d.version))
    if trigger in _DOCUMENTED and not no_document:
        from . import notices

        with state.flow() as flow:
            before = {(doc.kind, doc.attests) for doc in flow.documents(reference)}
            for doc in notices.issue_all(flow, reference, actor=options["actor"]):
                if (doc.kind, doc.attests) not in before:
                    click.echo(_("{kind} issued (event {seq}): ami-workflow document print {reference} --kind {kind} "
                                 "-o FILE").format(kind=doc.kind, seq=doc.seq, reference=reference))


@main.command()
@click.argument("reference")
@_fire_options("amount", "payment_ref", "at", "actor", "expected_version")
@click.pass_obj
def pay(state: _State, /, reference: str, **options: Any) -> None:
    """Pay a granted dossier: one instalment (--amount) or the balance."""
    d = _fire(state, reference, "pay", **options)
    click.echo(_("{reference}: paid {amount}; {paid} of {approved} -> {state}").format(
        reference=reference, amount=format_money(d.payments[-1].amount), paid=format_money(d.paid),
        approved=format_money(d.approved or d.paid), state=d.state))


@dossier.command("show")
@click.argument("reference")
@click.option("--at", help="Check the possible triggers at this time (default now).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--personal", is_flag=True, help="--json: include the IBAN and the representatives' names.")
@click.pass_obj
def dossier_show(state: _State, reference: str, at: str | None, as_json: bool, personal: bool) -> None:
    """The dossier: state, history, missing pieces, current ceiling, and what can happen next (and why not)."""
    from .codec import converter
    from .personal import without_contacts
    from .pieces import missing_pieces
    from .triggers import required_data

    with state.flow() as flow:
        d = flow.get(reference)
        c = flow.get_campaign(d.campaign_id)
        history = flow.history(reference)
        missing = missing_pieces(c.pieces, d.applicant.kind, d.pieces, d.originals)
        limit = flow.ceiling(reference)
        possible = flow.possible_triggers(reference, at=_instant(at))
    data = {
        "dossier": converter.unstructure(d),
        "history": [{"at": e.at.isoformat(), "trigger": e.trigger, "from": e.source, "to": e.dest, "actor": e.actor,
                     "payload": dict(e.payload)} for e in history],
        "missing_pieces": missing,
        "ceiling": str(limit),
        "next": possible,
    }
    if not personal:  # an IBAN and people's names only when asked for (applicant export gives everything)
        data = without_contacts(data)

    def lines() -> Iterator[str]:
        app = d.application
        yield _("{reference}  [{state}]  version {version}").format(reference=d.reference, state=state_words(d.state),
                                                                    version=d.version)
        yield "  " + _("applicant: {name} ({kind}) {identity}").format(
            name=d.applicant.name, kind=d.applicant.kind, identity=d.applicant.identity)
        yield "  " + _("action: {title} — axis {axis}, QPV {qpv}").format(
            title=app.title, axis=app.axis, qpv=" ".join(app.qpv_codes))
        yield "  " + _("cost {cost}, requested {requested}, ceiling now {ceiling}").format(
            cost=_money(app.total_cost) or "?", requested=_money(app.requested) or "?", ceiling=format_money(limit))
        if d.approved is not None:
            yield "  " + _("approved {approved}, paid {paid}").format(approved=format_money(d.approved),
                                                                     paid=format_money(d.paid))
        yield "  " + (_("missing pieces:") if missing else _("missing pieces: none"))
        for item in missing:
            yield f"    - {item}"
        yield "  " + _("history:")
        words = [_history_words(e.kind.value, e.trigger, e.payload) for e in history]
        width = max([34, *map(len, words)])
        for e, what in zip(history, words, strict=True):
            move = f"{state_label(e.source)} -> {state_label(e.dest)}" if e.source and e.dest else ""
            yield f"    {e.at:%Y-%m-%d %H:%M}  {what:<{width}} {move:<26} {e.actor}"
        yield "  " + (_("next:") if possible else _("next: nothing, {state} is final").format(
            state=state_words(d.state)))
        for trigger, reasons in possible.items():
            verdict = _("{trigger}: refused") if reasons else _("{trigger}: possible now")
            yield "    " + verdict.format(trigger=trigger)
            for r in reasons:
                yield f"      - {r}"
            needed = [_DATA_OPTIONS.get(name, f"--data {name}=VALUE") for name in required_data(trigger)]
            if needed:
                yield "      " + _("give: ami-workflow dossier fire {reference} {trigger} {options}").format(
                    reference=d.reference, trigger=trigger, options=" ".join(needed))

    _emit(data, as_json, lines)


@dossier.command("list")
@click.option("--state")
@click.option("--axis")
@click.option("--qpv")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--personal", is_flag=True, help="--json: include the IBANs and the representatives' names.")
@click.pass_obj
def dossier_list(state: _State, /, as_json: bool, personal: bool, **filters: str | None) -> None:
    """List the campaign's dossiers, filtered by state, axis and QPV."""
    from .codec import converter
    from .personal import without_contacts

    with state.flow() as flow:
        found = flow.dossiers(campaign_id=flow.campaign.id, state=filters["state"], axis=filters["axis"],
                              qpv=filters["qpv"])
    rows = [(d.reference, state_label(d.state), d.application.axis, " ".join(d.application.qpv_codes),
             _money(d.application.requested), _money(d.approved), d.applicant.name) for d in found]
    headers = (_("reference"), _("state"), _("axis"), _("qpv"), _("requested"), _("granted"), _("applicant"))
    listed = [converter.unstructure(d) for d in found]
    _emit(listed if personal else without_contacts(listed), as_json, lambda: _table(rows, headers) + [
        ngettext("{count} dossier", "{count} dossiers", len(rows)).format(count=len(rows))])


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
    from .private_files import open_private

    with state.flow() as flow:
        data = flow.export_applicant(identity)
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
@click.argument("session_id")
@click.argument("day")
@click.option("--chair", required=True, help="The chair's name.")
@click.option("--chair-role", help="The chair's role (default: the call's).")
@click.option("--member", "members", multiple=True, required=True, help="NAME:CATEGORY, e.g. 'A. Martin:elus'.")
@_actor_option
@click.pass_obj
def committee(state: _State, session_id: str, day: str, chair: str, chair_role: str | None,
              members: Sequence[str], actor: str) -> None:
    """Record a session of the selection committee on DAY."""
    from .committee import CommitteeSession, Member

    parsed = []
    for item in members:
        name, sep, category = item.rpartition(":")
        if not sep:
            raise InvalidInput(_("--member takes NAME:CATEGORY, not {item!r}").format(item=item))
        parsed.append(Member(name, category))
    with state.flow() as flow:
        session = CommitteeSession(session_id, _day(day), chair, chair_role or flow.campaign.committee.chair_role,
                                   tuple(parsed))
        flow.record_session(session, actor=actor)
    click.echo(ngettext("committee session {session} of {day} recorded ({count} member)",
                        "committee session {session} of {day} recorded ({count} members)", len(parsed))
               .format(session=session_id, day=format_day(session.day), count=len(parsed)))


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
    from .decisions import Deliberation

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
    from .decisions import Convention

    with state.flow() as flow:
        flow.record_convention(Convention(dossier_ref, reference, _day(signed_on)), actor=actor)
    click.echo(_("{dossier}: convention {reference} signed on {day}").format(
        dossier=dossier_ref, reference=reference, day=format_day(_day(signed_on))))


# -- reading ---------------------------------------------------------------------


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def report(state: _State, as_json: bool) -> None:
    """The campaign report: states, envelope, axes, QPV, bonus criteria, publics, funding rate."""
    from . import reports

    with state.flow() as flow:
        result = reports.campaign_report(flow)
    _emit(reports.report_dict(result), as_json, lambda: reports.report_lines(result))


@main.command()
@click.option("--at", help="The day (ISO date, its midnight) or instant to look from (default now).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def agenda(state: _State, at: str | None, as_json: bool) -> None:
    """What is due and what is late at a date, with the dossiers as the journal had them then."""
    from . import agenda as agenda_module
    from .calendar import parse_instant
    from .codec import converter

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
    from . import exports, sheets
    from .private_files import open_private

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
    from .store import publish as publish_database

    with state.flow() as flow:
        done = publish_database(flow, out, metadata_path=metadata_path, force=force)
    click.echo(ngettext("wrote {path} ({count} dossier) and {metadata}",
                        "wrote {path} ({count} dossiers) and {metadata}", done.dossiers).format(
        path=done.database, count=done.dossiers, metadata=done.metadata))
    click.echo(_("to browse it: datasette {path} --metadata {metadata}").format(
        path=done.database, metadata=done.metadata))


@main.group()
def document() -> None:
    """The documents sent to applicants: accusé de réception, demande de pièces, notice of decision."""


_KINDS = click.Choice(["accuse_reception", "demande_pieces", "notification_decision"])


@document.command("issue")
@click.argument("reference")
@click.option("--kind", type=_KINDS, default=None,
              help="The document to issue (default: every document the dossier's journal calls for).")
@click.option("--event", "attests", type=int, default=None, help="The journal event it attests (default: the latest).")
@click.pass_obj
def document_issue(state: _State, reference: str, kind: str | None, attests: int | None) -> None:
    """Issue a dossier's documents (PDF and HTML, stored as issued); an issued one is never issued again."""
    from . import notices

    with state.flow() as flow:
        before = {(d.kind, d.attests) for d in flow.documents(reference)}
        issued = ([notices.issue(flow, reference, kind, attests)] if kind is not None
                  else notices.issue_all(flow, reference))
        for doc in issued:
            again = (doc.kind, doc.attests) in before
            line = (_("{kind} of event {event}: already issued (event {seq}), kept as issued") if again
                    else _("{kind} of event {event}: issued (event {seq})"))
            click.echo(line.format(kind=doc.kind, event=doc.attests, seq=doc.seq))
            click.echo(f"  PDF SHA-256 {doc.sha256('pdf')}")


@document.command("list")
@click.argument("reference")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def document_list(state: _State, reference: str, as_json: bool) -> None:
    """The documents issued on a dossier: kind, the event attested, language and PDF hash."""
    from .i18n import format_instant

    with state.flow() as flow:
        docs = flow.documents(reference)
    data = [{"kind": d.kind, "attests": d.attests, "seq": d.seq, "language": d.language,
             "at": d.at.isoformat() if d.at else None,
             "files": {fmt: {"sha256": sha, "size": size} for fmt, (sha, size) in d.files.items()}} for d in docs]
    _emit(data, as_json, lambda: _table(
        [(d.kind, d.attests, d.seq, d.language, format_instant(d.at) if d.at else "", d.sha256("pdf")[:16])
         for d in docs],
        (_("document"), _("attests"), _("event"), _("language"), _("in effect on"), _("PDF SHA-256")),
    ) if docs else [_("no document has been issued on {reference}").format(reference=reference)])


@document.command("print")
@click.argument("reference")
@click.option("--kind", type=_KINDS, required=True, help="The document.")
@click.option("--format", "fmt", type=click.Choice(["pdf", "html"]), default="pdf", show_default=True,
              help="The format to print.")
@click.option("--event", "attests", type=int, default=None, help="The journal event it attests (default: the latest).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write it to a file.")
@click.pass_obj
def document_print(state: _State, reference: str, kind: str, fmt: str, attests: int | None,
                   output: str | None) -> None:
    """Reprint an issued document: the bytes as issued, whatever changed since."""
    from . import notices
    from .private_files import open_private

    with state.flow() as flow:
        data = notices.reprint(flow, reference, kind, fmt, attests)
    if output:
        with open_private(output, "wb") as out:
            out.write(data)
        click.echo(_("wrote {path}").format(path=output), err=True)
    elif fmt == "pdf" and sys.stdout.isatty():
        _fail(_("a PDF is not printed on a terminal: give -o FILE, or pipe it"))
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)


@main.command()
@click.option("--head", help="A head hash kept earlier: also detect a cut tail.")
@click.option("--key", "public_key", type=click.Path(exists=True, dir_okay=False),
              help="The service's public key (PEM): check the journal against the anchor file's signed checkpoints.")
@click.option("--anchor", type=click.Path(exists=True, dir_okay=False), help="The anchor file written by checkpoint.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def verify(state: _State, head: str | None, public_key: str | None, anchor: str | None, as_json: bool) -> None:
    """Check the journal's chain and every table against its replay; exit 1 naming the first problem."""
    from .anchor import load_public_key

    if (public_key is None) != (anchor is None):
        _fail(_("give both --key and --anchor to check the signed checkpoints"))
    with state.flow() as flow:
        if public_key is not None and anchor is not None:
            problem = flow.verify_anchor(load_public_key(public_key), anchor)
        else:
            problem = flow.verify(expected_head=head)
        count, last = sum(1 for _ in flow.iter_events()), flow.head()
    data = {"intact": problem is None, "events": count, "head": last,
            "problem": None if problem is None else {"seq": problem.seq, "reason": problem.reason}}
    if problem is not None:
        if as_json:
            click.echo(json.dumps(data, indent=2))
        click.echo(_("journal NOT intact: event {seq}: {reason}").format(seq=problem.seq, reason=problem.reason),
                   err=True)
        raise SystemExit(1)
    _emit(data, as_json, lambda: [ngettext("journal intact: {count} event, head {head}",
                                           "journal intact: {count} events, head {head}", count)
                                  .format(count=count, head=last)])


@main.command()
@click.argument("private_key", type=click.Path(dir_okay=False))
@click.argument("public_key", type=click.Path(dir_okay=False))
def keygen(private_key: str, public_key: str) -> None:
    """Write a new Ed25519 key pair for checkpoints.

    Keep PRIVATE_KEY outside the database; give PUBLIC_KEY to auditors.
    """
    from .anchor import generate_key

    generate_key(private_key, public_key)
    click.echo(_("private key {private} (keep it secret), public key {public}").format(
        private=private_key, public=public_key))


@main.command()
@click.option("--key", "private_key", required=True, type=click.Path(exists=True, dir_okay=False),
              help="The service's private key (PEM), kept outside the database.")
@click.option("--anchor", required=True, type=click.Path(dir_okay=False), help="The anchor file to append to.")
@_actor_option
@click.pass_obj
def checkpoint(state: _State, private_key: str, anchor: str, actor: str) -> None:
    """Sign the journal's head, journal the checkpoint and append it to the anchor file."""
    from .anchor import load_private_key

    with state.flow() as flow:
        signed = flow.checkpoint(load_private_key(private_key), anchor, actor=actor)
    click.echo(_("checkpoint at event {seq}, head {head}, appended to {anchor}").format(
        seq=signed.seq, head=signed.head, anchor=anchor))


@main.command("verify-receipt")
@click.argument("reference")
@click.argument("event_hash")
@click.pass_obj
def verify_receipt(state: _State, reference: str, event_hash: str) -> None:
    """Say whether the event a receipt quotes (its SHA-256 hash) is in the dossier's chain; exit 1 if not."""
    with state.flow() as flow:
        found = flow.verify_receipt(reference, event_hash)
    if not found:
        click.echo(_("{hash} is NOT an event of {reference} in an intact journal").format(
            hash=event_hash, reference=reference), err=True)
        raise SystemExit(1)
    click.echo(_("{hash} is an event of {reference} in the journal").format(hash=event_hash, reference=reference))


@main.command()
@click.option("--call", "call_name",
              help="A call file or bundled call (default: the database's campaign, else the 2021 call).")
@click.pass_obj
def diagram(state: _State, call_name: str | None) -> None:
    """Print the dossier state diagram as Mermaid."""
    from .store import current_campaign

    chosen = current_campaign(state.db, call_name, state.campaign, newest=False)
    click.echo(chosen.workflow.machine().mermaid(title=chosen.call.title))


_late_options(main)
