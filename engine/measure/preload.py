"""Import the training libraries in a background thread while the data is read and profiled.

Importing torch (with ``torch._dynamo``, which its first optimiser pulls in),
shap and LightGBM costs seconds before a comparison can train; reading a CSV,
profiling it and advising need none of them. The command line's ``compare``
and the dashboard's upload call :func:`start` as soon as they know a
comparison may follow, and :func:`engine.run.pipeline.compare` calls :func:`wait`
before its first training import, so the main thread never imports the same
module as the loader at the same time. ``recommend`` never calls either.

A failed import is ignored here: the real import in the training code raises
it where it is reported properly.
"""

from __future__ import annotations

import importlib
import threading

__all__ = ["MODULES", "start", "wait", "started"]

#: What a tabular comparison imports before its first fit, heaviest first.
MODULES = ("torch", "torch._dynamo", "torch.optim", "lightgbm", "sklearn.linear_model", "shap")

_lock = threading.Lock()
_thread: threading.Thread | None = None


def _import_all(set_torch_threads: bool) -> None:
    for name in MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001  reported by the real import, with its context
            pass
    if set_torch_threads:
        try:
            from engine.models.torch_base import set_process_threads

            # Before any thread's first torch operation, so it applies to all (torch reads it per thread, once).
            set_process_threads()
        except Exception:  # noqa: BLE001  as above
            pass


def start(*, set_torch_threads: bool = False) -> threading.Thread:
    """Start the background import once per process (later calls return the same thread).

    ``set_torch_threads``: then fix torch's thread count for the process
    (:func:`engine.models.torch_base.set_process_threads`), as a server does at
    start-up; the command line asks for it, since its comparison trains in a
    worker thread, where torch's count may not be changed.
    """
    global _thread
    with _lock:
        if _thread is None:
            _thread = threading.Thread(target=_import_all, args=(set_torch_threads,), name="preload-training-libraries",
                                       daemon=True)
            _thread.start()
        return _thread


def started() -> bool:
    return _thread is not None


def wait() -> None:
    """Block until the background import (if one was started) has finished."""
    thread = _thread
    if thread is not None and thread is not threading.current_thread():
        thread.join()
