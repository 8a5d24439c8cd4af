"""Issuing many documents at once: built in order, rendered on every core, stored in order.

Rendering a PDF is CPU work (fpdf2 lays out each line in Python: about a quarter to half a second for a two-page
accusé de réception), so :func:`issue_many` renders in a pool of processes while the store records, in the
journal's order, what is already rendered. The documents are built from the store in this process, and the
worker processes only turn a :class:`~ami_workflow.document.Document` into bytes (they never touch the store).
The bytes are the same as :func:`ami_workflow.notices.issue` gives: the rendering is deterministic.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor

from .document import Document
from .errors import InvalidInput
from .i18n import _
from .issued import IssuedDocument
from .notices import build, called_for
from .protocol import Backend
from .render import render_files
from .shown import shown

__all__ = ["issue_many", "to_issue"]

#: Below this many documents a pool costs more than it saves.
_POOL_FROM = 6


def _rendered(documents: Sequence[Document], workers: int) -> Iterator[dict[str, bytes]]:
    if workers <= 1 or len(documents) < _POOL_FROM:
        yield from map(render_files, documents)
        return
    # fork where there is one: the children inherit the imported fpdf2 and fonts, and never use the store
    method = "fork" if sys.platform.startswith("linux") else None
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method)) as pool:
        yield from pool.map(render_files, documents, chunksize=2)


def to_issue(flow: Backend, references: Iterable[str]) -> list[tuple[str, str, int]]:
    """The documents that the dossiers' journals call for and that are not issued yet: (dossier, kind, event)."""
    out = []
    for reference in references:
        done = {(d.kind, d.attests) for d in flow.documents(reference)}
        out += [(reference, kind, seq) for kind, seq in called_for(flow, reference) if (kind, seq) not in done]
    return out


def issue_many(
    flow: Backend,
    wanted: Iterable[tuple[str, str, int]],
    *,
    workers: int | None = None,
    actor: str = "",
    tick: Callable[[], None] = lambda: None,
) -> list[IssuedDocument]:
    """Issue the documents ``wanted`` (as :func:`to_issue` lists them), in that order; return them as issued.

    ``workers`` processes render them (default: one per core; 1 renders here). ``tick`` is called once per
    document stored (for a progress bar). A document issued already is returned as it was issued.
    """
    if workers is not None and (type(workers) is not int or workers < 1):
        raise InvalidInput(_("workers is a number of processes, at least 1, not {workers!r}").format(
            workers=shown(workers)))
    jobs = [(reference, kind, seq, build(flow, reference, kind, seq)[0]) for reference, kind, seq in wanted]
    out = []
    rendered = _rendered([job[3] for job in jobs], workers or os.cpu_count() or 1)
    for (reference, kind, seq, document), files in zip(jobs, rendered, strict=True):
        out.append(flow.issue_document(reference, kind, seq, files, language=document.lang, actor=actor))
        tick()
    return out
