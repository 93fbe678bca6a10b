"""Shared fixtures: paths to the project and its sample data, small synthetic tables."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SAMPLE_DATA = ROOT / "sample_data"


CLI_SCHEMA = ROOT / "engine" / "schemas" / "cli_output.schema.json"


def assert_cli_contract(payload: dict[str, Any]) -> None:
    """The command-line JSON keeps every field DESIGN.md §4 and later additions promise (fields are added, never renamed)."""
    import json

    import jsonschema

    schema = json.loads(CLI_SCHEMA.read_text(encoding="utf-8"))
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(payload), key=lambda e: list(e.path))
    assert not errors, "; ".join(f"{'/'.join(map(str, e.path))}: {e.message[:200]}" for e in errors[:5])


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def sample_paths() -> list[Path]:
    return sorted(SAMPLE_DATA.glob("*.csv"))


def make_signal_table(rows: int = 600, seed: int = 0, task: str = "binary") -> pd.DataFrame:
    """Eight features of which only ``signal_a`` and ``signal_b`` (and category ``colour``) drive the target."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({f"noise_{i}": rng.normal(size=rows) for i in range(5)})
    frame["signal_a"] = rng.normal(size=rows)
    frame["signal_b"] = rng.normal(size=rows)
    frame["colour"] = rng.choice(["red", "green", "blue"], size=rows)
    latent = 2.0 * frame["signal_a"] - 1.5 * frame["signal_b"] + frame["colour"].map({"red": 1.0, "green": 0.0, "blue": -1.0})
    if task == "regression":
        frame["target"] = latent + rng.normal(scale=0.1, size=rows)
    elif task == "multiclass":
        frame["target"] = pd.cut(latent, bins=[-np.inf, -1.0, 1.0, np.inf], labels=["low", "mid", "high"]).astype(str)
    else:
        frame["target"] = np.where(latent + rng.normal(scale=0.3, size=rows) > 0, "yes", "no")
    return frame


@pytest.fixture(scope="session")
def signal_table() -> pd.DataFrame:
    return make_signal_table()


def finish_training(at: Any) -> list[str]:
    """Wait for the session's background comparison, then run the app once so it is collected.

    A small comparison may end, and be collected by the progress poll, within the run that started it: then
    there is no job left to wait for (the caller checks the collected run), and an error it ended with was
    shown in that run, not in this one. Returns the error lines of both runs (the one before the call and the
    one it makes), so a test sees the error whichever run collected it.
    """
    from views.state import _JOBS

    shown = [e.value.replace("\\", "") for e in at.error]
    if "training_job" in at.session_state:
        job = _JOBS[at.session_state["training_job"]]
        job.thread.join(timeout=240)
        assert job.done, "training did not finish in time"
    at.run()
    assert not at.exception, at.exception
    return shown + [e.value.replace("\\", "") for e in at.error]


@pytest.fixture(autouse=True)
def _one_split_verdicts(monkeypatch):
    """Comparisons in tests decide on one split: repeated splits on small data add 5-25 s per comparison.

    tests/test_small_data_verdict.py turns them back on (and the CLI tests, in
    child processes, run them as users do).
    """
    from engine.common import thresholds

    monkeypatch.setattr(thresholds, "SMALL_DATA_ROWS", 0)


# --- which tests run alone -------------------------------------------------------------------------

