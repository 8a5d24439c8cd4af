"""The pure core: commands, events, ``decide`` and ``evolve``, the same for every backend."""

from .decide import decide
from .events import Event, Kind
from .evolve import World, evolve, evolve_dossier, fold
from .view import View

__all__ = ["Event", "Kind", "View", "World", "decide", "evolve", "evolve_dossier", "fold"]
