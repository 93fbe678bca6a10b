"""ML vs DL Advisor — the Streamlit entry point (`streamlit run dashboard.py`).

This file is the frame around every page: page config, the navigation and the
sidebar. Navigation uses ``st.navigation`` over explicit ``st.Page`` objects
(the pages live in ``app_pages/``, and only pages: their helpers are in ``views/``).
The folder is not called ``pages/`` on purpose: with a ``pages/`` folder Streamlit
runs a page URL (``/history``, ``/train?job=…``) that is a fresh server's first
request as a page of its own, without this file, so without the password prompt.
Each page is a short script that calls ``engine`` and
``engine.figures``; what a user loads or trains stays in their session.
Before the navigation: the optional password prompt and ``?run=<token>``
share links (``views/share.py``).
"""

from __future__ import annotations

import streamlit as st

from views import share
from views import state
from views import training
from views import widgets

st.set_page_config(page_title="ML vs DL Advisor", page_icon=":material/balance:", layout="wide")
share.require_password()  # with ADVISOR_PASSWORD (or the secret) set, nothing else shows until it is entered
shared = share.open_link()  # ?run=<token>: a saved run, opened read-only on Train & compare

pages = [
    st.Page(state.PAGES["home"], title="Home", icon=":material/home:", default=not shared),
    st.Page(state.PAGES["recommend"], title="Recommend", icon=":material/rule:", url_path="recommend"),
    st.Page(
        state.PAGES["train"], title="Train & compare", icon=":material/model_training:", url_path="train",
        default=shared,
    ),  # fmt: skip
    st.Page(state.PAGES["explain"], title="Explanations", icon=":material/insights:", url_path="explanations"),
    st.Page(state.PAGES["history"], title="History", icon=":material/history:", url_path="history"),
    st.Page(state.PAGES["track_record"], title="Track record", icon=":material/fact_check:", url_path="track-record"),
]
page = st.navigation(pages)
share.open_page_asked_for(page, pages)  # /history behind the password: History once it is entered

state.follow_linked_job()  # ?job=<id> with Ray: follow a comparison started in another session (any replica)
training.collect()  # a comparison that finished in the background since the last run becomes the session's run

# The sidebar is drawn before the page (so it is there while a page works) and
# redrawn after it, so a dataset loaded or a model trained on this run shows at once.
with st.sidebar:
    sidebar = st.empty()
with sidebar.container():
    widgets.sidebar_status()
page.run()
state.preload_when_data_shown()  # after the page is drawn, so the import never delays it
with sidebar.container():
    widgets.sidebar_status()
with st.sidebar:
    training.sidebar_progress()  # polls a background comparison on every page, so its end shows wherever the user is
