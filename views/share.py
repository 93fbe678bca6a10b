"""Sharing: the run store behind share links, the report downloads, and the optional shared password.

Finished comparisons are saved to the run store (:mod:`engine.share.store`) as JSON,
with what the user chose to keep (results only by default, :mod:`engine.share.consent`);
the session that saved a run keeps its owner key and may delete it. A link
``?run=<token>`` opens a saved run read-only in any session, without the models
and without retraining. Tokens are shown to the user who may share them, never
logged. The password, when set (``ADVISOR_PASSWORD`` or ``advisor_password`` in
Streamlit secrets), is compared in constant time.
"""

from __future__ import annotations

import dataclasses
import hmac
import logging
import math
import os
import secrets
from urllib.parse import urlsplit

import streamlit as st

from engine import DataError, RunRecord, RunStore, StoreError, load_dataset_bytes
from engine.share.consent import kept_sentence, rows_kept
from engine.share.report import report_file_name, report_html, results_json
from engine.share.store import RunSummary, SavedRun, default_database_url, key_of
from engine.share.throttle import AttemptThrottle
from views import state

RETENTION_NOTE = "It is deleted {days:g} days after it was saved, or sooner by the session that saved it."
PASSWORD_ENV = "ADVISOR_PASSWORD"
HISTORY_ENV = "ADVISOR_HISTORY"  # "session" (default): History lists this session's runs; "instance": every run
PASSWORD_SECRET = "advisor_password"
AUTHENTICATED = "authenticated"
OWNED = "owned_runs"  # token -> owner key, for the runs this session saved
OPENED_LINK = "opened_link"  # the ?run= value this session has already handled
LINK_ERROR = "link_error"
ASKED_PAGE = "page_asked_for_before_password"  # the url path the browser opened while the prompt showed


# --- the store ---------------------------------------------------------------------------


@st.cache_resource(max_entries=4, show_spinner=False)
def _store(url: str) -> RunStore:
    """One store (a connection pool) per database URL, shared by all sessions: it holds no user state.

    Made once per server process, which is when expired runs are deleted (the start-up cleanup).
    """
    opened = RunStore(url)
    try:
        removed = opened.cleanup()
    except StoreError as error:  # the app still starts; saving or opening will say what is wrong
        logging.getLogger(__name__).warning("run store cleanup failed: %s", error)
    else:
        logging.getLogger(__name__).info("run store cleanup: %d expired or oversize run(s) deleted", removed)
    return opened


def store() -> RunStore:
    return _store(default_database_url())


def save(stored: state.Run, data: object | None, keep_rows: bool, keep_upload: bool = False) -> None:
    """Save a finished run with what the user chose to keep; a store that fails is a warning, the result stays.

    ``keep_rows``: the explained rows and the test rows' labels and predictions
    (else results only); ``keep_upload``: the uploaded data as CSV.
    """
    frame = getattr(data, "frame", None)
    upload = frame.to_csv(index=False) if keep_upload and frame is not None else None
    try:
        saved = store().save(stored.result, dataset_csv=upload, keep_rows=keep_rows)
    except StoreError as error:
        not_saved(str(error))
        return
    adopt(stored, saved, keep_rows, upload is not None)


def adopt(stored: state.Run, saved: SavedRun, keep_rows: bool, kept_upload: bool) -> None:
    """A run saved to the store (here, or by its training job): this session owns it and shows its token."""
    st.session_state.setdefault(OWNED, {})[saved.token] = saved.owner_key
    state.replace_run(dataclasses.replace(stored, token=saved.token, key=key_of(saved.token),
                                          saved_kept=kept_sentence(keep_rows, kept_upload)))


def not_saved(reason: str) -> None:
    """The warning when a finished run could not be saved (the result stays on screen)."""
    st.warning(f"The run was not saved for sharing: {state.esc(reason)}", icon=":material/cloud_off:")


def history_scope() -> str:
    """Whose runs History lists: ``"session"`` (the default) or ``"instance"`` (``ADVISOR_HISTORY=instance``).

    Listing every run would hand every visitor the token of every run, and a
    token is the whole of a share link's protection.
    """
    return "instance" if os.environ.get(HISTORY_ENV, "").strip().lower() == "instance" else "session"


