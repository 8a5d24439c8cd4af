"""Read a PDF the way a viewer does, with pdfium (pypdfium2): its text, page by page, and a page as a PNG.

For the tests of the documents the library issues; pdfium is an independent reader (Chrome's), so a PDF it
reads is not only a PDF that fpdf2 can write. pdfium gives each line break as ``"\\r\\n"``; these helpers give
``"\\n"``. It extracts U+202F (narrow no-break space) as itself and U+00A0 (no-break space) as a plain space.
"""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium

__all__ = ["pdf_pages", "pdf_png", "pdf_text"]


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page of the PDF ``data``, line breaks as ``"\\n"``."""
    document = pdfium.PdfDocument(data)
    try:
        pages = []
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            pages.append(textpage.get_text_range().replace("\r\n", "\n").replace("\r", "\n"))
            textpage.close()
            page.close()
        return pages
    finally:
        document.close()


def pdf_text(data: bytes) -> str:
    """The text of the whole PDF ``data``: its pages' texts, one after the other, separated by a line break."""
    return "\n".join(pdf_pages(data))


def pdf_png(data: bytes, page: int, path: str | Path, dpi: float = 100) -> Path:
    """Render page ``page`` (0 for the first) of the PDF ``data`` to a PNG file at ``path``; return its path."""
    document = pdfium.PdfDocument(data)
    try:
        pdf_page = document[page]
        image = pdf_page.render(scale=dpi / 72).to_pil()
        pdf_page.close()
        out = Path(path)
        image.save(out, format="PNG")
        return out
    finally:
        document.close()
