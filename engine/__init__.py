"""ML vs DL Advisor engine: io → profile → advice → models → measure → explain → run → figures → share.

Pure Python, no Streamlit. Each stage is a sub-package (``engine/io``,
``engine/profile``, ``engine/advice``, ...; the README's Layout lists them)
and imports only the stages below it (``tests/test_import_graph.py``). The
light entry points are importable from here; training and explanation live
in :mod:`engine.run.pipeline` (which imports torch and shap only when a
comparison runs). Pages import engine names from here. The criteria module
is :mod:`engine.advice.recommend` (its vote is
``engine.advice.recommend.recommend``); nothing here is named ``recommend``.
"""

import gc
import os
import sys

# LightGBM, scikit-learn and torch each run an OpenMP thread pool whose idle threads spin by default; on a
# small shared machine spinning pools starve each other (a 1-second LightGBM fit took 150 s in our benchmark,
# and in the dashboard's server a 455-row MLP trained 8 epochs in 32 s). OpenMP reads this once, when its
# runtime loads, so it is set here, on the first import of the engine, before any entry point (the server
# imports torch at start-up to fix its thread count); a user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _run_as_the_command_line() -> bool:
    """Whether this process is ``python [options] -m engine ...``: then engine/__main__.py finishes the GC set-up."""
    argv = list(getattr(sys, "orig_argv", []))
    return "-m" in argv and argv[argv.index("-m") + 1:argv.index("-m") + 2] == ["engine"]


# Importing pandas and numpy makes a few hundred thousand long-lived objects, and the cyclic collector walks them
# again and again as they are made (a fifth of the import, which is most of `recommend`'s start-up); an import
# leaves next to no cyclic garbage, so collecting waits until these imports are done. Then it is switched back
# on, except in the command line, which first freezes what the imports made (a first collection of it alone took
# 0.08 s) and then switches it on itself.
_collecting = gc.isenabled()
gc.disable()
try:
    from engine.io.data import DataError, read_csv_bytes, read_csv_path  # noqa: E402
    from engine.io.dataset import Dataset, load_dataset_bytes, load_dataset_path
    from engine.profile.profile import ColumnKind, DatasetProfile, Task, guess_target, profile_dataset
    from engine.advice.recommend import (
        Advice,
        Answers,
        advise,
        DataKind,
        Flip,
        ProblemType,
        Recommendation,
        Transparency,
        answers_from_profile,
        what_would_flip,
    )
    from engine.registry import (
        DataKindSpec,
        KindDecision,
        ModelSpec,
        decide_kind,
        kind_for,
        kind_named,
        register,
        registered_kinds,
    )
finally:
    if _collecting and not _run_as_the_command_line():
        gc.enable()


__all__ = [
    "DataError",
    "read_csv_bytes",
    "read_csv_path",
    "Dataset",
    "load_dataset_bytes",
    "load_dataset_path",
    "ColumnKind",
    "DatasetProfile",
    "Task",
    "guess_target",
    "profile_dataset",
    "RecordError",
    "RunRecord",
    "RunStore",
    "StoreError",
    "EXPLAINER_MODES",
    "ComparisonResult",
    "advise",
    "compare",
    "explain_again",
    "Advice",
    "Flip",
    "answers_from_profile",
    "what_would_flip",
    "Answers",
    "DataKind",
    "ProblemType",
    "Recommendation",
    "Transparency",
    "DataKindSpec",
    "KindDecision",
    "decide_kind",
    "ModelSpec",
    "kind_for",
    "kind_named",
    "register",
    "registered_kinds",
]

# Training, explanation and records import scikit-learn (and, when run, torch
# and shap): loaded on first use, so `recommend` answers without them.
_LAZY = {
    "EXPLAINER_MODES": "engine.run.pipeline",
    "ComparisonResult": "engine.run.pipeline",
    "compare": "engine.run.pipeline",
    "explain_again": "engine.run.pipeline",
    "RecordError": "engine.run.record",
    "RunRecord": "engine.run.record",
    "RunStore": "engine.share.store",
    "StoreError": "engine.share.store",
    "ModelResult": "engine.measure.evaluate",
    "Verdict": "engine.measure.evaluate",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'engine' has no attribute {name!r}")
