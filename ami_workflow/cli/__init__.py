"""The ``ami-workflow`` command line: a thin layer over the library's public API.

Every command opens the SQLite database (``--db``, ``$AMI_WORKFLOW_DB`` or
``./ami.db``) and calls :class:`ami_workflow.store.Workflow` and the report,
agenda, export and document modules. Exit codes: 0 ok; 1 an action refused by a
guard, by the dossier's state or by a stale version (every reason printed);
2 a usage error or bad input (a clear message, no traceback); 3 a defect of the
library (a plain message; ``AMI_WORKFLOW_DEBUG=1`` shows the traceback); 141,
quietly, when the reader of the output goes away (``| head``).

One module per group of commands (``campaigns``, ``dossiers``, ``documents`` …) over the shared frame of
``app``; ``commands`` registers them all. Each command imports the library modules it uses when it runs, so that
``ami-workflow --help`` pays only for click (tests/test_cli_startup.py).
"""

from .commands import main

__all__ = ["main"]
