"""Where users meet the speed: the dashboard's upload-to-advice and train-click-to-verdict times.

``python benchmarks/dashboard.py DATA.csv`` (the harness runs it as a child
process, so each measurement starts cold, as a fresh server's first user does)
drives ``dashboard.py`` with Streamlit's AppTest: it uploads the file on the
Recommend page and times until the page has drawn the advice, then presses
"Train both" on the Train page with the default options and times until the
verdict is drawn. Prints one JSON object: ``app_start``, ``upload_to_advice``
and ``train_click_to_verdict`` in seconds.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_SECONDS = 600


def measure(path: Path) -> dict[str, float]:
    from streamlit.testing.v1 import AppTest

    from views.state import JOB, _JOBS

    start = time.perf_counter()
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=TIMEOUT_SECONDS)
    at.run()
    at.switch_page("app_pages/recommend.py").run()
    app_start = time.perf_counter() - start

    start = time.perf_counter()
    at.file_uploader(key="uploader").upload(path.name, path.read_bytes(), "text/csv").run()
    upload_to_advice = time.perf_counter() - start
    _check(at, "the advice", "dataset" in at.session_state and not at.error)

    at.switch_page("app_pages/train.py").run()
    start = time.perf_counter()
    at.button(key="train_start").click().run()
    job = _JOBS[at.session_state[JOB]]
    job.thread.join(timeout=TIMEOUT_SECONDS)
    at.run()  # the poll that collects the finished run and draws the verdict
    train_click_to_verdict = time.perf_counter() - start
    _check(at, "the verdict", "run" in at.session_state and at.session_state["run"] is not None and not at.error)
    return {"app_start": app_start, "upload_to_advice": upload_to_advice, "train_click_to_verdict": train_click_to_verdict}


def _check(at: object, what: str, shown: bool) -> None:
    if getattr(at, "exception", None) or not shown:
        raise SystemExit(f"error: the dashboard did not show {what}: {getattr(at, 'exception', None) or 'nothing drawn'}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.stdout.write(json.dumps(measure(Path(sys.argv[1]))) + "\n")
