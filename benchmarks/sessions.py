"""Eight dashboard sessions pressing "Train both" at once, against each one's solo run.

``python -m benchmarks.sessions [--sessions 8] [--seconds 20] [--cap N]``

Each session is the real dashboard driven by Streamlit's AppTest: it loads a bundled sample, sets the time
budget and presses "Train both" on the Train page. AppTest runs one script at a time, but a click only starts
the comparison as a background job (views/state.py), so the jobs of all sessions run at once in this process
under the server's training cap and queue (``ADVISOR_MAX_CONCURRENT_TRAININGS``), as a hosted server's do.

First every table trains alone (the solo reference), then all sessions press the button within a second. Prints
per session: the time from click to verdict alone and together, the place in the queue it saw, the work each
side did (boosting rounds, epochs, splits), the verdict the page shows, and whether the record equals the solo
record apart from timings. Exits 1 when a record differs from its solo run, a verdict is "not a fair
comparison" where the solo run's was fair, or a session failed: under load the product must queue, not starve.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_SECONDS = 900
# The samples in the order the sessions take them (a ninth session would take the first again).
TABLES = ("breast_cancer.csv", "cars.csv", "diabetes.csv", "movie_reviews.csv", "seattle_weather.csv", "wine.csv",
          "mnist_digits.csv.gz", "digit_images.zip")


def without_timings(payload: dict[str, Any]) -> dict[str, Any]:
    """A record's JSON less what a clock measures (the same fields tests/test_pipeline.py leaves out)."""
    payload = json.loads(json.dumps(payload))
    payload.pop("stage_seconds", None)
    payload.pop("ran_on", None)
    for side in ("ml", "dl"):
        for key in ("train_seconds", "predict_seconds", "predict_seconds_per_1k_rows"):
            payload["models"][side].pop(key, None)
        payload["explanations"][side].pop("seconds", None)
    return payload


def work_done(payload: dict[str, Any]) -> str:
    """What each side did on the first split, as "ML 200/200 rounds · DL 40/40 epochs · 10 splits"."""
    first = payload["budget"]["done"].get("first_split", {})
    parts = []
    for side in ("ml", "dl"):
        done = first.get(side, {})
        unit = done.get("unit", "steps")
        parts.append(f"{side.upper()} {done.get('done', '?')}/{done.get('planned', '?')} {unit}")
    parts.append(f"{payload['verdict']['splits']} split(s)")
    return " · ".join(parts)


class Session:
    """One browser session's script runs, as AppTest plays them."""

    def __init__(self, table: str, seconds: int) -> None:
        from streamlit.testing.v1 import AppTest

        self.table = table
        self.app = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=TIMEOUT_SECONDS)
        self.app.run()
        self.app.button(key=f"sample_{table}").click().run()
        self.app.switch_page("app_pages/train.py").run()
        self.app.slider(key="train_max_seconds").set_value(seconds).run()
        self.app.number_input(key="train_shap_rows").set_value(10).run()
        self.clicked = self.finished = 0.0
        self.queue_places: set[int] = set()

    def press_train(self) -> None:
        self.app.button(key="train_start").click()
        self.clicked = time.perf_counter()
        self.app.run()

    def job(self) -> Any:
        from views.state import JOB, _JOBS

        return _JOBS[self.app.session_state[JOB]]

    def watch_queue(self) -> bool:
        """Notes the session's place in the queue now; whether its job is still running or waiting."""
        job = self.job()
        if (ahead := job.ahead()) and not job.done:
            self.queue_places.add(ahead)
        if job.done and not self.finished:
            self.finished = time.perf_counter()
        return not job.done

    def wait(self) -> dict[str, Any]:
        """Until the verdict is drawn; returns the seconds from click to verdict, the verdict and the record's JSON."""
        while self.watch_queue():
            time.sleep(0.2)
        seconds = self.finished - self.clicked  # the job's end: the page shows it at its next poll
        self.app.run()  # the poll that collects the finished run and draws the verdict
        if self.app.exception:
            raise RuntimeError(f"{self.table}: {self.app.exception}")
        stored = self.app.session_state["run"]
        if stored is None:
            raise RuntimeError(f"{self.table}: no run after training: {[e.value for e in self.app.error]}")
        shown = [a.value for a in [*self.app.success, *self.app.warning, *self.app.info, *self.app.error]]
        verdict = next((text for text in shown if any(w in text for w in ("won", "tie", "Tie", "fair", "nconclusive"))),
                       "(no verdict line)")
        return {"seconds": seconds, "verdict": verdict.split("\n")[0].replace("\\", ""), "record": stored.result.to_dict()}


