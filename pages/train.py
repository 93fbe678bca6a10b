"""Train & compare: both families on one split, measured side by side, and the verdict."""

import streamlit as st

from engine import charts
from engine.profile import guess_target
from pages import _state as state
from pages import _training as training
from pages import _widgets as widgets

st.title("Train & compare")
st.caption(
    "A LightGBM tree ensemble and a PyTorch network train on the same seeded, stratified 80/20 split and "
    "are scored on the same test rows. Results stay in this browser session until you train again."
)

if widgets.need_dataset():
    data = state.dataset()
    columns = [str(c) for c in data.frame.columns]
    options = training.options_form(columns, state.target() or guess_target(data.frame))
    if options is not None:  # the form was just submitted
        training.train(data, options)

    stored = state.run()
    if stored is None:
        st.caption("Nothing trained on this dataset yet: choose the options above and press **Train both**.")
    else:
        result = stored.result
        task = result.advice.profile.task
        y_test = result.split.y_test.to_numpy()
        st.subheader(f"Verdict on {state.esc(stored.target)}")
        verdict = charts.describe_verdict(
            result.verdict, result.advice.recommendation.choice, result.agreed_with_recommendation
        )
        (st.success if result.agreed_with_recommendation else st.warning)(state.esc(verdict), icon=":material/gavel:")

        ml_col, dl_col = st.columns(2, gap="large")
        for column, model in ((ml_col, result.ml), (dl_col, result.dl)):
            with column:
                training.model_card(model, result.verdict.metric)
        st.markdown("**All metrics on the same test rows**")
        st.dataframe(charts.metrics_table(result.ml, result.dl).style.format("{:.4f}"), key="metrics_table")
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
            st.dataframe(training.stage_table(result), key="stage_table")
        st.page_link(state.PAGES["explain"], label="Next: explanations side by side", icon=":material/arrow_forward:")
