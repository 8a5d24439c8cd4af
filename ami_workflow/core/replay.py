"""The fold of a journal a dossier at a time, in little memory: what ``verify`` replays a large store with.

:func:`~ami_workflow.core.evolve.fold` keeps the whole :class:`~ami_workflow.core.evolve.World`, every dossier
at once. :class:`Replay` gives the same dossiers one after the other: first the campaign-wide events, in the
journal's order (:meth:`Replay.add`); then each dossier's own events, in their order (:meth:`Replay.dossier`),
which returns the dossier as the fold would and forgets it. Both run :func:`~ami_workflow.core.evolve.evolve`,
so nothing of what an event does is written twice.

This is exact because a dossier's events change only that dossier: :func:`~ami_workflow.core.evolve.evolve_dossier`
reads nothing else, and what they add to the campaign (its count of dossiers, the drafts copied, the files
erased) does not depend on the order of dossiers. An erasure of personal data (which names its dossiers) is
campaign-wide: :meth:`Replay.add` keeps it and replays it into each dossier it names, at its place among that
dossier's events.

Kept in :attr:`Replay.world`: the campaigns and their records, the copied drafts, the erased files and the
dossier counts. Left out, since each spans every dossier: the dossiers themselves, the running totals, the
applicants, ``granted_by`` (the deliberations hold it), the acts and the latest dates; a caller checks those
per dossier.

    >>> from datetime import datetime
    >>> from ami_workflow import load_campaign
    >>> from ami_workflow.calendar import PARIS
    >>> from ami_workflow.core.plain import plain
    >>> call = load_campaign("ami-cohesion-sociale-2021")
    >>> when = datetime(2021, 3, 9, tzinfo=PARIS)
    >>> replay = Replay()
    >>> replay.add(Event(Kind.CAMPAIGN_ADDED, call.id, None, when, "service", {"call": plain(call)}, seq=1))
    >>> created = Event(Kind.DOSSIER_CREATED, call.id, "c-0001", when, "accueil",
    ...                 {"applicant": {"name": "Asso", "kind": "association"}, "application": {}}, seq=2)
    >>> replay.dossier("c-0001", [created]).state, replay.world.campaign(call.id).numbers
    ('draft', 1)
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

import attrs

from ..dossier import Dossier
from .events import Event, Kind
from .evolve import World, _Campaign, evolve

__all__ = ["Replay", "dossiers_of"]


def dossiers_of(event: Event) -> tuple[str, ...]:
    """The dossiers ``event`` changes, as :func:`~ami_workflow.core.evolve.evolve` reads it (none: campaign-wide)."""
    if event.kind is Kind.CAMPAIGN_ADDED:
        return ()
    if event.kind is Kind.PERSONAL_DATA_ERASED:
        return tuple(event.data["dossiers"])
    return () if event.dossier is None else (event.dossier,)


class Replay:
    """A fold that hands out each dossier and forgets it (see the module)."""

    def __init__(self) -> None:
        self.world = World()
        self._erasures: dict[str, list[Event]] = {}
        self._copied_at: dict[tuple[str, str], int] = {}

    def add(self, event: Event) -> None:
        """Fold a campaign-wide event (one of no dossier, or an erasure, which is kept for its dossiers)."""
        if event.kind is Kind.PERSONAL_DATA_ERASED:
            for reference in event.data["dossiers"]:
                self._erasures.setdefault(reference, []).append(event)
            self.world.erased_files.update(event.data["files"])
            self.world.events += 1
            return
        evolve(self.world, event)
        self.world.granted_by.clear()  # every deliberation holds its dossiers: nothing is lost

    def dossier(self, reference: str, events: Sequence[Event]) -> Dossier | None:
        """The dossier ``reference`` after its own ``events`` (in the journal's order) and the erasures naming it.

        ``None`` if no event creates it. Every campaign-wide event must have been added first.
        """
        shared = self.world
        local = World(
            campaigns={cid: _Campaign(place.campaign) for cid, place in shared.campaigns.items()},
            erased_files=shared.erased_files,
        )
        erasures = [attrs.evolve(e, data={**e.data, "dossiers": [reference]})
                    for e in self._erasures.get(reference, ())]
        for event in heapq.merge(events, erasures, key=lambda e: e.seq or 0) if erasures else events:
            if event.kind is not Kind.LEGACY:
                evolve(local, event)
        shared.events += local.events - len(erasures)  # an erasure was counted once, by add
        for cid, place in local.campaigns.items():
            into = shared.campaigns[cid]
            into.numbers += place.numbers
            for source, target in place.copied.items():
                seq = self._copy_seq(events, source)
                if seq >= self._copied_at.get((cid, source), -1):  # the latest copy wins, as in the fold
                    into.copied[source] = target
                    self._copied_at[(cid, source)] = seq
        return local.dossiers.get(reference)

    @staticmethod
    def _copy_seq(events: Sequence[Event], source: str) -> int:
        return max((e.seq or 0 for e in events if e.data.get("copied_from") == source), default=0)
