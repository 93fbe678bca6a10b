"""The Train & compare page's pieces: the options, training in the background with live progress, a model's card."""

from __future__ import annotations

from typing import Any

import streamlit as st

from engine import EXPLAINER_MODES, DataError, DataKindSpec, ModelResult, RunRecord
from engine.common import limits, wording
from engine.measure.evaluate import INTERVAL_METHODS
from engine.run.pipeline import estimate_run
from engine.share.consent import kept_sentence
from views import share
from views import state

EXPLAINER_LABELS = {"fast": "Fast (each model's own exact explainer)", "shared": "Shared (one definition for both)"}
EXPLAINER_HELP = (
    "Fast: each model's own exact explainer. Shared: one SHAP definition for both models "
    "(same background rows and masker), slower but strictly comparable. The same choice as on Explanations."
)
_METRIC_LABELS = {"accuracy": "Accuracy", "balanced_accuracy": "Balanced accuracy", "r2": "R²"}
#: How often a page polls a comparison training in the background (seconds).
POLL_SECONDS = 0.5


def _keep(name: str) -> None:
    """Widget callback: remember an option (widget state is dropped when the page is left)."""
    state.train_options()[name] = st.session_state[f"train_{name}"]


def _keep_target() -> None:
    state.set_target(st.session_state["train_target"])


def _start() -> None:
    """"Train both": the values on screen (whatever order the callbacks ran in), then a background run."""
    for name in state.DEFAULT_OPTIONS:
        if f"train_{name}" in st.session_state:
            state.train_options()[name] = st.session_state[f"train_{name}"]
    if "train_target" in st.session_state:
        state.set_target(st.session_state["train_target"])
    state.retrain()


def options_panel(columns: list[str], target: str, kind: DataKindSpec) -> None:
    """Target, time budget, SHAP sample size, model and explainer, each kept as soon as it changes.

    Not an st.form: Enter in a number field must never start a training run.
    The classic ML choices are those the registry lists for the data's kind.
    """
    options = state.train_options()
    ml_labels = {spec.key: spec.label for spec in kind.ml_models}
    if options.get("ml_kind") not in ml_labels:
        options["ml_kind"] = kind.ml_models[0].key
    cap = _budget_cap()
    top = int(cap)
    # A cap set below the default budget (ADVISOR_MAX_TRAIN_SECONDS=60 against 120 s) made the slider raise instead
    # of drawing: the budget kept is the nearest this installation allows (the cap itself when no slider fits).
    sliding = top > _BUDGET_SLIDER_MIN
    options["max_seconds"] = min(max(int(options["max_seconds"]), _BUDGET_SLIDER_MIN), top) if sliding else cap
    seeds = {f"train_{k}": v for k, v in options.items()} | {"train_target": target if target in columns else columns[-1]}
    for key, value in seeds.items():
        st.session_state[key] = value
    st.selectbox("Target column", columns, key="train_target", on_change=_keep_target)
    budget_col, shap_col, model_col = st.columns(3)
    if sliding:
        budget_col.slider(
            "Time budget (seconds)",
            min_value=_BUDGET_SLIDER_MIN,
            max_value=top,
            key="train_max_seconds",
            on_change=_keep,
            args=("max_seconds",),
            help="For the whole comparison: training both models and SHAP share it, and the run ends within it "
            "plus a few seconds, with the best models so far. The results say whether it cut anything short.",
        )
    else:
        budget_col.markdown(f"**Time budget:** {cap:g} s, the most this installation allows "
                            f"({limits.MAX_TRAIN_SECONDS_ENV})")
    if (estimate := _budget_estimate(target, options)) is not None:
        budget_col.caption(estimate)
    shap_col.number_input(
        "Test rows to explain with SHAP",
        min_value=10,
        max_value=2_000,
        step=10,
        key="train_shap_rows",
        on_change=_keep,
        args=("shap_rows",),
        help="The same rows for both models; more rows take longer.",
    )
    model_col.radio(
        "Classic ML model", list(ml_labels), format_func=ml_labels.get, key="train_ml_kind",
        on_change=_keep, args=("ml_kind",),
    )
    st.radio(
        "SHAP explainer", EXPLAINER_MODES, key="train_explainer", horizontal=True, on_change=_keep, args=("explainer",),
        format_func=EXPLAINER_LABELS.get, help=EXPLAINER_HELP,
    )
    st.markdown("**What the saved run keeps** (for History and its share link)")
    rows_col, upload_col = st.columns(2)
    rows_col.checkbox(
        "Keep the explained rows, test labels and predictions", key="train_keep_rows", on_change=_keep,
        args=("keep_rows",),
        help="The rows shown in waterfalls and highlighted documents, with every test row's label and both models' "
        "predictions, so the saved run shows single rows, confusion matrices and ROC curves. Anyone with the "
        "run's link can see them. Unticked, the run keeps its results only.",
    )  # fmt: skip
    upload_col.checkbox(
        "Keep the uploaded data", key="train_save_rows", on_change=_keep, args=("save_rows",),
        help="The whole table, so the run can be trained again from History; anyone with the run's link can "
        "then load it.",
    )  # fmt: skip
    st.caption(state.esc(kept_sentence(bool(options.get("keep_rows")), bool(options.get("save_rows")))))


