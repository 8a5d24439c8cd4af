"""The package's imports flow one way: no cycle between its modules, no import hidden in a function."""

from __future__ import annotations

import ast
from pathlib import Path

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


def test_no_import_inside_a_function() -> None:
    inside = [f"{m}:{line} imports {target}" for m, imports in relative_imports().items()
              for target, line, in_function in imports if in_function]
    assert inside == []


def test_no_import_cycle() -> None:
    found = relative_imports()
    graph = {m: {target for target, _, _ in imports if target in found} for m, imports in found.items()}
    assert graph["ami_workflow.guards"] >= {"ami_workflow.campaign", "ami_workflow.committee"}  # the graph is read
    assert cycles(graph) == []


def test_the_cycle_finder_finds_one() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
