"""The document model and its two renderers: the PDF read back with pdfium, the HTML escaped, both deterministic."""

from __future__ import annotations

import hashlib
import html
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium
import pytest
from fontTools.ttLib import TTFont
from hypothesis import given, settings
from hypothesis import strategies as st
from pdftext import pdf_pages, pdf_png, pdf_text

from ami_workflow.document import Code, Document, Facts, Heading, Items, Paragraph, Signature, Table
from ami_workflow.errors import InvalidInput
from ami_workflow.render import FONT_FILES, PRODUCER, render_html, render_pdf

ROOT = Path(__file__).resolve().parent.parent
FONTS = ROOT / "ami_workflow" / "fonts"
AT = datetime(2021, 4, 12, 9, 30, tzinfo=ZoneInfo("Europe/Paris"))
AMOUNT = "150\u202f000,00\u00a0€"  # as Babel formats it in French: narrow no-break space, no-break space
HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" * 2


def sample(blocks: list[object] | None = None, **fields: object) -> Document:
    """A document with one block of each kind (sample text, not real content)."""
    if blocks is None:
        blocks = [
            Heading("Objet de la demande"),
            Paragraph("L'œuvre « cœur » coûte cher : voilà l'été."),
            Facts([("Référence", "AMI-2021-0042"), ("Montant demandé", AMOUNT),
                   ("Adresse", "1 rue Haute\n62300 Lens")]),
            Table(["Pièce", "Reçue le", "Fichier"], [["Statuts", "12 avril 2021", "statuts.pdf"],
                                                     ["RIB", "13 avril 2021", "rib-" + "x" * 80 + ".pdf"]],
                  widths=[2, 1, 2]),
            Items(["premier point à vérifier", "second point, Œdipe et Ægée"]),
            Paragraph("Première ligne de la motivation.\nDeuxième ligne.", style="quote"),
            Paragraph("Une petite note en bas.", style="note"),
            Code("Empreinte SHA-256", HASH),
            Signature("Fait à Lens, le 12 avril 2021", ["La présidente", "Jeanne Exemple"]),
        ]
    values: dict[str, object] = {
        "title": "Accusé de réception", "reference": "AMI-2021-0042", "lang": "fr", "issued_at": AT,
        "issuer": ["Région Exemple", "Direction des aides", "1 place de la Mairie", "62300 Lens",
                   "aides@example.fr", "03 21 00 00 00"],
        "blocks": blocks, "footer": "Région Exemple – aides@example.fr", "subject": "Un sujet",
    }
    values.update(fields)
    return Document(**values)


def long_document() -> Document:
    paragraph = "Un texte courant qui revient, avec des mots et encore des mots. " * 12
    return sample([Heading(f"Partie {i}") if i % 4 == 0 else Paragraph(f"{i}. {paragraph}") for i in range(16)])


def flat(text: str) -> str:
    """``text`` with each run of whitespace (line breaks included) as one space."""
    return " ".join(text.split())


@pytest.fixture(scope="module")
def sample_pdf() -> bytes:
    return render_pdf(sample())


@pytest.fixture(scope="module")
def long_pdf() -> bytes:
    return render_pdf(long_document())


# ------------------------------------------------------------------------------------------------------ the PDF


def test_the_pdf_holds_every_text_of_the_document(sample_pdf: bytes) -> None:
    doc = sample()
    text = flat(pdf_text(sample_pdf))
    expected = [doc.title, doc.reference, doc.footer, *doc.issuer, "1 / 1",
                "Objet de la demande", "L'œuvre « cœur » coûte cher : voilà l'été.",
                "Référence AMI-2021-0042", "Adresse 1 rue Haute 62300 Lens", "Pièce Reçue le Fichier",
                "Statuts 12 avril 2021 statuts.pdf", "premier point à vérifier", "second point, Œdipe et Ægée",
                "Première ligne de la motivation. Deuxième ligne.", "Une petite note en bas.", "Empreinte SHA-256",
                "Fait à Lens, le 12 avril 2021 La présidente Jeanne Exemple"]
    for part in expected:
        assert part in text, part
    # the long file name and the hash wrap (pdfium puts a line break where a line ends): whole once joined
    joined = "".join(pdf_text(sample_pdf).split())
    assert "rib-" + "x" * 80 + ".pdf" in joined and HASH in joined
    assert "\u2022 premier point" in text  # the bullets


def test_euro_oe_and_the_narrow_no_break_space_are_drawn_and_read_back(sample_pdf: bytes) -> None:
    text = pdf_text(sample_pdf)
    # pdfium gives U+202F back as itself, and U+00A0 as a plain space
    assert "Montant demandé 150\u202f000,00 €" in text
    assert "œuvre « cœur »" in text and "Œdipe et Ægée" in text


