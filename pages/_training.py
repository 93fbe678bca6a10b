"""The Train & compare page's pieces: the options form, training with live progress, a model's card."""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

from engine import EXPLAINER_MODES, DataError, DataKindSpec, Dataset, ModelResult, advise, compare, wording
from pages import _share as share
from pages import _state as state

OPTIONS = "train_options"
DEFAULT_OPTIONS: dict[str, Any] = {
    "max_seconds": 20, "shap_rows": 100, "ml_kind": None, "seed": 0, "explainer": EXPLAINER_MODES[0],
    "save_rows": False,
}
EXPLAINER_LABELS = {"fast": "Fast (each model's own exact explainer)", "shared": "Shared (one definition for both)"}
EXPLAINER_HELP = (
    "Fast: each model's own exact explainer. Shared: one SHAP definition for both models "
    "(same background rows and masker), slower but strictly comparable."
)
_METRIC_LABELS = {"accuracy": "Accuracy", "balanced_accuracy": "Balanced accuracy", "r2": "R²"}


def _options() -> dict[str, Any]:
    return st.session_state.setdefault(OPTIONS, dict(DEFAULT_OPTIONS))


def _keep_options() -> None:
    """Form submit callback: remember the submitted values (widget state is dropped when the page is left)."""
    options = _options()
    for name in DEFAULT_OPTIONS:
        if f"train_{name}" in st.session_state:
            options[name] = st.session_state[f"train_{name}"]
    state.set_target(st.session_state.get("train_target"))


def options_form(columns: list[str], target: str, kind: DataKindSpec) -> dict[str, Any] | None:
    """Target, time budget, SHAP sample size and model choice; returns the options when submitted.

    The classic ML choices are those the registry lists for the data's kind.
    """
    options = _options()
    ml_labels = {spec.key: spec.label for spec in kind.ml_models}
    if options.get("ml_kind") not in ml_labels:
        options["ml_kind"] = kind.ml_models[0].key
    seeds = {f"train_{k}": v for k, v in options.items()} | {
        "train_target": target if target in columns else columns[-1]
    }
    for key, value in seeds.items():
        st.session_state[key] = value
    with st.form("train_form"):
        st.selectbox("Target column", columns, key="train_target")
        budget_col, shap_col, model_col = st.columns(3)
        budget_col.slider(
            "Time budget (seconds)",
            min_value=2,
            max_value=120,
            key="train_max_seconds",
            help="For the whole comparison: training both models and SHAP share it, and the run ends within it "
            "plus a few seconds, with the best models so far. What was cut short is said below the results.",
        )
        shap_col.number_input(
            "Test rows to explain with SHAP",
            min_value=10,
            max_value=2_000,
            step=10,
            key="train_shap_rows",
            help="The same rows for both models; more rows take longer.",
        )
        model_col.radio("Classic ML model", list(ml_labels), format_func=ml_labels.get, key="train_ml_kind")
        st.radio(
            "SHAP explainer", EXPLAINER_MODES, key="train_explainer", horizontal=True,
            format_func=EXPLAINER_LABELS.get, help=EXPLAINER_HELP,
        )
        st.checkbox(
            "Also save the uploaded rows with this run", key="train_save_rows",
            help="Every finished run is saved (results, charts' data and advice) for History and share links. "
            "The rows themselves are kept only when this is ticked, so the run can be trained again from History; "
            "anyone with the run's link can then load them.",
        )  # fmt: skip
        submitted = st.form_submit_button(
            "Train both", type="primary", icon=":material/play_arrow:", on_click=_keep_options
        )
    return dict(_options()) if submitted else None


def train(data: Dataset, options: dict[str, Any]) -> None:
    """Run the comparison with a live progress bar; store the result in the session."""
    started = time.perf_counter()
    with st.status("Training both models…", expanded=True) as status:
        bar = st.progress(0.0, text="Loading the training libraries (PyTorch, SHAP)")
        log = st.empty()
        steps: list[str] = []
        last = {"at": 0.0}

        def progress(message: str, fraction: float) -> None:
            step = message.split(":", 1)[0]
            new_step = not steps or steps[-1] != step
            if new_step:
                steps.append(step)
                log.markdown("\n".join(f"- {s}" for s in steps))
            now = time.perf_counter()
            if new_step or now - last["at"] >= 0.2 or fraction >= 1.0:  # keep the websocket calm during fast epochs
                last["at"] = now
                bar.progress(min(max(fraction, 0.0), 1.0), text=f"{message} · {now - started:.0f} s")
                status.update(label=f"{step}…")

        try:
            advice = advise(data, state.target(), **state.overrides())
            result = compare(
                data,
                advice.profile.target,
                seed=int(options["seed"]),
                max_seconds=float(options["max_seconds"]),
                shap_rows=int(options["shap_rows"]),
                ml_kind=options["ml_kind"],
                progress=progress,
                advice=advice,
                explainer=options["explainer"],
            )
        except DataError as error:
            status.update(label="Training stopped", state="error")
            state.show_error(error)
            return
        stored = state.store_run(result, options, started)
        share.save(stored, data, keep_rows=bool(options.get("save_rows")))
        status.update(
            label=f"Trained, scored and explained both in {stored.seconds:.0f} s", state="complete", expanded=False
        )


def model_card(model: ModelResult, metric: str) -> None:
    """One family's headline numbers: main metric with interval and baseline, and its costs."""
    st.markdown(f"#### {wording.side_name(model.family)}")
    st.caption(model.name)
    value = model.metrics[metric]
    low, high = model.interval
    st.metric(
        _METRIC_LABELS.get(metric, metric),
        f"{value:.3f}",
        delta=f"{value - model.baseline:+.3f} vs baseline",
        # A model no better than its baseline never shows a green arrow.
        delta_color="inverse" if model.flags else "normal",
        help="Bootstrap 95% interval over the test rows; the baseline predicts the majority class (or the mean).",
    )
    st.caption(f"95% interval {low:.3f} to {high:.3f} · baseline {model.baseline:.3f}")
    for flag in model.flags:
        st.warning(state.esc(flag[0].upper() + flag[1:]), icon=":material/warning:")
    train_col, predict_col, size_col = st.columns(3)
    train_col.metric("Train time", wording.format_duration(model.train_seconds))
    predict_col.metric(
        "Predict / 1k rows",
        wording.format_duration(model.predict_seconds_per_1k),
        help="Measured by predicting one batch of 1,000 test rows (drawn with replacement when the test set is smaller).",
    )
    size_col.metric("Model size", wording.format_size(model.size_bytes))
    for note in model.notes:
        st.caption(state.esc(note))
