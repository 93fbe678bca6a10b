"""Session state shared by the pages: the current dataset, answers, advice and comparison.

Everything a user uploads or trains lives in ``st.session_state`` (one browser
tab each). The only shared cache is the parse of uploaded bytes, keyed by their
SHA-256, which is a pure function of content; it is bounded by entries, bytes
and age. Trainings from every session share one first-come queue of at most
``ADVISOR_MAX_CONCURRENT_TRAININGS`` running at once (:mod:`engine.measure.capacity`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from engine import (
    EXPLAINER_MODES,
    Advice,
    Answers,
    DataError,
    Dataset,
    Recommendation,
    RunRecord,
    advise,
    guess_target,
    load_dataset_bytes,
    what_would_flip,
)
from engine.io import samples
from engine import executors
from engine.measure import preload
from engine.advice.recommend import recommend  # engine.advice.recommend is the module (engine/__init__.py); this is its vote
from engine.common.thresholds import DEFAULT_MAX_SECONDS  # measured: see engine/common/thresholds.py
from engine.measure.capacity import BoundedCache, Cancelled, TrainingQueue, parse_cache_bytes
from engine.executors.jobs import ComparisonJob
from engine.models.torch_base import set_process_threads
from engine.share.store import default_database_url

# Once, when the app starts: PyTorch's thread count is process-wide, so no session's training sets it.
set_process_threads()


# session_state keys
DATASET = "dataset"
TARGET = "target"
OVERRIDES = "answer_overrides"
RUN = "run"
UPLOAD_ERROR = "upload_error"
LOADED_UPLOAD = "loaded_upload_id"
JOB = "training_job"
TRAIN_ERROR = "train_error"
OPTIONS = "train_options"
FOLLOWED = "followed_job_ids"  # ids from ?job= this session has followed (a spent link is not followed again)
#: The URL parameter that names the Ray job a session trains, so a session on any replica can follow it.
JOB_PARAM = "job"

#: Train options that change what is trained; the explainer is not one (Explanations explains again without retraining).
TRAINING_OPTIONS = ("max_seconds", "shap_rows", "ml_kind", "seed")
DEFAULT_OPTIONS: dict[str, Any] = {
    "max_seconds": int(DEFAULT_MAX_SECONDS), "shap_rows": 100, "ml_kind": None, "seed": 0, "explainer": EXPLAINER_MODES[0],
    "keep_rows": False, "save_rows": False,  # what the saved run keeps: row-level results; the uploaded data
}

PAGES = {
    "home": "app_pages/home.py",
    "recommend": "app_pages/recommend.py",
    "train": "app_pages/train.py",
    "explain": "app_pages/explanations.py",
    "history": "app_pages/history.py",
    "track_record": "app_pages/track_record.py",
}


@dataclass
class Run:
    """A finished comparison (a live one with its models, or a record read back without them)."""

    result: RunRecord
    options: dict[str, Any]
    seconds: float | None  # how long the comparison took (None: a saved run from before records kept it)
    token: str | None = None  # its share token once saved to the run store (views/share.py)
    key: str | None = None  # the token's hash, the store's look-up key (known without the token on History)
    saved_kept: str = ""  # what the store kept of it, in one sentence (engine.share.consent.kept_sentence)

    @property
    def target(self) -> str:
        return self.result.target

    @property
    def dataset_name(self) -> str:
        return self.result.dataset.name


# --- escaping ------------------------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~=$:&@\"'^%])")


# GitHub-flavoured Markdown links bare URLs, www. names and e-mail addresses even when their
# punctuation is escaped; an invisible word joiner (U+2060) breaks the pattern, not the text.
_AUTOLINK = re.compile(r"(?i)(://|www\.|@)")


def esc(text: object) -> str:
    """User text made inert for st.markdown (and every element that renders Markdown)."""
    joined = _AUTOLINK.sub(lambda m: m.group(1)[0] + "\u2060" + m.group(1)[1:], str(text))
    return _MARKDOWN_SPECIAL.sub(r"\\\1", joined).replace("\n", " ")


def show_error(error: Exception | str) -> None:
    """One st.error line a user can act on (never a traceback)."""
    st.error(esc(error), icon=":material/error:")


# --- the dataset ---------------------------------------------------------------------


def max_upload_bytes() -> int:
    """The upload limit set in .streamlit/config.toml (server.maxUploadSize, in MB)."""
    return int(st.get_option("server.maxUploadSize")) * 1024 * 1024


def dataset_bytes(data: object) -> int:
    """Memory a parsed dataset holds (its table, object cells included)."""
    frame = getattr(data, "frame", None)
    return int(frame.memory_usage(deep=True, index=True).sum()) if frame is not None else 0


#: Parses shared between sessions: 16 at most, within ADVISOR_PARSE_CACHE_MB (default 512) together, for an hour each.
PARSE_CACHE = BoundedCache[tuple, Dataset](
    max_entries=16, max_bytes=parse_cache_bytes(),
    ttl_seconds=3600.0, size_of=dataset_bytes,
)


def load_bytes(name: str, raw: bytes) -> Dataset:
    """Parse ``raw`` and make it the session's dataset (the answers about the data follow it).

    Cached by the bytes' hash and the name (content only, so safe to share between sessions).
    """
    key = (hashlib.sha256(raw).hexdigest(), name, max_upload_bytes())
    parsed = PARSE_CACHE.get_or_make(key, lambda: load_dataset_bytes(name, raw, max_bytes=key[2]))
    return _use(dataclasses.replace(parsed, name=name))


#: Answers that describe the user's situation, not the data: they survive a new upload.
USER_ANSWERS = ("transparency", "gpu", "domain_experts", "problem_type")


def _use(data: Dataset) -> Dataset:
    """Make ``data`` the session's dataset: answers about the data follow it, answers about the user stay.

    The last comparison stays too, tied to the data it was made on (:func:`staleness`).
    """
    kept = {k: v for k, v in st.session_state.get(OVERRIDES, {}).items() if k in USER_ANSWERS}
    st.session_state[DATASET] = data
    st.session_state[TARGET] = None
    st.session_state[OVERRIDES] = kept  # the last run stays: every page says it was made on other data
    st.session_state.pop(UPLOAD_ERROR, None)
    return data


def forget_dataset() -> None:
    """Drop the dataset, its answers and its results (used as a button callback)."""
    for key in (DATASET, TARGET, RUN):  # LOADED_UPLOAD stays, so the file still in the uploader is not reloaded
        st.session_state.pop(key, None)
    st.session_state[OVERRIDES] = {}


def load_sample(name: str) -> None:
    """Load a bundled sample (used as a button callback)."""
    try:
        _use(samples.load_sample(name))
    except (DataError, OSError) as error:
        st.session_state[UPLOAD_ERROR] = str(error)


def take_upload(uploaded: Any) -> None:
    """Load a newly uploaded file once (the uploader keeps returning it on every rerun)."""
    if uploaded is None or st.session_state.get(LOADED_UPLOAD) == uploaded.file_id:
        return
    st.session_state[LOADED_UPLOAD] = uploaded.file_id
    try:
        load_bytes(uploaded.name, uploaded.getvalue())
    except DataError as error:
        st.session_state[UPLOAD_ERROR] = f"{uploaded.name}: {error}"


def dataset() -> Dataset | None:
    return st.session_state.get(DATASET)


def preload_when_data_shown() -> None:
    """With a dataset on screen a comparison may follow: start importing the training libraries in the background.

    Called after the page is drawn, not at the upload: on two cores the import took the CPU and the interpreter
    lock from the parse and the profile, and the advice on a 100,000-row table came 2.6 s after the upload
    instead of 1.1 s (AppTest). Reading the advice gives the import its time before "Train both" is pressed.
    """
    if dataset() is not None:
        preload.start()


def target() -> str | None:
    """The chosen target, or None for the profile's guess."""
    return st.session_state.get(TARGET)