def test_a_quote_keeps_its_line_breaks(sample_pdf: bytes) -> None:
    assert "Première ligne de la motivation.\nDeuxième ligne." in pdf_text(sample_pdf)


def test_a_long_document_breaks_onto_numbered_pages(long_pdf: bytes, tmp_path: Path) -> None:
    pages = pdf_pages(long_pdf)
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert page.rstrip().endswith(f"{number} / {len(pages)}"), page[-200:]
    assert "Région Exemple\nDirection des aides" in pages[0]  # the letterhead, on the first page only
    assert "Direction des aides" not in pages[1]
    assert pages[1].startswith("Accusé de réception – AMI-2021-0042\n")  # the running header from page 2
    paragraphs = [f"{i}. Un texte courant" for i in range(16) if i % 4]
    assert all(p in flat(pdf_text(long_pdf)) for p in paragraphs)  # nothing lost at the breaks
    png = pdf_png(long_pdf, 1, tmp_path / "page2.png")
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_a_table_s_header_is_repeated_on_each_page() -> None:
    rows = [[f"Pièce {i}", "12 avril 2021"] for i in range(90)]
    pages = pdf_pages(render_pdf(sample([Table(["Pièce", "Reçue le"], rows)])))
    assert len(pages) >= 2
    assert all(page.split("\n")[1] == "Pièce Reçue le" for page in pages[1:])  # under the running header
    assert all(f"Pièce {i} 12 avril 2021" in "\n".join(pages) for i in range(90))


def test_a_page_count_alias_in_a_text_stays_as_written() -> None:
    doc = sample([Paragraph("Voir {nb} pages")], footer="Pied {nb}")
    text = pdf_text(render_pdf(doc))
    assert "Voir {nb} pages" in text and "Pied {nb}" in text and "1 / 1" in text


def test_the_pdf_is_byte_identical_when_rendered_again(sample_pdf: bytes) -> None:
    assert render_pdf(sample()) == sample_pdf


