"""A :class:`~ami_workflow.document.Document` as HTML bytes or as PDF bytes.

:func:`render_html` gives one standalone UTF-8 HTML page (inline CSS for A4
printing, no script, no external resource, every text escaped with
:func:`html.escape`). :func:`render_pdf` gives an A4 PDF drawn with fpdf2 in the
DejaVu fonts bundled in ``ami_workflow/fonts`` (embedded as subsets, so "€",
"œ" and the narrow no-break space of French amounts print on any machine), with
the page numbers "n / N" at the foot of each page.

Both are deterministic: the same document gives the same bytes, in any process
(with the same versions of fpdf2 and fontTools). The PDF's creation date is the
document's ``issued_at``, its producer is :data:`PRODUCER`, and its file
identifier (the trailer's ``/ID``) is fpdf2's MD5 of the file's content and
creation date, so it changes with the content and only with it::

    >>> from datetime import datetime, timezone
    >>> from ami_workflow.document import Document, Paragraph
    >>> doc = Document("Title", "REF-1", "fr", datetime(2021, 4, 12, tzinfo=timezone.utc), ["Issuer"],
    ...                [Paragraph("<b>150\\u202f000,00 €</b>")])
    >>> b"&lt;b&gt;150\\xe2\\x80\\xaf000,00 \\xe2\\x82\\xac&lt;/b&gt;" in render_html(doc)
    True
    >>> render_pdf(doc) == render_pdf(doc)
    True
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from html import escape
from importlib.resources import as_file, files
from pathlib import Path
from typing import cast

from fontTools import ttLib
from fpdf import FPDF, FontFace, XPos, YPos
from fpdf.enums import Align, MethodReturnValue, TableBordersLayout, VAlign, WrapMode
from fpdf.fonts import SubsetMap, TTFFont

from .document import Code, Document, Facts, Heading, Items, Paragraph, Signature, Table
from .errors import InvalidInput

__all__ = ["FONT_FILES", "PRODUCER", "render_files", "render_html", "render_pdf"]

#: The PDF's /Producer: fixed, so that a new fpdf2 version does not change it.
PRODUCER = "ami_workflow"
#: The bundled fonts (in ``ami_workflow/fonts``): ``(fpdf2 family, style) -> file name``.
FONT_FILES = {
    ("dejavu", ""): "DejaVuSans.ttf",
    ("dejavu", "B"): "DejaVuSans-Bold.ttf",
    ("dejavu-mono", ""): "DejaVuSansMono.ttf",
}

# ---------------------------------------------------------------------------------------------------------- HTML

_CSS = """
@page { size: A4; margin: 18mm 20mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; font-size: 11pt; line-height: 1.4;
       color: #000; background: #fff; max-width: 180mm; margin: 0 auto; padding: 8mm 0; }
header { border-bottom: 2px solid #000; padding-bottom: 4mm; margin-bottom: 6mm; }
header p { margin: 0; }
header .issuer { font-weight: bold; font-size: 12pt; }
header .line { font-size: 9.5pt; color: #333; }
h1 { font-size: 16pt; margin: 0 0 1mm; }
.reference { margin: 0 0 5mm; color: #333; }
h2 { font-size: 12pt; margin: 6mm 0 2mm; border-bottom: 1px solid #888; }
table { width: 100%; border-collapse: collapse; margin: 2mm 0; }
th, td { text-align: left; vertical-align: top; padding: 1.5mm 2mm; border-bottom: 1px solid #ccc;
         overflow-wrap: anywhere; }
table.facts th { width: 38%; font-weight: normal; color: #333; }
code, .hash { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 9pt; word-break: break-all; }
.note { font-size: 9.5pt; color: #333; }
.code .label { font-size: 9.5pt; color: #333; }
blockquote { margin: 2mm 0; padding: 2mm 4mm; border-left: 3px solid #888; white-space: pre-wrap; }
.signature { margin: 10mm 0 0 55%; }
.signature p { margin: 0; }
footer { margin-top: 10mm; font-size: 9pt; color: #333; border-top: 1px solid #888; padding-top: 2mm; }
@media print { body { padding: 0; max-width: none; } h2, tr, blockquote, .signature { break-inside: avoid; } }
"""

#: No script, no external resource, even if a browser were to find one: styles inline, nothing else.
_CSP = "default-src 'none'; style-src 'unsafe-inline'"


def _lines(text: str) -> str:
    """``text`` escaped, its line breaks as ``<br>``."""
    return "<br>\n".join(escape(line) for line in text.split("\n"))


def _html_block(block: object) -> str:
    match block:
        case Heading(text=text):
            return f"<h2>{escape(text)}</h2>"
        case Paragraph(text=text, style="quote"):
            return f"<blockquote>{escape(text)}</blockquote>"
        case Paragraph(text=text, style=style):
            return f'<p class="note">{_lines(text)}</p>' if style == "note" else f"<p>{_lines(text)}</p>"
        case Facts(rows=rows):
            body = "\n".join(f'<tr><th scope="row">{escape(label)}</th><td>{_lines(value)}</td></tr>'
                             for label, value in rows)
            return f'<table class="facts">\n{body}\n</table>'
        case Table(header=header, rows=rows, widths=widths):
            cols = ""
            if widths is not None:
                total = sum(widths)
                cols = "<colgroup>" + "".join(f'<col style="width: {100 * w / total:.2f}%">' for w in widths)
                cols += "</colgroup>\n"
            head = "".join(f'<th scope="col">{escape(cell)}</th>' for cell in header)
            body = "\n".join("<tr>" + "".join(f"<td>{_lines(cell)}</td>" for cell in row) + "</tr>" for row in rows)
            return f"<table>\n{cols}<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"
        case Items(items=items):
            return "<ul>\n" + "\n".join(f"<li>{_lines(item)}</li>" for item in items) + "\n</ul>"
        case Signature(place_date=place_date, lines=lines):
            signatory = f"\n<p>{'<br>'.join(escape(line) for line in lines)}</p>" if lines else ""
            return f'<div class="signature">\n<p>{escape(place_date)}</p>{signatory}\n</div>'
        case Code(label=label, text=text):
            shown = f'<span class="label">{escape(label)}</span><br>\n' if label else ""
            return f'<p class="code">{shown}<code class="hash">{escape(text)}</code></p>'
    raise InvalidInput(f"unknown block type {type(block).__name__}")  # Document already refuses it


def render_html(doc: Document) -> bytes:
    """``doc`` as one standalone HTML page, UTF-8 bytes: letterhead, title, reference, blocks, footer."""
    first, *rest = doc.issuer
    letterhead = f'<p class="issuer">{escape(first)}</p>' + "".join(
        f'\n<p class="line">{escape(line)}</p>' for line in rest
    )
    description = f'<meta name="description" content="{escape(doc.subject)}">\n' if doc.subject else ""
    footer = f"<footer>{escape(doc.footer)}</footer>\n" if doc.footer else ""
    blocks = "\n".join(_html_block(block) for block in doc.blocks)
    page = (
        "<!DOCTYPE html>\n"
        f'<html lang="{escape(doc.lang)}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"{description}"
        f"<title>{escape(doc.title)} – {escape(doc.reference)}</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<header>\n{letterhead}\n</header>\n"
        f'<main>\n<h1>{escape(doc.title)}</h1>\n<p class="reference">{escape(doc.reference)}</p>\n'
        f"{blocks}\n</main>\n"
        f"{footer}"
        "</body>\n</html>\n"
    )
    return page.encode("utf-8")


# ----------------------------------------------------------------------------------------------------------- PDF

_LEFT, _TOP, _RIGHT = 20.0, 18.0, 20.0  # page margins, mm (the CSS @page margins)
_FOOT = 10.0  # from the page's bottom edge to the footer's last line, mm
_FOOT_LINE = 3.6  # footer line height, mm
_BLACK, _DARK, _GREY, _LIGHT = (0, 0, 0), (51, 51, 51), (136, 136, 136), (204, 204, 204)
_SANS, _MONO = "dejavu", "dejavu-mono"
_BODY_PT, _BODY_H = 10.5, 5.0  # body text size (pt) and line height (mm)
_NOTE_PT, _NOTE_H = 9.0, 4.4
_TABLE_PT, _TABLE_H = 9.5, 4.6


class _Pdf(FPDF):
    """An A4 page with the document's running header (from page 2) and footer (its text, "n / N")."""

    def __init__(self, doc: Document, fonts: dict[tuple[str, str], Path], *, reuse_fonts: bool = True) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.doc = doc
        for (family, style), path in fonts.items():
            if reuse_fonts:
                self._add_parsed_font(family, style, path)
            else:
                self.add_font(family, style, path)
        self.set_margins(_LEFT, _TOP, _RIGHT)
        self.set_title(doc.title)
        self.set_subject(doc.subject)
        self.set_author(doc.issuer[0])
        self.set_lang(doc.lang)
        self.set_producer(PRODUCER)
        self.set_creation_date(doc.issued_at)
        self.set_display_mode("fullwidth", "continuous")
        self.compress = True
        self.footer_lines = 1  # measured on the first page, see _start

    def _add_parsed_font(self, family: str, style: str, path: Path) -> None:
        """``add_font``, with the font's tables read once per process rather than once per document.

        Reading a font is about 40 % of a document's time. Each document gets its own copy of what fpdf2 changes
        while it draws and writes: the widths (a ``defaultdict``, filled on reading), the subset, the missing
        glyphs, and the ``ttfont`` that fpdf2 subsets in place when it writes the PDF (opened again, lazily). The
        character map and the glyph ids are read-only and shared. The bytes are those of ``add_font``
        (tests/test_render.py compares them).
        """
        key = f"{family.lower()}{style}"
        parsed = _PARSED.get((path.name, key, style))
        if parsed is None:
            parsed = _PARSED[path.name, key, style] = TTFFont(FPDF(), path, key, style)
        font = copy.copy(parsed)
        font.i = len(self.fonts) + 1
        font.ttfont = ttLib.TTFont(path, recalcTimestamp=False, lazy=True)
        font.cw = parsed.cw.copy()
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font.subset = SubsetMap(font)
        self.fonts[key] = font

    def header(self) -> None:
        # The page-count alias is on only while the footer draws "n / N": a "{nb}" in a text stays as written.
        self.alias_nb_pages("")
        if self.page_no() > 1:
            self.set_xy(_LEFT, 9)
            self._style(_NOTE_PT - 1, _DARK)
            self.cell(self.epw, 4, self._fit(self.doc.title, f" – {self.doc.reference}"), align=Align.L)
            self._rule(13.5, _LIGHT, 0.2)
        self.set_y(self.t_margin)

    def footer(self) -> None:
        top = self.h - _FOOT - self.footer_lines * _FOOT_LINE
        self._rule(top - 1.5, _GREY, 0.2)
        self._style(_NOTE_PT - 1, _DARK)
        number = 24.0
        if self.doc.footer:
            self.set_xy(_LEFT, top)
            self.multi_cell(self.epw - number, _FOOT_LINE, self.doc.footer, align=Align.L)
        self.set_xy(_LEFT + self.epw - number, top)
        self.alias_nb_pages("{nb}")
        self.cell(number, _FOOT_LINE, f"{self.page_no()} / {{nb}}", align=Align.R)

    def _fit(self, text: str, tail: str) -> str:
        """``text + tail`` on one line: ``text`` cut short with "…" if it is too long."""
        if self.get_string_width(text + tail) <= self.epw:
            return text + tail
        while text and self.get_string_width(text + "…" + tail) > self.epw:
            text = text[:-1]
        return text.rstrip() + "…" + tail

    def _style(self, size: float, color: tuple[int, int, int] = _BLACK, family: str = _SANS,
               bold: bool = False) -> None:
        self.set_font(family, "B" if bold else "", size)
        self.set_text_color(*color)

    def _rule(self, y: float, color: tuple[int, int, int], width: float) -> None:
        self.set_draw_color(*color)
        self.set_line_width(width)
        self.line(self.l_margin, y, self.w - self.r_margin, y)

    def _text(self, text: str, h: float, wrapmode: WrapMode = WrapMode.WORD, border: str = "") -> None:
        """``text`` from the left margin to the right one, wrapped, breaking pages as needed."""
        self.set_x(self.l_margin)
        self.multi_cell(0, h, text, border=border, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT,
                        wrapmode=wrapmode, padding=(0, 0, 0, 4) if border else 0)

    def _lines(self, width: float, h: float, text: str) -> int:
        """How many lines ``text`` takes in the current font, ``width`` mm wide."""
        lines = self.multi_cell(width, h, text, dry_run=True, output=MethodReturnValue.LINES)
        return max(1, len(cast(list[str], lines)))

    @contextlib.contextmanager
    def _indent(self, by: float) -> Iterator[None]:
        """Move the left margin right by ``by`` mm (kept on the pages a long text breaks onto)."""
        left = self.l_margin
        self.set_left_margin(left + by)
        try:
            yield
        finally:
            self.set_left_margin(left)
            self.set_x(left)

    def start(self) -> None:
        """The first page: its letterhead, then the title and the reference."""
        self._style(_NOTE_PT - 1)
        self.add_page()
        if self.doc.footer:  # the footer's height sets the bottom margin of every page
            self.footer_lines = self._lines(self.epw - 24, _FOOT_LINE, self.doc.footer)
        self.set_auto_page_break(True, _FOOT + self.footer_lines * _FOOT_LINE + 5)
        first, *rest = self.doc.issuer
        self._style(12, bold=True)
        self._text(first, 5.6)
        self._style(_NOTE_PT + 0.5, _DARK)
        for line in rest:
            self._text(line, 4.4)
        self.ln(3)
        self._rule(self.y, _BLACK, 0.6)
        self.ln(6)
        self._style(16, bold=True)
        self._text(self.doc.title, 7.4)
        self._style(_BODY_PT, _DARK)
        self._text(self.doc.reference, _BODY_H)
        self.ln(4)

    def block(self, block: object) -> None:
        match block:
            case Heading(text=text):
                self._style(12, bold=True)
                # keep a heading with what follows: with its first lines, on the next page if need be
                if self.will_page_break(self._lines(self.epw, 5.6, text) * 5.6 + 4 + 3 * _BODY_H):
                    self.add_page()
                self.ln(4)
                self._text(text, 5.6)
                self._rule(self.y + 0.5, _GREY, 0.3)
                self.ln(2.5)
            case Paragraph(text=text, style="quote"):
                self.ln(1)
                self._style(_BODY_PT)
                self.set_draw_color(*_GREY)
                self.set_line_width(0.8)
                with self._indent(1):
                    self._text(text, _BODY_H, border="L")
                self.ln(2)
            case Paragraph(text=text, style=style):
                small = style == "note"
                self._style(_NOTE_PT if small else _BODY_PT, _DARK if small else _BLACK)
                self._text(text, _NOTE_H if small else _BODY_H)
                self.ln(2)
            case Facts(rows=rows):
                self._table(None, rows, (38, 62))
            case Table(header=header, rows=rows, widths=widths):
                self._table(header, rows, widths)
            case Items(items=items):
                self._style(_BODY_PT)
                for item in items:
                    self.set_x(self.l_margin)
                    self.cell(6, _BODY_H, "•", align=Align.C)  # breaks the page first if the item would
                    with self._indent(6):
                        self.multi_cell(0, _BODY_H, item, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                    self.ln(0.8)
                self.ln(1.2)
            case Signature(place_date=place_date, lines=lines):
                if self.will_page_break(8 + (1 + len(lines)) * _BODY_H):
                    self.add_page()
                self.ln(8)
                self._style(_BODY_PT)
                with self._indent(self.epw * 0.55):
                    for line in (place_date, *lines):
                        self._text(line, _BODY_H)
                self.ln(2)
            case Code(label=label, text=text):
                self.ln(1)
                if label:
                    self._style(_NOTE_PT, _DARK)
                    self._text(label, _NOTE_H)
                self._style(_NOTE_PT, family=_MONO)
                self._text(text, _NOTE_H, wrapmode=WrapMode.CHAR)
                self.ln(2)
            case _:
                raise InvalidInput(f"unknown block type {type(block).__name__}")  # Document already refuses it

    def _table(self, header: tuple[str, ...] | None, rows: tuple[tuple[str, ...], ...],
               widths: tuple[float, ...] | None) -> None:
        """Facts (no header, the labels in grey) or a table (its header repeated on each page)."""
        self._style(_TABLE_PT)
        self.set_draw_color(*_LIGHT)
        self.set_line_width(0.2)
        self.ln(1)
        with self.table(
            borders_layout=TableBordersLayout.HORIZONTAL_LINES, col_widths=widths, width=self.epw, align=Align.L,
            text_align=Align.L, v_align=VAlign.T, line_height=_TABLE_H, padding=(1.2, 2),
            first_row_as_headings=header is not None, headings_style=FontFace(family=_SANS, emphasis="B"),
            wrapmode=WrapMode.WORD,
        ) as table:
            if header is not None:
                heading = table.row()
                for cell in header:
                    heading.cell(cell)
            label = FontFace(color=_DARK) if header is None else None
            for cells in rows:
                row = table.row()
                for i, cell in enumerate(cells):
                    row.cell(cell, style=label if i == 0 else None)
        self.ln(3)


def _where(doc: Document, chars: set[str]) -> str:
    """The first text of ``doc`` holding one of ``chars``: ``"the title"``, ``"block 3 (Paragraph)"``."""
    fields: list[tuple[str, str]] = [("the title", doc.title), ("the reference", doc.reference),
                                     ("the footer", doc.footer)]
    fields += [("the letterhead", line) for line in doc.issuer]
    for i, block in enumerate(doc.blocks):
        where = f"block {i} ({type(block).__name__})"
        match block:
            case Heading(text=text) | Paragraph(text=text):
                fields.append((where, text))
            case Facts(rows=rows) | Table(rows=rows):
                fields += [(where, cell) for row in rows for cell in row]
            case Items(items=items):
                fields += [(where, item) for item in items]
            case Signature(place_date=place_date, lines=lines):
                fields += [(where, line) for line in (place_date, *lines)]
            case Code(label=label, text=text):
                fields += [(where, label), (where, text)]
        if isinstance(block, Table):
            fields += [(where, cell) for cell in block.header]
    return next((where for where, text in fields if chars & set(text)), "the document")


#: Each bundled font as fpdf2 read it, by (file name, key, style): never drawn with, each document takes a copy.
_PARSED: dict[tuple[str, str, str], TTFFont] = {}


def _check_glyphs(doc: Document, pdf: FPDF) -> None:
    missing = {chr(code) for font in pdf.fonts.values() if isinstance(font, TTFFont) for code in font.missing_glyphs}
    if missing:
        shown = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in sorted(missing))
        raise InvalidInput(f"{_where(doc, missing)}: the PDF fonts have no glyph for {shown}")


def render_pdf(doc: Document, *, reuse_fonts: bool = True) -> bytes:
    """``doc`` as A4 PDF bytes, its fonts embedded; the same document always gives the same bytes.

    ``reuse_fonts=False`` reads the fonts again for this document, as fpdf2's ``add_font`` does (the same bytes,
    slower: kept to check that). Raises :class:`~ami_workflow.errors.InvalidInput` if a text holds a character the
    bundled fonts cannot draw (rather than print a blank box in an issued document).
    """
    with contextlib.ExitStack() as stack:  # a font stays on disk until the PDF is written (fpdf2 reads it lazily)
        used = FONT_FILES if any(isinstance(b, Code) for b in doc.blocks) else {
            key: name for key, name in FONT_FILES.items() if key[0] != _MONO}  # an unused font would be embedded
        fonts = {key: stack.enter_context(as_file(files("ami_workflow") / "fonts" / name))
                 for key, name in used.items()}
        pdf = _Pdf(doc, fonts, reuse_fonts=reuse_fonts)
        pdf.start()
        for block in doc.blocks:
            pdf.block(block)
        _check_glyphs(doc, pdf)
        data = bytes(pdf.output())
        _check_glyphs(doc, pdf)  # the last page's footer is drawn by output()
        return data


def render_files(doc: Document) -> dict[str, bytes]:
    """``doc`` in every format a document is stored in: ``{"pdf": ..., "html": ...}`` (a picklable function, for a
    process pool)."""
    return {"pdf": render_pdf(doc), "html": render_html(doc)}
