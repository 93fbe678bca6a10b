"""In a real browser: two replicas of the app (two Streamlit servers) on one Ray cluster and one run store see the
same job (issue 22).

The module starts one local Ray head (`ray start --head`) and two servers, A and B, both with
``ADVISOR_RAY_ADDRESS`` set to that head and ``ADVISOR_DATABASE_URL`` set to one store: a schema of its own in the
PostgreSQL database ``TEST_DATABASE_URL`` names (.ci/run sets it), else one SQLite file. A session on A trains;
a session on B opened with A's ``?job=<id>`` follows that job to the same verdict (saved once), or cancels it.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from engine.share.store import RunStore, key_of
from tests.conftest import POSTGRES_ENV
from tests.test_e2e_browser import (
    ARTIFACTS, LONGEST_BUDGET, SIDEBAR, TRAIN_TIMEOUT_MS, assert_no_injection, free_port, metric_labels, open_at,
    open_page, stop, start_training, streamlit_server, wait_idle,
)  # fmt: skip

RAY = Path(sys.executable).with_name("ray")  # the virtualenv's own, the same Ray as the servers import
RAY_START_SECONDS = 90
#: The Train page's caption while a session follows a job it did not start (app_pages/train.py).
FOLLOWING = "A comparison started in another session: its progress, then its verdict, show here."


@contextlib.contextmanager
def ray_head(auth: dict[str, str]) -> Iterator[str]:
    """A one-node Ray cluster (2 CPUs: one comparison at a time); yields the address host:port to connect to.

    Ray 2.60's `ray start` listens on the machine's address even when told 127.0.0.1, and turns token
    authentication on by default; a client connects only with ``RAY_AUTH_MODE=token`` and the token. ``auth``
    holds both, with a fresh random token (not the user's ~/.ray/auth_token): the servers get the same.

    `--block` keeps `ray start` in the foreground with every Ray process in its process group (started as a
    session of its own), so stopping that group stops this cluster and no other Ray on the machine (`ray stop`
    would stop them all).
    """
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    log_path = ARTIFACTS / "e2e-replicas-ray.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [str(RAY), "start", "--head", "--block", f"--port={port}", "--num-cpus=2", "--node-ip-address=127.0.0.1",
             "--include-dashboard=false", "--disable-usage-stats"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            env=os.environ | auth | {"RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S": "0"},  # stop at once, no 30 s drain
        )  # fmt: skip
        try:
            deadline = time.monotonic() + RAY_START_SECONDS
            while "Ray runtime started" not in log_path.read_text():
                assert process.poll() is None, f"ray start exited early; see {log_path}"
                assert time.monotonic() < deadline, f"ray start did not start the head in time; see {log_path}"
                time.sleep(0.2)
            yield f"127.0.0.1:{port}"
        finally:
            stop(process)
            with contextlib.suppress(ProcessLookupError):  # a worker that outlived `ray start`
                os.killpg(process.pid, signal.SIGKILL)


@contextlib.contextmanager
def shared_store() -> Iterator[str]:
    """One run store for both replicas: a fresh PostgreSQL schema when TEST_DATABASE_URL is set, else SQLite."""
    database = os.environ.get(POSTGRES_ENV)
    if not database:
        folder = ARTIFACTS / f"e2e-replicas-store-{secrets.token_hex(4)}"
        folder.mkdir(parents=True)
        try:
            yield f"sqlite:///{folder / 'runs.sqlite3'}"
        finally:
            for path in sorted(folder.iterdir()):
                path.unlink()
            folder.rmdir()
        return
    import sqlalchemy as sa

    schema = f"e2e_replicas_{secrets.token_hex(4)}"
    engine = sa.create_engine(database)
    with engine.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    # Every connection of both replicas (and of the tests' reads) looks up and creates the store's tables there.
    url = sa.make_url(database).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


def _server(name: str, env: dict[str, str]) -> tuple[contextlib.AbstractContextManager[str], str]:
    server = streamlit_server(name, env=env)
    return server, server.__enter__()


@pytest.fixture(scope="module")
def replicas() -> Iterator[dict[str, str]]:
    """Ray, the store and two servers, A and B (started at once: each takes a while to come up)."""
    with contextlib.ExitStack() as stack:
        auth = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
        address = stack.enter_context(ray_head(auth))
        store = stack.enter_context(shared_store())
        env = auth | {"ADVISOR_RAY_ADDRESS": address, "ADVISOR_DATABASE_URL": store}
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            starting = [pool.submit(_server, f"e2e-replica-{n}-server.log", env) for n in "ab"]
        servers: list[str] = []
        for future in starting:  # each started server is stopped at the end, even when the other did not start
            with contextlib.suppress(BaseException):
                server, url = future.result()
                stack.push(server.__exit__)
                servers.append(url)
        for future in starting:
            future.result()  # raises the first server's failure, if any
        yield {"a": servers[0], "b": servers[1], "store": store}


# --- helpers -------------------------------------------------------------------------------------


def load_sample(page: Page, title: str) -> None:
    page.get_by_role("button", name=title, exact=True).click()
    page.get_by_text("What the data looks like").wait_for(timeout=60_000)
    wait_idle(page)


def job_id_in_url(page: Page) -> str:
    """The ``?job=`` id the Train page puts in the address once the job is submitted to Ray."""
    found = page.wait_for_function("() => new URLSearchParams(location.search).get('job')", timeout=120_000)
    job_id = found.json_value()
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", job_id), job_id
    return job_id


# Every toast the page shows, with how long it stayed: a toast lasts 4 s, so two pages' toasts at about the same
# time cannot both be waited for in turn, and one removed at once (never seen by anyone) must not count.
RECORD_TOASTS = """() => {
    window.__toasts = [];
    const seen = new Map();
    new MutationObserver(() => {
        for (const toast of document.querySelectorAll('[data-testid="stToast"]')) {
            if (!seen.has(toast)) seen.set(toast, {text: toast.innerText, from: performance.now(), to: null});
        }
        for (const [toast, shown] of seen) {
            if (!toast.isConnected) { shown.to = performance.now(); window.__toasts.push(shown); seen.delete(toast); }
        }
    }).observe(document, {childList: true, subtree: true});
    window.__toastsShown = (text, ms) => window.__toasts.concat(Array.from(seen.values())).some(
        (t) => t.text.includes(text) && (t.to ?? performance.now()) - t.from >= ms);
}"""


def record_toasts(page: Page) -> None:
    page.evaluate(RECORD_TOASTS)


def toast_shown(page: Page, text: str) -> None:
    """Until the page has shown a toast with ``text`` for at least a second (it may be gone since)."""
    page.wait_for_function("([text]) => window.__toastsShown(text, 1000)", arg=[text], timeout=60_000)


def accuracies(page: Page) -> list[str]:
    metrics = page.locator('[data-testid="stMetric"]', has_text="Accuracy")
    return [m.locator('[data-testid="stMetricValue"]').inner_text() for m in metrics.all()]


def alerts(page: Page) -> list[str]:
    """The verdict and any model warnings (no error box is expected on any page)."""
    return page.locator('[data-testid="stAlert"]').all_inner_texts()


def share_token(page: Page, server: str) -> str:
    link = page.locator('[data-testid="stCode"]').inner_text().strip()
    assert link.startswith(f"{server}/?run="), link  # each replica's link names its own address
    return link.split("=", 1)[1]


def summaries(store: str) -> list[Any]:
    opened = RunStore(store)
    try:
        return opened.summaries()
    finally:
        opened.close()


# --- the tests -----------------------------------------------------------------------------------


def test_a_job_trained_on_one_replica_is_followed_to_the_same_verdict_on_the_other(
    replicas: dict[str, str], browser: Browser,
) -> None:
    a, a_dialogs = open_page(browser, replicas["a"])
    load_sample(a, "wine")
    start_training(a, shap_rows=10, seconds=10)
    job_id = job_id_in_url(a)

    b, b_dialogs = open_at(browser, f"{replicas['b']}/train?job={job_id}")
    # B follows the job while it runs (progress and Cancel), not a result read back afterwards.
    b.get_by_text(FOLLOWING).wait_for(timeout=60_000)
    b.get_by_role("button", name="Cancel").wait_for(timeout=60_000)
    b.get_by_text("Training on wine.csv, target cultivar").wait_for(timeout=60_000)  # what A submitted

    verdict = "Verdict on cultivar (wine.csv)"
    for page in (a, b):
        page.get_by_text(verdict).wait_for(timeout=TRAIN_TIMEOUT_MS)
        page.get_by_text("Share link", exact=True).wait_for(timeout=60_000)
        wait_idle(page)
    for page in (a, b):
        assert "job=" not in page.url  # collected: the link is spent
        assert metric_labels(page).count("Accuracy") == 2
        assert page.get_by_role("button", name="Cancel").count() == 0
    assert accuracies(b) == accuracies(a)
    assert alerts(b) == alerts(a) and any("the recommendation" in text for text in alerts(a))
    token = share_token(a, replicas["a"])
    assert share_token(b, replicas["b"]) == token  # B shows the run the job saved, not a second copy

    saved = summaries(replicas["store"])  # the job saved once, in its worker; neither replica wrote it again
    assert [(s.key, s.dataset_name, s.target) for s in saved] == [(key_of(token), "wine.csv", "cultivar")]

    shared, shared_dialogs = open_at(browser, f"{replicas['b']}/?run={token}")  # A's share link, opened on B
    shared.get_by_text(verdict).wait_for(timeout=60_000)
    shared.locator('[data-testid="stMetric"]', has_text="Accuracy").nth(1).wait_for(timeout=60_000)
    wait_idle(shared)
    assert accuracies(shared) == accuracies(a)
    assert shared.get_by_role("button", name="Delete this saved run").count() == 0  # not this session's run
    for page, dialogs in ((a, a_dialogs), (b, b_dialogs), (shared, shared_dialogs)):
        assert_no_injection(page, dialogs)


def test_cancel_pressed_on_the_other_replica_stops_the_job(replicas: dict[str, str], browser: Browser) -> None:
    a, a_dialogs = open_page(browser, replicas["a"])
    record_toasts(a)
    load_sample(a, "mnist digits")  # the slowest sample, at the longest budget: still training when the cancel comes
    start_training(a, shap_rows=10, seconds=LONGEST_BUDGET)
    job_id = job_id_in_url(a)

    b, b_dialogs = open_at(browser, f"{replicas['b']}/train?job={job_id}")
    b.get_by_text(FOLLOWING).wait_for(timeout=60_000)
    record_toasts(b)
    cancel = b.get_by_role("button", name="Cancel")
    cancel.wait_for(timeout=60_000)
    cancel.click()
    toast_shown(a, "The comparison was cancelled.")
    a.get_by_role("button", name="Train both").wait_for(timeout=60_000)
    wait_idle(a)
    assert a.get_by_role("button", name="Train both").is_enabled()
    assert "job=" not in a.url
    assert a.get_by_text("Verdict on").count() == 0 and metric_labels(a).count("Accuracy") == 0
    assert "done in" not in a.locator(SIDEBAR).inner_text()
    # B, which pressed Cancel and only followed the job, says so too (its toast used to be cleared unseen with the
    # rerun after the fragment that collected the job: views/training.py collect)
    toast_shown(b, "The comparison was cancelled.")
    b.get_by_role("button", name="Cancel").wait_for(state="detached", timeout=60_000)
    wait_idle(b)
    assert "job=" not in b.url and b.get_by_text("Verdict on").count() == 0

    # nothing saved for the cancelled job (by dataset: a failed test before this one may still be saving its run)
    assert not any(s.dataset_name.startswith("mnist") for s in summaries(replicas["store"]))
    for page, dialogs in ((a, a_dialogs), (b, b_dialogs)):
        assert_no_injection(page, dialogs)
