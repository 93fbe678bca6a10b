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

from engine.share import store as store_module
from engine.share.consent import minimise
from engine.run.record import KEPT_RESULTS, RunRecord
from engine.share.store import NOT_FOUND_MESSAGE, RunNotFound, RunStore, StoreError, StoreLimits, key_of, new_token
from engine.common.wording import outcome_key
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
    saved = store.save(record, keep_rows=True)  # everything, as the user chose
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
    by_key = {row.token: row for row in stored}
    assert json.loads(by_key[key_of(plain.token)].record_json) == json.loads(minimise(record).to_json())
    assert by_key[key_of(plain.token)].dataset_csv is None and store.dataset_csv(plain.token) is None
    assert store.dataset_csv(with_rows.token) == "a,b\n1,2\n"
    summaries = {s.token: s for s in store.summaries(tokens=[plain.token, with_rows.token])}
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
    assert [s.key for s in store.summaries()] == [key_of(other.token)]


def test_tokens_are_distinct_long_and_kept_out_of_reprs(store: RunStore, record: RunRecord) -> None:
    saved = [store.save(record) for _ in range(12)]
    secrets_seen = [s.token for s in saved] + [s.owner_key for s in saved]
    assert len(set(secrets_seen)) == len(secrets_seen)
    for token in secrets_seen:
        assert len(base64.urlsafe_b64decode(token + "=")) == 32  # 256 bits from secrets
        assert token not in repr(saved) and token not in repr(store.summaries())
    assert {s.key for s in store.summaries()} == {key_of(s.token) for s in saved}
    assert {s.token for s in store.summaries()} == {None}  # listed without their tokens: the store has only hashes


