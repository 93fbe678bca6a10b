"""engine/ is a library: it must never import Streamlit."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.conftest import ROOT


def test_no_module_under_engine_imports_streamlit():
    offenders = []
    for path in (ROOT / "engine").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name == "streamlit" or name.startswith("streamlit.") for name in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_importing_the_whole_engine_does_not_load_streamlit():
    code = (
        "import importlib, pkgutil, sys, engine\n"
        "for m in pkgutil.walk_packages(engine.__path__, 'engine.'):\n"
        "    if not m.name.endswith('__main__'): importlib.import_module(m.name)\n"
        "print('streamlit' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_recommend_path_and_charts_do_not_import_torch_or_shap():
    code = (
        "import sys, engine.run.pipeline, engine.__main__, engine.figures.metrics, engine.figures.explanations; "
        "print(sorted(m for m in ('torch', 'shap') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stderr


def test_running_recommend_imports_no_training_library():
    """What `recommend` runs, not only what its modules import at the top: the data kinds, the profile, the advice."""
    from tests.conftest import SAMPLE_DATA

    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "engine", "recommend", str(SAMPLE_DATA / "wine.csv"),
                             "--json"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    assert "pandas" in imported  # the import log was read
    assert sorted(m for m in ("torch", "shap", "lightgbm") if m in imported) == []


def test_importing_the_engine_leaves_garbage_collection_on():
    """The engine pauses the collector during its own imports (engine/__init__.py); only `python -m engine` defers it."""
    code = "import gc, engine; print(gc.isenabled(), gc.get_freeze_count() == 0)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["True", "True"], result.stderr
