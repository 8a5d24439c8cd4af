"""The model of an issued document: a letterhead, a title, a reference and a sequence of blocks.

Pure data, no I/O: :mod:`ami_workflow.render` turns a :class:`Document` into HTML
bytes or PDF bytes. Each record checks its fields when built and raises
:class:`~ami_workflow.errors.InvalidInput` naming the field; lists are accepted
wherever a tuple is stored::

    >>> from datetime import datetime, timezone
    >>> doc = Document(
    ...     title="Accusé de réception", reference="AMI-2021-0001", lang="fr",
    ...     issued_at=datetime(2021, 4, 12, 9, 30, tzinfo=timezone.utc),
    ...     issuer=["Région Exemple", "Service des aides"],
    ...     blocks=[Paragraph("Texte."), Facts([("Montant", "150\\u202f000,00 €")])],
    ... )
    >>> doc.issuer, doc.blocks[1].rows
    (('Région Exemple', 'Service des aides'), (('Montant', '150\\u202f000,00 €'),))
    >>> Table(header=["A", "B"], rows=[["1"]])
    Traceback (most recent call last):
    ...
    ami_workflow.errors.InvalidInput: Table.rows[0]: a row has 1 cell, the header has 2

Texts may hold any character but control characters; a line break (``"\\n"``)
is kept only where a text may span lines: paragraphs, fact values, table cells
and list items. Every other text is one line.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import attrs

from .errors import InvalidInput

__all__ = [
    "BLOCK_TYPES",
    "PARAGRAPH_STYLES",
    "Block",
    "Code",
    "Document",
    "Facts",
    "Heading",
    "Items",
    "Paragraph",
    "Signature",
    "Table",
]

#: The styles of a :class:`Paragraph`: running text, a small note, a quoted free text (its line breaks kept).
PARAGRAPH_STYLES = ("body", "note", "quote")


def _tuple(value: Any) -> Any:
    """A list or a tuple as a tuple; anything else is kept as it is, for the record's check to name it."""
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _rows(value: Any) -> Any:
    """A sequence of rows (lists or tuples) as a tuple of tuples."""
    return tuple(_tuple(row) for row in value) if isinstance(value, (list, tuple)) else value


def _text(where: str, value: object, *, required: bool = True, multiline: bool = False) -> None:
    """Check that ``value`` is text: non-blank if ``required``, without control characters (but ``\\n`` if
    ``multiline``) and without lone surrogates (which UTF-8 cannot encode)."""
    if not isinstance(value, str):
        raise InvalidInput(f"{where}: expected text, got {type(value).__name__}: {value!r}")
    if required and not value.strip():
        raise InvalidInput(f"{where}: the text must not be empty")
    for char in value:
        code = ord(char)
        if char == "\n" and multiline:
            continue
        if code < 0x20 or 0x7F <= code <= 0x9F:
            what = "a line break" if char == "\n" else "a control character"
            raise InvalidInput(f"{where}: {what} (U+{code:04X}) is not allowed in this text")
        if 0xD800 <= code <= 0xDFFF:
            raise InvalidInput(f"{where}: a lone surrogate (U+{code:04X}) is not text")


def _texts(where: str, value: object, *, required: bool = True, multiline: bool = False,
           at_least: int = 0) -> None:
    """Check a tuple of texts (see :func:`_text`), of at least ``at_least`` items."""
    if not isinstance(value, tuple):
        raise InvalidInput(f"{where}: expected a list or a tuple of texts, got {type(value).__name__}: {value!r}")
    if len(value) < at_least:
        raise InvalidInput(f"{where}: at least {at_least} item{'s' if at_least > 1 else ''} required")
    for i, item in enumerate(value):
        _text(f"{where}[{i}]", item, required=required, multiline=multiline)


@attrs.frozen
class Heading:
    """A section heading."""

    text: str

    def __attrs_post_init__(self) -> None:
        _text("Heading.text", self.text)


@attrs.frozen
class Paragraph:
    """A paragraph of text; ``style`` is one of :data:`PARAGRAPH_STYLES`.

    ``"quote"`` is a free text quoted as written (a motivation, a comment): its line breaks are kept.
    """

    text: str
    style: str = "body"

    def __attrs_post_init__(self) -> None:
        _text("Paragraph.text", self.text, multiline=True)
        if self.style not in PARAGRAPH_STYLES:
            raise InvalidInput(f"Paragraph.style: {self.style!r} is not one of {', '.join(PARAGRAPH_STYLES)}")


@attrs.frozen
class Facts:
    """A two-column table of ``(label, value)`` rows; a value may be empty, a label may not."""

    rows: tuple[tuple[str, str], ...] = attrs.field(converter=_rows)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.rows, tuple) or not self.rows:
            raise InvalidInput(f"Facts.rows: expected a non-empty list of (label, value) pairs, got {self.rows!r}")
        for i, row in enumerate(self.rows):
            if not isinstance(row, tuple) or len(row) != 2:
                raise InvalidInput(f"Facts.rows[{i}]: expected a (label, value) pair, got {row!r}")
            _text(f"Facts.rows[{i}][0]", row[0])
            _text(f"Facts.rows[{i}][1]", row[1], required=False, multiline=True)


