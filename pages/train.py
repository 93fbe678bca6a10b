"""Train & compare: both families on one split, measured side by side, and the verdict."""

import streamlit as st

from engine import DataError, charts, guess_target, kind_for, kind_named, wording
from pages import _share as share
from pages import _state as state
from pages import _training as training

st.title("Train & compare")
st.caption(
    "A LightGBM tree ensemble and a PyTorch network train on the same seeded, stratified 80/20 split and "
    "are scored on the same test rows. Results stay in this browser session until you train again."
)

data = state.dataset()
if data is None and state.run() is None:
    st.info("No dataset yet. Upload a CSV or pick a sample on the Recommend page.", icon=":material/upload_file:")
    st.page_link(state.PAGES["recommend"], label="Go to Recommend", icon=":material/arrow_forward:")
elif data is None:
    st.caption(f"A saved run of {state.esc(state.run().dataset_name)}: load that dataset to train again.")
else:
    columns = [str(c) for c in data.frame.columns]
    guessed = guess_target(data.frame)
    try:
        kind = kind_for(state.current_advice().profile)
    except DataError:  # an unusable target: the form still offers another, and training says what is wrong
        kind = kind_named("tabular")
    options = training.options_form(columns, state.target() or guessed, kind)
    if options is not None:  # the form was just submitted
        training.train(data, options)

if data is not None or state.run() is not None:
    stored = state.run()
    if stored is None:
        st.caption("Nothing trained on this dataset yet: choose the options above and press **Train both**.")
    else:
        result = stored.result
        task = result.advice.profile.task
        y_test = result.split.y_test
        st.subheader(f"Verdict on {state.esc(stored.target)}")
        verdict = charts.describe_verdict(
            result.verdict, result.advice.recommendation.choice, result.agreed_with_recommendation,
            flags={"ml": result.ml.flags, "dl": result.dl.flags},
        )
        good = result.agreed_with_recommendation and result.verdict.conclusive
        (st.success if good else st.warning)(state.esc(verdict), icon=":material/gavel:")
        if result.verdict.metric != "accuracy" and task.is_classification:
            st.caption(
                "The classes are skewed, so the winner is decided on balanced accuracy (the mean recall per class), "
                "which a model that always predicts the majority cannot win; accuracy is still in the table below."
            )

        ml_col, dl_col = st.columns(2, gap="large")
        for column, model in ((ml_col, result.ml), (dl_col, result.dl)):
            with column:
                training.model_card(model, result.verdict.metric)
        st.markdown("**All metrics on the same test rows**")
        st.dataframe(charts.metrics_table(result.ml, result.dl).style.format(wording.format_number), key="metrics_table")
        st.dataframe(charts.costs_table(result.ml, result.dl).style.format("{:,.2f}"), key="costs_table")

        ml_col, dl_col = st.columns(2, gap="large")
        for column, model in ((ml_col, result.ml), (dl_col, result.dl)):
            with column:
                if task.is_classification:
                    st.plotly_chart(
                        charts.confusion_matrix(y_test, model, result.classes), key=f"confusion_{model.family}"
                    )
                    st.plotly_chart(charts.roc_curves(y_test, model, result.classes), key=f"roc_{model.family}")
                else:
                    st.plotly_chart(
                        charts.predicted_vs_actual(y_test, model, stored.target), key=f"pred_{model.family}"
                    )

        for note in result.notes:
            st.caption(state.esc(note))
        with st.expander("Where the time went"):
            st.dataframe(wording.stage_table(result.stage_seconds), key="stage_table")
        share.share_panel(stored, key="train")
        st.page_link(state.PAGES["explain"], label="Next: explanations side by side", icon=":material/arrow_forward:")
