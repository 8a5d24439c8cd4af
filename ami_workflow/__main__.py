"""``python -m ami_workflow``: the ``ami-workflow`` command line."""

from .cli import main

main(prog_name="ami-workflow")
