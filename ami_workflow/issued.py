"""Issued documents: what the journal records when the service issues a document on a dossier.

A document (the accusé de réception, a demande de pièces, the notice of a
decision) is stored as it was issued: its bytes, in each format, are kept by
SHA-256 with the dossier's files, and the journal's ``document_issued`` event
holds their hashes, the kind of document and the event it attests. A reprint
gives the same bytes. An issued document names people, so erasing the
applicant's personal data erases its bytes and keeps its hashes::

    >>> record = {"kind": "accuse_reception", "attests": 12, "language": "fr",
    ...           "files": {"pdf": {"sha256": "ab" * 32, "size": 2048}}}
    >>> document = IssuedDocument.from_data("c-0001", record, seq=13, at=None)
    >>> document.kind, document.attests, document.sha256("pdf")[:4], document.file_key("pdf")
    ('accuse_reception', 12, 'abab', 'document:accuse_reception:12:pdf')
    >>> document.sha256("html")
    Traceback (most recent call last):
    ...
    ami_workflow.errors.NotFound: the accuse_reception of c-0001 (event 13) was not issued as html
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from .errors import InvalidInput, NotFound
from .i18n import _
from .shown import shown

__all__ = ["DOCUMENT_FORMATS", "DOCUMENT_KEY_PREFIX", "DOCUMENT_KINDS", "IssuedDocument", "document_files"]

#: The documents the service issues, by key: the trigger whose event each one attests.
DOCUMENT_KINDS: Mapping[str, str] = {
    "accuse_reception": "submit",
    "demande_pieces": "return_for_pieces",
    "notification_decision": "approve|reject|council_refuse",
    "invitation_observations": "start_recovery",
    "titre_recette": "order_recovery",
}
#: The formats a document is stored in, and their media types.
DOCUMENT_FORMATS: Mapping[str, str] = {"pdf": "application/pdf", "html": "text/html; charset=utf-8"}
#: How an issued document's files are named among the dossier's files (never a piece key: those have no colon).
DOCUMENT_KEY_PREFIX = "document:"

_SHA256 = re.compile(r"[0-9a-f]{64}")


def _kind(value: object) -> str:
    if not isinstance(value, str) or value not in DOCUMENT_KINDS:
        raise InvalidInput(_("unknown document {kind!r}: the documents are {kinds}").format(
            kind=shown(value), kinds=", ".join(DOCUMENT_KINDS)))
    return value


def _files(value: object) -> Mapping[str, tuple[str, int]]:
    if not isinstance(value, Mapping) or not value:
        raise InvalidInput(_("a document is issued in at least one format"))
    out: dict[str, tuple[str, int]] = {}
    for fmt, file in value.items():
        if fmt not in DOCUMENT_FORMATS:
            raise InvalidInput(_("unknown document format {fmt!r}: the formats are {formats}").format(
                fmt=shown(fmt), formats=", ".join(DOCUMENT_FORMATS)))
        sha, size = (file["sha256"], file["size"]) if isinstance(file, Mapping) else file
        if not isinstance(sha, str) or not _SHA256.fullmatch(sha) or type(size) is not int or size < 0:
            raise InvalidInput(_("the {fmt} file of a document needs a SHA-256 and a size, not {file!r}").format(
                fmt=fmt, file=shown(file)))
        out[fmt] = (sha, size)
    return dict(sorted(out.items()))


@attrs.frozen
class IssuedDocument:
    """One document issued on a dossier, as the journal records it."""

    dossier: str
    kind: str = attrs.field(converter=_kind)
    attests: int
    """The sequence number of the journal event that the document attests (the submission, the decision…)."""
    language: str
    files: Mapping[str, tuple[str, int]] = attrs.field(converter=_files)
    """Each format's SHA-256 and size in bytes."""
    seq: int | None = None
    """The ``document_issued`` event's sequence number."""
    at: datetime | None = None
    """When the document took effect: the time of the act it attests."""

    @classmethod
    def from_data(cls, dossier: str, data: Mapping[str, Any], *, seq: int | None, at: datetime | None
                  ) -> IssuedDocument:
        """The document that a ``document_issued`` event's ``data["document"]`` records."""
        return cls(dossier, data["kind"], int(data["attests"]), str(data["language"]), data["files"], seq, at)

    def data(self) -> dict[str, Any]:
        """The facts the journal chains (no personal value: only hashes and sizes)."""
        return {
            "kind": self.kind,
            "attests": self.attests,
            "language": self.language,
            "files": {fmt: {"sha256": sha, "size": size} for fmt, (sha, size) in self.files.items()},
        }

    def sha256(self, fmt: str) -> str:
        """The SHA-256 of the document in format ``fmt``."""
        if fmt not in self.files:
            raise NotFound(_("the {kind} of {dossier} (event {seq}) was not issued as {fmt}").format(
                kind=self.kind, dossier=self.dossier, seq=self.seq, fmt=fmt))
        return self.files[fmt][0]

    def file_key(self, fmt: str) -> str:
        """How the file of format ``fmt`` is listed among the dossier's files."""
        return f"{DOCUMENT_KEY_PREFIX}{self.kind}:{self.attests}:{fmt}"


def document_files(data: Mapping[str, Any], dossier: str = "") -> set[tuple[str, str]]:
    """The (file key, SHA-256) pairs of the document that a ``document_issued`` event's data records."""
    document = IssuedDocument.from_data(dossier, data["document"], seq=None, at=None)
    return {(document.file_key(fmt), sha) for fmt, (sha, _) in document.files.items()}
