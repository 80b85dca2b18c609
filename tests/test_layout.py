"""The project's import graph, built from the sources with `ast`: no circles, and the SDK imports nothing of ours.

Every import counts (top level, inside functions and under `TYPE_CHECKING`), so a circle hidden by a lazy import
still fails. `python tests/test_layout.py [PACKAGE ...]` prints each package's floors, arrows and circles.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("infogan_sdk", "mnist_data", "imagedata", "train", "export", "evaluate", "bench")

Graph = dict[str, set[str]]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, modules: set[str]) -> set[str]:
    """The project modules one import statement names: `from pkg import module` names the module, not pkg."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names} & modules
    base = node.module or ""
    if node.level:  # relative: from . import x, from ..a import b
        parts = module.split(".")
        anchor = parts[: len(parts) - node.level + (1 if is_package else 0)]
        base = ".".join([*anchor, base] if base else anchor)
    named = {f"{base}.{alias.name}" for alias in node.names} & modules
    return named if len(named) == len(node.names) else (named | {base}) & modules


def import_graph(packages: Iterable[str] = PACKAGES) -> Graph:
    """Module -> the project modules it imports (names that are not modules of ours are dropped)."""
    files = {_module_name(path): path for package in packages for path in sorted((ROOT / package).rglob("*.py"))}
    graph: Graph = {}
    for module, path in files.items():
        is_package = path.name == "__init__.py"
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                targets |= _imported(node, module, is_package, set(files))
        targets.discard(module)
        graph[module] = targets
    return graph


def circles(graph: Graph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def floors(graph: Graph) -> int:
    """The longest chain of imports, counted in modules (a graph without circles)."""
    depth: dict[str, int] = {}

    def floor(node: str) -> int:
        if node not in depth:
            depth[node] = 0  # a circle ends the walk instead of recursing forever
            depth[node] = 1 + max((floor(target) for target in graph[node]), default=0)
        return depth[node]

    return max((floor(node) for node in graph), default=0)


def test_no_import_circles_anywhere() -> None:
    assert circles(import_graph()) == []


def test_the_graph_sees_lazy_and_relative_imports(tmp_path: Path) -> None:
    """The checker itself can fail: a planted circle through a function-level import is found."""
    package = tmp_path / "planted"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from planted import b\n")
    (package / "b.py").write_text("def late():\n    from . import a\n")
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        graph = import_graph(["planted"])
    finally:
        ROOT = saved
    assert graph["planted.a"] == {"planted.b"} and graph["planted.b"] == {"planted.a"}
    assert circles(graph) == [["planted.a", "planted.b"]]


ALLOWED = {  # package -> the packages of ours it may import: the pipeline's direction, read left to right
    "infogan_sdk": {"infogan_sdk"},
    "mnist_data": {"mnist_data", "infogan_sdk"},
    "imagedata": {"imagedata", "mnist_data", "infogan_sdk"},
    "train": {"train", "imagedata", "mnist_data", "infogan_sdk"},
    "evaluate": {"evaluate", "imagedata", "mnist_data", "infogan_sdk"},
    "export": {"export", "train", "evaluate", "imagedata", "mnist_data", "infogan_sdk"},
}


def test_packages_point_one_way() -> None:
    """infogan_sdk imports nothing of ours; train and evaluate share mnist_data and imagedata (the data sets) and never
    import each other; export sits above them; only bench (and tests) may import everything."""
    for module, targets in import_graph().items():
        allowed = ALLOWED.get(module.split(".")[0])
        if allowed is not None:
            tops = {target.split(".")[0] for target in targets}
            assert tops <= allowed, f"{module} imports {sorted(tops - allowed)}"


if __name__ == "__main__":
    for package in sys.argv[1:] or PACKAGES:
        graph = import_graph([package])
        arrows = sum(len(targets) for targets in graph.values())
        print(f"{package}: {len(graph)} modules, {floors(graph)} floors, {arrows} arrows, circles {circles(graph)}")
    whole = import_graph()
    print(f"project: {len(whole)} modules, {sum(map(len, whole.values()))} arrows, circles {circles(whole)}")
