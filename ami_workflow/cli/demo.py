"""The demo: the 2021 campaign walked on a simulated clock, its documents issued, its report printed."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..i18n import _, ngettext
from .app import _fail, _progress, _State, main

if TYPE_CHECKING:
    from ..campaign import Campaign

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
    from ..callfile import DEFAULT_CALL, load_campaign

    path = Path(state.db)
    if path.exists():
        if not reset:
            _fail(_("{path} already exists: run 'ami-workflow demo --reset' to start again, or use --db")
                  .format(path=path))
        for suffix in ("", "-wal", "-shm", ".anchor"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    from ..sample import with_usual_schedule

    campaign = with_usual_schedule(load_campaign(DEFAULT_CALL))  # an advance of 80 %, the balance on the compte rendu
    # Built aside and moved into place once whole: an interrupted demo (a broken pipe, ^C) leaves no half-built
    # database behind it.
    final, anchor_existed = state.db, Path(f"{path}.anchor").exists()
    building = _aside(path) if state.db != ":memory:" else None
    if building is not None:
        state.db = str(building)
    try:
        _build(state, path, campaign, seed, count, documents)
    except BaseException:
        if building is not None:
            _remove(building)
            if not anchor_existed:
                Path(f"{path}.anchor").unlink(missing_ok=True)
        raise
    finally:
        state.db = final
    if building is not None:
        for suffix in ("", "-wal"):
            if Path(f"{building}{suffix}").exists():
                os.replace(f"{building}{suffix}", f"{path}{suffix}")
        Path(f"{building}-shm").unlink(missing_ok=True)


def _aside(path: Path) -> Path:
    """Where the demo builds its database before moving it to ``path`` (cleared of an earlier attempt)."""
    building = path.with_name(path.name + ".building")
    _remove(building)
    return building


def _remove(database: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)


def _build(state: _State, path: Path, campaign: Campaign, seed: int, count: int, documents: bool) -> None:
    """Walk the demo into the database ``state.db``; its key and anchor files are named after ``path``."""
    from .. import issuance, reports
    from ..anchor import generate_key, load_private_key, load_public_key
    from ..calendar import PARIS, FixedClock
    from ..sample import run_demo

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
