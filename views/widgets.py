"""View pieces more than one page (or the sidebar) draws: questionnaire, headline, samples, status.

User strings go through ``state.esc`` wherever Streamlit renders Markdown, or
into elements that never interpret markup (st.text, st.dataframe, option lists).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from engine import (
    Answers,
    DataKind,
    Dataset,
    DatasetProfile,
    Flip,
    ProblemType,
    Recommendation,
    Transparency,
)
from engine.common import wording
from engine.figures import metrics as metric_figures
from engine.figures import profile as profile_figures
from engine.io import samples
from engine.profile.balance import is_skewed, is_skewed_target
from engine.share.export import safe_csv_bytes
from engine.registry import decide_kind
from engine.advice.recommend import CONFIDENCE_MEANING
from views import state
FIELD_TITLES = {
    "data_kind": "kind of data",
    "labelled_rows": "labelled rows",
    "transparency": "transparency",
    "gpu": "GPU",
    "domain_experts": "domain experts",
    "problem_type": "problem type",
}
DATA_KIND_LABELS = {"tabular": "Tabular (rows and columns)", "text": "Text", "images": "Images", "audio": "Audio"}
TRANSPARENCY_LABELS = {"low": "Low: accuracy first", "medium": "Medium", "high": "High: every decision explained"}
EXPERT_LABELS = {"yes": "Yes", "no": "No", "unknown": "Not sure"}
PROBLEM_LABELS = {
    "business_prediction": "Business prediction (credit, fraud, churn, maintenance)",
    "forecasting": "Forecasting from structured history",
    "vision": "Vision (images)",
    "speech": "Speech",
    "language": "Language (translation, sentiment)",
    "other": "Other / not sure",
}
_EXPERTS_TO_VALUE = {"yes": True, "no": False, "unknown": None}
_VALUE_TO_EXPERTS = {True: "yes", False: "no", None: "unknown"}


# --- samples and the dataset -------------------------------------------------------------


#: Width of one sample's card (pixels): the cards wrap onto as many rows as the page needs, none is cut off.
SAMPLE_CARD_WIDTH = 250


def sample_buttons() -> None:
    """One card per bundled sample (button and note) in a row that wraps; a click loads it and opens Recommend."""
    with st.container(horizontal=True, wrap=True, gap="small"):
        for name in samples.sample_names():
            with st.container(width=SAMPLE_CARD_WIDTH, border=True):
                clicked = st.button(
                    samples.sample_title(name),
                    key=f"sample_{name}",
                    icon=":material/table:",
                    on_click=state.load_sample,
                    args=(name,),
                    width="stretch",
                )
                st.caption(samples.sample_note(name))
                loaded = state.dataset()
                if clicked and loaded is not None and loaded.name == name:
                    st.switch_page(state.PAGES["recommend"])


def sample_picker() -> None:
    """Compact one-click sample choice (pills) for the Recommend page."""
    st.pills(
        "Sample datasets",
        samples.sample_names(),
        format_func=samples.sample_title,
        key="sample_pick",
        label_visibility="collapsed",
        on_change=_pick_sample,
        width="stretch",
        wrap=True,  # placed in a column, pills stay on one row by default: 3 of 8 were cut off at 1400 px
    )


def _pick_sample() -> None:
    name = st.session_state.get("sample_pick")
    if name:
        state.load_sample(name)
    st.session_state["sample_pick"] = None  # a pill is an action here, not a lasting choice


def safe_download(frame: Any, file_name: str, key: str, *, index: bool = False) -> None:
    """A CSV download of a table of user values with spreadsheet formulas neutralised (engine.share.export).

    The table toolbar's own download writes cells as they are, so a column
    named ``=HYPERLINK(...)`` would be a live formula in the user's export.
    """
    st.download_button(
        "Download as CSV",
        data=safe_csv_bytes(frame, index=index),
        file_name=file_name,
        mime="text/csv",
        key=key,
        icon=":material/download:",
        help="Cells that a spreadsheet would run as formulas (starting with = + - @) are prefixed with ' .",
    )


def dataset_banner(data: Dataset) -> None:
    """Which dataset is in use, with a way to drop it."""
    text_col, button_col = st.columns([5, 1])
    text_col.markdown(f"Using **{state.esc(data.name)}**: {data.shape_text}.")
    button_col.button(
        "Forget it",
        key="forget_dataset",
        icon=":material/close:",
        on_click=state.forget_dataset,
        help="Drop this dataset and its results, and answer the questions yourself.",
    )
    for note in data.notes:  # the loader's own (a ZIP's images, a zipped CSV) and the CSV reader's repairs
        st.caption(f"While reading the file: {state.esc(note)}")


def target_picker(columns: list[str], current: str, guessed: str) -> None:
    """The target column: guessed from the profile, overridable."""
    _seed("target_choice", current if current in columns else guessed)
    st.selectbox(
        "Target column (what to predict)",
        columns,
        key="target_choice",
        on_change=_choose_target,
        help="Guessed from the column names and kinds; change it if the guess is wrong.",
    )
    if st.session_state["target_choice"] != guessed:
        st.caption(f"The profile guessed **{state.esc(guessed)}**.")


def _choose_target() -> None:
    state.set_target(st.session_state["target_choice"])


# --- the questionnaire (it is also the what-if) ------------------------------------------------


def questionnaire(current: Answers, suggested: Answers | None) -> None:
    """Six answers; each change is stored as an override of the profile's suggestion."""
    _answer(
        "data_kind",
        current.data_kind.value,
        suggested and suggested.data_kind.value,
        DataKind,
        lambda key, on_change: st.selectbox(
            "Kind of data", list(DATA_KIND_LABELS), format_func=DATA_KIND_LABELS.get, key=key, on_change=on_change
        ),
        DATA_KIND_LABELS.get,
    )
    _answer(
        "labelled_rows",
        int(current.labelled_rows),
        suggested and int(suggested.labelled_rows),
        int,
        lambda key, on_change: st.number_input(
            "Labelled rows (examples with a known answer)", min_value=0, step=1_000, key=key, on_change=on_change
        ),
        lambda v: f"{v:,}",
    )
    _answer(
        "transparency",
        current.transparency.value,
        suggested and suggested.transparency.value,
        Transparency,
        lambda key, on_change: st.radio(
            "Need to explain each decision",
            list(TRANSPARENCY_LABELS),
            format_func=TRANSPARENCY_LABELS.get,
            key=key,
            on_change=on_change,
            horizontal=True,
        ),
        TRANSPARENCY_LABELS.get,
    )
    _answer(
        "gpu",
        bool(current.gpu),
        suggested and bool(suggested.gpu),
        bool,
        lambda key, on_change: st.toggle("A GPU is available for training", key=key, on_change=on_change),
        lambda v: "yes" if v else "no",
    )
    _answer(
        "domain_experts",
        _VALUE_TO_EXPERTS[current.domain_experts],
        suggested and _VALUE_TO_EXPERTS[suggested.domain_experts],
        _EXPERTS_TO_VALUE.get,
        lambda key, on_change: st.radio(
            "Domain experts can engineer features",
            list(EXPERT_LABELS),
            format_func=EXPERT_LABELS.get,
            key=key,
            on_change=on_change,
            horizontal=True,
        ),
        EXPERT_LABELS.get,
    )
    _answer(
        "problem_type",
        current.problem_type.value,
        suggested and suggested.problem_type.value,
        ProblemType,
        lambda key, on_change: st.selectbox(
            "Problem type", list(PROBLEM_LABELS), format_func=PROBLEM_LABELS.get, key=key, on_change=on_change
        ),
        PROBLEM_LABELS.get,
    )
    if state.overrides():
        st.button(
            "Reset to the profile's answers" if suggested else "Reset the answers",
            key="reset_answers",
            icon=":material/restart_alt:",
            on_click=state.overrides().clear,
        )


