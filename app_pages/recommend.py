"""Recommend: a CSV (or six answers) in; the advice, its scorecard and what would flip it out."""

import streamlit as st

from engine import Answers, DataError, answers_from_profile, guess_target
from engine.figures import advice as advice_figures
from engine.figures import base as figure_base
from engine.common import wording
from engine.advice.recommend import recommend
from engine.io.spreadsheet import WORKBOOK_SUFFIXES
from engine.profile.leakage import leak_note
from engine.registry import no_usable_feature, upload_help
from views import state
from views import widgets

st.title("Recommend: classic ML or deep learning?")
st.caption(
    "Upload a table (any of the formats below) or a ZIP of image folders and the answers below are filled in "
    "from its profile, or describe your data by answering them yourself. Change any answer and the advice "
    "updates at once."
)

# --- 1. the data --------------------------------------------------------------------------
upload_col, sample_col = st.columns([1, 1], gap="large")
with upload_col:
    uploaded = st.file_uploader(
        "Upload a table (CSV, Excel, Parquet, JSON, Stata or SPSS) with feature columns and a target column, "
        "or a ZIP of image folders",
        type=["csv", "tsv", "txt", "gz", "zip", *WORKBOOK_SUFFIXES, "parquet", "json", "jsonl", "ndjson", "dta",
              "sav", "zsav"],
        key="uploader",
        help=(f"Up to {state.max_upload_bytes() // (1024 * 1024)} MB. Comma, semicolon, tab or pipe separated "
              "(.csv.gz too), a workbook (.xlsx, .xlsm, .xls, .ods: its first sheet with data is read) or a Parquet, "
              "JSON (records, or JSON Lines), Stata (.dta) or SPSS (.sav) file. "
              f"{upload_help()}"),
    )
    state.take_upload(uploaded)
with sample_col:
    st.markdown("**…or load a sample**")
    widgets.sample_picker()

if error := st.session_state.pop(state.UPLOAD_ERROR, None):
    state.show_error(error)

data = state.dataset()
advice = None
suggested = None
if data is not None:
    widgets.dataset_banner(data)
    columns = [str(c) for c in data.frame.columns]
    guessed = guess_target(data.frame)
    widgets.target_picker(columns, state.target() or guessed, guessed)
    try:
        advice = state.current_advice()
        suggested = answers_from_profile(advice.profile)
    except DataError as error:
        state.show_error(error)
    unusable = no_usable_feature(advice.profile) if advice is not None else None
    if unusable is not None:  # the criteria still answer, but nothing could be trained to check them
        st.warning(f"{state.esc(unusable[0].upper() + unusable[1:])}. Train & compare would refuse this table: choose "
                   "another target, or add columns a model can learn from.", icon=":material/block:")
    leaks = leak_note(advice.profile.suspected_leaks, advice.profile.target) if advice is not None else None
    if leaks is not None:  # both models would score near 100 % and the comparison would say nothing
        st.warning(state.esc(leaks[0].upper() + leaks[1:]) + ".", icon=":material/key:")
    left_out = advice.profile.left_out_note if advice is not None else None
    if left_out is not None:  # a class of one row cannot be both trained and tested on
        st.info(state.esc(left_out[0].upper() + left_out[1:]) + ".", icon=":material/filter_alt:")
    guess = advice.profile.target_guess if advice is not None else None
    if guess is not None and guess.note:  # the best-ranked target was unusable: say which was taken, and the others
        others = ", ".join(f"**{state.esc(name)}**" for name in guess.alternatives)
        st.info(state.esc(guess.note) + (f" Other candidates: {others}." if others else ""), icon=":material/swap_horiz:")

# --- 2. the answers (the what-if) and the advice ------------------------------------------
# (with a dataset whose target is unusable, the error above says what to fix and nothing more shows)
if data is None or advice is not None:
    current = advice.answers if advice is not None else Answers(**state.overrides())
    recommendation = advice.recommendation if advice is not None else recommend(current)
    flips = advice.flips if advice is not None else state.questionnaire_recommendation()[1]

    answers_col, advice_col = st.columns([2, 3], gap="large")
    with answers_col:
        st.subheader("Your answers")
        if suggested is not None:
            st.caption("Filled in from the data's profile; change any of them to see what the advice would be.")
        widgets.questionnaire(current, suggested)
    with advice_col:
        st.subheader("The advice")
        widgets.recommendation_headline(recommendation)
        if suggested is not None and state.overrides():
            baseline = recommend(suggested)
            changed = ", ".join(widgets.FIELD_TITLES.get(k, k) for k in state.overrides())
            st.info(
                f"From the profile alone the advice is **{baseline.label}** ({baseline.confidence:.0%}). "
                f"Your changed answers ({changed}) give **{recommendation.label}**.",
                icon=":material/tune:",
            )
        widgets.flip_list(recommendation, flips)

    st.plotly_chart(advice_figures.scorecard(recommendation), key="scorecard_chart")
    st.dataframe(
        advice_figures.scorecard_table(recommendation),
        hide_index=True,
        key="scorecard_table",
        column_config={"reason": st.column_config.TextColumn(width="large")},
    )
    widgets.safe_download(advice_figures.scorecard_table(recommendation), "scorecard.csv", "download_scorecard")
    with st.expander("Why, criterion by criterion", expanded=True):  # the table cuts long reasons; here they wrap
        st.markdown("\n".join(
            f"- **{state.esc(figure_base.criterion_title(c.name))}** ({state.esc(wording.SIDES[c.favours].in_sentence)}): "
            f"{state.esc(c.reason)}"
            for c in recommendation.criteria
        ))

    # --- 3. the profile ------------------------------------------------------------------------
    if advice is not None:
        st.subheader("What the data looks like")
        widgets.profile_summary(
            advice.profile, guessed_target=guessed, chosen_target=state.target(),
            target_values=data.frame[advice.profile.target],
        )
        st.page_link(state.PAGES["train"], label="Next: train both and compare", icon=":material/arrow_forward:")
