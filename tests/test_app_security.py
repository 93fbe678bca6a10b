"""User strings (file and column names, values) render as plain text; sessions never share data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
from streamlit.testing.v1 import AppTest

from tests.conftest import finish_training

ROOT = Path(__file__).parents[1]
APP = ROOT / "dashboard.py"
SAMPLES = ROOT / "sample_data"

HOSTILE_COLUMNS = [
    "<script>window.__xss = 1</script>",
    "<img src=x onerror=window.__xss=2>",
    '=HYPERLINK("http://example.com","click")',
    "**bold** [link](javascript:alert(1)) $x$ :red[red]",
]
HOSTILE_TARGET = "@SUM(1+1)<u>label</u>"
HOSTILE_FILE = "<img src=y onerror=window.__xss=3>.csv"
RAW_MARKUP = re.compile(r"(?<!\\)<(script|img|u|/u)\b|(?<!\\)\*\*bold|(?<!\\)\[link(?<!\\)\]|(?<!\\)\$x")


def hostile_csv(rows: int = 90, seed: int = 0) -> bytes:
    """A small learnable table whose column names (and one category) are markup and formulas."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({name: rng.normal(size=rows) for name in HOSTILE_COLUMNS[:3]})
    frame[HOSTILE_COLUMNS[3]] = rng.choice(["<b>hot</b>", "=1+1", "plain"], size=rows)
    frame[HOSTILE_TARGET] = np.where(frame[HOSTILE_COLUMNS[0]] + frame[HOSTILE_COLUMNS[1]] > 0, "<i>yes</i>", "no")
    return frame.to_csv(index=False).encode()


def markdown_texts(at: AppTest) -> list[str]:
    """Everything on the page that Streamlit renders as Markdown."""
    texts = [
        e.value
        for kind in ("markdown", "caption", "error", "info", "success", "warning", "title", "subheader")
        for e in getattr(at, kind)
    ]
    return texts + [m.label for m in at.metric]


def plotly_specs(at: AppTest) -> list[str]:
    """Each chart's figure JSON with its text decoded (Plotly writes "<" as \\u003c)."""
    return [json.dumps(json.loads(c.proto.spec), ensure_ascii=False) for c in at.get("plotly_chart")]


def sidebar_texts(at: AppTest) -> list[str]:
    """The sidebar a session sees (AppTest runs only the page script after switch_page, so rerun the frame)."""
    fresh = AppTest.from_file(str(APP), default_timeout=120)
    for key in ("dataset", "target", "run", "answer_overrides"):
        if key in at.session_state:
            fresh.session_state[key] = at.session_state[key]
    fresh.run()
    assert not fresh.exception
    assert_plain(fresh)
    return [t.value for t in fresh.sidebar.text] + [c.value for c in fresh.sidebar.caption]


def assert_plain(at: AppTest) -> None:
    for text in markdown_texts(at):
        assert not RAW_MARKUP.search(text), text
        assert "://" not in text.replace("\\", ""), text  # no bare URL for Markdown to turn into a link


def assert_inert(at: AppTest, shown: str = "&lt;u&gt;label&lt;/u&gt;") -> None:
    assert not at.exception, at.exception
    assert_plain(at)
    specs = plotly_specs(at)
    assert specs
    for spec in specs:
        for fragment in ("<script", "<img", "<u>", "<i>yes", "<b>hot"):
            assert fragment not in spec, fragment
    # the names are there, escaped, not dropped
    assert any(shown in spec for spec in specs)


def test_hostile_names_render_as_text_on_every_page() -> None:
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    at.switch_page("app_pages/recommend.py").run()
    at.file_uploader(key="uploader").upload(HOSTILE_FILE, hostile_csv(), "text/csv").run()
    assert not at.error, [e.value for e in at.error]
    assert at.session_state["dataset"].name == HOSTILE_FILE
    assert at.selectbox(key="target_choice").value == HOSTILE_TARGET
    assert_inert(at)
    assert HOSTILE_FILE in sidebar_texts(at)  # the sidebar shows the name as plain text
    at.switch_page("app_pages/train.py").run()
    at.slider(key="train_max_seconds").set_value(2)
    at.number_input(key="train_shap_rows").set_value(10)
    at.button(key="train_start").click().run()
    errors = finish_training(at)
    assert not errors, errors
    assert [m.label for m in at.metric].count("Accuracy") == 2
    assert_inert(at, shown="&lt;i&gt;yes&lt;/i&gt;")  # the class names in the confusion matrices
    at.switch_page("app_pages/explanations.py").run()
    assert_inert(at, shown="&lt;script&gt;window.__xss = 1&lt;/script&gt;")
    assert HOSTILE_TARGET in sidebar_texts(at)
    specs = " ".join(plotly_specs(at))
    assert "&lt;img src=x onerror=window.__xss=2&gt;" in specs
    assert "=HYPERLINK(" in specs  # formulas are just text in a chart


