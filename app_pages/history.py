"""History: this session's saved runs (or the instance's, with ADVISOR_HISTORY=instance); reopen one without retraining."""

import pandas as pd
import streamlit as st

from engine import StoreError
from engine.common import wording
from views import share
from views import state

st.title("History")
SESSION_SCOPE_NOTE = (
    "Listed here: the runs saved or opened in this browser session. Other people's runs stay private to whoever "
    "holds their link, so keep a run's link (Share, on Train & compare) to come back to it after this session ends."
)
st.caption(
    "Every finished comparison is saved with its results and advice (its rows, or the uploaded data, only when "
    "you ticked those boxes before training), and deleted after a limited time. Open one to see it again on "
    "Train & compare and Explanations, without retraining."
)
if share.history_scope() == "session":
    st.caption(SESSION_SCOPE_NOTE)

if error := st.session_state.pop(share.LINK_ERROR, None):
    state.show_error(error)

try:
    runs = share.history_runs()
except StoreError as error:
    runs = None
    state.show_error(error)

if runs == []:
    st.info("No saved runs in this session yet: train both models on the Train & compare page, or open a run's link."
            if share.history_scope() == "session" else "No saved runs yet: train both models on the Train & compare page.",
            icon=":material/history:")
    st.page_link(state.PAGES["train"], label="Go to Train & compare", icon=":material/arrow_forward:")
elif runs:
    table = pd.DataFrame(
        [
            {
                "dataset": r.dataset_name,
                "saved (UTC)": r.created_at.replace("T", " ")[:16],
                "rows": f"{r.rows:,}",
                "target": r.target,
                "recommendation": wording.choice_label(r.recommendation),
                "verdict": wording.outcome_label(r.winner),  # saved as the verdict's outcome, "inconclusive" included
                "kept": ("results and rows" if r.kept != "results" else "results only")
                + (" + uploaded data" if r.has_rows else ""),
                "yours": "yes" if share.is_owned(r) else "",
            }
            for r in runs
        ]
    )
    st.dataframe(table, hide_index=True, key="history_table")
    labels = {i: f"{r.dataset_name} · {r.created_at.replace('T', ' ')[:16]} · target {r.target}" for i, r in enumerate(runs)}
    choice = st.selectbox("Saved run", list(labels), format_func=labels.get, key="history_choice")
    chosen = runs[choice]
    current = state.run()
    if current is not None and current.key == chosen.key:
        st.success("This run is open: see Train & compare and Explanations.", icon=":material/check:")
        st.page_link(state.PAGES["train"], label="Go to Train & compare", icon=":material/arrow_forward:")
        share.share_panel(current, key="history")
    elif st.button("Open this run", type="primary", icon=":material/open_in_new:", key="history_open"):
        try:
            share.open_listed(chosen)
        except StoreError as error:
            state.show_error(error)
        else:
            st.switch_page(state.PAGES["train"])
