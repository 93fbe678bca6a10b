"""In a real browser, on a server that trains one comparison at a time: a second session waits in line and says so.

The server runs with ``ADVISOR_MAX_CONCURRENT_TRAININGS=1``. One session trains the MNIST sample (the slowest
bundled one); a second session presses Train both meanwhile and must show its place in the queue on the Train page
and in the sidebar, leave the line with Cancel, and find the slot free for its own run once the first is cancelled.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.test_e2e_browser import (
    LONGEST_BUDGET, SIDEBAR, TRAIN_TIMEOUT_MS, assert_no_injection, metric_labels, open_page, set_up_training,
    sidebar_text, start_training, streamlit_server, wait_idle,
)  # fmt: skip


@pytest.fixture(scope="module")
def one_slot_server() -> Iterator[str]:
    """`streamlit run dashboard.py` with a training cap of one; its own process, stopped at the end of the module."""
    with streamlit_server("e2e-queue-server.log", env={"ADVISOR_MAX_CONCURRENT_TRAININGS": "1"}) as url:
        yield url


def load_sample(page: Page, title: str) -> None:
    page.get_by_role("button", name=title, exact=True).click()
    page.get_by_text("What the data looks like").wait_for(timeout=60_000)
    wait_idle(page)


def test_a_second_session_waits_in_line_sees_its_place_and_can_leave(one_slot_server: str, browser: Browser) -> None:
    first, first_dialogs = open_page(browser, one_slot_server)
    second, second_dialogs = open_page(browser, one_slot_server)
    load_sample(first, "mnist digits")
    load_sample(second, "wine")

    # Both set up before either trains: the first run must still hold the slot when the second has queued, left
    # the line and the first is cancelled. With 30 s, MNIST trained about 5 s and one run here ended before the
    # first Cancel was pressed; at the budget's top it trains about 37 s, cut short by that Cancel.
    set_up_training(first, shap_rows=10, seconds=LONGEST_BUDGET)
    set_up_training(second, shap_rows=10)
    first.get_by_role("button", name="Train both").click()  # the one slot is taken
    first.get_by_role("button", name="Cancel").first.wait_for(timeout=60_000)
    second.get_by_role("button", name="Train both").click()

    waiting = "1 comparison ahead of yours (this server trains at most 1 at once)"
    second.get_by_text(waiting).wait_for(timeout=30_000)
    # the sidebar's line comes from its own polling fragment: it may draw a poll after the page's
    second.locator(SIDEBAR).get_by_text("Queued: 1 comparison ahead of yours").wait_for(timeout=30_000)
    assert metric_labels(second).count("Accuracy") == 0  # no result while waiting

    second.get_by_role("button", name="Cancel").first.click()  # leaves the line at once
    second.get_by_text(waiting).wait_for(state="detached", timeout=30_000)
    wait_idle(second)
    assert second.get_by_role("button", name="Train both").is_enabled()
    second.locator(SIDEBAR).get_by_text("Queued:").wait_for(state="detached", timeout=30_000)
    assert "Queued" not in sidebar_text(second)

    first.get_by_role("button", name="Cancel").first.click()  # frees the slot at its next step
    first.get_by_role("button", name="Train both").wait_for(timeout=TRAIN_TIMEOUT_MS)

    start_training(second, shap_rows=10)  # the slot is free again: no waiting, a result
    second.get_by_text("All metrics on the same test rows").wait_for(timeout=TRAIN_TIMEOUT_MS)
    wait_idle(second)
    assert metric_labels(second).count("Accuracy") == 2
    assert second.get_by_text("ahead of yours").count() == 0
    assert_no_injection(first, first_dialogs)
    assert_no_injection(second, second_dialogs)
