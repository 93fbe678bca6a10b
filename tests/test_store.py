"""The run store: save, reopen by token without training, bad tokens, restarts, schema upgrades, deleting.

Every test runs on SQLite, and also on PostgreSQL when ``TEST_DATABASE_URL`` names an empty database (.ci/run
starts one); the terminal summary says when that did not happen and why.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine import store as store_module
from engine.record import RunRecord
from engine.wording import outcome_key
from engine.store import NOT_FOUND_MESSAGE, RunNotFound, RunStore, StoreError, new_token
from tests.conftest import POSTGRES_ENV
from tests.share_helpers import hostile_frame, hostile_record

ROOT = Path(__file__).resolve().parents[1]
BACKENDS = ["sqlite", *(["postgresql"] if os.environ.get(POSTGRES_ENV) else [])]


def _empty(url: str) -> None:
    """Drop the store's tables (a PostgreSQL test database is shared by the tests, one after another)."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        for table in ("advisor_runs", "advisor_schema"):
            connection.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store' / 'runs.sqlite3'}"  # the folder does not exist yet
        return
    database = os.environ[POSTGRES_ENV]
    _empty(database)
    yield database
    _empty(database)


@pytest.fixture
def store(url: str) -> Iterator[RunStore]:
    opened = RunStore(url)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def record() -> RunRecord:
    return hostile_record()