#: Modules whose tests `make test` runs after the others, one at a time with nothing beside them: they run
#: sessions at once or judge work against the clock, so a second test beside them on a 2-core machine would
#: change what they measure. Everything else, the servers, browser and Ray modules too, runs first on two workers
#: (pytest-xdist, one module per worker; :data:`ONE_CLUSTER_AT_A_TIME` on one worker).
SERIAL_MODULES = frozenset({
    "test_concurrency.py", "test_sides_at_once.py", "test_deadline.py", "test_budget.py", "test_fair_fight.py",
    "test_predict_timing.py",
})
#: The modules that each start a Ray cluster: one after the other, so that two clusters never share the machine's
#: two CPUs (each is told it has both) or Ray's ports.
ONE_CLUSTER_AT_A_TIME = frozenset({"test_e2e_replicas.py", "test_ray_executor.py"})


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Under the Makefile's ``-m serial`` / ``-m "not serial"``, a module the mark leaves out is not even imported.

    Selecting by mark alone imported all 67 modules to deselect 1,201 tests: the serial part spent 7 s here
    collecting, 3.5 s of them on modules it never runs.
    """
    part = config.getoption("markexpr", "").strip()
    is_test_module = collection_path.suffix == ".py" and collection_path.name.startswith("test_")
    if part not in ("serial", "not serial") or not is_test_module:
        return None
    return True if (collection_path.name in SERIAL_MODULES) != (part == "serial") else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests of :data:`SERIAL_MODULES` ``serial`` (the Makefile selects on it)."""
    for item in items:
        if item.path.name in SERIAL_MODULES:
            item.add_marker(pytest.mark.serial)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadfile``, with the :data:`ONE_CLUSTER_AT_A_TIME` modules as one unit of work (one worker).

    pytest-xdist's own grouping (``--dist loadgroup`` and ``xdist_group`` marks) groups nothing under pytest 9.2:
    it renames ``item._nodeid``, which pytest 9 no longer reads (tried here: a marked module's tests went to both
    workers).
    """
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class ClustersOneAfterTheOther(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return "one Ray cluster at a time" if Path(module).name in ONE_CLUSTER_AT_A_TIME else module

    return ClustersOneAfterTheOther(config, log)


# --- the run store during tests ---------------------------------------------------------------

POSTGRES_ENV = "TEST_DATABASE_URL"


@pytest.fixture(scope="session", autouse=True)
def _temporary_run_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Runs saved while testing (pages, servers started by tests) go to a temporary SQLite file, never .advisor/."""
    saved = os.environ.get("ADVISOR_DATABASE_URL")
    os.environ["ADVISOR_DATABASE_URL"] = f"sqlite:///{tmp_path_factory.mktemp('run-store') / 'runs.sqlite3'}"
    yield
    if saved is None:
        os.environ.pop("ADVISOR_DATABASE_URL", None)
    else:
        os.environ["ADVISOR_DATABASE_URL"] = saved


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say when the store tests ran on SQLite only (tests/test_store.py adds PostgreSQL when the variable is set)."""
    if not os.environ.get(POSTGRES_ENV):
        terminalreporter.write_sep("-", "run store backends")
        terminalreporter.write_line(
            f"PostgreSQL store tests did not run: {POSTGRES_ENV} is not set, so the store tests ran on SQLite only. "
            ".ci/run installs and starts PostgreSQL and sets it; to run them here, point it at an empty database, "
            "e.g. postgresql+psycopg://user:password@localhost/advisor_test."
        )
    else:
        terminalreporter.write_sep("-", "run store backends")
        terminalreporter.write_line(f"store tests ran on SQLite and on PostgreSQL ({POSTGRES_ENV} is set).")


# --- the browser tests: one Streamlit server and one Chromium for the whole session ---------------


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    """`streamlit run dashboard.py` on a free localhost port, shared by every browser test; always stopped at the end.

    tests/test_e2e_share.py overrides it with its own server (a password and a fresh store).
    """
    from tests.test_e2e_browser import streamlit_server

    with streamlit_server("e2e-server.log") as url:
        yield url


@pytest.fixture(scope="session")
def _chromium() -> Iterator[Any]:
    """One headless Chromium for every browser test."""
    from playwright.sync_api import sync_playwright

    from tests.test_e2e_browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture()
def browser(_chromium: Any) -> Iterator[Any]:
    """The shared Chromium; each test opens its own contexts (sessions), and they are closed when it ends.

    Before, the contexts of every earlier test stayed open in the shared browser (and their sessions on the
    servers) until the end of the run. Closing them, with screenshots that no longer sleep, took Chromium's CPU
    over tests/test_e2e_browser.py from 95 to 81 s in one A/B run.
    """
    yield _chromium
    for context in _chromium.contexts:
        context.close()