def _on_ray() -> bool:
    """Whether comparisons here go to a Ray cluster (ADVISOR_RAY_ADDRESS set), connected yet or not."""
    from engine.executors import configured_address

    return configured_address() is not None


#: The budget slider's lowest value (seconds); a cap at or under it gets no slider, only the cap.
_BUDGET_SLIDER_MIN = 2


def _budget_cap() -> float:
    """The largest budget this installation allows (an hour on Ray, ten minutes in-process): the slider's top."""
    try:
        return float(limits.max_train_seconds(on_cluster=_on_ray()))
    except ValueError:  # a bad ADVISOR_MAX_TRAIN_SECONDS: Train both says so in one line; the slider keeps its default top
        return float(limits.MAX_TRAIN_SECONDS)


def _budget_estimate(target: str, options: dict[str, Any]) -> str | None:
    """Before training: the work this budget plans, and the budgets at which the fight is fair and complete."""
    data = state.dataset()
    if data is None or target not in data.frame.columns:
        return None
    try:
        profile = state.current_advice().profile
        if profile.target != target:
            return None
        plan = estimate_run(data.frame, profile, float(options["max_seconds"]), int(options["shap_rows"]),
                            ml_kind=options.get("ml_kind"), on_cluster=_on_ray())
    except DataError:
        return None
    fair = plan["fair_budget"]
    verdict = (f"below {fair:,} s one side would be too far from trained for a fair comparison" if fair is not None
               else f"no budget up to this installation's largest ({_budget_cap():,g} s) gives both sides enough "
                    f"work here: {limits.MAX_TRAIN_SECONDS_ENV} raises it")
    # The plan counts every planned epoch and round; early stopping often ends sooner (the 569-row breast cancer
    # table: 9.7 s planned at 30 s, done in 1 s). The full-work figure is a budget to set, not a duration.
    # Each family's least work can plan more seconds than a short budget (wine: 2.5 s at 2 s, done in 0.3 s): the
    # run still ends by the budget, which the figure alone would not say.
    expected, budget = plan["expected"], float(options["max_seconds"])
    cut = f"; the clock stops it at the {wording.format_number(budget)} s budget if not" if expected > budget else ""
    return (f"Plans at most about {wording.format_number(expected)} s of work on a 2-core machine (early stopping "
            f"often ends it sooner{cut}); {verdict}; a budget of about {plan['budget_for_full_work']:,} s gives every "
            "family its full work.")


def start_button() -> None:
    """"Train both": starts a background comparison (disabled while one is training)."""
    busy = state.job() is not None
    st.button(
        "Training…" if busy else "Train both", type="primary", icon=":material/play_arrow:", key="train_start",
        on_click=_start, disabled=busy,
    )


def cancel() -> None:
    """"Cancel" (a button callback): leave the queue at once, or stop training at its next progress report."""
    work = state.job()
    if work is not None:
        work.cancel()


def queue_text(ahead: int) -> str:
    """Where a waiting comparison stands in the server's queue, in words."""
    cap = state.TRAINING_QUEUE.capacity
    return (
        f"Waiting for a free training slot: {ahead} comparison{'' if ahead == 1 else 's'} ahead of yours "
        f"(this server trains at most {cap} at once)."
    )


#: session_state key: a cancelled comparison was collected and its toast is still to be shown.
CANCELLED_NOTICE = "cancelled_notice"


def collect(announce: bool = True) -> None:
    """A background comparison that has finished becomes the session's run, saved for History and share links.

    A fragment collects with ``announce=False`` and then reruns the whole app, whose own collect shows the toast: a
    toast sent from the fragment's run went with that rerun, and where the rerun is short (a session that only
    followed the job by ``?job=``, its page empty once it ends) it was gone before it was seen
    (tests/test_e2e_replicas.py).
    """
    work = state.collect_job()
    stored = state.run()
    cancelled = work is not None and work.cancelled
    if cancelled:
        st.session_state[CANCELLED_NOTICE] = True
    if announce and st.session_state.pop(CANCELLED_NOTICE, False):
        st.toast("The comparison was cancelled.", icon=":material/cancel:")
    if cancelled:
        return
    if work is not None and work.result is not None and stored is not None:
        keep_rows, keep_upload = bool(work.options.get("keep_rows")), bool(work.options.get("save_rows"))
        if work.saved is not None:  # the job saved its own record (engine.executors.jobs), wherever it ran
            share.adopt(stored, work.saved, keep_rows, keep_upload and work.data is not None)
        elif work.save_error is not None:
            share.not_saved(work.save_error)
        else:
            share.save(stored, work.data, keep_rows=keep_rows, keep_upload=keep_upload)