def set_target(name: str | None) -> None:
    if name != st.session_state.get(TARGET):
        st.session_state[TARGET] = name


def overrides() -> dict[str, Any]:
    return st.session_state.setdefault(OVERRIDES, {})


def current_advice() -> Advice:
    """Advice for the session's dataset with the user's target and answer overrides (raises DataError)."""
    data = dataset()
    if data is None:
        raise DataError("no dataset loaded")
    return advise(data.frame, target(), **overrides())


def questionnaire_recommendation() -> tuple[Recommendation, list]:
    """Recommendation from the answers alone (no dataset)."""
    answers = Answers(**overrides())
    return recommend(answers), what_would_flip(answers)


def current_target() -> str | None:
    """The target the current dataset would be trained on: the user's choice, else the profile's guess."""
    data = dataset()
    if data is None:
        return None
    return target() or guess_target(data.frame)


def run() -> Run | None:
    """The session's last comparison, whatever it was made on (see :func:`staleness`)."""
    return st.session_state.get(RUN)


def staleness(stored: Run) -> list[str]:
    """How the current dataset, target or options differ from those that made ``stored`` (empty: they match).

    A saved run opened without a dataset is not stale: there is nothing current to compare it with.
    """
    data = dataset()
    if data is None:
        return []
    made = stored.result
    reasons = []
    if data.sha256 != made.dataset.sha256:
        same_name = data.name == made.dataset.name
        reasons.append(
            f"the current dataset is a different version of {data.name}" if same_name
            else f"the current dataset is {data.name}"
        )
    now = current_target()
    if now != made.target:
        reasons.append(f"the current target is {now}")
    chosen = train_options()
    changed = [
        f"{OPTION_WORDS[name]} {_option_value(chosen[name])}" for name in TRAINING_OPTIONS
        if name in chosen and name in stored.options and chosen[name] != stored.options[name]
    ]
    if changed and not reasons:  # a new dataset or target already says it all
        reasons.append("the options are now " + ", ".join(changed))
    return reasons