def history_runs() -> list[RunSummary]:
    """The runs History lists (newest first): this session's saved and opened runs, or every run (instance scope).

    Every run's token this session knows is filled in (the store keeps only their hashes).
    """
    tokens = set(st.session_state.get(OWNED, {}))
    current = state.run()
    if current is not None and current.token:
        tokens.add(current.token)
    if history_scope() == "instance":
        known = {key_of(t): t for t in tokens}
        return [dataclasses.replace(s, token=s.token or known.get(s.key)) for s in store().summaries()]
    if not tokens:
        # Nothing to look up, but a store that cannot be opened (a mistyped ADVISOR_DATABASE_URL) says so here,
        # before a training run is lost to it, instead of "no saved runs yet".
        store().version()
        return []
    return store().summaries(tokens=tokens)


def is_owned(summary: RunSummary) -> bool:
    return summary.token is not None and summary.token in st.session_state.get(OWNED, {})


def open_listed(summary: RunSummary) -> state.Run:
    """Open a run History lists: by its token when this session knows it, else by its key (instance scope)."""
    if summary.token is not None:
        return open_saved(summary.token)
    return _open(store().open_by_key(summary.key), store().dataset_csv_by_key(summary.key), token=None, key=summary.key)


def open_saved(token: str) -> state.Run:
    """Make a saved run the session's run (with its rows as the dataset when they were saved); raises StoreError."""
    return _open(store().open(token), store().dataset_csv(token), token=token, key=key_of(token))


def _open(record: RunRecord, rows: str | None, token: str | None, key: str) -> state.Run:
    state.forget_dataset()
    if rows is not None:
        try:
            data = load_dataset_bytes(record.dataset.name, rows.encode("utf-8"))
            st.session_state[state.DATASET] = dataclasses.replace(data, sha256=record.dataset.sha256)
            st.session_state[state.TARGET] = record.target
        except DataError:
            pass  # the run still opens; only training again needs the rows
    return state.replace_run(
        state.Run(result=record, options={}, seconds=record.run_seconds or None, token=token, key=key,
                  saved_kept=kept_sentence(rows_kept(record), rows is not None))
    )


def open_link() -> bool:
    """Handle ``?run=<token>``: open that run once per session; True while a shared run is shown."""
    token = st.query_params.get("run")
    if token is None:
        return False
    if st.session_state.get(OPENED_LINK) != token:
        st.session_state[OPENED_LINK] = token
        st.session_state.pop(LINK_ERROR, None)
        try:
            open_saved(token)
        except StoreError as error:
            st.session_state[LINK_ERROR] = str(error)
    if error := st.session_state.get(LINK_ERROR):
        state.show_error(error)
        return False
    return True


def share_url(token: str) -> str:
    """The app's address with ``?run=<token>`` (the host as the browser sees it, and any base path)."""
    current = urlsplit(st.context.url or "http://localhost:8501/")
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return f"{current.scheme}://{current.netloc}/{base + '/' if base else ''}?run={token}"


# --- the panel on result pages ---------------------------------------------------------------


def share_panel(stored: state.Run, key: str) -> None:
    """Downloads (HTML report, results JSON), the share link, and deleting a run this session saved."""
    result: RunRecord = stored.result
    report_col, json_col = st.columns(2)
    report_col.download_button(
        "Download the report (HTML)", data=lambda: report_html(result), file_name=report_file_name(result),
        mime="text/html", icon=":material/download:", on_click="ignore", key=f"report_{key}",
        help="One self-contained file: the advice, both models' metrics and charts, and the SHAP comparison. "
        "It opens offline.",
    )  # fmt: skip
    json_col.download_button(
        "Download the results (JSON)", data=lambda: results_json(result), file_name=report_file_name(result, "json"),
        mime="application/json", icon=":material/data_object:", on_click="ignore", key=f"json_{key}",
    )  # fmt: skip
    if stored.saved_kept:
        st.caption(state.esc(stored.saved_kept) + " " + state.esc(RETENTION_NOTE.format(days=store().limits.retention_days)))
    if stored.token is None:
        return
    st.markdown("**Share link** (opens this run read-only, without retraining)")
    st.code(share_url(stored.token), language=None)
    if stored.token in st.session_state.get(OWNED, {}):
        delete_panel(stored.token, key)


#: session_state key: the token whose deletion waits for the user's confirmation.
PENDING_DELETE = "pending_delete"


def delete_panel(token: str, key: str) -> None:
    """"Delete this saved run", then a confirmation that says shared links stop working; nothing goes on one click."""
    if st.session_state.get(PENDING_DELETE) != token:
        st.button(
            "Delete this saved run", key=f"delete_{key}", icon=":material/delete:",
            on_click=st.session_state.__setitem__, args=(PENDING_DELETE, token),
            help="Asks first. The link stops working; the results stay on screen in this session until you leave.",
        )  # fmt: skip
        return
    st.warning(
        "Delete this saved run? Every shared link to it will stop working at once, for everyone who has it, and it "
        "leaves History. The results stay on screen in this session until you leave or train again.",
        icon=":material/delete:",
    )
    yes_col, no_col = st.columns(2)
    yes_col.button(
        "Yes, delete it", type="primary", key=f"delete_confirm_{key}", icon=":material/delete_forever:",
        on_click=delete, args=(token,),
    )
    no_col.button("Keep it", key=f"delete_cancel_{key}", on_click=st.session_state.pop, args=(PENDING_DELETE, None))


