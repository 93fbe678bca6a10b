"""End to end in a real browser: `streamlit run dashboard.py` headless, driven by Chromium through Playwright.

One server on a free port for the module; screenshots of every page go to test-artifacts/.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import Browser, Page

from engine.common import limits
from tests.test_app_security import HOSTILE_COLUMNS, HOSTILE_FILE, HOSTILE_TARGET, hostile_csv

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_data"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A laptop-sized window while the tests work; shot() makes it tall for a screenshot only (the browser paints
# less: Chromium CPU 81 -> 74 s over this module in one A/B run).
VIEWPORT = {"width": 1400, "height": 900}
SHOT_HEIGHT = 2400
STARTUP_SECONDS = 90
TRAIN_TIMEOUT_MS = 240_000
# Catches script injection: any alert or executed handler sets window.__xss.
XSS_PROBE = "window.__xss = 0; window.alert = () => { window.__xss = 'alert'; };"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


SERVER_COMMAND = [
    sys.executable, "-m", "streamlit", "run", "dashboard.py",
    "--server.headless", "true", "--server.address", "127.0.0.1",
    "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false",
]  # fmt: skip


def wait_until_healthy(url: str, process: subprocess.Popen) -> None:
    """Poll /_stcore/health until it answers "ok" (or the server dies, or time runs out)."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        assert process.poll() is None, "streamlit exited early; see test-artifacts/e2e-server.log"
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.read().decode().strip() == "ok":
                    return
        except OSError:
            pass
        assert time.monotonic() < deadline, "streamlit did not answer /_stcore/health in time"
        time.sleep(0.5)


@contextlib.contextmanager
def streamlit_server(log_name: str, env: dict[str, str] | None = None, extra_args: tuple[str, ...] = ()) -> Iterator[str]:
    """`streamlit run dashboard.py` on a free localhost port (its output in test-artifacts/``log_name``); yields its URL.

    ``env`` is added to this process's environment. The server is always stopped, whatever the test did.
    """
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(ARTIFACTS / log_name, "w") as log:
        process = subprocess.Popen(
            [*SERVER_COMMAND, "--server.port", str(port), *extra_args],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=os.environ | (env or {}),
        )  # fmt: skip
        try:
            wait_until_healthy(url, process)
            yield url
        finally:
            stop(process)


