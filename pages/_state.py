"""Session state shared by the pages: the current dataset, answers, advice and comparison.

Everything a user uploads or trains lives in ``st.session_state`` (one browser
tab each). The only shared cache is the parse of uploaded bytes, keyed by their
SHA-256, which is a pure function of content.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import time
from dataclasses import dataclass
from typing import Any

import streamlit as st

from engine import (
    Advice,
    Answers,
    DataError,
    Dataset,
    Recommendation,
    RunRecord,
    advise,
    load_dataset_bytes,
    recommend,
    samples,
    what_would_flip,
)


# session_state keys
DATASET = "dataset"
TARGET = "target"
OVERRIDES = "answer_overrides"
RUN = "run"
UPLOAD_ERROR = "upload_error"
LOADED_UPLOAD = "loaded_upload_id"

PAGES = {
    "home": "pages/home.py",
    "recommend": "pages/recommend.py",
    "train": "pages/train.py",
    "explain": "pages/explanations.py",
    "history": "pages/history.py",
    "track_record": "pages/track_record.py",
}


@dataclass
class Run:
    """A finished comparison (a live one with its models, or a record read back without them)."""

    result: RunRecord
    options: dict[str, Any]
    seconds: float
    token: str | None = None  # its share token once saved to the run store (pages/_share.py)

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


@st.cache_data(max_entries=16, show_spinner=False)
def _parse(digest: str, name: str, _raw: bytes, max_bytes: int) -> Dataset:
    """Parse uploaded bytes; cached by their hash (content only, so safe to share between sessions)."""
    return load_dataset_bytes(name, _raw, max_bytes=max_bytes)


def load_bytes(name: str, raw: bytes) -> Dataset:
    """Parse ``raw`` and make it the session's dataset; clears answers and results of the last one."""
    digest = hashlib.sha256(raw).hexdigest()
    parsed = _parse(digest, name, raw, max_upload_bytes())
    return _use(dataclasses.replace(parsed, name=name))


#: Answers that describe the user's situation, not the data: they survive a new upload.
USER_ANSWERS = ("transparency", "gpu", "domain_experts", "problem_type")


def _use(data: Dataset) -> Dataset:
    """Make ``data`` the session's dataset: answers about the data follow it, answers about the user stay."""
    kept = {k: v for k, v in st.session_state.get(OVERRIDES, {}).items() if k in USER_ANSWERS}
    st.session_state[DATASET] = data
    st.session_state[TARGET] = None
    st.session_state[OVERRIDES] = kept
    st.session_state.pop(RUN, None)
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


def run() -> Run | None:
    """The session's comparison: one made on the current dataset, or a saved run opened without one."""
    stored: Run | None = st.session_state.get(RUN)
    data = dataset()
    if stored is None or (data is not None and stored.result.dataset.sha256 != data.sha256):
        return None
    return stored


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
