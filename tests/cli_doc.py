"""Build docs/cli.md from the commands' own --help texts (run this file to rewrite it)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ami_workflow.cli import main

# The docs are in English: the help is rendered in English whatever the reader's default (French).
os.environ["AMI_WORKFLOW_LANG"] = "en"

DOC = Path(__file__).parent.parent / "docs" / "cli.md"

INTRO = """# The `ami-workflow` command line

Generated from the commands' `--help` by `python tests/cli_doc.py`; `tests/test_cli.py` fails when it drifts.

The command line is a thin layer over the library: every command calls the public API of
`ami_workflow.store.Workflow` and of the report, agenda, export and receipt modules. It works on the
embedded SQLite default: `./ami.db`, or `--db PATH`, or `$AMI_WORKFLOW_DB`.

Exit codes: **0** ok; **1** an action refused — by a guard (every reason is printed), by the dossier's state
(a trigger it does not allow) or by a stale `--expected-version` — or a journal that is not intact; **2** a usage
error or bad input (a clear message, no traceback); **3** a defect of the library (a plain message, no traceback;
`AMI_WORKFLOW_DEBUG=1` shows it); **141** the output's reader went away (`| head`), quietly.
Commands that read take `--json`.
Long work (demo) shows a progress bar on a terminal and stays quiet when piped.

A quick tour:

```sh
ami-workflow demo                       # the whole 2021 campaign on ./ami.db, ending with the report
ami-workflow report
ami-workflow dossier show ami-cohesion-sociale-2021-0008
ami-workflow campaign set-funder --siret SIRET --prefix 360G-PREFIX --reason "for the open data"
ami-workflow export scdl -o subventions.csv   # refused until the funder's SIRET is set (set-funder above)
```
"""


def _commands(group: click.Group, prefix: list[str]) -> list[tuple[list[str], click.Command]]:
    out: list[tuple[list[str], click.Command]] = []
    for name in sorted(group.commands):
        command = group.commands[name]
        out.append((prefix + [name], command))
        if isinstance(command, click.Group):
            out += _commands(command, prefix + [name])
    return out


def render() -> str:
    parts = [INTRO]
    root = click.Context(main, info_name="ami-workflow", terminal_width=100, max_content_width=100)
    parts.append(f"## ami-workflow\n\n```\n{main.get_help(root)}\n```\n")
    for path, command in _commands(main, []):
        ctx = click.Context(command, info_name="ami-workflow " + " ".join(path), terminal_width=100,
                            max_content_width=100)
        parts.append(f"## ami-workflow {' '.join(path)}\n\n```\n{command.get_help(ctx)}\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    DOC.write_text(render(), encoding="utf-8")
    print(f"wrote {DOC}")