def stop(process: subprocess.Popen) -> None:
    """SIGTERM the server's process group, SIGKILL if it lingers."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


def open_at(browser: Browser, url: str) -> tuple[Page, list[str]]:
    """A fresh browser context (its own Streamlit session) on any address, with an XSS probe and a dialog log."""
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(XSS_PROBE)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(url)
    return page, dialogs


def open_page(browser: Browser, url: str) -> tuple[Page, list[str]]:
    """:func:`open_at` the home page, once it shows."""
    page, dialogs = open_at(browser, url)
    page.get_by_text("Start with a sample dataset").wait_for(timeout=60_000)
    return page, dialogs


def go_to(page: Page, title: str) -> None:
    """Navigate inside the app (a reload would start a new session)."""
    page.locator('[data-testid="stSidebarNav"] a', has_text=title).click()


def upload(page: Page, name: str, content: bytes) -> None:
    go_to(page, "Recommend")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": content}]
    )


# Idle: no "running" widget and no stale element of the last run, continuously for 400 ms (a rerun that is
# just starting shows its widget within that), checked on every animation frame rather than after a fixed sleep.
IDLE = """() => {
    const idle = !document.querySelector('[data-testid="stStatusWidget"]') && !document.querySelector('[data-stale="true"]');
    if (!idle) { window.__idleSince = null; return false; }
    window.__idleSince = window.__idleSince || performance.now();
    return performance.now() - window.__idleSince >= 400;
}"""


def wait_idle(page: Page) -> None:
    """Until the script run is over and stays over (see IDLE)."""
    page.evaluate("() => { window.__idleSince = null; }")
    page.wait_for_function(IDLE, timeout=TRAIN_TIMEOUT_MS)


#: ``seconds`` for the budget slider's top (ten minutes in-process, an hour on Ray): a run that is still training
#: when a test cancels it, however fast the machine (MNIST trains about 37 s at ten minutes, 5 s at 30 s).
LONGEST_BUDGET = -1


def set_up_training(page: Page, shap_rows: int, seconds: int = 30) -> None:
    """Open the Train page and set the budget to ``seconds`` (or :data:`LONGEST_BUDGET`) and the SHAP rows."""
    go_to(page, "Train & compare")
    slider = page.get_by_role("slider").first
    slider.wait_for(timeout=60_000)
    slider.focus()
    shown = page.locator('[data-testid="stSliderThumbValue"]').first
    if seconds == LONGEST_BUDGET:
        page.keyboard.press("End")
        wait_idle(page)
        assert int(shown.inner_text().strip()) >= limits.MAX_TRAIN_SECONDS  # in-process top; Ray's is higher
    else:
        page.keyboard.press("Home")  # the shortest budget (2 s), then one second per step
        wait_idle(page)
        for _ in range(4):  # on a busy machine a rerun can redraw the slider mid-way and drop key presses: top up
            missing = seconds - int(shown.inner_text().strip())
            if missing == 0:
                break
            slider.focus()
            for _ in range(abs(missing)):
                page.keyboard.press("ArrowRight" if missing > 0 else "ArrowLeft")
            wait_idle(page)
        assert shown.inner_text().strip() == str(seconds)
    field = page.get_by_label("Test rows to explain with SHAP", exact=True)
    field.fill(str(shap_rows))
    field.press("Enter")  # a number field never starts training by itself
    wait_idle(page)
    assert page.get_by_role("button", name="Training…").count() == 0  # a started run relabels the button


def start_training(page: Page, shap_rows: int, seconds: int = 30) -> None:
    """Train both with a budget of ``seconds``: 30 s gives every bundled sample a fair fight; 2 s starves both sides."""
    set_up_training(page, shap_rows, seconds)
    page.get_by_role("button", name="Train both").click()


# Every Plotly element Streamlit placed on the page has been drawn by Plotly (a tall figure draws after the script
# run is over, so "idle" alone does not mean every chart is on the page yet).
ALL_CHARTS_DRAWN = """() => {
  const placed = Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"]'));
  return placed.every((chart) => chart.querySelector('.js-plotly-plot .main-svg') !== null);
}"""


def chart_titles(page: Page) -> list[str]:
    """The titles of the Plotly charts on the page, once every chart placed there has been drawn."""
    page.wait_for_function(ALL_CHARTS_DRAWN, timeout=60_000)
    return page.locator(".js-plotly-plot .gtitle").all_text_contents()


def metric_labels(page: Page) -> list[str]:
    return page.locator('[data-testid="stMetricLabel"]').all_text_contents()


SIDEBAR = '[data-testid="stSidebarUserContent"]'


def sidebar_text(page: Page) -> str:
    return page.locator(SIDEBAR).inner_text()


# Resolves after the browser has painted two more frames: by then it has laid out and drawn what the page changed.
TWO_FRAMES = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))"


# The app scrolls inside its own containers, a report (a plain document) scrolls the window: both to the top.
SCROLL_TO_TOP = """() => [window, ...document.querySelectorAll('[data-testid="stMain"], [data-testid="stAppViewContainer"]')]
    .forEach((scroller) => scroller.scrollTo(0, 0))"""


def shot(page: Page, name: str, height: int = SHOT_HEIGHT) -> None:
    """A screenshot in a tall window (Streamlit scrolls inside an inner container, so full_page would not help).

    It waits for what it shows (every chart drawn, two frames painted) instead of sleeping a fixed time, and puts
    the window back to its working size afterwards.
    """
    page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
    page.evaluate(SCROLL_TO_TOP)  # clicks lower down scrolled the small window; the shot shows the page from its top
    page.evaluate(TWO_FRAMES)  # a resize can make Plotly redraw: let it start before checking the charts
    page.wait_for_function(ALL_CHARTS_DRAWN, polling=100, timeout=60_000)
    page.evaluate(TWO_FRAMES)
    page.screenshot(path=str(ARTIFACTS / name))
    page.set_viewport_size(VIEWPORT)


def assert_no_injection(page: Page, dialogs: list[str]) -> None:
    assert page.evaluate("window.__xss") == 0
    assert dialogs == []
    assert page.locator("img[src='x'], img[src='y'], u, script:has-text('__xss')").count() == 0
    assert page.locator("a[href*='example.com'], a[href^='javascript']").count() == 0


def test_upload_recommend_train_and_explain_in_a_browser(server: str, browser: Browser) -> None:
    page, dialogs = open_page(browser, server)
    shot(page, "01-home.png")

    started = time.perf_counter()
    upload(page, "breast_cancer.csv", (SAMPLES / "breast_cancer.csv").read_bytes())
    page.get_by_text("What the data looks like").wait_for(timeout=60_000)
    wait_idle(page)
    assert page.locator('[data-testid="stMetricValue"]', has_text="Classic machine learning").count() == 1
    assert "Criterion scorecard: contribution to the vote" in chart_titles(page)
    assert "breast_cancer.csv" in sidebar_text(page)
    shot(page, "02-recommend.png")

    start_training(page, shap_rows=40)
    # progress is visible while it trains: the status box lists the steps as they happen
    page.locator('[data-testid="stExpander"]', has_text="Training the classic ML model").wait_for(timeout=60_000)
    # leaving the page does not stop it: the run ends while the user reads Recommend, then shows on Train
    go_to(page, "Recommend")
    page.get_by_text("done in").wait_for(timeout=TRAIN_TIMEOUT_MS)  # the sidebar polls on every page
    go_to(page, "Train & compare")
    page.get_by_text("All metrics on the same test rows").wait_for(timeout=TRAIN_TIMEOUT_MS)
    wait_idle(page)
    labels = metric_labels(page)
    assert labels.count("Accuracy") == 2 and labels.count("Train time") == 2
    titles = chart_titles(page)
    assert {"Classic ML: confusion matrix", "Deep learning: confusion matrix"} <= set(titles)
    assert "done in" in sidebar_text(page)
    shot(page, "03-train-and-compare.png")

    go_to(page, "Explanations")
    page.get_by_text("Additivity check").wait_for(timeout=60_000)
    wait_idle(page)
    elapsed = time.perf_counter() - started
    titles = chart_titles(page)
    for family in ("Classic ML", "Deep learning"):
        assert f"{family}: global importance (mean |SHAP|)" in titles
        assert any(t.startswith(f"{family}: SHAP beeswarm") for t in titles)
        assert any(t.startswith(f"{family}: this row's explanation") for t in titles)
    assert page.locator('[data-testid="stAlert"]').count() == 0  # no error boxes anywhere
    assert_no_injection(page, dialogs)
    shot(page, "04-explanations.png", height=3400)
    (ARTIFACTS / "e2e-timing.txt").write_text(f"breast_cancer.csv upload to explanations: {elapsed:.1f} s\n")

    # another target: every page says which target the results are for, and offers to retrain
    go_to(page, "Recommend")
    page.get_by_text("What the data looks like").wait_for(timeout=60_000)
    page.get_by_role("combobox", name="Target column (what to predict)").click()
    page.get_by_role("option", name="mean radius", exact=True).click()
    wait_idle(page)
    for title in ("Train & compare", "Explanations"):
        go_to(page, title)
        notice = page.locator('[data-testid="stAlert"]', has_text="These results are for")
        notice.wait_for(timeout=60_000)
        wait_idle(page)
        assert "target diagnosis" in notice.inner_text() and "the current target is mean radius" in notice.inner_text()
        assert page.get_by_role("button", name="Train again on mean radius").count() == 1
    assert "not the current data" in sidebar_text(page)
    shot(page, "08-stale-results.png", height=1400)


def imbalanced_csv(rows: int = 500, seed: int = 0) -> bytes:
    """A loan table where 94% of rows say "No": the case where accuracy rewards always answering "No"."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "age": rng.integers(18, 90, rows), "income": rng.normal(30_000, 8_000, rows).round(),
        "debt_ratio": rng.random(rows).round(3), "default": np.where(rng.random(rows) < 0.06, "Yes", "No"),
    })
    return frame.to_csv(index=False).encode()


