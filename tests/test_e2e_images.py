"""In a real browser: upload the image-folder ZIP, train both, and see the original / ML / DL pixel rows."""

from __future__ import annotations

from playwright.sync_api import Browser

from tests.test_e2e_browser import (
    SAMPLES,
    TRAIN_TIMEOUT_MS,
    assert_no_injection,
    chart_titles,
    go_to,
    metric_labels,
    open_page,
    shot,
    sidebar_text,
    start_training,
    upload,
    wait_idle,
)


def test_upload_an_image_zip_train_and_see_pixel_maps(server: str, browser: Browser) -> None:
    page, dialogs = open_page(browser, server)
    upload(page, "digit_images.zip", (SAMPLES / "digit_images.zip").read_bytes())
    page.get_by_text("What the data looks like").wait_for(timeout=60_000)
    wait_idle(page)
    assert "digit_images.zip" in sidebar_text(page)
    assert page.get_by_text("unstructured (images)").count() >= 1

    start_training(page, shap_rows=10)
    page.get_by_text("All metrics on the same test rows").wait_for(timeout=TRAIN_TIMEOUT_MS)
    wait_idle(page)
    assert metric_labels(page).count("Accuracy") == 2

    go_to(page, "Explanations")
    page.get_by_text("Where each model looks, pixel by pixel").wait_for(timeout=120_000)
    wait_idle(page)
    titles = chart_titles(page)
    assert any(t.startswith("Where each model looks") for t in titles)
    assert any(t.startswith("Mean |SHAP| per pixel") for t in titles)
    rows = page.locator(".js-plotly-plot", has_text="Where each model looks")
    assert rows.locator(".heatmaplayer image, .heatmaplayer").count() >= 3  # the image and both maps are drawn
    assert page.locator('[data-testid="stAlert"]').count() == 0
    assert_no_injection(page, dialogs)
    shot(page, "06-image-explanations.png", height=3400)
