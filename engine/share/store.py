"""The run store: finished comparisons saved as JSON behind unguessable share tokens.

SQLAlchemy Core over any database URL: an embedded SQLite file by default
(``.advisor/runs.sqlite3`` in the project, created on first use), or a server
such as PostgreSQL named by ``ADVISOR_DATABASE_URL`` so that several app
replicas share one store. A run is saved as :meth:`RunRecord.to_json` (plus a
few columns for the History list); the uploaded rows are saved only when the
caller asks. Nothing stored is ever unpickled: records are read back with
:meth:`RunRecord.from_json`.

The schema is versioned from the first release: ``advisor_schema`` holds the
version, and :data:`MIGRATIONS` brings an older database up to
:data:`STORE_VERSION` step by step when a store opens it.

Tokens are 256-bit ``secrets.token_urlsafe(32)`` strings; only their SHA-256
is stored (a run is looked up by that hash), so a copy of the database opens
no share link. They are never logged, and database errors are re-raised
without their SQL parameters. A run also gets an owner key (kept by the
session that saved it; only its SHA-256 is stored), which deleting the run
requires.

What a run keeps is what its user chose (:mod:`engine.share.consent`): results only
unless ``keep_rows``; the uploaded data only when given. Runs are deleted
``ADVISOR_RETENTION_DAYS`` (30) days after they were saved, by
:meth:`RunStore.cleanup` (the app runs it when it starts) and refused by
:meth:`RunStore.open` from then on; a run over ``ADVISOR_MAX_RUN_MB`` is not
saved, and the oldest runs make room when the store would pass
``ADVISOR_MAX_STORE_MB``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from engine.share.consent import minimise
from engine.run.record import KEPT_EVERYTHING, KEPT_RESULTS, RecordError, RunRecord
from engine.common.limits import env_number
from engine.common.wording import outcome_key

__all__ = [
    "DATABASE_URL_ENV",
    "RETENTION_DAYS_ENV",
    "MAX_RUN_MB_ENV",
    "MAX_STORE_MB_ENV",
    "StoreLimits",
    "key_of",
    "STORE_VERSION",
    "MIGRATIONS",
    "NOT_FOUND_MESSAGE",
    "StoreError",
    "RunNotFound",
    "SavedRun",
    "RunSummary",
    "RunStore",
    "default_database_url",
    "new_token",
    "is_token",
]

DATABASE_URL_ENV = "ADVISOR_DATABASE_URL"
RETENTION_DAYS_ENV = "ADVISOR_RETENTION_DAYS"
MAX_RUN_MB_ENV = "ADVISOR_MAX_RUN_MB"
MAX_STORE_MB_ENV = "ADVISOR_MAX_STORE_MB"
#: The store's own schema (tables and columns), apart from the record's ``schema_version``.
STORE_VERSION = 2
#: One message for a malformed, unknown, deleted or expired token: it says nothing about which.
NOT_FOUND_MESSAGE = (
    "This link does not open a saved run: it may be incomplete or mistyped, or the run has been deleted "
    "or has expired (saved runs are kept for a limited time)."
)
_TOKEN_BYTES = 32  # 256 bits
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # what token_urlsafe(32) produces
_T = TypeVar("_T")
_PROJECT = Path(__file__).resolve().parents[2]


class StoreError(RuntimeError):
    """The store cannot do what was asked (a user-facing, one-line message)."""


class RunNotFound(StoreError):
    """No saved run behind this token (malformed, unknown or deleted)."""

    def __init__(self) -> None:
        super().__init__(NOT_FOUND_MESSAGE)


@dataclass(frozen=True)
class SavedRun:
    """What saving returns: the share token and the owner key that lets its holder delete the run."""

    token: str
    owner_key: str

    def __repr__(self) -> str:  # keep secrets out of logs and tracebacks
        return "SavedRun(token=…, owner_key=…)"


@dataclass(frozen=True)
class StoreLimits:
    """How long runs are kept and how large they may grow (from the environment by default)."""

    retention_days: float = 30.0
    max_run_bytes: int = 50 * 2**20
    max_store_bytes: int = 2 * 2**30

    @classmethod
    def from_environment(cls) -> "StoreLimits":
        return cls(
            retention_days=env_number(RETENTION_DAYS_ENV, cls.retention_days),
            max_run_bytes=int(env_number(MAX_RUN_MB_ENV, cls.max_run_bytes / 2**20) * 2**20),
            max_store_bytes=int(env_number(MAX_STORE_MB_ENV, cls.max_store_bytes / 2**20) * 2**20),
        )


@dataclass(frozen=True)
class RunSummary:
    """One line of the History list. ``token`` is known only when the caller listed runs by their tokens."""

    key: str  # the token's SHA-256: what the store looks runs up by
    token: str | None
    created_at: str
    dataset_name: str
    rows: int
    target: str
    task: str
    recommendation: str
    winner: str
    has_rows: bool
    kept: str
    size_bytes: int

    def __repr__(self) -> str:
        return f"RunSummary({self.dataset_name!r}, {self.created_at}, winner={self.winner})"


def default_database_url() -> str:
    """``ADVISOR_DATABASE_URL`` when set, else a SQLite file under the project's ignored ``.advisor/``."""
    return os.environ.get(DATABASE_URL_ENV, "").strip() or f"sqlite:///{_PROJECT / '.advisor' / 'runs.sqlite3'}"


