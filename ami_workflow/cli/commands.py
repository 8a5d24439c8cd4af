"""Every command of the command line, registered on ``main``; then --db and --campaign given to each of them.

The command modules add their commands to :data:`ami_workflow.cli.app.main` when imported: this module imports
them all, once, in the order ``--help`` lists nothing by (click sorts the commands by name).
"""

from __future__ import annotations

from . import campaigns, committee, decisions, demo, documents, dossiers, journal, people, reading
from .app import _late_options, main

__all__ = [
    "campaigns", "committee", "decisions", "demo", "documents", "dossiers", "journal", "main", "people", "reading",
]

_late_options(main)