@attrs.frozen
class Table:
    """A table: a header row and rows of as many cells; ``widths`` are the columns' relative widths."""

    header: tuple[str, ...] = attrs.field(converter=_tuple)
    rows: tuple[tuple[str, ...], ...] = attrs.field(converter=_rows)
    widths: tuple[float, ...] | None = attrs.field(default=None, converter=_tuple)

    def __attrs_post_init__(self) -> None:
        _texts("Table.header", self.header, required=False, at_least=1)
        if not isinstance(self.rows, tuple):
            raise InvalidInput(f"Table.rows: expected a list of rows, got {type(self.rows).__name__}")
        columns = len(self.header)
        for i, row in enumerate(self.rows):
            if not isinstance(row, tuple):
                raise InvalidInput(f"Table.rows[{i}]: expected a list or a tuple of cells, got {row!r}")
            if len(row) != columns:
                cells = f"{len(row)} cell{'s' if len(row) != 1 else ''}"
                raise InvalidInput(f"Table.rows[{i}]: a row has {cells}, the header has {columns}")
            _texts(f"Table.rows[{i}]", row, required=False, multiline=True)
        if self.widths is not None:
            if not isinstance(self.widths, tuple) or len(self.widths) != columns:
                raise InvalidInput(f"Table.widths: expected {columns} relative widths, got {self.widths!r}")
            for i, width in enumerate(self.widths):
                if isinstance(width, bool) or not isinstance(width, (int, float)) or not math.isfinite(width) \
                        or width <= 0:
                    raise InvalidInput(f"Table.widths[{i}]: a width must be a positive number, got {width!r}")


@attrs.frozen
class Items:
    """A bulleted list."""

    items: tuple[str, ...] = attrs.field(converter=_tuple)

    def __attrs_post_init__(self) -> None:
        _texts("Items.items", self.items, multiline=True, at_least=1)


@attrs.frozen
class Signature:
    """The signature block: the place and date (« Fait à Lens, le 12 avril 2021 »), then the signatory's lines."""

    place_date: str
    lines: tuple[str, ...] = attrs.field(default=(), converter=_tuple)

    def __attrs_post_init__(self) -> None:
        _text("Signature.place_date", self.place_date)
        _texts("Signature.lines", self.lines)


@attrs.frozen
class Code:
    """A labelled line in a monospace font, such as a SHA-256 hash (a long one wraps)."""

    label: str
    text: str

    def __attrs_post_init__(self) -> None:
        _text("Code.label", self.label, required=False)
        _text("Code.text", self.text)


Block = Heading | Paragraph | Facts | Table | Items | Signature | Code
#: The block types a :class:`Document` holds.
BLOCK_TYPES: tuple[type, ...] = (Heading, Paragraph, Facts, Table, Items, Signature, Code)


def _lang_ok(lang: str) -> bool:
    """A language tag of the shape ``fr``, ``fr-FR`` (BCP 47: a 2- or 3-letter language, then subtags)."""
    first, *rest = lang.split("-")
    return (
        lang.isascii() and 2 <= len(first) <= 3 and first.isalpha()
        and all(1 <= len(part) <= 8 and part.isalnum() for part in rest)
    )


@attrs.frozen
class Document:
    """A document to issue: the issuer's letterhead lines, a title, a reference and blocks.

    ``issued_at`` (timezone-aware) is the PDF's creation date; the renderer prints no date of its own, the
    content says it (a :class:`Signature`, a :class:`Facts` row). ``issuer`` holds the letterhead lines: the
    body's name first (it is also the PDF's author), then its service, postal address, e-mail, phone.
    ``footer`` is printed at the foot of each page, ``subject`` is the PDF's and the HTML's description.
    """

    title: str
    reference: str
    lang: str
    issued_at: datetime
    issuer: tuple[str, ...] = attrs.field(converter=_tuple)
    blocks: tuple[Block, ...] = attrs.field(converter=_tuple)
    footer: str = ""
    subject: str = ""

    def __attrs_post_init__(self) -> None:
        _text("Document.title", self.title)
        _text("Document.reference", self.reference)
        _text("Document.lang", self.lang)
        if not _lang_ok(self.lang):
            raise InvalidInput(f"Document.lang: {self.lang!r} is not a language tag such as 'fr' or 'fr-FR'")
        if not isinstance(self.issued_at, datetime):
            raise InvalidInput(f"Document.issued_at: expected a datetime, got {self.issued_at!r}")
        if self.issued_at.tzinfo is None or self.issued_at.utcoffset() is None:
            raise InvalidInput(f"Document.issued_at: a naive datetime is ambiguous, give its time zone "
                               f"({self.issued_at.isoformat()})")
        _texts("Document.issuer", self.issuer, at_least=1)
        if not isinstance(self.blocks, tuple):
            raise InvalidInput(f"Document.blocks: expected a list or a tuple of blocks, got {self.blocks!r}")
        for i, block in enumerate(self.blocks):
            if not isinstance(block, BLOCK_TYPES):
                names = ", ".join(t.__name__ for t in BLOCK_TYPES)
                raise InvalidInput(f"Document.blocks[{i}]: unknown block type {type(block).__name__} "
                                   f"(a block is one of {names})")
        _text("Document.footer", self.footer, required=False)
        _text("Document.subject", self.subject, required=False)
