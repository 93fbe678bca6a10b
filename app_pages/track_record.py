"""Track record: was the advice right on data it has never seen? The sealed part first; in-sample figures apart, labelled."""

from collections import Counter
from pathlib import Path

import pandas as pd
import streamlit as st

from engine.figures import track_record as track_record_figures
from engine.evidence.corpus import CORPUS_DIR
from engine.common.wording import count
from engine.io.data import DataError
from engine.evidence.track_record import (
    MEASURED_CODE, SIZE_BANDS, advisor_table, dataset_rows, git_state, journal_rows, load_results, measured_code_changed,
    read_journal, record_from_run, records_of, results_path_for, score,
)
from views import state

#: Session keys a test (or an operator) can set to read other files.
RESULTS_PATH_KEY = "track_record_results_path"  # the sealed part's results
DEVELOPMENT_PATH_KEY = "track_record_development_path"
IN_SAMPLE_PATH_KEY = "track_record_in_sample_path"
JOURNAL_PATH_KEY = "track_record_journal_path"
REPOSITORY_KEY = "track_record_repository"  # the git work tree whose code the figures are checked against
#: How the caption names each part a journal entry was scored on.
PART_NAMES = {"sealed": "sealed part", "outside": "outside check (packages in no corpus group)"}
SEALED_COMMAND = "python -m engine track-record --corpus --split sealed --jobs 1 --max-seconds 1800"
#: Shares and confidences as whole percentages, as the advice and the metrics above show them (92%, not 0.9186 or
#: 91.86%); the columns hold percentage points (``as_percent_points``) so the table still sorts by number.
WHOLE_PERCENT = st.column_config.NumberColumn(format="%.0f%%")
RELIABILITY_PERCENT_COLUMNS = ("share right", "mean confidence")
#: The per-dataset table: the confidence as a whole percentage, points and seconds to one decimal (not 5.1923).
DATASET_COLUMNS = {
    "confidence": WHOLE_PERCENT,
    **{name: st.column_config.NumberColumn(format="%.1f") for name in (
        "ML − DL (points)", "interval low", "interval high", "regret (points)", "train seconds ML + DL", "run seconds")},
}


