"""End to end in a browser on text data: upload a text CSV, train both, see both highlighted documents, escaped."""

from __future__ import annotations

from playwright.sync_api import Browser

from tests.test_e2e_browser import (
    TRAIN_TIMEOUT_MS,
    assert_no_injection,
    chart_titles,
    go_to,
    open_page,
    shot,
    start_training,
    upload,
    wait_idle,
)
from tests.test_text import planted_reviews

HOSTILE = "superb <img src=x onerror=alert(1)> film"


def text_csv() -> bytes:
    frame = planted_reviews(rows=160)
    # Every document carries the hostile markup, so whichever documents the time budget lets SHAP explain, the
    # one picked below is hostile (with half of them, a budget that cut SHAP to a few rows could miss them all).
    frame["review"] = HOSTILE + " " + frame["review"]
    return frame.to_csv(index=False).encode()


def test_text_csv_trains_both_and_shows_both_highlighted_documents(server: str, browser: Browser) -> None:
    page, dialogs = open_page(browser, server)
    upload(page, "reviews.csv", text_csv())
    page.get_by_text("What the data looks like").wait_for(timeout=60_000)
    wait_idle(page)
    start_training(page, shap_rows=10)
    page.get_by_text("All metrics on the same test rows").wait_for(timeout=TRAIN_TIMEOUT_MS)
    wait_idle(page)
    go_to(page, "Explanations")
    page.get_by_text("One document, both models").wait_for(timeout=60_000)
    wait_idle(page)
    titles = chart_titles(page)
    for family in ("Classic ML", "Deep learning"):
        assert f"{family}: most influential words in review (mean |SHAP|)" in titles
    highlighted = page.locator('[data-testid="stHtml"]')
    assert highlighted.count() == 2
    for i in range(2):
        assert highlighted.nth(i).locator("span[title^='SHAP']").count() >= 5
    # a hostile document, picked in the document list, is shown as text in both
    page.locator('[data-testid="stSelectbox"]', has_text="Document").locator("input").click()
    page.keyboard.type("onerror")
    page.keyboard.press("Enter")
    wait_idle(page)
    for i in range(2):
        assert "<img src=x onerror=alert(1)>" in highlighted.nth(i).inner_text()
    assert page.locator('[data-testid="stAlert"]').count() == 0
    assert_no_injection(page, dialogs)
    shot(page, "08-text-explanations.png", height=3800)