def _answer(
    field: str,
    value: Any,
    suggested: Any,
    convert: Callable[[Any], Any],
    draw: Callable[[str, Callable[[], None]], Any],
    show: Callable[[Any], str],
) -> None:
    key = f"answer_{field}"
    _seed(key, value)

    def store() -> None:
        state.overrides()[field] = convert(st.session_state[key])

    draw(key, store)
    if suggested is not None and value != suggested:
        st.caption(f"The profile suggests: {state.esc(show(suggested))}")


def _seed(key: str, value: Any) -> None:
    """Give a widget its value from the session's answers (widget state is dropped when a page is left)."""
    st.session_state[key] = value


def recommendation_headline(recommendation: Recommendation) -> None:
    """The choice, its confidence and how the vote works."""
    choice_col, confidence_col = st.columns([3, 1])
    choice_col.metric("Recommendation", wording.choice_label(recommendation.choice))
    confidence_col.metric("Confidence", f"{recommendation.confidence:.0%}")
    st.caption(
        f"Weighted vote of six criteria: {recommendation.score:+.2f} on a scale from −1 (classic ML) to +1 "
        f"(deep learning); strictly between −0.15 and +0.15 it is a close call. {CONFIDENCE_MEANING}"
    )


def flip_list(recommendation: Recommendation, flips: list[Flip], limit: int = 6) -> None:
    """What would change the advice, in plain words."""
    st.markdown("**What would flip it**")
    if not flips:
        st.caption("No single change of answer would change this advice.")
        return
    lines = [
        f"- {state.esc(f.description[0].upper() + f.description[1:])}: "
        f"**{wording.SIDES[f.choice].in_sentence}** would be recommended"
        for f in flips[:limit]
    ]
    st.markdown("\n".join(lines))


