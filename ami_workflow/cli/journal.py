"""The journal: verify it, sign and check checkpoints, check a receipt's hash, draw the state diagram."""

from __future__ import annotations

import click

from ..i18n import _, ngettext
from .app import _actor_option, _emit, _fail, _State, main


@main.command()
@click.option("--head", help="A head hash kept earlier: also detect a cut tail.")
@click.option("--key", "public_key", type=click.Path(exists=True, dir_okay=False),
              help="The service's public key (PEM): check the journal against the anchor file's signed checkpoints.")
@click.option("--anchor", type=click.Path(exists=True, dir_okay=False), help="The anchor file written by checkpoint.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def verify(state: _State, head: str | None, public_key: str | None, anchor: str | None, as_json: bool) -> None:
    """Check the journal's chain and every table against its replay; exit 1 naming the first problem."""
    from ..anchor import load_public_key

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
            import json

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
    from ..anchor import generate_key

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
    from ..anchor import load_private_key

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
    from ..store import current_campaign

    chosen = current_campaign(state.db, call_name, state.campaign, newest=False)
    click.echo(chosen.workflow.machine().mermaid(title=chosen.call.title))