def run(sessions: int, seconds: int) -> tuple[list[dict[str, Any]], bool]:
    tables = [TABLES[i % len(TABLES)] for i in range(sessions)]
    solo: dict[str, dict[str, Any]] = {}
    for table in dict.fromkeys(tables):
        session = Session(table, seconds)
        session.press_train()
        solo[table] = session.wait()
        print(f"  alone: {table} in {solo[table]['seconds']:.1f} s", file=sys.stderr, flush=True)

    together = [Session(table, seconds) for table in tables]
    began = time.perf_counter()
    for session in together:
        session.press_train()
    print(f"  {sessions} sessions pressed Train both within {time.perf_counter() - began:.1f} s", file=sys.stderr)
    while any([session.watch_queue() for session in together]):  # every session's place, while any waits
        time.sleep(0.2)
    rows, ok = [], True
    for session in together:
        try:
            outcome = session.wait()
        except RuntimeError as error:
            rows.append({"table": session.table, "error": str(error)})
            ok = False
            continue
        reference = solo[session.table]
        same = without_timings(outcome["record"]) == without_timings(reference["record"])
        fair = outcome["record"]["verdict"]["fair"]
        # Load must never make a fight unfair; a budget too small for a table is unfair alone too, and says so.
        ok = ok and same and (fair or not reference["record"]["verdict"]["fair"])
        rows.append({
            "table": session.table, "alone_s": reference["seconds"], "together_s": outcome["seconds"],
            "queue_places": sorted(session.queue_places, reverse=True), "work": work_done(outcome["record"]),
            "verdict": outcome["verdict"], "fair": fair, "equals_solo": same,
        })
    return rows, ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sessions", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=20, help="each session's time budget (the issue measured 20)")
    parser.add_argument("--cap", type=int, default=None, help="ADVISOR_MAX_CONCURRENT_TRAININGS (default: the product's)")
    args = parser.parse_args(argv)
    if args.cap is not None:
        os.environ["ADVISOR_MAX_CONCURRENT_TRAININGS"] = str(args.cap)
    sys.path.insert(0, str(ROOT))
    from engine.measure.capacity import max_concurrent_trainings

    started = time.perf_counter()
    rows, ok = run(args.sessions, args.seconds)
    print(f"\n{args.sessions} sessions, {args.seconds} s budget each, at most {max_concurrent_trainings()} training at once; "
          f"{time.perf_counter() - started:.0f} s in all (solo runs first)")
    print("| table | alone s | together s | queue places seen | work done (first split) | verdict shown | fair | equals solo |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        if "error" in row:
            print(f"| {row['table']} | | | | | FAILED: {row['error']} | | |")
            continue
        places = ", ".join(map(str, row["queue_places"])) or "none"
        print(f"| {row['table']} | {row['alone_s']:.1f} | {row['together_s']:.1f} | {places} | {row['work']} | "
              f"{row['verdict'][:90]} | {'yes' if row['fair'] else 'NO'} | {'yes' if row['equals_solo'] else 'NO'} |")
    print("budget met: every record equals its solo run, and no fight is unfair that was fair alone" if ok
          else "BUDGET MISSED: a record differs from its solo run, load made a fight unfair, or a session failed")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