def profile_summary(
    profile: DatasetProfile, guessed_target: str, chosen_target: str | None, target_values: Any = None
) -> None:
    """Rows, task, target (and whether it was guessed), column kinds, class balance, missing values."""
    cols = st.columns(5)
    cols[0].metric("Rows", f"{profile.rows:,}")
    cols[1].metric("Columns", f"{len(profile.columns)}")
    cols[2].metric("Used as features", f"{len(profile.feature_columns)}")
    cols[3].metric("Task", profile.task.value)
    cols[4].metric("Missing values", f"{100 * profile.missing_share:.1f}%")
    how = "guessed; change it above" if not chosen_target or chosen_target == guessed_target else "your choice"
    st.markdown(f"Target: **{state.esc(profile.target)}** ({how}).")
    decision = decide_kind(profile)  # the one decision the advice and Train & compare share
    st.markdown(f"Kind of data: **{state.esc(decision.label)}** ({state.esc(decision.why)}).")
    table_col, target_col = st.columns([3, 2])
    with table_col:
        table = profile_figures.profile_table(profile)
        st.dataframe(table, hide_index=True, key="profile_table")
        safe_download(table, "profile.csv", "download_profile")
    with target_col:
        if profile.class_balance:
            st.plotly_chart(profile_figures.class_balance(profile), key="class_balance")
        elif target_values is not None:
            skewed = is_skewed_target(target_values)
            st.plotly_chart(metric_figures.target_histogram(target_values, profile.target, log=skewed), key="target_histogram")
            if skewed:
                st.caption("The target is skewed (a long tail), so the histogram uses a log scale; the results offer one too.")
    if is_skewed(profile.class_balance):
        largest = max(profile.class_balance, key=profile.class_balance.get)
        smallest = min(profile.class_balance, key=profile.class_balance.get)
        st.warning(
            f"The classes are skewed: **{state.esc(largest)}** is {profile.class_balance[largest]:.0%} of the rows and "
            f"**{state.esc(smallest)}** {profile.class_balance[smallest]:.0%}. A model that always answers "
            f"{state.esc(largest)} would be {profile.class_balance[largest]:.0%} accurate without learning anything, "
            "so Train & compare decides the winner on balanced accuracy (the mean recall per class) and flags such a model.",
            icon=":material/balance:",
        )


# --- the sidebar ----------------------------------------------------------------------------


def sidebar_status() -> None:
    """Current dataset and target, then the results and what they were made on (never mixed with the current ones)."""
    data = state.dataset()
    st.markdown("**Current dataset**")
    if data is None:
        st.caption("none loaded yet")
    else:
        st.text(data.name)
        st.caption(data.shape_text)
        st.markdown("**Target**")
        st.text(state.current_target() or "(none usable yet)")
    stored = state.run()
    st.markdown("**Results**")
    if stored is None:
        st.caption("training…" if state.job() is not None else "not trained yet")
        return
    # the verdict's state, not only its winner: "deep learning won" never stands beside an inconclusive verdict
    outcome = wording.outcome_phrase(stored.result.verdict)
    caution = wording.outcome_key(stored.result.verdict) in ("unfair", "inconclusive")
    took = "done" if stored.seconds is None else f"done in {wording.format_duration(stored.seconds)}"
    st.caption(f"{took}: " + (f":orange[{outcome}]" if caution else outcome))
    st.text(f"made on {stored.dataset_name}\ntarget {stored.target}")
    if state.staleness(stored):
        st.caption(":orange[:material/warning: not the current data: train again for it]")


def stale_notice(stored: state.Run, key: str) -> None:
    """Which file and target the results are for, when the current ones differ, with a button to retrain."""
    reasons = state.staleness(stored)
    if not reasons:
        return
    st.warning(
        f"These results are for **{state.esc(stored.dataset_name)}**, target **{state.esc(stored.target)}**; "
        f"{state.esc('; '.join(reasons))}. Train again to see results for the current data.",
        icon=":material/history:",
    )
    busy = state.job() is not None
    st.button(
        "Training…" if busy else f"Train again on {state.esc(state.current_target())}", key=key, icon=":material/refresh:",
        on_click=state.retrain, disabled=busy,
    )