def _option_value(value: Any) -> str:
    """An option's value as the screens write numbers: '1,000', not '1000'."""
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


OPTION_WORDS = {"max_seconds": "time budget (s)", "shap_rows": "SHAP rows", "ml_kind": "classic model", "seed": "seed"}


def train_options() -> dict[str, Any]:
    """The Train options the user chose (shared with Explanations, which sets the explainer too)."""
    return st.session_state.setdefault(OPTIONS, dict(DEFAULT_OPTIONS))


def retrain() -> None:
    """Train again on the current dataset and target with the chosen options (a button callback)."""
    start_training(train_options())


def replace_result(stored: Run, result: RunRecord) -> Run:
    """Keep a re-explained comparison in place of the stored one (same run, same models)."""
    updated = dataclasses.replace(stored, result=result)
    st.session_state[RUN] = updated
    return updated


def replace_run(stored: Run) -> Run:
    """Make ``stored`` the session's run (a saved one opened, or the same run once it has a share token)."""
    st.session_state[RUN] = stored
    return stored


def store_run(result: RunRecord, options: dict[str, Any], started: float) -> Run:
    """Keep a finished comparison in the session."""
    stored = Run(result=result, options=options, seconds=time.perf_counter() - started)
    st.session_state[RUN] = stored
    return stored


# --- training in the background ---------------------------------------------------------


@dataclass
class Job:
    """One comparison training in a thread of its own, so that leaving the page does not stop it.

    The thread only writes to this object (never to Streamlit); each script
    run of the session reads it, and :func:`collect_job` stores the result.
    """

    data: Dataset | None = field(repr=False)  # None: followed by its id, started by another session
    dataset_name: str
    target: str
    options: dict[str, Any]
    started: float = field(default_factory=time.perf_counter)
    message: str = "Loading the training libraries (PyTorch, SHAP)"
    fraction: float = 0.0
    steps: list[str] = field(default_factory=list)
    # The latest line of each step: both sides train at once, so two steps advance together.
    latest: dict[str, str] = field(default_factory=dict)
    result: RunRecord | None = None
    error: str | None = None
    cancelled: bool = False
    cancel_requested: threading.Event = field(default_factory=threading.Event, repr=False)
    thread: threading.Thread | None = field(default=None, repr=False)
    where: dict[str, Any] = field(default_factory=dict)  # the executor's word on where it runs (executor, node)
    saved: Any = None  # engine.share.store.SavedRun: the job saved its own record to the run store
    save_error: str | None = None
    job_id: str | None = None  # the Ray job's id, put in the URL (?job=) so a session on any replica can follow it

    def __hash__(self) -> int:  # the queue's ticket: the job itself
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other

    @property
    def done(self) -> bool:
        return self.result is not None or self.error is not None or self.cancelled

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def ahead(self) -> int | None:
        """Comparisons before this one in the server's queue; None once it trains."""
        return None if self.done else TRAINING_QUEUE.ahead(self)

    def cancel(self) -> None:
        """Stop waiting in the queue at once, or stop training at the next progress report."""
        self.cancel_requested.set()

    def progress(self, message: str, fraction: float) -> None:
        """compare's progress callback (runs in the training thread); raises Cancelled once the user cancelled."""
        if self.cancel_requested.is_set():
            raise Cancelled()
        step = message.split(":", 1)[0]
        if step not in self.steps:
            self.steps.append(step)
        self.latest[step] = message
        self.message, self.fraction = message, min(max(fraction, 0.0), 1.0)


