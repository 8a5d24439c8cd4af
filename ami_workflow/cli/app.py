"""The command line's frame: the ``main`` group, its language, its error handling and the helpers of every command.

Every command opens the SQLite database (``--db``, ``$AMI_WORKFLOW_DB`` or
``./ami.db``) and calls :class:`ami_workflow.store.Workflow` and the report,
agenda, export and document modules. Exit codes: 0 ok; 1 an action refused by a
guard, by the dossier's state or by a stale version (every reason printed);
2 a usage error or bad input, and any other error of the library (an unknown
dossier, a database it cannot use, a full disk …): a clear message naming the
field, no traceback; 3 an internal error (a defect of the library); 141 when
the output's reader has gone. An argument that is not UTF-8 is refused with 2.
"""

from __future__ import annotations

import gettext
import inspect
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from ..errors import AmbiguousCampaign, AmiWorkflowError, IllegalTrigger, InvalidInput, Refused, VersionConflict
from ..i18n import (
    CLICK_DOMAIN,
    LANGUAGES,
    LOCALE_DIR,
    N_,
    _,
    current_language,
    format_day,
    format_money,
    set_language,
    use_language,
)
from .terminal import neutralised_terminal

if TYPE_CHECKING:
    from ..calendar import Clock, Window
    from ..campaign import Campaign
    from ..store import Workflow

#: The exit code of a defect of the library (an exception it did not mean to raise).
INTERNAL_ERROR = 3
#: The exit code when the output's reader has gone (a shell's 128 + SIGPIPE): not an error of the command.
BROKEN_PIPE = 141

__all__ = ["main"]  # and the helpers the command modules share

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
        # Data printed to a terminal (names, titles, reasons, errors): its escape sequences shown, not obeyed.
        with neutralised_terminal(), _speaking(current_language()):
            _translate_help(self)
            arguments = kwargs.get("args", args[0] if args else None)
            _refuse_non_utf8(sys.argv[1:] if arguments is None else arguments)
            return super().main(*args, **kwargs)

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        # The width of the help, as click's formatter works it out, but without its import of shutil (and of
        # shutil's bz2 and lzma): ~8 ms of --help. The subcommands' contexts inherit it.
        if parent is None and extra.get("terminal_width", self.context_settings.get("terminal_width")) is None:
            widest = extra.get("max_content_width", self.context_settings.get("max_content_width")) or 80
            extra["terminal_width"] = _help_width(widest)
        return super().make_context(info_name, args, parent, **extra)

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
        except BrokenPipeError:
            # The reader stopped reading (``| head``): no message, and nothing left for Python to flush at exit.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(BROKEN_PIPE)
        except (OSError, UnicodeDecodeError) as exc:
            click.echo(_("Error: {problem}").format(problem=exc), err=True)
            ctx.exit(2)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise  # click's own: usage errors (2), --help, ctx.exit
        except Exception as exc:  # a defect of the library: never a traceback, and neither 1 (refused) nor 2
            if os.environ.get("AMI_WORKFLOW_DEBUG"):
                raise
            click.echo(_("Internal error ({kind}: {problem}): this is a defect of ami_workflow, not of your input. "
                         "Run the command again with AMI_WORKFLOW_DEBUG=1 to see where it comes from.").format(
                kind=type(exc).__name__, problem=exc), err=True)
            ctx.exit(INTERNAL_ERROR)


def _help_width(widest: int) -> int:
    """The help's width, as ``click.formatting.HelpFormatter`` gives it when the context sets none.

    click's formatter asks ``shutil.get_terminal_size()`` (``$COLUMNS``, else the terminal of ``sys.__stdout__``,
    else 80 columns): the same, without importing shutil. ``click.formatting.FORCED_WIDTH`` still wins.
    """
    if click.formatting.FORCED_WIDTH is not None:
        return click.formatting.FORCED_WIDTH
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns if sys.__stdout__ else 0
        except (ValueError, OSError):
            columns = 0
        columns = columns or 80
    return max(min(columns, widest) - 2, 50)


def _refuse_non_utf8(arguments: Iterable[str]) -> None:
    """Exit 2 with a clear message if an argument is not UTF-8 text.

    On Linux, Python hands over an argument's bytes that are not UTF-8 as lone surrogates (PEP 383,
    ``surrogateescape``); the library refuses such text everywhere, so the command line says so first, naming
    the argument and showing its bytes (``\\xff``).
    """
    for position, argument in enumerate(arguments, start=1):
        if not isinstance(argument, str):
            continue
        try:
            argument.encode("utf-8")
        except UnicodeEncodeError:
            raw = argument.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            click.echo(_("Error: argument {position} ({argument}) is not valid UTF-8 text: give names, references "
                         "and paths in UTF-8").format(position=position, argument=raw[:200]), err=True)
            sys.exit(2)


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
        from ..store import Workflow

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
        import json

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
    from ..calendar import parse_instant

    return None if value is None else parse_instant(value)


#: What each ``A=B`` option takes, in words (translated when shown), its separator, and whether the first part
#: ends at the last one (a name may hold the other separator) or at the first (a motivation may hold it).
_SHAPES: dict[str, tuple[str, str, bool]] = {
    "--member": (N_("NAME:CATEGORY"), ":", True), "--declares": (N_("NAME=DOSSIER"), "=", True),
    "--board": (N_("NAME=ROLE"), "=", True), "--bureau": (N_("NAME=ROLE"), "=", True),
    "--mark": (N_("CRITERION=MARK"), "=", True), "--amount": (N_("DOSSIER=EUROS"), "=", False),
    "--refuse": (N_("DOSSIER=MOTIVATION"), "=", False),
    "--signatory": (N_("NAME=ROLE"), "=", True), "--funder-signatory": (N_("NAME=ROLE"), "=", True),
    "--year": (N_("YEAR=EUROS"), "=", False),
    "--charge": (N_("LINE=EUROS"), "=", False), "--product": (N_("LINE=EUROS"), "=", False),
}


def _pair(item: str, option: str) -> tuple[str, str]:
    """The two parts of an ``A=B`` option's value, stripped; :class:`InvalidInput` naming its shape otherwise."""
    shape, separator, at_last = _SHAPES[option]
    first, sep, second = item.rpartition(separator) if at_last else item.partition(separator)
    if not sep or not first.strip() or not second.strip():
        raise InvalidInput(_("{option} takes {shape}, not {item!r}").format(option=option, shape=_(shape), item=item))
    return first.strip(), second.strip()


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
@click.version_option(package_name="ami-workflow", help="Show the version and exit.")  # click's own words
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
    """Give every command --db and --campaign too, so that they work after the command's name as well.

    The two options are the same objects on every command (a click option holds no state of a run): building
    two for each of some fifty commands was a few ms of every start-up.
    """
    late = [
        click.Option(["--db"], expose_value=False, callback=_late_db,
                     help="The SQLite database (or set AMI_WORKFLOW_DB)."),
        click.Option(["--campaign"], expose_value=False, callback=_late_campaign,
                     help="The campaign id, required when the database holds several (or set "
                          "AMI_WORKFLOW_CAMPAIGN)."),
    ]
    _give(group, late)


def _give(group: click.Group, late: list[click.Option]) -> None:
    for command in group.commands.values():
        if isinstance(command, click.Group):
            _give(command, late)
        else:
            command.params += late


def _actor_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """--actor, by default the login name (the same everywhere)."""
    return click.option("--actor", default=_login, help="Who does it (default: the login name).")(func)
