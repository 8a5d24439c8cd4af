"""The package's imports flow one way: no cycle between its modules, no import hidden in a function.

The one exception is the command line, the top layer: each command imports what it uses when it runs, so that
``ami-workflow --help`` stays fast (tests/test_cli_startup.py). Nothing imports the command line, so those imports
cannot dodge a cycle, and the cycle test counts them like any other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "ami_workflow"


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def relative_imports() -> dict[str, list[tuple[str, int, bool]]]:
    """Each package module's relative imports: (imported module, line, whether inside a function)."""
    found: dict[str, list[tuple[str, int, bool]]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module(path)
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        imports: list[tuple[str, int, bool]] = []

        def visit(node: ast.AST, in_function: bool, package: list[str] = package,
                  imports: list[tuple[str, int, bool]] = imports) -> None:
            for child in ast.iter_child_nodes(node):
                inside = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                if isinstance(child, ast.ImportFrom) and child.level:
                    base = package[: len(package) - child.level + 1]
                    if child.module:
                        imports.append((".".join([*base, child.module]), child.lineno, inside))
                    else:  # from . import name
                        imports += [(".".join([*base, alias.name]), child.lineno, inside) for alias in child.names]
                visit(child, inside)

        visit(ast.parse(path.read_text(encoding="utf-8")), False)
        found[module] = imports
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


#: The modules whose functions may import the package's modules: the command line's, for its start-up time.
CLI = "ami_workflow.cli"


def _at_run_time(module: str) -> bool:
    return module == CLI or module.startswith(CLI + ".")


def test_no_import_inside_a_function() -> None:
    found = relative_imports()
    inside = [f"{m}:{line} imports {target}" for m, imports in found.items()
              for target, line, in_function in imports if in_function and not _at_run_time(m)]
    assert inside == []
    assert any(in_function for _, _, in_function in found["ami_workflow.cli.dossiers"])  # the exception is needed
    importers = {m for m, imports in found.items() for target, _, _ in imports
                 if _at_run_time(target) and not _at_run_time(m)}
    assert importers <= {"ami_workflow.__main__"}  # nothing but ``python -m`` imports the command line


def test_no_import_cycle() -> None:
    found = relative_imports()
    graph = {m: {target for target, _, _ in imports if target in found} for m, imports in found.items()}
    assert graph["ami_workflow.guards"] >= {"ami_workflow.campaign", "ami_workflow.committee"}  # the graph is read
    assert cycles(graph) == []


def test_the_cycle_finder_finds_one() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _type_checking_imports() -> dict[str, tuple[str, ...]]:
    """``{module: names}`` imported by the package's ``if TYPE_CHECKING:`` block."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    blocks = [node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"]
    assert len(blocks) == 1
    return {node.module or "": tuple(alias.name for alias in node.names)
            for node in blocks[0].body if isinstance(node, ast.ImportFrom) and node.level == 1}


def test_the_package_s_lazy_names_are_its_type_checking_imports_and_its_all() -> None:
    import importlib

    import ami_workflow

    homes = ami_workflow._HOMES
    assert _type_checking_imports() == homes
    names = [name for group in homes.values() for name in group]
    assert sorted(names) == ami_workflow.__all__  # each name once, every one exported
    for module, group in homes.items():
        home = importlib.import_module(f"ami_workflow.{module}")
        for name in group:
            assert getattr(ami_workflow, name) is getattr(home, name), name
    assert set(ami_workflow.__all__) <= set(dir(ami_workflow))


def test_an_unknown_name_of_the_package_is_an_attribute_error() -> None:
    import ami_workflow

    with pytest.raises(AttributeError, match="no attribute 'Workflw'"):
        ami_workflow.Workflw  # type: ignore[attr-defined]  # noqa: B018