def as_percent_points(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """The frame with ``columns`` (fractions, 0.9186) as percentage points (91.86), for ``WHOLE_PERCENT``."""
    return frame.assign(**{name: 100 * pd.to_numeric(frame[name]) for name in columns if name in frame})


def _load(path: Path):
    """The records of a results file, or None when there is none; a malformed file is one error line."""
    if not Path(path).is_file():
        return None, None
    try:
        payload = load_results(path)
    except DataError as error:
        state.show_error(error)
        return None, None
    return payload, records_of(payload)


def _figures(summary: dict, key: str) -> None:
    advisor = summary["advisors"]["advisor"]
    best = summary["best_constant"]
    columns = st.columns(4)
    exact, decisive = advisor["exact"], advisor["decisive_only"]
    for column, (label, rate) in zip(columns[:2], (("Advice right (a tie is its own outcome)", exact),
                                                    ("Advice right on decisive datasets", decisive))):
        if rate["n"]:
            low, high = rate["interval"]
            column.metric(label, f"{100 * rate['rate']:.0f}%",
                          help=f"{rate['hits']} of {rate['n']}; 95% Wilson interval {100 * low:.0f}–{100 * high:.0f}%")
            column.caption(f"{rate['hits']} of {rate['n']} · 95% interval {100 * low:.0f}–{100 * high:.0f}%")
        else:
            column.metric(label, "n/a")
    regret = advisor["regret"]
    columns[2].metric("Regret of the advice (points)", f"{regret['total']:.1f}",
                      help="metric points lost by following the advice instead of the measured winner, summed; R² × 100 alike")
    columns[2].caption(f"median {regret['median']:.2f} per dataset" if regret["median"] is not None else "")
    # The confidence shown claims "the advised family wins or ties" (following it loses nothing): it is judged on
    # that event; the stricter exact hit (a firm advice on a tie counted wrong) is printed beside it.
    stated = summary.get("reliability_of_confidence") or summary["reliability"]
    brier = stated["brier"]
    columns[3].metric("Brier score of its confidence", "n/a" if brier is None else f"{brier:.3f}",
                      help="mean squared gap between the confidence shown and the advised family winning or tying "
                           "(0 is perfect; 0.25 is a coin)")
    if best is not None:
        test = summary["mcnemar"]
        (st.success if summary["plain"].startswith("The advice named") else st.warning)(summary["plain"])
        st.caption(f"Exact McNemar (sign) test against the best constant: the advisor alone was right on "
                   f"{test['only_advisor']} datasets, the constant alone on {test['only_constant']}.")
    st.dataframe(pd.DataFrame(advisor_table(summary)), hide_index=True, key=f"{key}_advisors")
    st.caption(f"Judged: {summary['judged']} datasets ({summary['decisive']} decisive, {summary['ties']} practically tied). "
               f"Inconclusive (listed, not judged: a model no better than its baseline, or an unfair fight): "
               f"{state.esc(', '.join(summary['inconclusive_datasets'])) or 'none'}. "
               f"Could not be compared: {state.esc(', '.join(summary['error_datasets'])) or 'none'}.")
    bins = [b for b in stated["bins"] if b["n"]]
    if bins:
        st.markdown("**Reliability of the confidence shown**: of the advice given with confidence in each band, how often "
                    "what it claims came true: for a firm choice, that its family won or the two tied within the practical "
                    "margin; for a close call (“train both”), that they tied.")
        table = pd.DataFrame([{"confidence": f"{100 * b['low']:.0f}–{100 * b['high']:.0f}%", "datasets": b["n"],
                               "right": b["right"], "share right": b["share_right"],
                               "mean confidence": b["mean_confidence"]} for b in bins])
        st.dataframe(as_percent_points(table, RELIABILITY_PERCENT_COLUMNS), hide_index=True, key=f"{key}_reliability",
                     column_config=dict.fromkeys(RELIABILITY_PERCENT_COLUMNS, WHOLE_PERCENT))
        exact = summary["reliability"]
        st.caption("Against an exact hit instead (a firm advice on a tie counted wrong): " + "; ".join(
            f"{100 * b['low']:.0f}–{100 * b['high']:.0f}%: {b['right']} of {b['n']}" for b in exact["bins"] if b["n"])
            + ("" if exact["brier"] is None else f"; Brier {exact['brier']:.3f}."))


def _datasets(records, key: str) -> None:
    rows = dataset_rows(records)
    left, right = st.columns(2)
    kinds = sorted({r["kind"] for r in rows if r["kind"]})
    chosen_kinds = left.multiselect("Data kind", kinds, default=kinds, key=f"{key}_kinds")
    bands = [name for name, _, _ in SIZE_BANDS]
    chosen_bands = right.multiselect("Size", bands, default=bands, key=f"{key}_sizes")
    shown = [r for r in rows if (r["kind"] in chosen_kinds or not r["kind"]) and (r["size"] in chosen_bands or not r["size"])]
    st.plotly_chart(track_record_figures.track_record_map(shown), key=f"{key}_map")
    st.caption("Each dataset by rows (log scale) and data kind, coloured by the measured outcome; ✕ where the advice "
               "did not name it (a firm choice must name the winner, “train both” names a tie).")
    st.dataframe(as_percent_points(pd.DataFrame(shown, columns=list(rows[0]) if rows else None), ["confidence"]),
                 hide_index=True, key=f"{key}_table", column_config=DATASET_COLUMNS)


st.title("Track record")
st.markdown(
    "For every dataset of the benchmark corpus the advisor gave its advice, then both families were trained and "
    "measured. The **sealed part** is data no decision was ever taken on, run once per release with the code frozen; "
    "its figures are the ones to trust. Nothing is retrained on this page: it reads the committed results files."
)

sealed_path = Path(st.session_state.get(RESULTS_PATH_KEY, results_path_for("sealed")))
development_path = Path(st.session_state.get(DEVELOPMENT_PATH_KEY, results_path_for("development")))
in_sample_path = Path(st.session_state.get(IN_SAMPLE_PATH_KEY, CORPUS_DIR / "results.json"))

st.header("Sealed part: data never tuned on")
payload, sealed = _load(sealed_path)
if sealed is None:
    st.warning(f"The sealed part has not been run for this code: there is no figure yet that was measured on data no "
               f"decision was taken on. It runs once per release with the code frozen: `{SEALED_COMMAND}`. Until then, "
               "the figures below are development (in-sample) figures only.")
else:
    summary = score(sealed)
    repository = st.session_state.get(REPOSITORY_KEY)
    commit, dirty = git_state(repository)
    if not summary["code_frozen"]:
        st.warning("This sealed run was not made with the code frozen (uncommitted changes, or several commits): its figures "
                   "are not a release's track record.")
    elif commit is not None:
        measured_at = summary["commits"][0]
        changed = measured_code_changed(measured_at, repository)  # [] also when only pages, tests or docs changed
        if changed or (changed is None and measured_at != commit):
            this = f", and this is {state.esc(commit[:10])}" if measured_at != commit else ""
            since = ("." if changed is None
                     else f", with {count(len(changed), 'file')} changed in {', '.join(MEASURED_CODE)} since.")
            st.warning(f"The sealed part has not been run for this code: these figures are of commit "
                       f"{state.esc(measured_at[:10])}{this}{since}")
        elif measured_at != commit:
            st.caption(f"Measured at commit {state.esc(measured_at[:10])}; the code that advises and measures "
                       f"({', '.join(MEASURED_CODE)}) has not changed since, so these are the figures of this code too.")
    planned = len(payload["run"].get("entries", [])) or len(sealed)
    if len(sealed) < planned:
        st.warning(f"The sealed run is not finished: {len(sealed)} of {planned} sealed datasets have results, and the figures "
                   f"below cover those only (the rest are not a random sample of the part). Rerun `{SEALED_COMMAND}` on the "
                   "same commit to finish it.")
    st.caption(f"{summary['datasets']} real datasets in the sealed part; generated and publisher-simulated sets are left out "
               "of these figures.")
    _figures(summary, "sealed")
    _datasets(sealed, "sealed")

st.divider()
st.header("In-sample figures (development part): not a track record")
st.info("Every decision (model settings, criteria weights, target words) was taken on these datasets, so how well the "
        "advice fits them says little about data it has not seen.")
payload, development = _load(development_path)
if development is None:
    st.caption("The development part has not been run yet: `python -m engine track-record --corpus --split development`.")
else:
    entries = len(payload["run"].get("entries", [])) or len(development)
    st.caption(f"Development part: {len(development)} of {entries} datasets run (real data below).")
    _figures(score(development), "development")
    _datasets(development, "development")
    family = [r for r in development if (r.origin or "real") != "real"]
    if family:
        known = score(family, real_only=False)["advisors"]["advisor"]["exact"]
        st.caption(f"Generated and publisher-simulated sets (a labelled family for known-truth checks, in no figure above): "
                   f"the advice named the outcome on {known['hits']} of {known['n']} judged.")

journal = read_journal(st.session_state.get(JOURNAL_PATH_KEY))
if journal:
    st.subheader("Calibration journal")
    by_split = Counter(entry.get("split") or "development" for entry in journal)
    measured = [f"{by_split[part]} on the {PART_NAMES.get(part, part)}" for part in by_split if part != "development"]
    st.caption(f"benchmarks/corpus/calibration_journal.jsonl: {len(journal)} variants tried, {by_split['development']} "
               f"of them scored on the development part, the only part tuned on"
               + (f"; measured once each, never tuned on: {', '.join(measured)}." if measured else "."))
    st.dataframe(pd.DataFrame(journal_rows(journal)), hide_index=True, key="journal_table")

payload, old = _load(in_sample_path)
if old is not None:
    with st.expander("Issue 12's results (29 datasets, in-sample: the thresholds were then tuned on them)"):
        _figures(score(old, real_only=False), "in_sample")

run = st.session_state.get(state.RUN)
if run is not None:
    mine = record_from_run(run.result, f"your data: {run.dataset_name}")
    st.caption(f"Your comparison this session ({state.esc(run.dataset_name)}): advice {mine.recommendation}, measured "
               f"{mine.winner}. It is not part of any figure above.")
