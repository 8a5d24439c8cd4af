"""Static proof that both backends implement :class:`~ami_workflow.protocol.Backend` (checked by mypy --strict).

Nothing imports this module at run time; ``tests/test_backends.py`` imports it once so it is not dead code.
"""

from __future__ import annotations

from .memory import MemoryWorkflow
from .protocol import Backend
from .store import Workflow

BACKENDS: tuple[type[Backend], ...] = (MemoryWorkflow, Workflow)
