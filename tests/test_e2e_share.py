"""In a real browser: the HTML report opens offline, and a share link shows the same run in another context.

The server runs with a password (and its own temporary store), so one run covers both: a fresh context that
opens the share link sees only the password prompt, and after the password the same results.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from engine.io import samples
from engine.share.report import report_html
from tests.share_helpers import HOSTILE_NAME, SCRIPT_COLUMN, hostile_record
from tests.test_e2e_browser import (
    ARTIFACTS, TRAIN_TIMEOUT_MS, VIEWPORT, XSS_PROBE, chart_titles, shot, start_training, streamlit_server, wait_idle,
)  # fmt: skip

PASSWORD = "open sesame"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`streamlit run dashboard.py` with a password and a fresh SQLite store; yields its URL and its log."""
    env = {
        "ADVISOR_PASSWORD": PASSWORD,
        "ADVISOR_DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('e2e-store') / 'runs.sqlite3'}",
    }
    with streamlit_server("e2e-share-server.log", env=env, extra_args=("--logger.level", "debug")) as url:
        yield url, ARTIFACTS / "e2e-share-server.log"


def fresh_page(browser: Browser) -> tuple[Page, list[str]]:
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(XSS_PROBE)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    return page, dialogs


def enter_password(page: Page) -> None:
    field = page.get_by_label("Password", exact=True)
    field.wait_for(timeout=60_000)
    field.fill(PASSWORD)
    page.get_by_role("button", name="Enter").click()


def accuracies(page: Page) -> list[str]:
    metrics = page.locator('[data-testid="stMetric"]', has_text="Accuracy")
    return [m.locator('[data-testid="stMetricValue"]').inner_text() for m in metrics.all()]