# Jobs live here, keyed by an unguessable id that the session holds: the training thread writes to the
# Job object, and a session's state may be copied between runs (AppTest does), so it holds only the key.
_JOBS: dict[str, Job] = {}
_JOBS_LOCK = threading.Lock()
#: Every session's comparisons: at most ADVISOR_MAX_CONCURRENT_TRAININGS train at once, the rest wait in order.
TRAINING_QUEUE = TrainingQueue()
#: How often the thread that follows a job reads its status (seconds).
FOLLOW_SECONDS = 0.2
#: A finished job no session collected (its tab was closed) is dropped after this many seconds.
_UNCOLLECTED_SECONDS = 3600.0


def job() -> Job | None:
    """The comparison this session is training now, or one finished and not yet collected."""
    key = st.session_state.get(JOB)
    if key is None:
        return None
    with _JOBS_LOCK:
        return _JOBS.get(key)


def _keep_job(work: Job) -> str:
    key = secrets.token_urlsafe(16)
    with _JOBS_LOCK:
        for old in [k for k, j in _JOBS.items() if j.done and j.elapsed() > _UNCOLLECTED_SECONDS]:
            del _JOBS[old]
        _JOBS[key] = work
    return key


def start_training(options: dict[str, Any]) -> Job | None:
    """Start training both families on the current dataset and target in a background thread.

    The advice is made here, so an unusable target is one error line at once
    (kept under TRAIN_ERROR for the Train page); returns None then, or when a
    comparison is already training.
    """
    data = dataset()
    if data is None or job() is not None:
        return None
    st.session_state.pop(TRAIN_ERROR, None)
    try:
        advice = advise(data, target(), **overrides())
    except DataError as error:
        st.session_state[TRAIN_ERROR] = str(error)
        return None
    work = Job(data=data, dataset_name=data.name, target=advice.profile.target, options=dict(options),
               message="Waiting for a free training slot")
    TRAINING_QUEUE.join(work)  # its place in line is taken now, in the order users pressed the button

    job_spec = ComparisonJob(
        data, advice.profile.target, seed=int(options["seed"]), max_seconds=float(options["max_seconds"]),
        shap_rows=int(options["shap_rows"]), ml_kind=options["ml_kind"], advice=advice,
        explainer=options["explainer"], save_to=default_database_url(),
        keep_rows=bool(options.get("keep_rows")), keep_upload=bool(options.get("save_rows")),
    )

    def train() -> Any:
        TRAINING_QUEUE.wait_turn(work, work.cancel_requested)
        try:
            work.started = time.perf_counter()  # the budget and the elapsed time count from here
            work.progress("Loading the training libraries (PyTorch, SHAP)", 0.0)
            executor = executors.current()  # in this process, or on the Ray cluster ADVISOR_RAY_ADDRESS names
            handle = executor.submit(job_spec)
            if executor.name != "in-process":  # only a cluster's job can be followed from another process
                work.job_id = handle.id
            return _follow(executor, handle, work)
        finally:
            TRAINING_QUEUE.release(work)

    work.thread = threading.Thread(target=_finish, args=(work, train), name="train-comparison", daemon=True)
    st.session_state[JOB] = _keep_job(work)
    work.thread.start()
    return work


#: Where an unexpected failure's traceback went (logged by this server process).
SERVER_LOG_HINT = "; the details are in the server log"


