"""Issuing documents, as operations of a store (see :mod:`ami_workflow.backend`).

:class:`Issuing` is a base of :class:`~ami_workflow.backend.Operations`. It
records a document that a reader rendered (see :mod:`ami_workflow.notices`)
with the event it attests, and gives back the bytes as they were issued. The
renderer is not called here: the store keeps bytes and hashes, whatever made
them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime

from .core.commands import Command, IssueDocument
from .core.events import Event, Kind
from .errors import InvalidInput, NotFound, Refused
from .i18n import _
from .issued import DOCUMENT_FORMATS, DOCUMENT_KINDS, IssuedDocument
from .journal import ChainedEvent
from .shown import shown

__all__ = ["Issuing"]


class Issuing:
    """Record issued documents and read them back."""

    def _run(self, command: Command, blobs: Mapping[str, bytes] | None = None) -> list[Event]:
        raise NotImplementedError

    def _actor(self, actor: str) -> str:
        raise NotImplementedError

    def dossier_events(self, reference: str) -> list[ChainedEvent]:
        raise NotImplementedError

    def file(self, sha256: str) -> bytes:
        raise NotImplementedError

    def documents(self, reference: str) -> list[IssuedDocument]:
        """The documents issued on the dossier, oldest first."""
        return [_document(reference, e) for e in self.dossier_events(reference)
                if e.body.get("kind") == Kind.DOCUMENT_ISSUED.value]

    def issued_document(self, reference: str, kind: str, attests: int | None = None) -> IssuedDocument:
        """The document ``kind`` issued on the dossier for the event ``attests`` (by default the latest one)."""
        found = [d for d in self.documents(reference) if d.kind == kind and attests in (None, d.attests)]
        if not found:
            if attests is None:
                raise NotFound(_("no {kind} was issued on {reference}").format(kind=kind, reference=reference))
            raise NotFound(_("no {kind} was issued on {reference} for event {seq}").format(
                kind=kind, reference=reference, seq=attests))
        return found[-1]

    def document_bytes(self, reference: str, kind: str, fmt: str = "pdf", attests: int | None = None) -> bytes:
        """The bytes of an issued document as they were issued (a reprint); erased ones raise :class:`NotFound`."""
        return self.file(self.issued_document(reference, kind, attests).sha256(fmt))

    def issue_document(
        self,
        reference: str,
        kind: str,
        attests: int,
        files: Mapping[str, bytes],
        *,
        language: str,
        actor: str = "",
    ) -> IssuedDocument:
        """Record the document ``kind`` issued on the dossier, attesting the journal event ``attests``.

        ``files`` holds its bytes by format (``pdf``, ``html``). The document takes effect at the time of the act
        it attests. Issuing it again for the same event records nothing and returns the first issue, whose bytes
        stay the ones kept: a document is never rebuilt from later data.
        """
        if kind not in DOCUMENT_KINDS:
            raise InvalidInput(_("unknown document {kind!r}: the documents are {kinds}").format(
                kind=shown(kind), kinds=", ".join(DOCUMENT_KINDS)))
        if type(attests) is not int:
            raise InvalidInput(_("attests is the sequence number of a journal event, not {attests!r}").format(
                attests=shown(attests)))
        if not isinstance(files, Mapping) or not files:
            raise InvalidInput(_("a document is issued in at least one format: {example}").format(
                example="{'pdf': b'...'}"))
        for fmt, blob in files.items():
            if fmt not in DOCUMENT_FORMATS or not isinstance(blob, bytes):
                raise InvalidInput(_("a document's files are bytes by format ({formats}), not {fmt!r}: {type}").format(
                    formats=", ".join(DOCUMENT_FORMATS), fmt=shown(fmt), type=type(blob).__name__))
        events = self.dossier_events(reference)
        for existing in (_document(reference, e) for e in events if e.body.get("kind") == Kind.DOCUMENT_ISSUED.value):
            if existing.kind == kind and existing.attests == attests:
                return existing
        act = next((e for e in events if e.seq == attests), None)
        triggers = DOCUMENT_KINDS[kind].split("|")
        trigger = (act.body.get("data") or {}).get("trigger") if act is not None else None
        if act is None or act.body.get("kind") != Kind.TRIGGERED.value or trigger not in triggers:
            raise Refused("issue_document", [
                # TRANSLATORS: between the trigger keys an event may be (``submit or deposit_receipt``).
                _("event {seq} is not a {triggers} of {reference}: a {kind} attests one").format(
                    seq=attests, triggers=_(" or ").join(triggers), reference=reference, kind=kind)
            ])
        hashes = {fmt: (hashlib.sha256(blob).hexdigest(), len(blob)) for fmt, blob in files.items()}
        at = datetime.fromisoformat(str(act.body["at"]))
        document = IssuedDocument(reference, kind, attests, language, hashes, None, at)
        (event,) = self._run(IssueDocument(document, self._actor(actor)),
                             {sha: files[fmt] for fmt, (sha, _) in hashes.items()})
        return IssuedDocument(reference, kind, attests, language, hashes, event.seq, at)


def _document(reference: str, event: ChainedEvent) -> IssuedDocument:
    data = event.body["data"]["document"]
    return IssuedDocument.from_data(reference, data, seq=event.seq, at=datetime.fromisoformat(str(event.body["at"])))