def new_token() -> str:
    return secrets.token_urlsafe(_TOKEN_BYTES)


def is_token(value: object) -> bool:
    """Whether ``value`` has the shape of a token (checked before any query)."""
    return isinstance(value, str) and bool(_TOKEN.match(value))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def key_of(token: str) -> str:
    """The stored form of a share token: its SHA-256 (a 256-bit random token needs no salt or stretching)."""
    return _digest(token)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


# --- schema ------------------------------------------------------------------------------

_metadata = sa.MetaData()
_schema = sa.Table("advisor_schema", _metadata, sa.Column("version", sa.Integer, nullable=False))
_runs = sa.Table(
    "advisor_runs",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("token", sa.String(64), nullable=False, unique=True),  # SHA-256 of the share token (version 2)
    sa.Column("owner_hash", sa.String(64), nullable=False),
    sa.Column("created_at", sa.String(32), nullable=False),  # ISO 8601, UTC
    sa.Column("dataset_name", sa.Text, nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("task", sa.String(32), nullable=False),
    sa.Column("recommendation", sa.String(16), nullable=False),
    sa.Column("winner", sa.String(16), nullable=False),
    sa.Column("record_schema", sa.Integer, nullable=False),
    sa.Column("record_json", sa.Text, nullable=False),
    sa.Column("dataset_csv", sa.Text, nullable=True),  # only when the user asked to keep the rows
    sa.Column("kept", sa.String(16), nullable=False, server_default=KEPT_EVERYTHING),  # version 2
    sa.Column("size_bytes", sa.BigInteger, nullable=False, server_default="0"),  # version 2
)

Migration = Callable[[Connection], None]


def _hash_tokens_and_minimise(connection: Connection) -> None:
    """Version 1 -> 2: tokens stored as their SHA-256; records saved before consent existed reduced to results.

    Version 1 saved every run with its explained rows, test labels and
    predictions whatever the user chose, so those are dropped here (the
    uploaded rows, which were kept only when asked, stay). Portable SQL:
    SQLite and PostgreSQL both take ADD COLUMN with a default.
    """
    connection.execute(sa.text(f"ALTER TABLE advisor_runs ADD COLUMN kept VARCHAR(16) DEFAULT '{KEPT_EVERYTHING}' NOT NULL"))
    connection.execute(sa.text("ALTER TABLE advisor_runs ADD COLUMN size_bytes BIGINT DEFAULT 0 NOT NULL"))
    old = sa.table("advisor_runs", sa.column("id"), sa.column("token"), sa.column("record_json"),
                   sa.column("dataset_csv"), sa.column("kept"), sa.column("size_bytes"))
    for row in connection.execute(sa.select(old.c.id, old.c.token, old.c.record_json, old.c.dataset_csv)).all():
        values: dict[str, object] = {"token": _digest(row.token)}
        record_json = row.record_json
        try:
            record_json = minimise(RunRecord.from_json(row.record_json)).to_json()
            values |= {"record_json": record_json, "kept": KEPT_RESULTS}
        except RecordError:
            pass  # unreadable already; it opens to the same one-line error as before
        values["size_bytes"] = len(record_json.encode()) + len((row.dataset_csv or "").encode())
        connection.execute(old.update().where(old.c.id == row.id).values(**values))


#: ``MIGRATIONS[n]`` upgrades a store at version ``n`` to ``n + 1``.
MIGRATIONS: dict[int, Migration] = {1: _hash_tokens_and_minimise}


class RunStore:
    """Saved runs in one database (any SQLAlchemy URL); creates or upgrades its tables on first use."""

    def __init__(self, url: str | None = None, limits: StoreLimits | None = None) -> None:
        self.url = url or default_database_url()
        self.limits = limits or StoreLimits.from_environment()
        self._engine: Engine | None = None

    def __repr__(self) -> str:
        return f"RunStore({sa.make_url(self.url).render_as_string(hide_password=True)!r})"

    # -- connection and schema --------------------------------------------------------------
    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = self._connect()
        return self._engine

    def _connect(self) -> Engine:
        try:
            url = sa.make_url(self.url)
        except sa.exc.ArgumentError:
            raise StoreError(f"{DATABASE_URL_ENV} is not a database URL") from None
        options: dict = {"hide_parameters": True, "pool_pre_ping": True}
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            options["connect_args"] = {"timeout": 30}
        try:
            engine = sa.create_engine(url, **options)
            with engine.begin() as connection:
                self._prepare(connection)
        except sa.exc.SQLAlchemyError as error:
            raise StoreError(f"the run store is unavailable ({type(error).__name__})") from None
        return engine

    @staticmethod
    def _prepare(connection: Connection) -> None:
        """Create the tables at the current version, or migrate an older store up to it."""
        _schema.create(connection, checkfirst=True)
        version = connection.execute(sa.select(_schema.c.version)).scalar()
        if version is None:
            _runs.create(connection, checkfirst=True)
            connection.execute(_schema.insert().values(version=STORE_VERSION))
            return
        if version > STORE_VERSION:
            raise StoreError(f"the run store was written by a newer version (schema {version} > {STORE_VERSION})")
        while version < STORE_VERSION:
            MIGRATIONS[version](connection)  # in the same transaction: a failed step leaves the store as it was
            version += 1
            connection.execute(_schema.update().values(version=version))

    def version(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(sa.select(_schema.c.version)).scalar_one())

    def close(self) -> None:
        """Release the connections (the data stays)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    # -- runs ------------------------------------------------------------------------------
    def save(self, record: RunRecord, dataset_csv: str | None = None, keep_rows: bool = False) -> SavedRun:
        """Save a run and return its token and owner key.

        Results only unless ``keep_rows`` (:func:`engine.share.consent.minimise`);
        the uploaded rows only when ``dataset_csv`` is given. Raises
        StoreError when the run is over the per-run size cap; the oldest runs
        make room when the store would pass its total cap.
        """
        plain = record.record() if keep_rows else minimise(record)
        record_json = plain.to_json()
        size = len(record_json.encode()) + len((dataset_csv or "").encode())
        if size > self.limits.max_run_bytes:
            raise StoreError(
                f"the run is {size / 2**20:.1f} MB to save and the limit is {self.limits.max_run_bytes / 2**20:.0f} MB"
                + (" (without the uploaded data it may fit)" if dataset_csv else "")
            )
        saved = SavedRun(token=new_token(), owner_key=new_token())
        values = {
            "token": key_of(saved.token),
            "owner_hash": _digest(saved.owner_key),
            "created_at": _iso(_now()),  # when it was saved: retention counts from here
            "dataset_name": plain.dataset.name,
            "rows": int(plain.dataset.rows),
            "target": plain.target,
            "task": plain.task.value,
            "recommendation": plain.advice.recommendation.choice,
            "winner": outcome_key(plain.verdict),  # History lists it: an inconclusive or unfair run is never "won"
            "record_schema": plain.schema_version,
            "record_json": record_json,
            "dataset_csv": dataset_csv,
            "kept": plain.kept,
            "size_bytes": size,
        }

        def insert(connection: Connection) -> None:
            connection.execute(_runs.insert().values(**values))
            self._make_room(connection)

        self._write(insert)
        return saved

    def open(self, token: object) -> RunRecord:
        """The run behind ``token`` (raises :class:`RunNotFound` for a malformed, unknown, deleted or expired one)."""
        return self.open_by_key(self._key(token))

    def open_by_key(self, key: str) -> RunRecord:
        """The run stored under ``key`` (a token's SHA-256, as History lists it)."""
        row = self._row(key, _runs.c.record_json)
        try:
            return RunRecord.from_json(row.record_json)
        except RecordError as error:
            raise StoreError(f"this saved run cannot be read: {error}") from None

    def dataset_csv(self, token: object) -> str | None:
        """The rows saved with the run, as CSV text, or None when they were not kept."""
        return self.dataset_csv_by_key(self._key(token))

    def dataset_csv_by_key(self, key: str) -> str | None:
        return self._row(key, _runs.c.dataset_csv).dataset_csv

    def summaries(self, limit: int = 200, tokens: Iterable[str] | None = None) -> list[RunSummary]:
        """The newest ``limit`` unexpired runs, newest first; only those with one of ``tokens`` when given."""
        query = (
            sa.select(
                _runs.c.token.label("key"), _runs.c.created_at, _runs.c.dataset_name, _runs.c.rows, _runs.c.target,
                _runs.c.task, _runs.c.recommendation, _runs.c.winner, _runs.c.dataset_csv.is_not(None).label("has_rows"),
                _runs.c.kept, _runs.c.size_bytes,
            )
            .where(_runs.c.created_at >= self._cutoff())
            .order_by(_runs.c.created_at.desc(), _runs.c.id.desc())
            .limit(limit)
        )  # fmt: skip
        known: dict[str, str] = {}
        if tokens is not None:
            known = {key_of(t): t for t in tokens if is_token(t)}
            if not known:
                return []
            query = query.where(_runs.c.token.in_(list(known)))
        rows = self._read(lambda c: c.execute(query).all())
        return [RunSummary(token=known.get(row.key), **row._asdict()) for row in rows]

    def delete(self, token: object, owner_key: str) -> None:
        """Delete a run; only the owner key handed out when it was saved can do so."""
        key = self._key(token)
        row = self._row(key, _runs.c.owner_hash)
        if not hmac.compare_digest(row.owner_hash, _digest(owner_key)):
            raise StoreError("only the session that saved this run can delete it")
        self._write(lambda c: c.execute(_runs.delete().where(_runs.c.token == key)), "the run could not be deleted")

    def cleanup(self) -> int:
        """Delete expired runs and, oldest first, any beyond the total size cap; returns how many went."""
        deleted = 0

        def purge(connection: Connection) -> None:
            nonlocal deleted
            deleted = connection.execute(_runs.delete().where(_runs.c.created_at < self._cutoff())).rowcount or 0
            deleted += self._make_room(connection)

        self._write(purge, "the run store could not be cleaned up")
        return deleted

    def total_bytes(self) -> int:
        return int(self._read(lambda c: c.execute(sa.select(sa.func.coalesce(sa.func.sum(_runs.c.size_bytes), 0))).scalar_one()))

    def _make_room(self, connection: Connection) -> int:
        """Delete the oldest runs until the store is within its total cap (the newest run always stays)."""
        total = int(connection.execute(sa.select(sa.func.coalesce(sa.func.sum(_runs.c.size_bytes), 0))).scalar_one())
        if total <= self.limits.max_store_bytes:
            return 0
        oldest = connection.execute(
            sa.select(_runs.c.id, _runs.c.size_bytes).order_by(_runs.c.created_at, _runs.c.id)
        ).all()
        doomed = []
        for row in oldest[:-1]:
            if total <= self.limits.max_store_bytes:
                break
            doomed.append(row.id)
            total -= int(row.size_bytes)
        if doomed:
            connection.execute(_runs.delete().where(_runs.c.id.in_(doomed)))
        return len(doomed)

    def _cutoff(self) -> str:
        return _iso(_now() - dt.timedelta(days=self.limits.retention_days))

    @staticmethod
    def _key(token: object) -> str:
        if not is_token(token):
            raise RunNotFound()
        return key_of(token)  # type: ignore[arg-type]

    # -- helpers ---------------------------------------------------------------------------
    def _row(self, key: str, *columns: sa.Column) -> sa.Row:
        """The unexpired run stored under ``key``; RunNotFound otherwise."""
        if not isinstance(key, str) or len(key) != 64:
            raise RunNotFound()
        query = sa.select(*columns).where(_runs.c.token == key, _runs.c.created_at >= self._cutoff())
        row = self._read(lambda c: c.execute(query).first())
        if row is None:
            raise RunNotFound()
        return row

    def _read(self, action: Callable[[Connection], _T]) -> _T:
        try:
            with self.engine.connect() as connection:
                return action(connection)
        except sa.exc.SQLAlchemyError as error:
            raise StoreError(f"the run store could not be read ({type(error).__name__})") from None

    def _write(self, action: Callable[[Connection], object], failure: str = "the run could not be saved") -> None:
        try:
            with self.engine.begin() as connection:
                action(connection)
        except sa.exc.SQLAlchemyError as error:
            raise StoreError(f"{failure} ({type(error).__name__})") from None
