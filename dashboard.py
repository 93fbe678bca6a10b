"""ML vs DL Advisor — Streamlit entry point (`streamlit run dashboard.py`)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from engine.data import DataError, read_csv_path
from engine.pipeline import advise

SAMPLE_DATA = Path(__file__).parent / "sample_data"

st.set_page_config(page_title="ML vs DL Advisor", layout="wide")
st.title("ML vs DL Advisor")
st.write("Should you use classic machine learning or deep learning for your data? "
         "The advisor answers by published criteria, then by training both.")
samples = sorted(p.name for p in SAMPLE_DATA.glob("*.csv"))
choice = st.selectbox("Sample dataset", samples)
try:
    advice = advise(read_csv_path(SAMPLE_DATA / choice))
except DataError as error:
    st.error(str(error))
else:
    st.subheader(advice.recommendation.label)
    st.dataframe([c.to_dict() for c in advice.recommendation.criteria])
