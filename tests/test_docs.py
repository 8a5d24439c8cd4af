"""The docs are tested against the code: every name and test they cite exists, and README's example runs."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import guards_doc
import pytest

from ami_workflow.guards import GUARDS
from ami_workflow.workflow import DEFAULT_GUARDS

ROOT = Path(__file__).parent.parent
DOCS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]


def _resolve(dotted: str) -> object:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(dotted)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_cited_library_name_exists(doc: Path) -> None:
    names = set(re.findall(r"`(ami_workflow(?:\.\w+)+)`", doc.read_text("utf-8")))
    for name in sorted(names):
        _resolve(name)


def test_every_test_cited_in_rules_md_exists_and_every_rule_test_is_cited() -> None:
    test_call_rules = importlib.import_module("test_call_rules")  # here: its failure to import fails this test only
    text = (ROOT / "docs" / "rules.md").read_text("utf-8")
    cited = set(re.findall(r"tests/test_call_rules\.py::(test_\w+)", text))
    defined = {name for name in dir(test_call_rules) if name.startswith("test_")}
    assert cited, "rules.md cites no test"
    assert cited <= defined, f"cited but missing: {sorted(cited - defined)}"
    assert defined <= cited, f"rule tests not in rules.md: {sorted(defined - cited)}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_cited_test_exists(doc: Path) -> None:
    for module, name in set(re.findall(r"tests/(test_\w+)\.py::(test_\w+)", doc.read_text("utf-8"))):
        assert hasattr(importlib.import_module(module), name), f"{doc.name} cites missing {module}::{name}"


def test_readme_python_example_runs() -> None:
    text = (ROOT / "README.md").read_text("utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {"__name__": "readme"})


def test_package_front_is_sorted_and_complete() -> None:
    import ami_workflow

    assert ami_workflow.__all__ == sorted(ami_workflow.__all__)
    assert all(hasattr(ami_workflow, name) for name in ami_workflow.__all__)


def test_states_md_guard_table_is_generated_from_the_code() -> None:
    text = (ROOT / "docs" / "states.md").read_text("utf-8")
    assert guards_doc.render() in text, "run: python tests/guards_doc.py"
    assert guards_doc.rewrite(text) == text


def test_every_guard_says_what_it_checks_in_one_sentence() -> None:
    assert {name for names in DEFAULT_GUARDS.values() for name in names} <= set(GUARDS)
    for name in GUARDS:
        first = guards_doc.summary(name)
        assert first[0].isupper() and first.endswith("."), f"{name}: {first!r}"


def test_the_guard_table_follows_the_guards_each_trigger_runs() -> None:
    table = guards_doc.render({"instruct": ("instruction_window", "financial_reports")})
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert rows == [
        f"| `instruct` | `instruction_window` | {guards_doc.summary('instruction_window')} |",
        f"| `instruct` | `financial_reports` | {guards_doc.summary('financial_reports')} |",
    ]
