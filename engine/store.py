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

Tokens are 256-bit ``secrets.token_urlsafe(32)`` strings. They are never
logged, and database errors are re-raised without their SQL parameters. A run
also gets an owner key (kept by the session that saved it; only its SHA-256 is
stored), which deleting the run requires.
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

from engine.wording import outcome_key
from engine.record import RecordError, RunRecord

__all__ = [
    "DATABASE_URL_ENV",
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
#: The store's own schema (tables and columns), apart from the record's ``schema_version``.
STORE_VERSION = 1
#: One message for a malformed, unknown or deleted token: it says nothing about which.
NOT_FOUND_MESSAGE = (
    "This link does not open a saved run: it may be incomplete or mistyped, or the run has been deleted."
)
_TOKEN_BYTES = 32  # 256 bits
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # what token_urlsafe(32) produces
_T = TypeVar("_T")
_PROJECT = Path(__file__).resolve().parents[1]


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
class RunSummary:
    """One line of the History list."""

    token: str
    created_at: str
    dataset_name: str
    rows: int
    target: str
    task: str
    recommendation: str
    winner: str
    has_rows: bool

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


# --- schema ------------------------------------------------------------------------------

_metadata = sa.MetaData()
_schema = sa.Table("advisor_schema", _metadata, sa.Column("version", sa.Integer, nullable=False))
_runs = sa.Table(
    "advisor_runs",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("token", sa.String(64), nullable=False, unique=True),
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
)

Migration = Callable[[Connection], None]
#: ``MIGRATIONS[n]`` upgrades a store at version ``n`` to ``n + 1`` (none yet: version 1 is the first).
MIGRATIONS: dict[int, Migration] = {}


class RunStore:
    """Saved runs in one database (any SQLAlchemy URL); creates or upgrades its tables on first use."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_database_url()
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
            MIGRATIONS[version](connection)
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
    def save(self, record: RunRecord, dataset_csv: str | None = None) -> SavedRun:
        """Save a run's record (and its rows only when ``dataset_csv`` is given); returns its token and owner key."""
        plain = record.record()
        saved = SavedRun(token=new_token(), owner_key=new_token())
        values = {
            "token": saved.token,
            "owner_hash": _digest(saved.owner_key),
            "created_at": plain.created_at or dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "dataset_name": plain.dataset.name,
            "rows": int(plain.dataset.rows),
            "target": plain.target,
            "task": plain.task.value,
            "recommendation": plain.advice.recommendation.choice,
            "winner": outcome_key(plain.verdict),  # History lists it: an inconclusive or unfair run is never "won"
            "record_schema": plain.schema_version,
            "record_json": plain.to_json(),
            "dataset_csv": dataset_csv,
        }
        self._write(lambda c: c.execute(_runs.insert().values(**values)))
        return saved

    def open(self, token: object) -> RunRecord:
        """The run behind ``token`` (raises :class:`RunNotFound` for a malformed, unknown or deleted one)."""
        row = self._row(token, _runs.c.record_json)
        try:
            return RunRecord.from_json(row.record_json)
        except RecordError as error:
            raise StoreError(f"this saved run cannot be read: {error}") from None

    def dataset_csv(self, token: object) -> str | None:
        """The rows saved with the run, as CSV text, or None when they were not kept."""
        return self._row(token, _runs.c.dataset_csv).dataset_csv

    def summaries(self, limit: int = 200, tokens: Iterable[str] | None = None) -> list[RunSummary]:
        """The newest ``limit`` runs, newest first; only those with one of ``tokens`` when given."""
        query = (
            sa.select(
                _runs.c.token, _runs.c.created_at, _runs.c.dataset_name, _runs.c.rows, _runs.c.target, _runs.c.task,
                _runs.c.recommendation, _runs.c.winner, _runs.c.dataset_csv.is_not(None).label("has_rows"),
            )
            .order_by(_runs.c.created_at.desc(), _runs.c.id.desc())
            .limit(limit)
        )  # fmt: skip
        if tokens is not None:
            wanted = [t for t in tokens if isinstance(t, str)]
            if not wanted:
                return []
            query = query.where(_runs.c.token.in_(wanted))
        rows = self._read(lambda c: c.execute(query).all())
        return [RunSummary(**row._asdict()) for row in rows]

    def delete(self, token: object, owner_key: str) -> None:
        """Delete a run; only the owner key handed out when it was saved can do so."""
        row = self._row(token, _runs.c.owner_hash)
        if not hmac.compare_digest(row.owner_hash, _digest(owner_key)):
            raise StoreError("only the session that saved this run can delete it")
        self._write(lambda c: c.execute(_runs.delete().where(_runs.c.token == token)), "the run could not be deleted")

    # -- helpers ---------------------------------------------------------------------------
    def _row(self, token: object, *columns: sa.Column) -> sa.Row:
        if not is_token(token):
            raise RunNotFound()
        row = self._read(lambda c: c.execute(sa.select(*columns).where(_runs.c.token == token)).first())
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
