"""The documents sent to applicants: issue, list and reprint them."""

from __future__ import annotations

import sys

import click

from ..i18n import _
from .app import _emit, _fail, _State, _table, main


@main.group()
def document() -> None:
    """The documents sent to applicants: accusé de réception, demande de pièces, notice of decision."""


#: The document kinds (``ami_workflow.issued.DOCUMENT_KINDS``, written here so that start-up does not import it; a
#: test checks that the two agree).
_KINDS = click.Choice(["accuse_reception", "demande_pieces", "notification_decision", "invitation_observations",
                       "titre_recette"])


@document.command("issue")
@click.argument("reference")
@click.option("--kind", type=_KINDS, default=None,
              help="The document to issue (default: every document the dossier's journal calls for).")
@click.option("--event", "attests", type=int, default=None, help="The journal event it attests (default: the latest).")
@click.pass_obj
def document_issue(state: _State, reference: str, kind: str | None, attests: int | None) -> None:
    """Issue a dossier's documents (PDF and HTML, stored as issued); an issued one is never issued again."""
    from .. import notices

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
    from ..i18n import format_instant

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
    from .. import notices

    with state.flow() as flow:
        data = notices.reprint(flow, reference, kind, fmt, attests)
    _write(data, fmt, output)


@main.command()
@click.argument("session")
@click.option("--format", "fmt", type=click.Choice(["pdf", "html"]), default="pdf", show_default=True,
              help="The format to print.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write it to a file.")
@click.pass_obj
def minutes(state: _State, session: str, fmt: str, output: str | None) -> None:
    """The minutes (procès-verbal) of the committee's SESSION: who sat, conflicts, quorum, scores, proposals."""
    from .. import minutes as pv

    with state.flow() as flow:
        data = pv.render(flow, session, fmt)
    _write(data, fmt, output)


def _write(data: bytes, fmt: str, output: str | None) -> None:
    """A document's bytes to the file ``output`` (readable by its owner only: documents name people), or to
    stdout when it is not a terminal (a PDF is not printed on one)."""
    from ..private_files import open_private

    if output:
        with open_private(output, "wb") as out:
            out.write(data)
        click.echo(_("wrote {path}").format(path=output), err=True)
    elif fmt == "pdf" and sys.stdout.isatty():
        _fail(_("a PDF is not printed on a terminal: give -o FILE, or pipe it"))
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
