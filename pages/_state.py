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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from engine.data import DataError, read_csv_bytes
from engine.pipeline import Advice, ComparisonResult, advise
from engine.recommend import Answers, Recommendation, recommend, what_would_flip

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DATA = ROOT / "sample_data"

SAMPLE_NOTES = {
    "breast_cancer.csv": "569 rows · binary diagnosis (malignant / benign)",
    "wine.csv": "178 rows · 3 wine cultivars",
    "diabetes.csv": "442 rows · regression of disease progression",
    "seattle_weather.csv": "1,461 days · 5 kinds of weather, with a date column",
    "cars.csv": "406 cars · origin (USA / Europe / Japan), with missing values",
}

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
}


@dataclass(frozen=True)
class Dataset:
    """A parsed table and where it came from."""

    name: str
    digest: str
    frame: pd.DataFrame = field(repr=False)

    @property
    def shape_text(self) -> str:
        return f"{len(self.frame):,} rows × {self.frame.shape[1]} columns"


@dataclass
class Run:
    """A finished comparison and the options it ran with."""

    result: ComparisonResult
    dataset_digest: str
    dataset_name: str
    target: str
    options: dict[str, Any]
    seconds: float


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
def _parse(digest: str, _raw: bytes, max_bytes: int) -> pd.DataFrame:
    """Parse CSV bytes; cached by their hash (content only, so safe to share between sessions)."""
    return read_csv_bytes(_raw, max_bytes=max_bytes)


def load_bytes(name: str, raw: bytes) -> Dataset:
    """Parse ``raw`` and make it the session's dataset; clears answers and results of the last one."""
    digest = hashlib.sha256(raw).hexdigest()
    frame = _parse(digest, raw, max_upload_bytes())
    dataset = Dataset(name=name, digest=digest, frame=frame)
    st.session_state[DATASET] = dataset
    st.session_state[TARGET] = None
    st.session_state[OVERRIDES] = {}
    st.session_state.pop(RUN, None)
    st.session_state.pop(UPLOAD_ERROR, None)
    return dataset


def forget_dataset() -> None:
    """Drop the dataset, its answers and its results (used as a button callback)."""
    for key in (DATASET, TARGET, RUN):  # LOADED_UPLOAD stays, so the file still in the uploader is not reloaded
        st.session_state.pop(key, None)
    st.session_state[OVERRIDES] = {}


def load_sample(name: str) -> None:
    """Load a bundled sample (used as a button callback)."""
    path = SAMPLE_DATA / name
    try:
        load_bytes(name, path.read_bytes())
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
    """The session's comparison, if one ran on the current dataset."""
    stored: Run | None = st.session_state.get(RUN)
    data = dataset()
    if stored is None or data is None or stored.dataset_digest != data.digest:
        return None
    return stored


def replace_result(stored: Run, result: ComparisonResult) -> Run:
    """Keep a re-explained comparison in place of the stored one (same run, same models)."""
    updated = dataclasses.replace(stored, result=result)
    st.session_state[RUN] = updated
    return updated


def store_run(result: ComparisonResult, options: dict[str, Any], started: float) -> Run:
    data = dataset()
    if data is None:
        raise DataError("no dataset loaded")  # the train page only offers training with a dataset
    stored = Run(
        result=result,
        dataset_digest=data.digest,
        dataset_name=data.name,
        target=result.advice.profile.target,
        options=options,
        seconds=time.perf_counter() - started,
    )
    st.session_state[RUN] = stored
    return stored
