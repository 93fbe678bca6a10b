"""The engine's import graph (issue 18): stages in order, no circle, no kind reaching into another kind, no private imports.

Read from the source with ``ast`` (nothing is imported): every ``import`` and
``from … import`` of an ``engine`` module, at module level or inside a
function (a lazy import is still a dependency), is an edge. A plug-in found
by name (``importlib.import_module``: the registry loading the built-in
kinds) is not, by design.

The stages, lowest first (README, "Layout"): a module may import its own
stage or a lower one, never a higher one. ``engine/__init__.py`` and
``engine/__main__.py`` are the entry points above them all.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import re
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


#: engine's sub-packages (and the one top-level module, the kind registry) from the bottom of the flow to the top.
#: common: numbers and words every stage shares; registry: decides the data's kind from a profile (the advice
#: asks it); run: pipeline + record (calls measure and explain); executors: where a run goes (they submit
#: pipeline.compare and save to the store); kinds: the plug-ins, above the core they plug into.
STAGES = ("common", "io", "profile", "registry", "advice", "models", "measure", "explain", "run", "figures", "share",
          "executors", "evidence", "kinds")
ENTRY_POINTS = ("engine", "engine.__main__")


def stage_of(module: str) -> str | None:
    """``engine.measure.budget`` -> ``measure``; None for the entry points and for anything outside ``engine``."""
    parts = module.split(".")
    if module in ENTRY_POINTS or parts[0] != "engine":
        return None
    return parts[1]


def upward_imports(modules: dict[str, Path] = MODULES, root: Path = ROOT) -> list[str]:
    """``a -> b`` for every import of a higher stage (or of an entry point) by a module inside a stage."""
    found = []
    for a, b in engine_graph(modules, root).edges:
        mine, theirs = stage_of(a), stage_of(b)
        if mine is None:
            continue
        if theirs is None or STAGES.index(theirs) > STAGES.index(mine):
            found.append(f"{a} ({mine}) -> {b} ({theirs or 'entry point'})")
    return found


def test_every_engine_module_belongs_to_a_stage():
    unplaced = sorted(m for m in MODULES if m not in ENTRY_POINTS and stage_of(m) not in STAGES)
    assert not unplaced, f"modules outside the stages {STAGES}: {unplaced} (place them, and say so in the README)"


def test_no_module_imports_a_higher_stage():
    upward = upward_imports()
    assert not upward, "upward imports: " + "; ".join(upward)


def test_the_stage_check_finds_a_planted_upward_import(tmp_path):
    for folder in ("io", "share"):
        (tmp_path / "engine" / folder).mkdir(parents=True)
        (tmp_path / "engine" / folder / "__init__.py").write_text("")
    (tmp_path / "engine" / "io" / "data.py").write_text("def f():\n    from engine.share.store import save\n")
    (tmp_path / "engine" / "share" / "store.py").write_text("from engine.io import data\n")
    planted = {_module_name(p, tmp_path): p for p in (tmp_path / "engine").rglob("*.py")}
    assert upward_imports(planted, tmp_path) == ["engine.io.data (io) -> engine.share.store (share)"]


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


def _bound_modules(tree: ast.Module, modules: dict[str, Path]) -> dict[str, str]:
    """Local name -> the module it names, for names bound to shap (or a part of it) or to an engine module."""
    bound: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    bound[alias.asname] = alias.name
                elif alias.name.split(".")[0] in ("shap", "engine"):
                    bound[alias.name.split(".")[0]] = alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                target = f"{node.module}.{alias.name}"
                if node.module.split(".")[0] == "shap" or target in modules:
                    bound[alias.asname or alias.name] = target
    return bound


def private_uses(path: Path, modules: dict[str, Path] = MODULES, root: Path = ROOT) -> list[str]:
    """Attribute chains that reach a private part of shap (``shap.explainers._deep``) or of another engine module."""
    tree = _parsed(path) if root == ROOT else ast.parse(path.read_text(encoding="utf-8"))
    own = _module_name(path, root)
    bound = _bound_modules(tree, modules)
    found = []
    inner = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Attribute)}  # read each chain once, whole
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or id(node) in inner:
            continue
        chain, base = [], node
        while isinstance(base, ast.Attribute):
            chain.insert(0, base.attr)
            base = base.value
        if not isinstance(base, ast.Name) or base.id not in bound:
            continue
        module = bound[base.id]
        # resolve ``engine.run.pipeline._x`` written out in full: the longest prefix that is an engine module
        for cut in range(len(chain), -1, -1):
            if ".".join([module, *chain[:cut]]) in modules or cut == 0:
                module, rest = ".".join([module, *chain[:cut]]), chain[cut:]
                break
        private = [p for p in rest if p.startswith("_") and not (p.startswith("__") and p.endswith("__"))]
        is_shap = module.split(".")[0] == "shap"
        if (is_shap and (private or any(p.startswith("_") for p in module.split(".")))) or (
            not is_shap and module != own and rest and private and rest[0] == private[0]
        ):
            found.append(f"{path.relative_to(root)}:{node.lineno} uses {module}.{'.'.join(rest)}")
    return sorted(set(found))


def test_no_module_reaches_into_shaps_or_another_modules_private_attributes():
    """The import check above sees ``from shap._x import y``; this sees ``shap.explainers._deep.f`` and ``other._f``."""
    reached = [use for path in MODULES.values() for use in private_uses(path)]
    assert not reached, reached


def test_the_private_attribute_check_finds_planted_uses(tmp_path):
    (tmp_path / "engine").mkdir()
    (tmp_path / "engine" / "a.py").write_text("def _helper():\n    return 1\n")
    (tmp_path / "engine" / "b.py").write_text(
        "import shap\nfrom engine import a\n\n"
        "def f(x):\n    shap.explainers._deep.deep_pytorch.op_handler\n    shap.maskers.Image\n    return a._helper()\n"
    )
    planted = {"engine.a": tmp_path / "engine" / "a.py", "engine.b": tmp_path / "engine" / "b.py"}
    uses = private_uses(tmp_path / "engine" / "b.py", planted, tmp_path)
    assert uses == ["engine/b.py:5 uses shap.explainers._deep.deep_pytorch.op_handler", "engine/b.py:7 uses engine.a._helper"]


def _engine_imports_in(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) for every ``from engine… import …``, in code or inside a string (a subprocess's script)."""
    found = []
    for node in ast.walk(_parsed(path)):
        if isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").split(".")[0] == "engine":
            found.append((node.lineno, node.module, [alias.name for alias in node.names]))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "from engine" in node.value:
            for match in re.finditer(r"^\s*from (engine[\w.]*) import ([\w, ]+)$", node.value, re.M):
                names = [n.strip().split(" as ")[0] for n in match.group(2).split(",") if n.strip()]
                found.append((node.lineno, match.group(1), names))
    return found


def test_every_engine_import_in_the_project_resolves():
    """A moved module breaks a function-level import or a subprocess's script only when that line runs: find it here."""
    import importlib

    folders = ("engine", "app_pages", "views", "tests", "benchmarks", "tools")
    paths = [p for folder in folders for p in (ROOT / folder).rglob("*.py")] + [ROOT / "dashboard.py"]
    broken = []
    for path in paths:
        for line, module, names in _engine_imports_in(path):
            if path == Path(__file__):
                continue  # this file's strings are planted graphs
            try:
                imported = importlib.import_module(module)
            except ImportError as error:
                broken.append(f"{path.relative_to(ROOT)}:{line} {module}: {error}")
                continue
            for name in names:
                is_submodule = hasattr(imported, "__path__") and importlib.util.find_spec(f"{module}.{name}") is not None
                if not hasattr(imported, name) and not is_submodule:
                    broken.append(f"{path.relative_to(ROOT)}:{line} {module} has no {name}")
    assert not broken, broken