def test_the_pdf_is_byte_identical_in_another_process(sample_pdf: bytes) -> None:
    # The other process rebuilds the document from its repr (attrs records, datetimes): same value, same bytes.
    script = (
        "import datetime, hashlib, sys, zoneinfo\n"
        "from ami_workflow.document import *\n"
        "from ami_workflow.render import render_pdf\n"
        "print(hashlib.sha256(render_pdf(eval(sys.stdin.read()))).hexdigest())\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "4321"}
    out = subprocess.run([sys.executable, "-c", script], input=repr(sample()), env=env, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == hashlib.sha256(sample_pdf).hexdigest()


def _file_id(data: bytes) -> bytes:
    found = re.findall(rb"/ID \[<([0-9A-F]{32})><([0-9A-F]{32})>\]", data)
    assert len(found) == 1 and found[0][0] == found[0][1]
    return bytes(found[0][0])


def test_the_file_id_and_the_dates_come_from_the_document(sample_pdf: bytes) -> None:
    assert b"D:20210412093000+02'00'" in sample_pdf  # the creation date is issued_at, in its own offset
    assert b"/ModDate" not in sample_pdf
    other = render_pdf(sample(reference="AMI-2021-0043"))
    assert _file_id(other) != _file_id(sample_pdf)  # derived from the content, not random nor fixed
    later = render_pdf(sample(issued_at=datetime(2021, 4, 12, 7, 31, tzinfo=UTC)))
    assert b"D:20210412073100Z" in later and _file_id(later) != _file_id(sample_pdf)


def test_the_metadata(sample_pdf: bytes) -> None:
    document = pdfium.PdfDocument(sample_pdf)
    meta = document.get_metadata_dict()
    document.close()
    assert (meta["Title"], meta["Author"], meta["Subject"], meta["Producer"]) == (
        "Accusé de réception", "Région Exemple", "Un sujet", PRODUCER)
    assert meta["CreationDate"] == "D:20210412093000+02'00'"
    assert b"/Lang (fr)" in sample_pdf


def test_the_fonts_are_embedded_and_compressed(sample_pdf: bytes) -> None:
    assert sample_pdf.count(b"/FontFile2") == 3  # sans, bold and mono, each a TrueType subset
    for name in (b"DejaVuSansBook", b"DejaVuSansBold", b"DejaVuSansMonoBook"):
        assert re.search(rb"/BaseFont /[A-Z]{6}\+" + name, sample_pdf), name
    assert b"/Type1" not in sample_pdf  # no core font, which has no "€", "œ" nor U+202F
    assert render_pdf(sample([Paragraph("Sans code.")])).count(b"/FontFile2") == 2  # only the fonts used
    assert b"/FlateDecode" in sample_pdf and len(sample_pdf) < 60_000


def test_a_character_the_fonts_lack_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"block 1 \(Items\): the PDF fonts have no glyph for '漢' \(U\+6F22\)"):
        render_pdf(sample([Paragraph("Bien."), Items(["un 漢 ici"])]))
    assert "<li>un 漢 ici</li>" in render_html(sample([Items(["un 漢 ici"])])).decode("utf-8")  # HTML can


def test_the_fonts_are_bundled_with_their_licence() -> None:
    for name in FONT_FILES.values():
        assert (FONTS / name).stat().st_size > 100_000
        assert "DejaVu" in TTFont(FONTS / name)["name"].getDebugName(1)
    licence = (FONTS / "LICENSE").read_text("utf-8")
    assert "Bitstream Vera Fonts Copyright" in licence and "Arev Fonts Copyright" in licence
    data = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    assert {"fonts/*.ttf", "fonts/LICENSE"} <= set(data["tool"]["setuptools"]["package-data"]["ami_workflow"])


# ----------------------------------------------------------------------------------------------------- the HTML


def test_the_html_is_one_standalone_page() -> None:
    page = render_html(sample()).decode("utf-8")
    assert page.startswith("<!DOCTYPE html>\n<html lang=\"fr\">")
    assert "<script" not in page and "src=" not in page and "href=" not in page and "url(" not in page
    assert "<h1>Accusé de réception</h1>" in page and '<p class="reference">AMI-2021-0042</p>' in page
    assert "<td>150\u202f000,00\u00a0€</td>" in page
    assert "<blockquote>Première ligne de la motivation.\nDeuxième ligne.</blockquote>" in page
    assert "<td>1 rue Haute<br>\n62300 Lens</td>" in page
    assert '<col style="width: 40.00%"><col style="width: 20.00%">' in page
    assert render_html(sample()) == render_html(sample())


def test_the_html_escapes_every_text() -> None:
    bad = "<script>alert(1)</script>\"'&"

    def texts(n: int) -> list[str]:
        return [f"{bad}{i}" for i in range(n)]

    doc = Document(
        title=bad, reference=bad, lang="fr", issued_at=AT, issuer=texts(3), footer=bad, subject=bad,
        blocks=[Heading(bad), Paragraph(bad), Paragraph(bad, "note"), Paragraph(bad, "quote"), Facts([(bad, bad)]),
                Table([bad, bad], [[bad, bad]]), Items(texts(2)), Signature(bad, texts(2)), Code(bad, bad)],
    )
    page = render_html(doc).decode("utf-8")
    assert "<script" not in page and "alert(1)</" not in page
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#x27;&amp;"
    assert page.count(escaped) == 26  # 24 texts; the title and the reference twice (in <title> too)


# --------------------------------------------------------------------------------------------------- the model


def test_lists_become_tuples() -> None:
    doc = sample()
    assert doc.issuer[0] == "Région Exemple" and isinstance(doc.blocks, tuple)
    table = doc.blocks[3]
    assert isinstance(table, Table) and table.rows[0] == ("Statuts", "12 avril 2021", "statuts.pdf")
    assert table.widths == (2, 1, 2)


@pytest.mark.parametrize(("build", "message"), [
    (lambda: sample(title=" "), r"Document\.title: the text must not be empty"),
    (lambda: sample(title=3), r"Document\.title: expected text, got int"),
    (lambda: sample(reference=""), r"Document\.reference"),
    (lambda: sample(issued_at=datetime(2021, 4, 12, 9, 30)), r"Document\.issued_at: a naive datetime"),
    (lambda: sample(issued_at=date(2021, 4, 12)), r"Document\.issued_at: expected a datetime"),
    (lambda: sample(lang="français"), r"Document\.lang: 'français' is not a language tag"),
    (lambda: sample(issuer=[]), r"Document\.issuer: at least 1 item required"),
    (lambda: sample(issuer="Région"), r"Document\.issuer: expected a list or a tuple of texts"),
    (lambda: sample(footer="a\nb"), r"Document\.footer: a line break \(U\+000A\) is not allowed"),
    (lambda: sample([Heading("ok"), {"text": "x"}]), r"Document\.blocks\[1\]: unknown block type dict"),
    (lambda: Heading(""), r"Heading\.text: the text must not be empty"),
    (lambda: Heading("a\tb"), r"Heading\.text: a control character \(U\+0009\)"),
    (lambda: Paragraph(b"bytes"), r"Paragraph\.text: expected text, got bytes"),
    (lambda: Paragraph("x", style="bold"), r"Paragraph\.style: 'bold' is not one of body, note, quote"),
    (lambda: Paragraph("x\x00"), r"U\+0000"),
    (lambda: Paragraph("x\ud800"), r"a lone surrogate \(U\+D800\)"),
    (lambda: Facts([]), r"Facts\.rows: expected a non-empty list"),
    (lambda: Facts([("a", "b", "c")]), r"Facts\.rows\[0\]: expected a \(label, value\) pair"),
    (lambda: Facts([("", "b")]), r"Facts\.rows\[0\]\[0\]: the text must not be empty"),
    (lambda: Facts([("a", 12)]), r"Facts\.rows\[0\]\[1\]: expected text, got int"),
    (lambda: Table([], []), r"Table\.header: at least 1 item required"),
    (lambda: Table(["a", "b"], [["1", "2"], ["1"]]), r"Table\.rows\[1\]: a row has 1 cell, the header has 2"),
    (lambda: Table(["a"], [[1]]), r"Table\.rows\[0\]\[0\]: expected text, got int"),
    (lambda: Table(["a", "b"], [], widths=[1]), r"Table\.widths: expected 2 relative widths"),
    (lambda: Table(["a", "b"], [], widths=[1, 0]), r"Table\.widths\[1\]: a width must be a positive number"),
    (lambda: Table(["a"], [], widths=[True]), r"Table\.widths\[0\]"),
    (lambda: Items([]), r"Items\.items: at least 1 item required"),
    (lambda: Items(["a", " "]), r"Items\.items\[1\]: the text must not be empty"),
    (lambda: Signature("", []), r"Signature\.place_date"),
    (lambda: Signature("Fait à Lens", ["a\nb"]), r"Signature\.lines\[0\]: a line break"),
    (lambda: Code("SHA-256", ""), r"Code\.text: the text must not be empty"),
])
def test_bad_input_is_refused_with_the_field_named(build: Callable[[], object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        build()


# ------------------------------------------------------------------------------------------------- any text

_COVERED = frozenset(TTFont(FONTS / "DejaVuSans.ttf").getBestCmap())
_PRINTABLE = st.characters(categories=("L", "N", "P", "S", "Zs"), max_codepoint=0x2FFF).filter(
    lambda c: ord(c) in _COVERED)
_FRENCH = st.sampled_from("aàâäbcçdeéèêëfghiîïjklmnoôöpqrstuùûüvwxyÿzœæAÀÉÈÇŒÆ€«»\u2019–—…$%&@#<>{}\u00a0\u202f")
_TEXT = st.text(st.one_of(_FRENCH, _PRINTABLE, st.just(" ")), min_size=1, max_size=120).filter(str.strip)


@settings(max_examples=8)
@given(paragraphs=st.lists(_TEXT, min_size=1, max_size=3),
       facts=st.lists(st.tuples(_TEXT, _TEXT), min_size=1, max_size=3))
def test_any_printable_text_renders_and_reads_back(paragraphs: list[str], facts: list[tuple[str, str]]) -> None:
    doc = sample([*(Paragraph(p) for p in paragraphs), Facts(facts)])
    data = render_pdf(doc)
    # pdfium opens it and finds every text; a line may break inside a word, so compare without whitespace
    read = "".join(pdf_text(data).split())
    for text in [*paragraphs, *(cell for row in facts for cell in row)]:
        assert "".join(text.split()) in read, text
    page = render_html(doc).decode("utf-8")
    assert all(html.escape(text) in page for text in paragraphs)


def test_the_example_of_docs_documents_md_runs() -> None:
    text = (ROOT / "docs" / "documents.md").read_text("utf-8")
    [block] = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "render_pdf(" in b]
    namespace: dict[str, object] = {}
    exec(compile(block, "documents.md", "exec"), namespace)
    pdf, page = namespace["pdf_bytes"], namespace["html_bytes"]
    assert isinstance(pdf, bytes) and isinstance(page, bytes)
    assert "150\u202f000,00 €" in pdf_text(pdf) and "<h1>Accusé de réception</h1>" in page.decode("utf-8")


def test_fonts_read_once_give_the_bytes_of_fonts_read_for_each_document(sample_pdf: bytes) -> None:
    """render_pdf reads the fonts once per process (render._Pdf._add_parsed_font): the bytes of add_font."""
    doc = sample()
    assert render_pdf(doc) == render_pdf(doc, reuse_fonts=False) == render_pdf(doc) == sample_pdf
    long = long_document()
    assert render_pdf(long) == render_pdf(long, reuse_fonts=False)
    no_code = sample([Paragraph("Œuvre — " + AMOUNT)])  # two fonts, not three: the font numbers follow
    assert render_pdf(no_code) == render_pdf(no_code, reuse_fonts=False)
