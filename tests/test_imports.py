"""The dependency arrows between kzgraph's modules run one way (STYLE.md).

Every import is counted, at module level, inside functions and under TYPE_CHECKING:
a lazy import still makes two modules depend on each other.  The graph is read with
``ast`` from the source, so nothing is imported to check it.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).parent.parent / "src"


def module_names(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file of the package at ``root``."""
    names = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def _imported(node: ast.AST, package: str) -> list[str]:
    """The dotted names an import statement may load (a name may be a module's attribute)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        parts = package.split(".")
        base = ".".join([*parts[: len(parts) - node.level + 1], *filter(None, [node.module])])
    else:
        base = node.module or ""
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the package's modules it imports anywhere in its source."""
    names = module_names(root)
    graph: dict[str, set[str]] = {name: set() for name in names}
    for name, path in names.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            for target in _imported(node, package):
                while target and target not in names:  # kzgraph.query.Engine -> kzgraph.query
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each cycle as a path a -> b -> ... -> a, one per strongly connected group."""
    found: list[list[str]] = []
    done: set[str] = set()
    for start in sorted(graph):
        if start in done:
            continue
        stack: list[tuple[str, list[str]]] = [(start, [start])]
        seen = {start}
        while stack:
            node, path = stack.pop()
            for nxt in sorted(graph[node]):
                if nxt == start:
                    found.append([*path, start])
                    done.update(path)
                    stack.clear()
                    break
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
        done.add(start)
    return found


def test_no_two_kzgraph_modules_import_each_other() -> None:
    graph = import_graph(SRC / "kzgraph")
    assert "kzgraph.sparql_text" in graph["kzgraph.query"]  # the walk sees imports at all
    assert [" -> ".join(cycle) for cycle in cycles(graph)] == []


def test_engine_is_below_query_and_fast() -> None:
    """The engines (the on-disk store's too) sit below the saved queries and the build:
    opening an entry to query it never imports the build's code."""
    graph = import_graph(SRC / "kzgraph")
    assert "kzgraph.engine" in graph["kzgraph.query"]
    assert "kzgraph.query" not in graph["kzgraph.fast"]
    assert not graph["kzgraph.engine"] & {"kzgraph.query", "kzgraph.fast", "kzgraph.resolve"}


def test_a_cycle_through_a_function_level_import_is_found(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.sub import b\n")
    (package / "sub" / "b.py").write_text("def f():\n    from ..c import g\n")
    (package / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.a\n"
    )
    (package / "d.py").write_text("from pkg import a\n")  # into the cycle, not part of it
    assert import_graph(package) == {
        "pkg": set(),
        "pkg.a": {"pkg.sub", "pkg.sub.b"},
        "pkg.c": {"pkg.a"},
        "pkg.d": {"pkg", "pkg.a"},
        "pkg.sub": set(),
        "pkg.sub.b": {"pkg.c"},
    }
    assert cycles(import_graph(package)) == [["pkg.a", "pkg.sub.b", "pkg.c", "pkg.a"]]
    (package / "c.py").write_text("")
    assert cycles(import_graph(package)) == []