def _finish(work: Job, outcome_of: Any) -> None:
    """Run ``outcome_of()`` (follows a job to its end) and put its outcome, or why there is none, into ``work``."""
    try:
        outcome = outcome_of()
        work.saved, work.save_error = outcome.saved, outcome.save_error
        work.result = outcome.result
    except Cancelled:
        work.cancelled = True
    except (DataError, executors.JobFailed) as error:
        work.error = str(error) + (SERVER_LOG_HINT if getattr(error, "logged", False) else "")
    except Exception as error:  # noqa: BLE001  the thread must always finish its job, or the page waits forever
        logging.getLogger(__name__).exception("training failed")
        work.error = f"training failed unexpectedly ({type(error).__name__}){SERVER_LOG_HINT}"


def follow_linked_job() -> None:
    """``?job=<id>`` while comparisons run on Ray: this session follows that job (started on any replica).

    The id comes from a URL, so it is checked (its shape, then the cluster's
    job list) and never echoed. In-process, the parameter is ignored: a thread
    of another server cannot be followed.
    """
    job_id = st.query_params.get(JOB_PARAM)
    if job_id is None or executors.configured_address() is None or job() is not None:
        return  # nothing linked, nothing to follow it on, or this session is training (its own id is the link)
    followed = st.session_state.setdefault(FOLLOWED, [])
    if job_id in followed:  # followed here to its end already: the link is spent
        drop_job_link(job_id)
        return
    followed.append(job_id)
    try:
        executor = executors.current()
        handle = executor.attach(executors.check_job_id(job_id))
    except DataError as error:  # UnknownJob, or ExecutorUnavailable
        show_error(f"The comparison in this link cannot be followed: {error}")  # on whichever page the link opened
        drop_job_link(job_id)
        return
    about = handle.about
    work = Job(data=None, dataset_name=str(about.get("dataset") or "a dataset"), target=str(about.get("target") or "?"),
               options=dict(DEFAULT_OPTIONS) | dict(about.get("options") or {}),
               message="Following a comparison started in another session", job_id=job_id)
    work.thread = threading.Thread(target=_finish, args=(work, lambda: _follow(executor, handle, work)),
                                   name="follow-comparison", daemon=True)
    st.session_state[JOB] = _keep_job(work)
    work.thread.start()


def link_job(work: Job) -> None:
    """Put a running Ray job's id in the URL (``?job=``), so a reload or a session on another replica follows it."""
    if work.job_id is not None and not work.done and st.query_params.get(JOB_PARAM) != work.job_id:
        st.query_params[JOB_PARAM] = work.job_id


def drop_job_link(job_id: str | None) -> None:
    """Remove ``?job=`` once its job is collected (or cannot be followed)."""
    if job_id is not None and st.query_params.get(JOB_PARAM) == job_id:
        del st.query_params[JOB_PARAM]


def _follow(executor: executors.Executor, handle: executors.Handle, work: Job) -> Any:
    """Copy the job's progress into ``work`` until it ends, passing a Stop on; returns its outcome."""
    cancel_sent = False
    while True:
        status = executor.status(handle)
        if status.message:
            work.message, work.fraction = status.message, status.fraction
            loading = work.steps[:1]  # "Loading the training libraries", said before the job started
            work.steps = loading + [step for step in status.steps if step not in loading]
            work.latest = dict(status.lines)
        work.where = status.where
        if work.cancel_requested.is_set() and not cancel_sent:
            executor.cancel(handle)
            cancel_sent = True
        if status.done:
            return executor.result(handle)
        time.sleep(FOLLOW_SECONDS)


def collect_job() -> Job | None:
    """Store a finished background comparison as the session's run (or its error); returns that job."""
    work = job()
    if work is None or not work.done:
        return None
    with _JOBS_LOCK:
        _JOBS.pop(st.session_state.pop(JOB), None)
    if work.job_id is not None:
        if work.job_id not in (followed := st.session_state.setdefault(FOLLOWED, [])):
            followed.append(work.job_id)  # its own job's link, left in the URL, is not followed again after a reload
        drop_job_link(work.job_id)
    if work.cancelled:
        st.session_state.pop(TRAIN_ERROR, None)
    elif work.result is None:
        st.session_state[TRAIN_ERROR] = work.error
    else:
        store_run(work.result, work.options, work.started)
    return work