def delete(token: str) -> None:
    """Delete a run this session saved (the confirmation's callback)."""
    st.session_state.pop(PENDING_DELETE, None)
    owner_key = st.session_state.get(OWNED, {}).get(token)
    if owner_key is None:
        return
    try:
        store().delete(token, owner_key)
    except StoreError as error:
        st.session_state[LINK_ERROR] = str(error)
        return
    st.session_state[OWNED].pop(token, None)
    current = state.run()
    if current is not None and current.token == token:
        state.replace_run(dataclasses.replace(current, token=None, key=None, saved_kept=""))
    st.toast("The saved run was deleted; its link no longer opens it.", icon=":material/delete:")


# --- the optional password -------------------------------------------------------------------


def configured_password() -> str | None:
    """The shared password: ``ADVISOR_PASSWORD``, else ``advisor_password`` in Streamlit secrets; None when unset."""
    password = os.environ.get(PASSWORD_ENV)
    if not password:
        try:
            password = st.secrets.get(PASSWORD_SECRET)
        except Exception:  # noqa: BLE001 - no secrets file (or an unreadable one) means no password
            password = None
    return str(password) if password else None


#: Wrong passwords, per session and per client address, in this server process: 1 s, 2 s, 4 s … up to 60 s.
PASSWORD_THROTTLE = AttemptThrottle(base_seconds=1.0, ceiling_seconds=60.0)
THROTTLED_MESSAGE = "Too many wrong passwords: wait {seconds} s, then try again."
_SESSION_ID = "password_session_id"


def client_address() -> str | None:
    """The address the connection comes from (a reverse proxy's own, behind one; forwarded headers can be forged)."""
    try:
        return st.context.ip_address
    except Exception:  # noqa: BLE001 - no request context (bare mode): no address to throttle by
        return None


def _attempt_keys() -> list[tuple[str, str]]:
    session = st.session_state.setdefault(_SESSION_ID, secrets.token_urlsafe(16))
    keys = [("session", session)]
    if address := client_address():
        keys.append(("address", address))
    return keys


def asked_url_path() -> str:
    """The page part of the address the browser opened: ``history`` for ``/history?x=1``, ``""`` for the root."""
    try:
        url = st.context.url or ""
    except Exception:  # noqa: BLE001  no browser behind this session (AppTest)
        return ""
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


def open_page_asked_for(current: st.Page, pages: list[st.Page]) -> None:
    """Once the password is in, open the page the address named (the prompt ran before the navigation knew it).

    Without this, ``/history`` or ``/train?job=…`` behind the password showed Home under that address.
    """
    asked = st.session_state.pop(ASKED_PAGE, None)
    if not asked or asked == current.url_path:
        return
    for page in pages:
        if page.url_path == asked:
            st.switch_page(page, query_params=st.query_params.to_dict())


def require_password() -> None:
    """With a password set, show only the prompt until this session enters it.

    A wrong password makes this session and its client address wait before
    the next attempt is checked (a short exponential back-off), so guessing
    from one browser, or from many sessions of one address, is slow.
    """
    password = configured_password()
    if password is None or st.session_state.get(AUTHENTICATED):
        return
    st.session_state.setdefault(ASKED_PAGE, asked_url_path())
    st.title("ML vs DL Advisor")
    with st.form("password_form"):
        entered = st.text_input("Password", type="password", key="password_entered")
        submitted = st.form_submit_button("Enter", type="primary")
    if submitted:
        keys = _attempt_keys()
        wait = PASSWORD_THROTTLE.wait_seconds(keys)
        if wait > 0:
            st.error(THROTTLED_MESSAGE.format(seconds=math.ceil(wait)), icon=":material/lock_clock:")
        elif hmac.compare_digest(entered.encode("utf-8"), password.encode("utf-8")):
            PASSWORD_THROTTLE.succeeded(keys)
            st.session_state[AUTHENTICATED] = True
            st.rerun()
        else:
            PASSWORD_THROTTLE.failed(keys)
            st.error("Wrong password.", icon=":material/lock:")
    st.stop()
