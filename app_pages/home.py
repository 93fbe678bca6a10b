"""Home: what the app does, and the bundled samples one click away."""

import streamlit as st

from views import state
from views import widgets

st.title("ML vs DL Advisor")
st.markdown(
    "Should you use classic machine learning or deep learning for your data? "
    "The advisor first answers from six published criteria, then measures: it trains a classic model "
    "(gradient-boosted trees, or a linear model where it does better) and a PyTorch network on the same split and compares their accuracy, cost and SHAP explanations."
)

if error := st.session_state.pop(state.UPLOAD_ERROR, None):
    state.show_error(error)

st.subheader("Start with a sample dataset")
st.caption("One click loads it and opens the recommendation. Your own CSV can be uploaded on the Recommend page.")
widgets.sample_buttons()

st.divider()
st.markdown(
    "**How it works:** 1. **Recommend** — upload a CSV or answer six questions. "
    "2. **Train & compare** — both model families on the same split, side by side. "
    "3. **Explanations** — SHAP for both models on the same rows."
)
st.page_link(state.PAGES["recommend"], label="Upload your own CSV", icon=":material/upload_file:")