def _no_training(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any model fitted from here on fails the test (every model spec is a Pipeline; the networks and trees too).

    Methods on classes are patched, not names imported elsewhere, so nothing stays patched after the test.
    """
    import lightgbm
    import sklearn.pipeline

    from engine.models.torch_base import TorchEstimator

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("a saved run was trained again")

    for owner in (sklearn.pipeline.Pipeline, TorchEstimator, lightgbm.LGBMModel):
        monkeypatch.setattr(owner, "fit", refuse)


def test_a_saved_run_reopens_by_token_identical_without_training(
    store: RunStore, record: RunRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = store.save(record)
    _no_training(monkeypatch)
    from engine import Dataset, compare

    with pytest.raises(AssertionError, match="trained again"):  # the guard does catch training
        compare(Dataset.from_frame(hostile_frame()), "label", max_seconds=1, shap_rows=5)
    back = store.open(saved.token)
    assert type(back) is RunRecord
    for family in ("ml", "dl"):
        mine, theirs = getattr(record, family), getattr(back, family)
        assert theirs.metrics == mine.metrics and theirs.interval == mine.interval
        assert theirs.predictions.tolist() == mine.predictions.tolist()
        assert back.explanations[family].global_importance == record.explanations[family].global_importance
    assert back.verdict == record.verdict
    assert back.to_dict() == record.to_dict()  # the whole CLI JSON, field by field


def test_what_is_stored_is_the_records_json_and_no_rows_unless_asked(store: RunStore, record: RunRecord) -> None:
    plain = store.save(record)
    with_rows = store.save(record, dataset_csv="a,b\n1,2\n")
    with store.engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT token, record_json, dataset_csv FROM advisor_runs")).all()
    by_token = {row.token: row for row in stored}
    assert json.loads(by_token[plain.token].record_json) == json.loads(record.to_json())
    assert by_token[plain.token].dataset_csv is None and store.dataset_csv(plain.token) is None
    assert store.dataset_csv(with_rows.token) == "a,b\n1,2\n"
    summaries = {s.token: s for s in store.summaries()}
    assert summaries[with_rows.token].has_rows and not summaries[plain.token].has_rows
    first = summaries[plain.token]
    assert (first.dataset_name, first.rows, first.target) == (record.dataset.name, record.dataset.rows, "label")
    assert (first.recommendation, first.winner) == (record.advice.recommendation.choice, outcome_key(record.verdict))


@pytest.mark.parametrize(
    "token",
    ["", "abc", "x" * 42, "x" * 44, "<script>alert(1)</script>" + "x" * 18, "' OR 1=1 --" + "x" * 32, None, 42],
)
def test_malformed_tokens_give_the_one_message(store: RunStore, record: RunRecord, token: object) -> None:
    store.save(record)  # a store that does hold a run
    with pytest.raises(RunNotFound) as caught:
        store.open(token)
    assert str(caught.value) == NOT_FOUND_MESSAGE


def test_unknown_and_deleted_tokens_give_the_same_message(store: RunStore, record: RunRecord) -> None:
    saved = store.save(record)
    store.delete(saved.token, saved.owner_key)
    for token in (new_token(), saved.token):
        with pytest.raises(RunNotFound) as caught:
            store.open(token)
        assert str(caught.value) == NOT_FOUND_MESSAGE


def test_only_the_owner_key_deletes_a_run(store: RunStore, record: RunRecord) -> None:
    saved = store.save(record)
    other = store.save(record)
    with pytest.raises(StoreError, match="only the session that saved"):
        store.delete(saved.token, other.owner_key)
    with pytest.raises(StoreError):
        store.delete(saved.token, saved.token)  # knowing the link is not owning the run
    assert store.open(saved.token).verdict == record.verdict
    store.delete(saved.token, saved.owner_key)
    assert [s.token for s in store.summaries()] == [other.token]


def test_tokens_are_distinct_long_and_kept_out_of_reprs(store: RunStore, record: RunRecord) -> None:
    saved = [store.save(record) for _ in range(12)]
    secrets_seen = [s.token for s in saved] + [s.owner_key for s in saved]
    assert len(set(secrets_seen)) == len(secrets_seen)
    for token in secrets_seen:
        assert len(base64.urlsafe_b64decode(token + "=")) == 32  # 256 bits from secrets
        assert token not in repr(saved) and token not in repr(store.summaries())
    assert {s.token for s in store.summaries()} == {s.token for s in saved}


def test_the_store_survives_an_app_restart(url: str, record: RunRecord) -> None:
    first = RunStore(url)
    saved = first.save(record)
    first.close()
    # a new process (the app restarted) reads the same database
    script = (
        "import json, sys; from engine.store import RunStore; r = RunStore(sys.argv[1]).open(sys.argv[2]); "
        "print(json.dumps({'metrics': r.ml.metrics, 'importance': r.explanations['dl'].global_importance}))"
    )
    # the token travels as an argument, never printed; the child prints only results
    shown = subprocess.run(
        [sys.executable, "-c", script, url, saved.token], cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert saved.token not in shown.stdout + shown.stderr
    payload = json.loads(shown.stdout)
    assert payload["metrics"] == json.loads(json.dumps(record.ml.metrics))
    assert payload["importance"] == json.loads(json.dumps(record.explanations["dl"].global_importance))


def test_a_store_is_read_back_after_a_schema_upgrade(
    url: str, record: RunRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = RunStore(url)
    saved = old.save(record)
    assert old.version() == 1
    old.close()

    def add_label(connection: sa.Connection) -> None:  # the kind of change a later release makes
        connection.execute(sa.text("ALTER TABLE advisor_runs ADD COLUMN label VARCHAR(200)"))
        connection.execute(sa.text("UPDATE advisor_runs SET label = dataset_name"))

    monkeypatch.setattr(store_module, "STORE_VERSION", 2)
    monkeypatch.setattr(store_module, "MIGRATIONS", {1: add_label})
    upgraded = RunStore(url)
    back = upgraded.open(saved.token)
    assert upgraded.version() == 2
    assert back.to_dict() == record.to_dict()
    with upgraded.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT label FROM advisor_runs")).scalar() == record.dataset.name
    assert upgraded.save(record).token  # and it keeps saving
    upgraded.close()

    monkeypatch.setattr(store_module, "STORE_VERSION", 1)  # an older app meeting the upgraded store
    with pytest.raises(StoreError, match="newer version"):
        RunStore(url).summaries()


def test_unreadable_stores_and_records_are_one_line_errors(store: RunStore, record: RunRecord) -> None:
    saved = store.save(record)
    with store.engine.begin() as connection:
        connection.execute(sa.text("UPDATE advisor_runs SET record_json = '{\"schema_version\": 1}'"))
    with pytest.raises(StoreError, match="cannot be read") as caught:
        store.open(saved.token)
    assert saved.token not in str(caught.value)
    with pytest.raises(StoreError, match="not a database URL"):
        RunStore("definitely not a url").summaries()
    with pytest.raises(StoreError, match="unavailable") as caught:
        RunStore("postgresql+psycopg://nobody:hunter2@127.0.0.1:1/none").summaries()
    assert "hunter2" not in str(caught.value)