def progress_panel() -> None:
    """The comparison training now: steps and a progress bar, polled while the user may read or leave the page."""
    if (work := state.job()) is not None:
        state.link_job(work)
        _progress_fragment()


@st.fragment(run_every=POLL_SECONDS)
def _progress_fragment() -> None:
    work = state.job()
    if work is None:  # collected by another poll's rerun
        return
    if work.done:
        collect(announce=False)  # here, not only at the top of the app: a fragment's rerun runs only the fragment
        st.rerun()  # the whole app, which draws the finished run everywhere and whose collect() shows any toast
    state.link_job(work)  # its id is known once the job is submitted, a poll or two after the click
    ahead = work.ahead()
    if ahead is not None:
        st.info(queue_text(ahead), icon=":material/hourglass_top:")
    st.button(
        "Cancel", key="train_cancel", icon=":material/cancel:", on_click=cancel,
        disabled=work.cancel_requested.is_set(),
        help="Leaves the queue at once; a comparison already training stops at its next step.",
    )
    with st.status(f"{state.esc(work.steps[-1] if work.steps else 'Starting')}…", expanded=True):
        st.progress(work.fraction, text=f"{state.esc(work.message)} · {work.elapsed():.0f} s")
        st.markdown("\n".join(f"- {state.esc(work.latest.get(step, step))}" for step in work.steps) or "- Starting")
        st.caption(
            f"Training on {state.esc(work.dataset_name)}, target {state.esc(work.target)}. It goes on if you leave "
            "this page: the results appear here and in the sidebar when it is done."
        )


def sidebar_progress() -> None:
    """A one-line progress in the sidebar, polled on every page, so a run that ends elsewhere shows at once."""
    if state.job() is not None:
        _sidebar_fragment()


@st.fragment(run_every=POLL_SECONDS)
def _sidebar_fragment() -> None:
    work = state.job()
    if work is None:
        return
    if work.done:
        collect(announce=False)
        st.rerun()
    ahead = work.ahead()
    if ahead is not None:
        st.caption(f"Queued: {ahead} comparison{'' if ahead == 1 else 's'} ahead of yours")
        return
    st.progress(work.fraction, text=f"Training {state.esc(work.target)}: {work.fraction:.0%}")


def budget_note(result: RunRecord) -> str:
    """Whether the time budget was binding, in one sentence (plain text; the report says the same)."""
    return wording.budget_sentence(result)


def model_card(model: ModelResult, metric: str, trained_on: dict[str, Any] | None = None) -> None:
    """One family's headline numbers: main metric with interval and baseline, its costs, and the rows (and workers) it trained on."""
    st.markdown(f"#### {wording.side_name(model.family)}")
    st.caption(model.name)
    sentence = wording.training_sentence(trained_on)
    if sentence:
        st.caption(state.esc(sentence))
    value = model.metrics[metric]
    low, high = model.interval
    delta, delta_color, delta_arrow = wording.baseline_delta(value, model.baseline, bool(model.flags))
    st.metric(
        _METRIC_LABELS.get(metric, metric),
        f"{value:.3f}",
        delta=delta, delta_color=delta_color, delta_arrow=delta_arrow,
        help=f"95% interval: {INTERVAL_METHODS.get(metric, 'bootstrap over the test rows')}; the baseline predicts "
        "the majority class (or the mean).",
    )
    st.caption(f"95% interval {low:.3f} to {high:.3f} · baseline {model.baseline:.3f}")
    for flag in model.flags:
        st.warning(state.esc(flag[0].upper() + flag[1:]), icon=":material/warning:")
    train_col, predict_col, size_col = st.columns(3)
    train_col.metric(
        "Train time",
        wording.format_duration(model.train_seconds),
        help="Without one-off start-up: each family was first fitted on a few rows, once per server process "
        "(\"one-off start-up\" under Where the time went).",
    )
    predict_col.metric(
        "Predict / 1k rows",
        wording.format_duration(model.predict_seconds_per_1k),
        help="The median of several timed predictions of one fixed batch of 1,000 test rows (drawn with replacement "
        "when the test set is smaller), after one untimed warm-up call.",
    )
    size_col.metric("Model size", wording.format_size(model.size_bytes))
    for note in model.notes:
        st.caption(state.esc(note))

