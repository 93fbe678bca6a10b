"""Train & compare: both families on one split, measured side by side, and the verdict."""

import streamlit as st

from engine import DataError, kind_named
from engine.figures import metrics as metric_figures
from engine.common import wording
from engine.share.consent import ROWS_NOT_KEPT, rows_kept
from engine.registry import decide_kind
from engine.profile.balance import is_skewed_target
from views import share
from views import state
from views import training
from views import widgets

st.title("Train & compare")
st.caption(
    "A classic ML model (the one named on its card) and a PyTorch network train on the same seeded, stratified "
    "80/20 split and "
    "are scored on the same test rows. Training goes on if you leave this page; results stay in this browser "
    "session until you train again."
)

data = state.dataset()
if data is None and state.run() is None and state.job() is None:
    st.info("No dataset yet. Upload a table or pick a sample on the Recommend page.", icon=":material/upload_file:")
    st.page_link(state.PAGES["recommend"], label="Go to Recommend", icon=":material/arrow_forward:")
elif data is None and state.run() is None:  # following a comparison by its ?job= link
    st.caption("A comparison started in another session: its progress, then its verdict, show here.")
elif data is None:
    st.caption("A saved run: load its dataset on Recommend to train again.")
else:
    columns = [str(c) for c in data.frame.columns]
    try:
        decision = decide_kind(state.current_advice().profile)
        kind = kind_named(decision.kind)
        st.caption(
            f"Kind of data: **{state.esc(decision.label)}** ({state.esc(decision.why)}); the same decision as the advice's. "
            f"It compares {state.esc(kind.ml_models[0].label)} against {state.esc(kind.dl_models[0].label)} by default."
        )
    except DataError:  # an unusable target: the options still offer another, and training says what is wrong
        kind = kind_named("tabular")
    training.options_panel(columns, state.current_target() or columns[-1], kind)
    training.start_button()

if error := st.session_state.pop(state.TRAIN_ERROR, None):
    state.show_error(error)
training.progress_panel()

if data is not None or state.run() is not None:
    stored = state.run()
    if stored is None:
        if state.job() is None:
            st.caption("Nothing trained yet: choose the options above and press **Train both**.")
    else:
        result = stored.result
        task = result.advice.profile.task
        y_test = result.split.y_test
        widgets.stale_notice(stored, key="stale_retrain_train")
        st.subheader(f"Verdict on {state.esc(stored.target)} ({state.esc(stored.dataset_name)})")
        verdict = metric_figures.verdict_sentence(result)
        (st.success if metric_figures.verdict_is_good(result) else st.warning)(state.esc(verdict), icon=":material/gavel:")
        if result.verdict.metric != "accuracy" and task.is_classification:
            st.caption(
                "The classes are skewed, so the winner is decided on balanced accuracy (the mean recall per class), "
                "which a model that always predicts the majority cannot win; accuracy is still in the table below."
            )
        st.caption(state.esc(training.budget_note(result)))

        ml_col, dl_col = st.columns(2, gap="large")
        for column, model in ((ml_col, result.ml), (dl_col, result.dl)):
            with column:
                training.model_card(model, result.verdict.metric, (result.training or {}).get(model.family))
        st.markdown("**All metrics on the same test rows**")
        st.dataframe(
            metric_figures.metrics_table(result.ml, result.dl).style.format(lambda v: wording.format_number(v, keep_zeros=True)),
            key="metrics_table",
        )
        st.dataframe(metric_figures.costs_table(result.ml, result.dl).style.format("{:,.2f}"), key="costs_table")

        if not rows_kept(result):
            st.info(ROWS_NOT_KEPT, icon=":material/visibility_off:")
        elif task.is_classification:
            ml_col, dl_col = st.columns(2, gap="large")
            for column, model in ((ml_col, result.ml), (dl_col, result.dl)):
                with column:
                    st.plotly_chart(
                        metric_figures.confusion_matrix(y_test, model, result.classes), key=f"confusion_{model.family}"
                    )
            st.plotly_chart(metric_figures.roc_comparison(y_test, result.ml, result.dl, result.classes), key="roc")
        else:
            # Skewness from the whole target where the session still holds the data this run was made on (another
            # target or new options chosen since do not change that column), as the Recommend page decides it: the
            # test rows alone (57 of a normal blood-pressure column here) let one high value call a symmetric target
            # "skewed" on this page and not on that one.
            whole = data is not None and data.sha256 == result.dataset.sha256 and stored.target in data.frame.columns
            skewed = is_skewed_target(data.frame[stored.target] if whole else y_test)
            problem = metric_figures.log_scale_problem(y_test, result.ml, result.dl)
            if problem is not None:  # the toggle shows what the charts do: off and locked when a log axis cannot be drawn
                st.session_state["regression_log"] = False
            elif "regression_log" not in st.session_state:
                st.session_state["regression_log"] = skewed
            log = st.toggle(
                "Log scale", key="regression_log", disabled=problem is not None,
                help="Spreads out a target whose values crowd at one end (on by default when the target is skewed).",
            )
            if problem is not None:
                st.caption(f"Log scale off: {state.esc(problem)}.")
            elif skewed and log:
                rows = "most rows" if whole else "most test rows"
                st.caption(f"{state.esc(stored.target)} is skewed: {rows} crowd at one end, so the log scale is on.")
            ml_col, dl_col = st.columns(2, gap="large")
            for column, model in ((ml_col, result.ml), (dl_col, result.dl)):
                with column:
                    st.plotly_chart(
                        metric_figures.predicted_vs_actual(y_test, model, stored.target, log=log), key=f"pred_{model.family}"
                    )
            st.plotly_chart(metric_figures.residuals(y_test, result.ml, result.dl, stored.target, log=log), key="residuals")

        for note in result.notes:
            st.caption(state.esc(note))
        with st.expander("Where the time went"):
            st.dataframe(wording.stage_table(result.stage_seconds), key="stage_table")
            if result.run_seconds:  # older records do not keep it
                st.caption(f"The whole comparison took {wording.format_duration(result.run_seconds)} (wall clock); the "
                           "indented stages are inside the one above them and the two families' stages overlap, so "
                           "the rows do not add up to it.")
        share.share_panel(stored, key="train")
        st.page_link(state.PAGES["explain"], label="Next: explanations side by side", icon=":material/arrow_forward:")
