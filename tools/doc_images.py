"""Render the demo's documents as PNG pages in docs/images (run it after changing what a document says).

    PYTHONPATH=. python tools/doc_images.py

The demo campaign is walked in memory, in French, and every document it calls for is issued; a dossier sent back
for pieces gives the demande de pièces. Needs pypdfium2 (the ``test`` extra).
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import pypdfium2 as pdfium

from ami_workflow import FixedClock, MemoryWorkflow, load_campaign, notices
from ami_workflow.calendar import PARIS
from ami_workflow.i18n import use_language
from ami_workflow.sample import run_demo

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "images"


def png(data: bytes, page: int, path: Path, dpi: float = 80) -> None:
    document = pdfium.PdfDocument(data)
    try:
        image = document[page].render(scale=dpi / 72).to_pil()
        image.save(path, optimize=True)
    finally:
        document.close()


def main() -> int:
    campaign = load_campaign("ami-cohesion-sociale-2021")
    flow = MemoryWorkflow(campaign, clock=FixedClock(datetime(2021, 3, 8, 9, tzinfo=PARIS)), actor="demo")
    with use_language("fr"):
        refs = run_demo(flow, echo=lambda line: None)
        missing = next(r for r in refs if flow.get(r).piece("statuts") is None and flow.get(r).submitted_at)
        paid = next(r for r in refs if flow.get(r).state == "paid")
        rejected = next(r for r in refs if flow.get(r).state == "rejected")
        wanted = [
            (missing, "accuse_reception", "accuse-reception-0003"),
            (paid, "notification_decision", "notification-attribution"),
            (rejected, "notification_decision", "notification-refus"),
        ]
        OUT.mkdir(parents=True, exist_ok=True)
        for ref, kind, name in wanted:
            notices.issue(flow, ref, kind)
            data = flow.document_bytes(ref, kind)
            for page in range(len(pdfium.PdfDocument(data))):
                path = OUT / f"{name}-p{page + 1}.png"
                png(data, page, path)
                print(f"wrote {path.relative_to(ROOT)} ({ref})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