def test_markdown_escaping_neutralises_markup() -> None:
    from views.state import esc

    for text in [*HOSTILE_COLUMNS, HOSTILE_TARGET, HOSTILE_FILE]:
        escaped = esc(text)
        assert not RAW_MARKUP.search(escaped)
        assert re.sub(r"\\(.)", r"\1", escaped).replace("\u2060", "") == text  # nothing lost, only escaped


def test_two_sessions_see_only_their_own_data() -> None:
    first = AppTest.from_file(str(APP), default_timeout=120).run()
    second = AppTest.from_file(str(APP), default_timeout=120).run()
    for at in (first, second):
        at.switch_page("app_pages/recommend.py").run()
    first.file_uploader(key="uploader").upload("wine.csv", (SAMPLES / "wine.csv").read_bytes(), "text/csv")
    second.file_uploader(key="uploader").upload(HOSTILE_FILE, hostile_csv(), "text/csv")
    first.run()
    second.run()
    # the same file again in another session comes from the shared parse cache, as a private copy
    third = AppTest.from_file(str(APP), default_timeout=120).run()
    third.switch_page("app_pages/recommend.py").run()
    third.file_uploader(key="uploader").upload("wine copy.csv", (SAMPLES / "wine.csv").read_bytes(), "text/csv").run()
    third.session_state["dataset"].frame.drop(columns=["alcohol"], inplace=True)
    for at, name, mine, theirs in (
        (first, "wine.csv", "alcohol", HOSTILE_TARGET),
        (second, HOSTILE_FILE, HOSTILE_TARGET, "alcohol"),
    ):
        at.run()
        assert not at.exception
        assert at.session_state["dataset"].name == name
        assert name in sidebar_texts(at)
        columns = [c for c in at.selectbox(key="target_choice").options]
        assert mine in columns and theirs not in columns
    assert "alcohol" in first.session_state["dataset"].frame.columns


def test_a_queued_comparison_shows_its_place_and_can_be_cancelled(monkeypatch) -> None:
    """With every training slot taken, Train both waits in line, says how many are ahead, and Cancel leaves the line."""
    import threading

    from engine.measure.capacity import TrainingQueue
    from views import state

    queue = TrainingQueue(capacity=1)
    monkeypatch.setattr(state, "TRAINING_QUEUE", queue)
    queue.wait_turn("another session", threading.Event())  # the one slot is taken
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    at.button(key="sample_wine.csv").click().run()
    at.switch_page("app_pages/train.py").run()
    at.button(key="train_start").click().run()
    assert not at.exception, at.exception
    job = state._JOBS[at.session_state["training_job"]]
    assert queue.ahead(job) == 1 and not job.done
    assert any("1 comparison ahead of yours" in i.value for i in at.info), [i.value for i in at.info]
    frame = AppTest.from_file(str(APP), default_timeout=120)  # the sidebar, as every page draws it
    frame.session_state["training_job"] = at.session_state["training_job"]
    frame.run()
    assert any("Queued: 1 comparison ahead of yours" in c.value for c in frame.sidebar.caption)
    at.button(key="train_cancel").click().run()
    job.thread.join(timeout=10)
    assert job.cancelled and job.result is None and queue.counts() == (1, 0)  # it left the line; the other still runs
    at.run()
    assert not at.exception and not at.error
    assert "training_job" not in at.session_state and "run" not in at.session_state
    queue.release("another session")


MARKDOWN_LINK = "[click me](https://example.com/x) ![img](https://example.com/i.png) **bold**"


def widget_labels(at: AppTest) -> list[str]:
    """Every widget label on the page: Streamlit renders Markdown in them (links and images included)."""
    kinds = ("button", "checkbox", "selectbox", "radio", "toggle", "number_input", "slider", "text_input", "multiselect")
    return [w.label for kind in kinds for w in getattr(at, kind)]


def test_a_markdown_link_column_name_is_text_in_every_widget_label() -> None:
    """A column named like a Markdown link reaches button labels (Train again on …) escaped, never as a link."""
    from tests.share_helpers import hostile_record
    from views import state

    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
    frame[MARKDOWN_LINK] = np.where(frame["a"] > 0, "yes", "no")
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    at.switch_page("app_pages/recommend.py").run()
    at.file_uploader(key="uploader").upload("links.csv", frame.to_csv(index=False).encode(), "text/csv").run()
    at.session_state["target"] = MARKDOWN_LINK
    at.session_state["run"] = state.Run(result=hostile_record(), options={}, seconds=1.0)  # results for other data
    for page in ("app_pages/train.py", "app_pages/explanations.py", "app_pages/recommend.py"):
        at.switch_page(page).run()
        assert not at.exception, at.exception
        labels = widget_labels(at)
        for label in labels:
            unescaped = re.sub(r"\\.", "", label)
            assert "](" not in unescaped and "**" not in unescaped and "://" not in label.replace("\\", ""), label
        assert_plain(at)
    at.switch_page("app_pages/train.py").run()
    retrain = [b.label for b in at.button if b.label.startswith("Train again on")]
    assert retrain == [f"Train again on {state.esc(MARKDOWN_LINK)}"]