CSP_PROBE = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(e.violatedDirective + " " + e.blockedURI));
"""


def test_the_report_opens_offline_with_both_models_charts(browser: Browser, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text(report_html(hostile_record()), encoding="utf-8")
    page, dialogs = fresh_page(browser)
    page.context.add_init_script(CSP_PROBE)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    requests: list[str] = []
    page.context.on("request", lambda request: requests.append(request.url))
    page.context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    page.goto(path.as_uri())
    page.locator(".js-plotly-plot .gtitle", has_text="Deep learning: global importance").wait_for(timeout=60_000)
    page.locator(".js-plotly-plot .gtitle", has_text="Deep learning: confusion matrix").wait_for(timeout=60_000)
    titles = chart_titles(page)
    for family in ("Classic ML", "Deep learning"):
        assert f"{family}: global importance (mean |SHAP|)" in titles
        assert f"{family}: confusion matrix" in titles
        assert any(t.startswith(f"{family}: SHAP beeswarm") for t in titles)
    assert [url for url in requests if not url.startswith("file:")] == []  # nothing fetched from anywhere
    svg = " ".join(page.locator(".js-plotly-plot svg").all_text_contents())
    assert SCRIPT_COLUMN in svg  # shown as typed in the charts…
    assert page.get_by_text(SCRIPT_COLUMN, exact=True).count() >= 1  # …and in the tables
    assert HOSTILE_NAME in page.title()
    assert page.evaluate("window.__xss") == 0 and dialogs == []
    # The policy allows the report's own scripts only, and every one of them ran: no violation, nothing refused.
    assert page.evaluate("window.__csp") == []
    assert not [m for m in console if "Content Security Policy" in m or "Refused" in m], console
    # and it means something: markup that escaping had let through would still not run
    page.evaluate("""document.body.insertAdjacentHTML("beforeend", '<img src=x onerror="window.__xss = 9">');""")
    page.evaluate("""document.body.insertAdjacentHTML("beforeend", '<form action="https://example.com"></form>');""")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") == 0
    assert any(v.startswith("script-src-attr") for v in page.evaluate("window.__csp"))
    shot(page, "11-report.png", height=3000)


def test_a_results_only_report_opens_without_violations(browser: Browser, tmp_path: Path) -> None:
    from engine.share.consent import ROWS_NOT_KEPT, minimise

    path = tmp_path / "report.html"
    path.write_text(report_html(minimise(hostile_record())), encoding="utf-8")
    page, dialogs = fresh_page(browser)
    page.context.add_init_script(CSP_PROBE)
    page.goto(path.as_uri())
    page.locator(".js-plotly-plot .gtitle", has_text="Deep learning: global importance").wait_for(timeout=60_000)
    assert page.get_by_text(ROWS_NOT_KEPT).count() == 1
    assert not any("confusion" in t or "beeswarm" in t for t in chart_titles(page))
    assert page.evaluate("window.__csp") == [] and page.evaluate("window.__xss") == 0 and dialogs == []


def test_a_page_url_as_a_fresh_servers_first_request_still_asks_the_password(
    server: tuple[str, Path], browser: Browser
) -> None:
    """The module's first visit to its server: a deep link to History must not run the page without dashboard.py.

    With a ``pages/`` folder Streamlit served such a first request as a page of its own, password prompt skipped
    and saved runs listed; the pages live in ``app_pages/`` since.
    """
    url, _ = server
    page, dialogs = fresh_page(browser)
    page.goto(f"{url}/history")
    page.get_by_label("Password", exact=True).wait_for(timeout=60_000)
    wait_idle(page)
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0
    assert "Every finished comparison is saved" not in page.inner_text("body")
    enter_password(page)
    page.get_by_text("Every finished comparison is saved").wait_for(timeout=60_000)  # the page it asked for
    assert page.evaluate("window.__xss") == 0 and dialogs == []


def test_a_share_link_shows_the_same_run_in_a_second_context_behind_the_password(
    server: tuple[str, Path], browser: Browser
) -> None:
    url, log_path = server
    first, first_dialogs = fresh_page(browser)
    first.goto(url)
    enter_password(first)
    first.get_by_text("Start with a sample dataset").wait_for(timeout=60_000)
    first.get_by_role("button", name=samples.sample_title("wine.csv")).click()
    first.get_by_text("What the data looks like").wait_for(timeout=60_000)
    wait_idle(first)
    start_training(first, shap_rows=10)
    first.get_by_text("Share link").wait_for(timeout=TRAIN_TIMEOUT_MS)
    wait_idle(first)
    link = first.locator('[data-testid="stCode"]').inner_text().strip()
    assert link.startswith(f"{url}/?run=") and len(link.split("=", 1)[1]) == 43
    shown = accuracies(first)
    assert len(shown) == 2
    first_alerts = first.locator('[data-testid="stAlert"]').all_inner_texts()  # the verdict and any model warnings
    shot(first, "12-share-source.png")

    second, second_dialogs = fresh_page(browser)  # another person: no cookies, no session
    second.goto(link)
    enter = second.get_by_label("Password", exact=True)
    enter.wait_for(timeout=60_000)
    wait_idle(second)
    assert second.locator('[data-testid="stSidebarNav"]').count() == 0
    assert second.locator('[data-testid="stMetric"]').count() == 0 and chart_titles(second) == []
    shot(second, "13-share-password.png", height=900)
    enter_password(second)
    second.get_by_text("Verdict on cultivar").wait_for(timeout=60_000)
    wait_idle(second)
    second.locator('[data-testid="stMetric"]', has_text="Accuracy").nth(1).wait_for(timeout=60_000)
    assert accuracies(second) == shown
    # Saved as by default, results only: the summaries, and where the confusion matrices were, why they are not
    from engine.share.consent import ROWS_NOT_KEPT

    second.get_by_text(ROWS_NOT_KEPT).wait_for(timeout=60_000)
    assert not [t for t in chart_titles(second) if "confusion matrix" in t]
    assert second.get_by_role("button", name="Delete this saved run").count() == 0  # only its session may delete
    alerts = [a for a in second.locator('[data-testid="stAlert"]').all_inner_texts() if ROWS_NOT_KEPT not in a]
    assert alerts == first_alerts and any("the recommendation" in a for a in alerts)  # same verdict, no error box
    shot(second, "14-share-opened.png")
    for page, dialogs in ((first, first_dialogs), (second, second_dialogs)):
        assert page.evaluate("window.__xss") == 0 and dialogs == []

    token = link.split("=", 1)[1]
    assert token not in log_path.read_text()  # the server logged the visit (debug level) but not the token
