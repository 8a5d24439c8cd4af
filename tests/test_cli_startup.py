"""Start-up: ``ami-workflow --help`` imports the command line and click, not the library behind it.

Structural checks, with no timing: each runs a fresh interpreter and reads its ``sys.modules``. The time itself is
measured by ``benchmarks/bench_startup.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent

#: Imported only by the commands (or the functions) that need them.
HEAVY = (
    "holidays",  # the rollover's working days
    "sqlite3",
    "sqlite_utils",  # the store
    "cryptography",  # keys and checkpoints
    "transitions",  # the state machine's definition: built when a machine is first used
    "transitions.extensions.diagrams",  # the diagram command
    "asyncio",  # pulled in by transitions' extensions
    "attrs",
    "cattrs",  # the records and their codec
)


def _modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    script = (f"{code}\nimport sys\nloaded = sorted(sys.modules)\nimport json\n"  # what the code loaded, not json
              "sys.__stdout__.write('\\n' + json.dumps(loaded))\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=120, check=True)
    return set(json.loads(done.stdout.rsplit("\n", 1)[-1]))


HELP = """
import sys
from ami_workflow.cli import main
sys.argv = ["ami-workflow", "--help"]
try:
    main()
except SystemExit as exit:
    assert exit.code == 0, exit.code
"""


def test_help_imports_neither_the_library_nor_its_heavy_dependencies() -> None:
    loaded = _modules_after(HELP)
    assert "click" in loaded and "ami_workflow.cli" in loaded  # it did run
    assert sorted(m for m in HEAVY if m in loaded) == []
    ours = sorted(m for m in loaded if m.startswith("ami_workflow") and not m.startswith("ami_workflow.cli."))
    assert ours == ["ami_workflow", "ami_workflow.cli", "ami_workflow.errors", "ami_workflow.i18n",
                    "ami_workflow.shown", "ami_workflow.states",
                    "ami_workflow.translate"]  # and the command line's own modules
    assert "babel" not in {m.split(".")[0] for m in loaded}  # dates and amounts are formatted by the commands


def test_help_leaves_json_decimal_zoneinfo_and_shutil_to_the_commands() -> None:
    loaded = _modules_after(HELP)
    assert "click" in loaded  # it did run
    # json and decimal: the commands' output; zoneinfo: an instant shown; shutil (and its bz2 and lzma): click's
    # formatter measuring the terminal, which cli.app does itself.
    assert sorted(m for m in ("json", "decimal", "zoneinfo", "shutil", "bz2", "lzma") if m in loaded) == []

def test_a_command_s_help_imports_no_more() -> None:
    loaded = _modules_after(HELP.replace('"--help"', '"dossier", "fire", "--help"'))
    assert sorted(m for m in HEAVY if m in loaded) == []


def test_importing_the_package_imports_none_of_its_modules() -> None:
    loaded = _modules_after("import ami_workflow")
    assert sorted(m for m in loaded if m.startswith("ami_workflow")) == ["ami_workflow"]


@pytest.mark.parametrize("extra", ["holidays", "cryptography", "transitions.extensions.diagrams"])
def test_the_store_and_the_readers_leave_the_heavy_extras_to_the_functions_that_use_them(extra: str) -> None:
    loaded = _modules_after(
        "import ami_workflow.store, ami_workflow.memory, ami_workflow.reports, ami_workflow.exports\n"
        "from ami_workflow import load_campaign, StateMachine\n"
        "load_campaign('ami-cohesion-sociale-2021'); StateMachine.standard().move('draft', 'submit')"
    )
    assert "sqlite_utils" in loaded and "transitions" in loaded  # they did load
    assert extra not in loaded

