"""A unit of work: many operations of a store in one transaction, all or nothing (``with flow.batch():``).

:class:`Batching` is the part of :class:`~ami_workflow.backend.Operations` that routes every write through the
batch's transaction when one is open in the calling thread, spoils the batch when a write fails part-way, and
holds the events back from the subscribers until the batch has committed.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs

from .core.events import Event
from .core.view import View
from .errors import InvalidInput, StorageError
from .i18n import _

__all__ = ["Batching"]


@attrs.define
class _Batch:
    """An open unit of work: its transaction's view, its thread, the events to announce, and whether it failed."""

    view: View
    thread: int
    events: list[Event] = attrs.Factory(list)
    spoiled: bool = False



class Batching:
    """The unit of work of a store; the storage primitives below come from the backend."""

    _batch: _Batch | None = None

    def _transaction(self) -> contextlib.AbstractContextManager[View]:
        raise NotImplementedError

    def _store(self, items: Sequence[Any], blobs: Mapping[str, bytes]) -> None:
        raise NotImplementedError

    def _notify(self, events: Sequence[Event]) -> None:
        raise NotImplementedError

    @contextlib.contextmanager
    def _write(self) -> Iterator[View]:
        """The write transaction: the batch's when one is open in this thread, else a new one."""
        batch = self._batch
        if batch is not None and batch.thread == threading.get_ident():
            yield batch.view
        else:
            with self._transaction() as view:
                yield view

    def _append(self, items: Sequence[Any], blobs: Mapping[str, bytes]) -> None:
        """Store the chained events; inside a batch, a failure part-way spoils the whole batch."""
        batch = self._batch
        try:
            self._store(items, blobs)
        except BaseException:
            if batch is not None and batch.thread == threading.get_ident():
                batch.spoiled = True
            raise

    def _emit(self, events: Sequence[Event]) -> None:
        """Tell the subscribers, now or, inside a batch, once it has committed."""
        batch = self._batch
        if batch is not None and batch.thread == threading.get_ident():
            batch.events.extend(events)
        else:
            self._notify(events)

    def batch(self) -> contextlib.AbstractContextManager[None]:
        """Run many operations as one unit of work: one transaction, all or nothing.

        Inside ``with flow.batch():`` every operation (create, attach, fire,
        pay…) makes the same checks and records the same events as alone, but
        they share one transaction, committed when the block ends: the cost of
        a commit (its ``fsync``) is paid once. If the block raises, nothing of
        it is kept. An operation refused inside the block changes nothing, as
        always, and the block may go on; a storage failure part-way spoils the
        batch, which then keeps nothing even if the error was caught.
        Subscribers hear of the events once the batch has committed. Batches
        do not nest, and belong to the thread that opened them.

        >>> from datetime import datetime
        >>> from ami_workflow import Applicant, FixedClock, MemoryWorkflow, load_campaign
        >>> from ami_workflow.calendar import PARIS
        >>> flow = MemoryWorkflow(load_campaign("ami-cohesion-sociale-2021"),
        ...                       clock=FixedClock(datetime(2021, 3, 9, 10, tzinfo=PARIS)), actor="accueil")
        >>> with flow.batch():
        ...     refs = [flow.create_dossier(Applicant(f"Asso {n}", "association", rna=f"W62{n:07d}")).reference
        ...             for n in range(3)]
        >>> len(flow.dossiers()), flow.verify() is None
        (3, True)
        """
        return self._open_batch()

    @contextlib.contextmanager
    def _open_batch(self) -> Iterator[None]:
        if self._batch is not None:
            raise InvalidInput(_("a batch is already open on this store: batches do not nest"))
        with self._transaction() as view:
            batch = self._batch = _Batch(view, threading.get_ident())
            try:
                yield
                if batch.spoiled:
                    raise StorageError(_("an operation of the batch failed part-way: nothing of the batch was kept"))
            finally:
                self._batch = None
        self._notify(batch.events)

    def _outside_batch(self, action: str) -> None:
        if self._batch is not None:
            raise InvalidInput(_("{action} cannot run inside a batch: close the batch first").format(action=action))

