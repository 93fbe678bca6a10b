"""Share links, History and the password under AppTest: saved runs reopen on every page without training."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from engine.share.consent import minimise
from engine.share.store import NOT_FOUND_MESSAGE, RunStore, key_of, new_token
from tests.conftest import finish_training
from tests.share_helpers import HOSTILE_NAME, hostile_record
from tests.test_app_pages import chart_titles, metrics
from tests.test_app_security import assert_inert, sidebar_texts
from tests.test_store import _no_training

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboard.py"
TIMEOUT = 120


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunStore]:
    """This module's own store, which the app finds through ADVISOR_DATABASE_URL."""
    url = f"sqlite:///{tmp_path_factory.mktemp('app-share') / 'runs.sqlite3'}"
    saved, os.environ["ADVISOR_DATABASE_URL"] = os.environ.get("ADVISOR_DATABASE_URL"), url
    opened = RunStore(url)
    yield opened
    opened.close()
    if saved is not None:
        os.environ["ADVISOR_DATABASE_URL"] = saved


@pytest.fixture(scope="module")
def token(store: RunStore) -> str:
    """A run shared with its rows (the user ticked "Keep the explained rows…")."""
    return store.save(hostile_record(), keep_rows=True).token


@pytest.fixture(scope="module")
def results_only_token(store: RunStore) -> str:
    """A run saved as by default: results only."""
    return store.save(hostile_record()).token