def test_an_imbalanced_table_is_warned_about_and_judged_on_balanced_accuracy(server: str, browser: Browser) -> None:
    page, dialogs = open_page(browser, server)
    upload(page, "loans.csv", imbalanced_csv())
    page.get_by_text("What the data looks like").wait_for(timeout=60_000)
    wait_idle(page)
    warning = page.locator('[data-testid="stAlert"]', has_text="The classes are skewed")
    assert warning.count() == 1 and "balanced accuracy" in warning.inner_text()
    shot(page, "09-imbalanced-recommend.png", height=2000)
    start_training(page, shap_rows=10)
    page.get_by_text("All metrics on the same test rows").wait_for(timeout=TRAIN_TIMEOUT_MS)
    wait_idle(page)
    assert metric_labels(page).count("Balanced accuracy") == 2
    verdict = page.locator('[data-testid="stAlert"]', has_text="balanced accuracy").first.inner_text()
    assert "points of balanced accuracy" in verdict
    assert_no_injection(page, dialogs)
    shot(page, "10-imbalanced-verdict.png", height=1600)


def test_two_sessions_at_once_see_only_their_own_data_and_hostile_names_stay_text(
    server: str, browser: Browser
) -> None:
    hostile, hostile_dialogs = open_page(browser, server)
    wine, wine_dialogs = open_page(browser, server)
    upload(hostile, HOSTILE_FILE, hostile_csv())
    upload(wine, "wine.csv", (SAMPLES / "wine.csv").read_bytes())
    for page in (hostile, wine):
        page.get_by_text("What the data looks like").wait_for(timeout=60_000)
        wait_idle(page)

    # each session sees its own file, and the hostile names as literal text
    assert HOSTILE_FILE in sidebar_text(hostile) and "wine.csv" not in sidebar_text(hostile)
    assert "wine.csv" in sidebar_text(wine) and HOSTILE_FILE not in sidebar_text(wine)
    assert f"Class balance of {HOSTILE_TARGET}" in chart_titles(hostile)
    assert "Class balance of cultivar" in chart_titles(wine)
    assert_no_injection(hostile, hostile_dialogs)
    shot(hostile, "05-hostile-recommend.png")

    # both train at the same time
    start_training(hostile, shap_rows=10)
    start_training(wine, shap_rows=10)
    for page in (hostile, wine):
        page.get_by_text("All metrics on the same test rows").wait_for(timeout=TRAIN_TIMEOUT_MS)
        wait_idle(page)
        assert metric_labels(page).count("Accuracy") == 2
        go_to(page, "Explanations")
        page.get_by_text("Additivity check").wait_for(timeout=60_000)
        wait_idle(page)

    hostile_svg = " ".join(hostile.locator(".js-plotly-plot svg").all_text_contents())
    wine_svg = " ".join(wine.locator(".js-plotly-plot svg").all_text_contents())
    for name in HOSTILE_COLUMNS[:3]:
        assert name in hostile_svg  # shown literally in the charts
        assert name not in wine_svg
    assert "flavanoids" in wine_svg and "flavanoids" not in hostile_svg
    assert_no_injection(hostile, hostile_dialogs)
    assert_no_injection(wine, wine_dialogs)
    shot(hostile, "06-hostile-explanations.png", height=3000)
    shot(wine, "07-second-session-explanations.png", height=3400)


def test_a_starved_budget_shows_the_unfair_fight_warning_and_no_winner(server: str, browser: Browser) -> None:
    page, dialogs = open_page(browser, server)
    upload(page, "wine.csv", (SAMPLES / "wine.csv").read_bytes())
    page.get_by_text("What the data looks like").wait_for(timeout=60_000)
    wait_idle(page)
    start_training(page, shap_rows=10, seconds=2)
    page.get_by_text("All metrics on the same test rows").wait_for(timeout=TRAIN_TIMEOUT_MS)
    wait_idle(page)
    verdict = page.locator('[data-testid="stAlert"]', has_text="Not a fair comparison").first.inner_text()
    assert "retrain with a larger time budget" in verdict and " won " not in verdict
    assert "not a fair comparison" in sidebar_text(page) and "won" not in sidebar_text(page)
    assert_no_injection(page, dialogs)
    shot(page, "11-unfair-fight.png", height=1400)
