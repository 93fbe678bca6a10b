"""The engine's import graph (issue 18): no circle, no kind reaching into another kind, no private imports.

Read from the source with ``ast`` (nothing is imported): every ``import`` and
``from … import`` of an ``engine`` module, at module level or inside a
function (a lazy import is still a dependency), is an edge. A plug-in found
by name (``importlib.import_module``: the registry loading the built-in
kinds) is not, by design.
"""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from pathlib import Path

import networkx as nx

from tests.conftest import ROOT

ENGINE = ROOT / "engine"


def _module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in ENGINE.rglob("*.py")}


@functools.lru_cache(maxsize=None)
def _parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def imports_of(path: Path, modules: dict[str, Path] = MODULES, root: Path = ROOT) -> list[tuple[str, str, int]]:
    """(imported module, imported name or "", line) for every import in ``path``; relative imports resolved."""
    own = _module_name(path, root)
    package = own if path.name == "__init__.py" else own.rpartition(".")[0]
    found: list[tuple[str, str, int]] = []
    for node in ast.walk(_parsed(path)):
        if isinstance(node, ast.Import):
            found += [(alias.name, "", node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.append((submodule, "", node.lineno) if submodule in modules else (base, alias.name, node.lineno))
    return found


def engine_graph(modules: dict[str, Path] = MODULES, root: Path = ROOT) -> nx.DiGraph:
    """Edges module -> engine module it imports (a submodule import is not an edge to its package's __init__)."""
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        for target, _, _ in imports_of(path, modules, root):
            if target in modules and target != name:
                graph.add_edge(name, target)
    return graph


def _kind_of(module: str) -> str | None:
    """``engine.kinds.text`` and everything under it belong to kind ``text``."""
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["engine", "kinds"] else None


def test_the_engine_has_no_import_circle():
    cycles = list(nx.simple_cycles(engine_graph()))
    assert not cycles, "import circles: " + "; ".join(" -> ".join(c + [c[0]]) for c in cycles[:5])


def test_the_cycle_check_finds_a_planted_circle(tmp_path):
    (tmp_path / "engine").mkdir()
    (tmp_path / "engine" / "a.py").write_text("def f():\n    from engine.b import g\n")
    (tmp_path / "engine" / "b.py").write_text("from engine import a\n")
    planted = {"engine.a": tmp_path / "engine" / "a.py", "engine.b": tmp_path / "engine" / "b.py"}
    cycles = list(nx.simple_cycles(engine_graph(planted, tmp_path)))
    assert sorted(map(sorted, cycles)) == [["engine.a", "engine.b"]]


def test_no_kind_imports_another_kinds_internals():
    crossings = []
    for name, path in MODULES.items():
        mine = _kind_of(name)
        if mine is None:
            continue
        for target, _, line in imports_of(path):
            theirs = _kind_of(target)
            if theirs is not None and theirs != mine:
                crossings.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert not crossings, crossings


def test_no_module_imports_shaps_internals_or_another_modules_private_names():
    """``shap._…`` internals change without notice; another engine module's ``_name`` is not its interface."""
    private = []
    for name, path in MODULES.items():
        for target, imported, line in imports_of(path):
            is_private_module = target.split(".")[0] == "shap" and any(p.startswith("_") for p in target.split("."))
            is_private_name = imported.startswith("_") and target.startswith("engine") and target != name
            if is_private_module or is_private_name:
                private.append(f"{path.relative_to(ROOT)}:{line} imports {target} {imported}".strip())
    assert not private, private


def test_the_criteria_module_is_a_module_and_engine_binds_no_recommend():
    """``engine.advice.recommend`` is the module (its vote is ``.recommend``); ``engine`` rebinds no name to it."""
    import engine
    import engine.advice.recommend as R

    assert isinstance(R, type(sys))
    assert engine.advice.recommend is R
    assert callable(R.recommend)
    assert not hasattr(engine, "recommend")


def test_recommend_and_profile_never_import_the_training_libraries(tmp_path):
    """The advice answers without torch, shap or LightGBM (seconds of import each on a small machine)."""
    data = tmp_path / "table.csv"
    data.write_text("a,b,review,label\n" + "".join(
        f"{i},{i % 7},the film was {'superb' if i % 2 else 'awful'} and long {i},{'yes' if i % 2 else 'no'}\n"
        for i in range(60)))
    script = (
        "import sys, runpy; sys.argv = ['engine', 'recommend', sys.argv[1], '--json']\n"
        "try:\n    runpy.run_module('engine', run_name='__main__')\n"
        "except SystemExit as exit:\n    assert not exit.code, exit.code\n"
        "heavy = ('torch', 'shap', 'lightgbm')\n"
        "loaded = [m for m in sys.modules if m in heavy or m.startswith(tuple(h + '.' for h in heavy))]\n"
        "print('LOADED', loaded[:3], file=sys.stderr); sys.exit(1 if loaded else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(data)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert '"data_kind_decision"' in done.stdout


def test_the_core_never_imports_a_kind():
    """The kinds plug into the core (registry, loaders, column detectors); the core asks the registry, never a kind."""
    upward = []
    for name, path in MODULES.items():
        if _kind_of(name) is not None or name == "engine.kinds":
            continue
        for target, _, line in imports_of(path):
            if target == "engine.kinds" or _kind_of(target) is not None:
                upward.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert not upward, upward