def app(query: dict[str, str] | None = None, password: str | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params.update(query or {})
    if password is not None:
        at.secrets["advisor_password"] = password
    return at.run()


def test_a_share_link_opens_the_run_on_every_page_without_training(
    store: RunStore, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_training(monkeypatch)
    record = hostile_record()
    at = app({"run": token})
    assert not at.exception and not at.error
    assert at.title[0].value == "Train & compare"  # a link opens the results, not the home page
    shown = [m.value for m in at.metric if m.label == "Accuracy"]
    assert shown == [f"{record.ml.metrics['accuracy']:.3f}", f"{record.dl.metrics['accuracy']:.3f}"]
    assert "dataset" not in at.session_state  # read-only: the record, no rows
    assert not at.get("form")  # nothing to train from
    assert_inert(at, shown="&lt;u&gt;yes&lt;/u&gt;")  # the class label, escaped, in the confusion matrices
    sidebar_texts(at)  # the frame around the page stays inert too (it asserts as it reads)
    at.switch_page("app_pages/explanations.py").run()
    assert not at.exception and not at.error
    assert sum("SHAP beeswarm" in t for t in chart_titles(at)) == 2
    assert_inert(at, shown="&lt;script&gt;alert(1)&lt;/script&gt;")
    at.switch_page("app_pages/history.py").run()
    assert not at.exception and not at.error
    assert any("This run is open" in s.value for s in at.success)
    assert not [b for b in at.button if b.key.startswith("delete_")]  # not this session's run: no delete


def test_a_results_only_link_shows_the_summaries_and_says_why_rows_are_missing(
    results_only_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.share.consent import ROWS_NOT_KEPT

    _no_training(monkeypatch)
    record = hostile_record()
    at = app({"run": results_only_token})
    assert not at.exception and not at.error
    shown = [m.value for m in at.metric if m.label == "Accuracy"]
    assert shown == [f"{record.ml.metrics['accuracy']:.3f}", f"{record.dl.metrics['accuracy']:.3f}"]
    infos = [i.value for i in at.info]
    assert ROWS_NOT_KEPT in infos  # where the confusion matrices and ROC curve would be
    assert not [t for t in chart_titles(at) if "onfusion" in t or "ROC" in t]
    assert any("Saved with this run: results" in c.value.replace("\\", "") for c in at.caption)
    assert "dataset" not in at.session_state
    at.switch_page("app_pages/explanations.py").run()
    assert not at.exception and not at.error
    titles = chart_titles(at)
    assert sum("beeswarm" in t for t in titles) == 0 and not [c for c in titles if "aterfall" in c]
    assert sum("importance" in t.lower() for t in titles) >= 2  # the SHAP summaries per column are there
    assert ROWS_NOT_KEPT in [i.value for i in at.info]
    table = at.dataframe[-1].value  # the additivity check: rows explained as in the full record
    assert list(table["rows"]) == [len(record.explained_rows)] * 2
    assert_inert(at, shown="&lt;script&gt;alert(1)&lt;/script&gt;")


@pytest.mark.parametrize("bad", ["nope", "<script>alert(1)</script>", "x" * 43, "deleted", "expired"])
def test_bad_links_show_one_clear_message(store: RunStore, bad: str) -> None:
    if bad == "deleted":
        saved = store.save(hostile_record())
        store.delete(saved.token, saved.owner_key)
        bad = saved.token
    elif bad == "expired":
        from tests.test_store import _age

        saved = store.save(hostile_record())
        _age(store, saved.token, store.limits.retention_days + 1)
        bad = saved.token
    elif bad == "x" * 43:
        bad = new_token()  # well formed, unknown
    at = app({"run": bad})
    assert not at.exception
    assert [e.value.replace("\\", "") for e in at.error] == [NOT_FOUND_MESSAGE]
    assert at.title[0].value == "ML vs DL Advisor" and "run" not in at.session_state


def test_history_lists_only_this_sessions_runs_by_default(store: RunStore, token: str) -> None:
    at = app()
    at.switch_page("app_pages/history.py").run()
    assert not at.exception and not at.error
    assert not at.dataframe  # another session's run: its token is not handed to this visitor
    assert any("No saved runs in this session" in i.value for i in at.info)
    assert token not in str([m.value for m in at.markdown] + [c.value for c in at.caption])
    at = app({"run": token})  # whoever has the link sees that run listed, and only that one
    at.switch_page("app_pages/history.py").run()
    assert list(at.dataframe[0].value["dataset"]) == [HOSTILE_NAME]


def test_history_says_when_the_run_store_cannot_be_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    """A mistyped ADVISOR_DATABASE_URL read "no saved runs yet" on History; only a finished training said otherwise."""
    monkeypatch.setenv("ADVISOR_DATABASE_URL", "not a url")
    at = app()
    at.switch_page("app_pages/history.py").run()
    assert not at.exception
    assert [e.value.replace("\\", "") for e in at.error] == ["ADVISOR_DATABASE_URL is not a database URL"]
    assert not any("No saved runs" in i.value for i in at.info)


def test_history_lists_saved_runs_and_reopens_one(store: RunStore, token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _no_training(monkeypatch)
    monkeypatch.setenv("ADVISOR_HISTORY", "instance")
    at = app()
    at.switch_page("app_pages/history.py").run()
    table = at.dataframe[0].value
    assert list(table.columns)[:6] == ["dataset", "saved (UTC)", "rows", "target", "recommendation", "verdict"]
    assert HOSTILE_NAME in set(table["dataset"])
    at.button(key="history_open").click().run()
    assert not at.exception and not at.error
    assert at.title[0].value == "Train & compare"
    assert [m.label for m in at.metric].count("Accuracy") == 2


def test_a_finished_run_is_saved_shared_and_deleted_by_its_session(store: RunStore) -> None:
    before = {s.key for s in store.summaries()}
    at = app()
    at.button(key="sample_wine.csv").click().run()
    at.switch_page("app_pages/train.py").run()
    at.slider(key="train_max_seconds").set_value(2)
    at.number_input(key="train_shap_rows").set_value(10)
    at.button(key="train_start").click().run()
    errors = finish_training(at)  # collected on the Train page, which saves it to the store
    assert not errors, errors
    run = at.session_state["run"]
    assert run.token is not None and key_of(run.token) not in before
    assert store.open(run.token).to_dict() == minimise(run.result).to_dict()  # results only, by default
    assert store.open(run.token).kept == "results"
    assert store.dataset_csv(run.token) is None  # the rows were not asked for
    assert [c.value for c in at.code] == [f"http://localhost:8501/?run={run.token}"]
    assert {b.key for b in at.download_button} >= {"report_train", "json_train"}
    at.button(key="delete_train").click().run()  # asks first, and says what deleting does to shared links
    assert key_of(run.token) in {s.key for s in store.summaries()}
    assert any("shared link to it will stop working" in w.value for w in at.warning)
    at.button(key="delete_cancel_train").click().run()  # "Keep it": nothing deleted, the question goes
    assert key_of(run.token) in {s.key for s in store.summaries()} and not at.button(key="delete_train").disabled
    at.button(key="delete_train").click().run()
    at.button(key="delete_confirm_train").click().run()
    assert not at.exception and not at.error
    assert {s.key for s in store.summaries()} == before
    assert at.session_state["run"].token is None and not at.code  # still on screen, no longer shared


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The password throttle on a clock the test moves, and a fixed client address."""
    from engine.share.throttle import AttemptThrottle
    from views import share

    now = [1000.0]
    monkeypatch.setattr(share, "PASSWORD_THROTTLE", AttemptThrottle(1.0, 60.0, clock=lambda: now[0]))
    monkeypatch.setattr(share, "client_address", lambda: "203.0.113.7")
    return now


def _try(at: AppTest, password: str) -> list[str]:
    at.text_input[0].input(password)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return [e.value for e in at.error]


def test_with_a_password_only_the_prompt_shows_until_it_is_entered(token: str, clock: list[float]) -> None:
    at = app({"run": token}, password="correct horse")
    assert not at.exception
    assert [t.value for t in at.title] == ["ML vs DL Advisor"] and len(at.text_input) == 1
    assert not at.metric and not at.get("plotly_chart") and not at.sidebar.markdown  # nothing of the run or the app
    assert _try(at, "wrong") == ["Wrong password."] and not at.metric
    clock[0] += 1.1  # the first back-off is one second
    assert _try(at, "correct horse") == []
    assert not at.exception and at.title[0].value == "Train & compare"
    assert [m.label for m in at.metric].count("Accuracy") == 2


def test_wrong_passwords_back_off_per_session_and_per_address(clock: list[float]) -> None:
    from views.share import THROTTLED_MESSAGE

    at = app(password="correct horse")
    assert _try(at, "guess 1") == ["Wrong password."]
    assert _try(at, "correct horse") == [THROTTLED_MESSAGE.format(seconds=1)]  # not even checked while waiting
    clock[0] += 1.1
    assert _try(at, "guess 2") == ["Wrong password."]
    assert _try(at, "guess 3") == [THROTTLED_MESSAGE.format(seconds=2)]  # 1 s, then 2 s, 4 s …
    clock[0] += 2.1
    assert _try(at, "guess 3") == ["Wrong password."]
    other = app(password="correct horse")  # a new session from the same address waits too
    assert _try(other, "correct horse") == [THROTTLED_MESSAGE.format(seconds=4)]
    clock[0] += 4.1
    assert _try(other, "correct horse") == [] and other.session_state["authenticated"]
    again = app(password="correct horse")  # the right password cleared the address's count
    assert _try(again, "wrong") == ["Wrong password."]


def test_the_password_can_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADVISOR_PASSWORD", "from-env")
    at = app()
    assert len(at.text_input) == 1 and not [b for b in at.button if (b.key or "").startswith("sample_")]
    monkeypatch.delenv("ADVISOR_PASSWORD")
    assert not app().text_input  # off by default


def test_an_opened_run_says_how_long_it_took_from_its_record_not_from_its_stages(
    store: RunStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stages nest ("profile" inside "profile, advice and split") and overlap (both sides at once): their sum,
    which the sidebar showed for an opened run, is not how long the run took. A record from before run_seconds
    says only "done"."""
    import dataclasses

    stages = {"profile_and_split": 2.0, "profile": 1.5, "train_ml": 3.0, "train_dl": 4.0, "both_sides_at_once": 4.2}
    timed = store.save(dataclasses.replace(hostile_record(), stage_seconds=stages, run_seconds=6.54)).token
    untimed = store.save(dataclasses.replace(hostile_record(), stage_seconds=stages, run_seconds=0.0)).token
    _no_training(monkeypatch)  # opening them trains nothing
    for token, took in ((timed, "done in 6.5 s: "), (untimed, "done: ")):
        at = app({"run": token})
        assert not at.exception and not at.error
        captions = [c for c in sidebar_texts(at) if c.startswith("done")]
        assert len(captions) == 1 and captions[0].startswith(took), captions
        whole = [c.value for c in at.caption if c.value.startswith("The whole comparison took")]
        assert whole == (["The whole comparison took 6.5 s (wall clock); the indented stages are inside the one above "
                          "them and the two families' stages overlap, so the rows do not add up to it."]
                         if token == timed else [])
