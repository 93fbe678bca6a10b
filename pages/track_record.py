"""Track record: was the advice right? The corpus results (read from the committed file) and this session's runs."""

import pandas as pd
import streamlit as st

from engine import charts
from engine.corpus import CORPUS_DIR
from engine.data import DataError
from engine.track_record import RESULTS_FILE_NAME, load_results, record_from_run, summarise, DatasetRecord
from views import state

#: Session key a test (or an operator) can set to read another results file.
RESULTS_PATH_KEY = "track_record_results_path"

st.title("Track record")
st.markdown(
    "For every dataset of the benchmark corpus the advisor gave its advice, then both families were trained and "
    "measured. Here is how often the advice held, next to advisors that always say the same thing. "
    "Nothing is retrained on this page: it reads the committed results file."
)

path = st.session_state.get(RESULTS_PATH_KEY, CORPUS_DIR / RESULTS_FILE_NAME)
try:
    payload = load_results(path)
except DataError as error:
    state.show_error(error)
    st.stop()

corpus_rows = list(payload["datasets"])
# The hit rates are the corpus's alone; the session's own comparison joins the charts and the table, marked.
summary = summarise([DatasetRecord(**{k: v for k, v in r.items() if k in DatasetRecord.__dataclass_fields__}) for r in corpus_rows])
rows = list(corpus_rows)
run = st.session_state.get(state.RUN)
if run is not None:
    rows.append(record_from_run(run.result, f"your data: {run.dataset_name}").to_dict() | {"session": True})
meta = payload.get("run", {})
st.caption(
    f"Results of {len(payload['datasets'])} corpus datasets"
    + (f", run {state.esc(meta['created_at'])} with {meta.get('seeds', 1)} seed(s) and {meta.get('max_seconds', 60):g} s per comparison" if meta.get("created_at") else "")
    + (" · your own comparison of this session is added to the charts and the table (not to the hit rates)" if run is not None else "")
)

advisor = summary["advisor"]
columns = st.columns(4)
for column, (label, rate) in zip(columns, (
    ("Advice held (ties agree)", advisor["ties_agree"]),
    ("Advice held (decisive only)", advisor["decisive_only"]),
    ("Always classic ML (ties agree)", summary["naive"]["always_ml"]["ties_agree"]),
    ("Target guessed right", summary["target_guess"]),
)):
    if rate["n"]:
        low, high = rate["interval"]
        column.metric(label, f"{100 * rate['rate']:.0f}%", help=f"{rate['hits']} of {rate['n']}; 95% Wilson interval {100 * low:.0f}–{100 * high:.0f}%")
    else:
        column.metric(label, "n/a")
st.caption(
    f"Judged: {summary['judged']} datasets ({summary['decisive']} decisive, {summary['ties']} ties); "
    f"{summary['inconclusive']} inconclusive (a model no better than its baseline), {summary['pending']} waiting for a data kind, "
    f"{summary['errors']} could not be compared. Small datasets are decided over repeated splits (column “splits”)."
)

st.plotly_chart(charts.track_record_hit_rates(summary), key="track_hit_rates")
left, right = st.columns(2)
with left:
    st.plotly_chart(charts.track_record_outcomes(rows), key="track_outcomes")
with right:
    st.plotly_chart(charts.track_record_map(rows), key="track_map")

table = pd.DataFrame([
    {
        "dataset": r["dataset"], "rows": r.get("rows"), "kind": r.get("kind") or r.get("declared_kind"), "task": r.get("task"),
        "advice": r.get("recommendation"), "confidence": r.get("confidence"), "winner": r.get("winner"),
        "ML − DL": r.get("margin"), "metric": r.get("metric"), "interval low": r.get("interval_low"),
        "interval high": r.get("interval_high"), "splits": r.get("splits"), "agreed": r.get("agreed"),
        "misled by": r.get("misled_by"), "status": r.get("pending") or r.get("error") or ("this session" if r.get("session") else ""),
    }
    for r in rows
])
st.subheader("Every dataset")
st.dataframe(table, hide_index=True, key="track_table")
