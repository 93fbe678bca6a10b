"""Explanations: SHAP for both models, side by side on the same rows."""

import pandas as pd
import streamlit as st

from engine import EXPLAINER_MODES, explain_again
from engine.registry import explanation_sections, kind_of_run
from engine.figures import explanations as shap_figures
from engine.common import wording
from engine.share.consent import ROWS_NOT_KEPT, rows_kept
from views import sections
from views import state
from views import training
from views import widgets
from views.training import EXPLAINER_HELP, EXPLAINER_LABELS

st.title("Explanations")
stored = state.run()
if stored is None and state.job() is not None:
    training.progress_panel()
elif stored is None:
    st.info(
        "Nothing to explain yet: train both models on the Train & compare page first.", icon=":material/model_training:"
    )
    st.page_link(state.PAGES["train"], label="Go to Train & compare", icon=":material/arrow_forward:")
else:
    widgets.stale_notice(stored, key="stale_retrain_explain")
    if wording.outcome_key(stored.result.verdict) == "unfair":  # the Train page's verdict, where these are read too
        st.warning(
            "These explain models from a comparison that was not a fair fight (see the verdict on Train & compare): "
            "a side was cut short or given too little work, so which columns matter to it may change once it is "
            "trained with a larger time budget.",
            icon=":material/warning:",
        )
    training.progress_panel()
    live = bool(getattr(stored.result, "models", None))  # a saved run has no models to explain again
    options = state.train_options()
    # One explainer choice for the session, shared with the Train page: what is chosen here trains next time too.
    wanted = options["explainer"] if live else stored.result.explainer_mode
    st.session_state["explain_mode"] = wanted
    mode = st.radio(
        "SHAP definition", EXPLAINER_MODES, horizontal=True, format_func=EXPLAINER_LABELS.get, help=EXPLAINER_HELP,
        key="explain_mode", disabled=not live,
        on_change=lambda: options.update(explainer=st.session_state["explain_mode"]),
    )
    if not live:
        st.caption("A saved run: its explanations are shown as they were made; train again to switch the definition.")
    if mode != stored.result.explainer_mode:
        with st.spinner("Explaining both models again on the same rows (no retraining)…"):
            stored = state.replace_result(stored, explain_again(stored.result, mode))
    result = stored.result
    ml, dl = result.explanations["ml"], result.explanations["dl"]
    rows = result.explained_rows
    st.caption(
        f"SHAP values of both models on the same {wording.count(result.rows_explained, 'test row')}, per original column "
        f"(classic ML: {ml.explainer} explainer; deep learning: {dl.explainer} explainer; "
        f"mode: {result.explainer_mode}). Values are in the models' "
        "raw output units: log-odds or logits for classifiers, the predicted value for regression."
    )
    for note in result.notes:
        st.caption(state.esc(note))

    output = 0
    if len(ml.output_names) > 1:
        output = st.selectbox(
            "Output to explain (beeswarm and single rows)",
            range(len(ml.output_names)),
            format_func=lambda i: ml.output_names[i],
            key="explain_output",
        )

    # The run's kind leads with the views that carry information for it (the registry knows which: pixel maps,
    # words, …); per-column charts only where there are several real columns.
    kind = kind_of_run(result)
    by_column = shap_figures.column_views_informative(ml, dl, kind is None or kind.column_charts)
    sections.draw(explanation_sections(result, output))
    if not by_column:
        st.caption("No per-column charts: " + (
            kind.no_column_charts if kind is not None and kind.no_column_charts else "the models read one column."))

    if by_column:
        st.subheader("Which columns matter")
        ml_col, dl_col = st.columns(2, gap="large")
        for column, family, explanation in ((ml_col, "ml", ml), (dl_col, "dl", dl)):
            with column:
                st.plotly_chart(shap_figures.importance_bars(explanation, family), key=f"importance_{family}")
                if rows_kept(result):
                    st.plotly_chart(shap_figures.beeswarm(explanation, rows, output, family), key=f"beeswarm_{family}")

    st.subheader("Do the two models agree?")
    words_col, chart_col = st.columns([1, 2], gap="large")
    words_col.markdown(state.esc(shap_figures.describe_agreement(result.agreement, ml, dl)))
    unit = "word (over all explained documents)" if result.agreement.compared_on == "tokens" else (
        kind.feature_unit if kind is not None else "column")
    words_col.caption(
        f"Each point is one {unit}: its share of each model's total mean |SHAP|. "
        "Points on the dashed diagonal matter equally to both models."
    )
    with chart_col:
        st.plotly_chart(shap_figures.agreement_scatter(ml, dl, result.agreement), key="agreement")

    if by_column and not rows_kept(result):
        st.subheader("One row, both models")
        st.info(ROWS_NOT_KEPT, icon=":material/visibility_off:")
    elif by_column:
        st.subheader("One row, both models")
        positions = result.split.explained_positions
        actual = result.split.y_test[positions]
        ml_pred = result.ml.predictions[positions]
        dl_pred = result.dl.predictions[positions]

        def describe_row(i: int) -> str:
            def show(v: object) -> str:
                return wording.format_number(v) if isinstance(v, (float, int)) and not isinstance(v, bool) else str(v)

            predicted = f"ML predicts {show(ml_pred[i])}, DL predicts {show(dl_pred[i])}"
            return f"row {rows.index[i]}: actual {show(actual[i])}, {predicted}"

        row = st.selectbox("Explained row", range(len(rows)), format_func=describe_row, key="explain_row")
        st.caption("The row's values")
        st.dataframe(rows.iloc[[row]].astype(str), key="row_values")
        widgets.safe_download(rows, "explained_rows.csv", "download_explained_rows", index=True)
        st.caption("Both waterfalls show the same columns in the same order on the same axis, so bars compare directly.")
        ml_col, dl_col = st.columns(2, gap="large")
        pair = shap_figures.waterfall_pair(ml, dl, row, output, rows.iloc[row])
        for column, family, figure in ((ml_col, "ml", pair[0]), (dl_col, "dl", pair[1])):
            with column:
                st.plotly_chart(figure, key=f"waterfall_{family}")

    st.subheader("Additivity check")
    st.caption(
        "For every explained row, the base value plus the sum of the SHAP values should reproduce the model's "
        "raw output. The largest gap over all rows and outputs:"
    )
    checks = pd.DataFrame(
        [
            {
                "model": wording.side_name(family),
                "explainer": e.explainer,
                "rows": result.rows_explained,
                "largest gap": f"{e.additivity_max_error:.2e}",
                "check": e.additivity.describe(),
                "seconds": round(e.seconds, 2),
            }
            for family, e in (("ml", ml), ("dl", dl))
        ]
    )
    st.dataframe(checks, hide_index=True, key="additivity")
