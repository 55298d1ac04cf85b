"""No import cycles among unspoken's modules.

The graph has an edge ``a -> b`` when module ``a`` imports ``b`` anywhere: at module level,
inside a function (a lazy import), or under ``if TYPE_CHECKING:``. ``import p.q`` points to
``p.q``; ``from p import x`` points to ``p`` (whose ``__init__`` supplies ``x``) and also to
``p.x`` when that is a module. Parent packages implicitly run by ``import p.q`` are not
edges (else every package that re-exports its submodules would be a cycle). Imports by
string (``importlib.import_module``) are not followed.

Layering this guards: data and engine modules at the bottom, estimators in the middle, the
API functions (``list_experiment``, ``fit_polls``, ...) on top; a lazy import may defer a
heavy module but never points up into a module that imports back.
"""

from __future__ import annotations

import ast
from pathlib import Path

import unspoken

SRC = Path(unspoken.__file__).resolve().parent


def module_files(package_dir: Path) -> dict[str, Path]:
    """Dotted module name -> file for every ``.py`` file of the package."""
    root = package_dir.parent
    out = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _known(name: str, modules: dict[str, Path]) -> str | None:
    """The longest prefix of ``name`` that is one of our modules (None: not ours)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph(package_dir: Path) -> dict[str, dict[str, int]]:
    """``{module: {imported module: line of the first such import}}`` within the package."""
    modules = module_files(package_dir)
    graph: dict[str, dict[str, int]] = {}
    for name, path in modules.items():
        is_pkg = path.name == "__init__.py"
        package = name if is_pkg else name.rpartition(".")[0]
        edges: dict[str, int] = {}
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from .x import y / from .. import z
                    up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*up, base] if base else up)
                targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
            for target in targets:
                if target not in modules and target != targets[0]:
                    continue  # `from p import name`: name is not a submodule
                found = _known(target, modules)
                if found is not None and found != name:
                    edges.setdefault(found, node.lineno)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected groups of two or more modules (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(groups)


def describe(group: list[str], graph: dict[str, dict[str, int]]) -> str:
    """The modules of one cycle and the imports that tie them together."""
    members = set(group)
    lines = [f"cycle of {len(group)} modules: {', '.join(group)}"]
    for a in group:
        for b, line in sorted(graph[a].items()):
            if b in members:
                lines.append(f"    {a} (line {line}) imports {b}")
    return "\n".join(lines)


def test_no_import_cycles() -> None:
    graph = import_graph(SRC)
    assert len(graph) > 50, f"only {len(graph)} modules found under {SRC}"
    found = cycles(graph)
    assert not found, "import cycles in src/unspoken:\n" + "\n".join(
        describe(g, graph) for g in found
    )


def test_the_checker_finds_cycles(tmp_path: Path) -> None:
    """A made-up package with a lazy upward import and a package/submodule loop."""
    pkg = tmp_path / "demo"
    (pkg / "sub").mkdir(parents=True)
    files = {
        "__init__.py": "",
        "api.py": "from demo.engine import run\n",
        "engine.py": "def run():\n    from demo.api import helper  # lazy, upward\n",
        "leaf.py": "import json\nimport demo.engine\n",
        "sub/__init__.py": "from demo.sub.server import serve\n",
        "sub/server.py": "from demo.sub import pages\n",
        "sub/pages.py": "X = 1\n",
        "typed.py": "import typing\nif typing.TYPE_CHECKING:\n    from .leaf import x\n",
    }
    for rel, text in files.items():
        (pkg / rel).write_text(text)
    graph = import_graph(pkg)
    assert graph["demo.leaf"] == {"demo.engine": 2}
    assert graph["demo.typed"] == {"demo.leaf": 3}
    assert graph["demo.sub.server"] == {"demo.sub": 1, "demo.sub.pages": 1}
    found = cycles(graph)
    assert found == [["demo.api", "demo.engine"], ["demo.sub", "demo.sub.server"]]
    text = describe(found[0], graph)
    assert "demo.engine (line 2) imports demo.api" in text