def test_the_store_survives_an_app_restart(url: str, record: RunRecord) -> None:
    first = RunStore(url)
    saved = first.save(record)
    first.close()
    # a new process (the app restarted) reads the same database
    script = (
        "import json, sys; from engine.share.store import RunStore; r = RunStore(sys.argv[1]).open(sys.argv[2]); "
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
    assert old.version() == store_module.STORE_VERSION
    old.close()
    latest = store_module.STORE_VERSION

    def add_label(connection: sa.Connection) -> None:  # the kind of change a later release makes
        connection.execute(sa.text("ALTER TABLE advisor_runs ADD COLUMN label VARCHAR(200)"))
        connection.execute(sa.text("UPDATE advisor_runs SET label = dataset_name"))

    monkeypatch.setattr(store_module, "STORE_VERSION", latest + 1)
    monkeypatch.setattr(store_module, "MIGRATIONS", store_module.MIGRATIONS | {latest: add_label})
    upgraded = RunStore(url)
    back = upgraded.open(saved.token)
    assert upgraded.version() == latest + 1
    assert back.to_dict() == minimise(record).to_dict()
    with upgraded.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT label FROM advisor_runs")).scalar() == record.dataset.name
    assert upgraded.save(record).token  # and it keeps saving
    upgraded.close()

    monkeypatch.setattr(store_module, "STORE_VERSION", latest)  # an older app meeting the upgraded store
    with pytest.raises(StoreError, match="newer version"):
        RunStore(url).summaries()


def _version_1_store(url: str, record: RunRecord, token: str, dataset_csv: str | None) -> None:
    """A store as release 1 wrote it: plaintext tokens, and every run with its rows, labels and predictions."""
    metadata = sa.MetaData()
    schema = sa.Table("advisor_schema", metadata, sa.Column("version", sa.Integer, nullable=False))
    runs = sa.Table(
        "advisor_runs", metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("token", sa.String(64), nullable=False, unique=True),
        sa.Column("owner_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        *(sa.Column(name, sa.Text, nullable=False) for name in ("dataset_name", "target")),
        sa.Column("rows", sa.Integer, nullable=False),
        *(sa.Column(name, sa.String(32), nullable=False) for name in ("task", "recommendation", "winner")),
        sa.Column("record_schema", sa.Integer, nullable=False),
        sa.Column("record_json", sa.Text, nullable=False),
        sa.Column("dataset_csv", sa.Text, nullable=True),
    )  # fmt: skip
    engine = sa.create_engine(url)
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    with engine.begin() as connection:
        metadata.create_all(connection)
        connection.execute(schema.insert().values(version=1))
        connection.execute(runs.insert().values(
            token=token, owner_hash="0" * 64, created_at=store_module._iso(store_module._now()),
            dataset_name=record.dataset.name, target=record.target, rows=record.dataset.rows, task=record.task.value,
            recommendation=record.advice.recommendation.choice, winner=record.verdict.winner, record_schema=1,
            record_json=record.to_json(), dataset_csv=dataset_csv,
        ))  # fmt: skip
    engine.dispose()


def test_a_version_1_store_is_migrated_in_place_tokens_hashed_and_rows_dropped(url: str, record: RunRecord) -> None:
    token = new_token()
    _version_1_store(url, record, token, dataset_csv="a,b\n1,2\n")
    upgraded = RunStore(url)
    assert upgraded.version() == 2
    back = upgraded.open(token)  # the old link still opens
    assert back.kept == KEPT_RESULTS and back.to_dict() == minimise(record).to_dict()
    assert upgraded.dataset_csv(token) == "a,b\n1,2\n"  # the upload had been kept by consent: it stays
    with upgraded.engine.connect() as connection:
        row = connection.execute(sa.text("SELECT * FROM advisor_runs")).one()._asdict()
    assert token not in " ".join(map(str, row.values())) and row["token"] == key_of(token)
    assert row["size_bytes"] == len(row["record_json"].encode()) + len(b"a,b\n1,2\n")
    assert not json.loads(row["record_json"])["explained_rows"]["rows"]
    upgraded.close()


# --- consent, secrets, retention and size ------------------------------------------------------


def _stored_rows(store: RunStore) -> list[dict]:
    with store.engine.connect() as connection:
        return [row._asdict() for row in connection.execute(sa.text("SELECT * FROM advisor_runs")).all()]


def test_a_run_saved_without_consent_keeps_no_row_values_labels_or_predictions(store: RunStore, record: RunRecord) -> None:
    from tests.share_helpers import hostile_frame

    saved = store.save(record)  # the default: results only
    (row,) = _stored_rows(store)
    stored = json.loads(row["record_json"])
    assert row["kept"] == KEPT_RESULTS and stored["kept"] == KEPT_RESULTS and row["dataset_csv"] is None
    assert stored["explained_rows"]["rows"] == [] and stored["explained_rows"]["index"] == []
    assert stored["split"]["y_test"]["data"] == [] and stored["split"]["explained_positions"]["data"] == []
    for family in ("ml", "dl"):
        assert stored[family]["predictions"]["data"] == [] and stored[family]["probabilities"] is None
        assert stored["explanations"][family]["values"]["shape"][0] == 1  # one summary row, not one per row
        assert stored["explanations"][family]["outputs"]["shape"][0] <= 1
    text = row["record_json"]
    frame = hostile_frame()
    for value in ["<b>red</b>", "=1+1", *(repr(float(v)) for v in frame["plain"].head(30))]:
        assert value not in text, value  # no cell of the data, categorical or numeric
    assert "<u>yes</u>" in text  # class names are results (the metrics are per class), and they stay
    back = store.open(saved.token)
    for family in ("ml", "dl"):  # the summaries read the same numbers as the full record
        assert back.explanations[family].global_importance == pytest.approx(record.explanations[family].global_importance)
        assert getattr(back, family).metrics == getattr(record, family).metrics
    assert back.agreement == record.agreement and back.verdict == record.verdict
    assert back.to_dict() | {"kept": record.kept} == record.to_dict()  # the CLI JSON is the same, rows_explained too


def test_explained_rows_are_kept_only_when_ticked(store: RunStore, record: RunRecord) -> None:
    saved = store.save(record, keep_rows=True)
    back = store.open(saved.token)
    assert back.kept != KEPT_RESULTS
    assert back.split.y_test.tolist() == record.split.y_test.tolist()
    assert back.explained_rows.shape == record.explained_rows.shape


def test_a_token_is_not_in_the_database_in_clear(store: RunStore, record: RunRecord) -> None:
    saved = [store.save(record, dataset_csv="a\n1\n") for _ in range(3)]
    dumped = json.dumps(_stored_rows(store), default=str)
    for run in saved:
        assert run.token not in dumped and run.owner_key not in dumped
        assert key_of(run.token) in dumped  # looked up by its hash
        assert store.open(run.token).verdict == record.verdict


def _age(store: RunStore, token: str, days: float) -> None:
    """Pretend a run was saved ``days`` ago."""
    old = store_module._iso(store_module._now() - __import__("datetime").timedelta(days=days))
    with store.engine.begin() as connection:
        connection.execute(sa.text("UPDATE advisor_runs SET created_at = :old WHERE token = :key"),
                           {"old": old, "key": key_of(token)})


def test_expired_runs_stop_opening_and_are_gone_after_the_cleanup(url: str, record: RunRecord) -> None:
    store = RunStore(url, StoreLimits(retention_days=30))
    expired, recent = store.save(record), store.save(record)
    _age(store, expired.token, 30.5)
    _age(store, recent.token, 29)
    with pytest.raises(RunNotFound) as caught:  # refused at once, before any cleanup
        store.open(expired.token)
    assert str(caught.value) == NOT_FOUND_MESSAGE and "expired" in NOT_FOUND_MESSAGE
    assert [s.key for s in store.summaries()] == [key_of(recent.token)]
    assert store.cleanup() == 1
    assert [row["token"] for row in _stored_rows(store)] == [key_of(recent.token)]  # gone from the database
    assert store.open(recent.token).verdict == record.verdict
    store.close()


def test_size_caps_refuse_an_oversize_run_and_drop_the_oldest_for_room(url: str, record: RunRecord) -> None:
    size = len(minimise(record).to_json().encode())
    store = RunStore(url, StoreLimits(max_run_bytes=size + 100, max_store_bytes=int(size * 2.5)))
    with pytest.raises(StoreError, match="the limit is"):
        store.save(record, dataset_csv="x" * 200)  # the upload takes it over the per-run cap
    first, second = store.save(record), store.save(record)
    _age(store, first.token, 1)  # saved first
    third = store.save(record)  # three do not fit in 2.5 runs' room: the oldest goes
    assert {row["token"] for row in _stored_rows(store)} == {key_of(second.token), key_of(third.token)}
    assert store.total_bytes() <= store.limits.max_store_bytes
    with pytest.raises(RunNotFound):
        store.open(first.token)
    store.close()


def test_store_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADVISOR_RETENTION_DAYS", "7")
    monkeypatch.setenv("ADVISOR_MAX_RUN_MB", "1.5")
    monkeypatch.setenv("ADVISOR_MAX_STORE_MB", "nonsense")
    limits = StoreLimits.from_environment()
    assert limits.retention_days == 7 and limits.max_run_bytes == int(1.5 * 2**20)
    assert limits.max_store_bytes == StoreLimits.max_store_bytes  # an unreadable value keeps the default


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
