"""The command line contract of DESIGN.md §4.

Most tests call ``engine.__main__.main`` in this process (what is tested is the
contract: exit codes, one ``error:`` line, the JSON); a few run the real
``python -m engine`` as a child process, where the process itself is the point
(the entry point, exit statuses as the shell sees them, determinism across
processes).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.__main__ import main
from tests.conftest import ROOT, SAMPLE_DATA, assert_cli_contract


@dataclass(frozen=True)
class Finished:
    """How a command line ended: as ``subprocess.CompletedProcess`` says it (exit status, both streams)."""

    returncode: int
    stdout: str
    stderr: str


def _check_contract(args: tuple[str, ...], result: Finished) -> Finished:
    """Every successful ``recommend``/``compare --json`` is checked against the JSON Schema."""
    if result.returncode == 0 and "--json" in args and args[0] in ("recommend", "compare"):
        assert_cli_contract(json.loads(result.stdout))
    return result


def run_child(*args: str, timeout: float = 300) -> Finished:
    """The CLI as a child process (``python -m engine``)."""
    command = [sys.executable, "-m", "engine", *args]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    return _check_contract(args, Finished(done.returncode, done.stdout, done.stderr))


@pytest.fixture()
def run_cli(capfd: pytest.CaptureFixture[str]):
    """The CLI's ``main`` in this process, file descriptors 1 and 2 captured (LightGBM's C++ core writes to fd 1)."""

    def run(*args: str) -> Finished:
        capfd.readouterr()
        try:
            code = main(list(args))
        except SystemExit as stop:  # argparse ends a bad command line with SystemExit(2), as the child would exit
            code = stop.code if isinstance(stop.code, int) else 1
        out, err = capfd.readouterr()
        return _check_contract(args, Finished(code, out, err))

    return run


def assert_usage_error(result: Finished) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr


def write(tmp_path: Path, name: str, content: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def table(delimiter: str = ",", rows: int = 60) -> str:
    lines = [delimiter.join(["size", "colour", "label"])]
    lines += [delimiter.join([str(i % 17), ["red", "blue", "green"][i % 3], "yes" if i % 2 else "no"]) for i in range(rows)]
    return "\n".join(lines) + "\n"


BAD_INPUTS = {
    "empty": b"",
    "header_only": b"a,b,c\n",
    "binary": bytes(range(256)) * 8,
    "one_column": b"value\n" + b"1\n" * 50,
    "constant_target": ("x,target\n" + "".join(f"{i},same\n" for i in range(50))).encode(),
    "all_missing_target": ("x,target\n" + "".join(f"{i},\n" for i in range(50))).encode(),
    "identifier_target": ("x,target\n" + "".join(f"{i % 5},id-{i:04d}\n" for i in range(50))).encode(),
    "too_few_rows": b"x,target\n1,a\n2,b\n3,a\n",
    "one_row_class": ("x,target\n" + "".join(f"{i},a\n" for i in range(40)) + "41,b\n").encode(),
    "only_identifier_features": ("row_id,target\n" + "".join(f"{i},{'ab'[i % 2]}\n" for i in range(50))).encode(),
}

GOOD_INPUTS = {
    "semicolon_separated": table(";").encode(),
    "tab_separated": table("\t").encode(),
    "latin1": table().replace("red", "rouge-é").encode("latin-1"),
    "utf8_bom": b"\xef\xbb\xbf" + table().encode(),
    "duplicate_column_names": table().replace("size,colour,label", "size,size,label").encode(),
    "infinities": table().replace("\n1,", "\ninf,").encode(),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_gives_one_error_line_and_exit_2(tmp_path, name, run_cli):
    # Advice needs no feature columns (it can be given for any target); training does.
    command = "compare" if name == "only_identifier_features" else "recommend"
    # Without --target an unusable guess is passed over for the next usable column (tests/test_target_guess.py);
    # name the target to test that a user's own choice is still checked.
    named = {"identifier_target", "constant_target", "all_missing_target", "one_row_class"}
    target = ["--target", "target"] if name in named else []
    assert_usage_error(run_cli(command, write(tmp_path, f"{name}.csv", BAD_INPUTS[name]), *target, "--json"))


@pytest.mark.parametrize("name", sorted(GOOD_INPUTS))
def test_awkward_but_valid_input_works(tmp_path, name, run_cli):
    result = run_cli("recommend", write(tmp_path, f"{name}.csv", GOOD_INPUTS[name]), "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["profile"]["rows"] == 60
    assert payload["profile"]["target"] == "label"
    assert len(payload["profile"]["column_kinds"]) == 3


@pytest.mark.parametrize(
    "args",
    [
        ["recommend", "/no/such/file.csv", "--json"],
        ["recommend", str(SAMPLE_DATA / "wine.csv"), "--target", "nope", "--json"],
        ["recommend", str(SAMPLE_DATA / "wine.csv"), "--transparency", "extreme", "--json"],
        ["compare", str(SAMPLE_DATA / "wine.csv"), "--max-seconds", "-3", "--json"],
        ["compare", str(SAMPLE_DATA / "wine.csv"), "--seed", "abc", "--json"],
        ["compare", str(SAMPLE_DATA / "wine.csv"), "--report", " ", "--json"],
        # scikit-learn takes seeds from 0 to 2**32 - 1: these failed inside training as an internal error (exit 1)
        ["compare", str(SAMPLE_DATA / "wine.csv"), "--seed", "-1", "--json"],
        ["compare", str(SAMPLE_DATA / "wine.csv"), "--seed", "99999999999999999999", "--json"],
        ["track-record", "--datasets", str(SAMPLE_DATA / "wine.csv"), "--seed", "-5", "--json"],
        ["explode", "x.csv"],
        [],
    ],
)
def test_bad_command_lines(args, run_cli):
    assert_usage_error(run_cli(*args))


_FAILING_TRAINING = """
import sys
import engine.run.pipeline as pipeline

def compare(*args, **kwargs):
    raise RuntimeError("a bug deep inside training")

pipeline.compare = compare  # what the in-process job calls
from engine.__main__ import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("debug", [False, True])
def test_an_unexpected_training_failure_is_one_line_and_its_traceback_only_with_engine_debug(debug):
    """The job logs the traceback for a server's log; a command line printed it above a line naming a server log."""
    environment = {k: v for k, v in os.environ.items() if k != "ENGINE_DEBUG"} | ({"ENGINE_DEBUG": "1"} if debug else {})
    child = subprocess.run([sys.executable, "-c", _FAILING_TRAINING, "compare", str(SAMPLE_DATA / "wine.csv"), "--json"],
                           cwd=ROOT, capture_output=True, text=True, timeout=300, env=environment)
    last = "error: training failed unexpectedly (RuntimeError); set ENGINE_DEBUG=1 to see its traceback"
    assert child.returncode == 1 and child.stdout == ""
    assert child.stderr.strip().splitlines()[-1] == last and "server log" not in child.stderr
    assert ("Traceback" in child.stderr and "a bug deep inside training" in child.stderr) is debug
    if not debug:
        assert child.stderr.strip() == last


def test_a_folder_or_a_device_is_named_for_what_it_is(run_cli):
    """Both were "file not found", of a path that is there."""
    assert run_cli("recommend", str(SAMPLE_DATA), "--json").stderr.strip() == (
        f"error: {SAMPLE_DATA} is a folder, not a file: give the data as one file")
    assert run_cli("compare", "/dev/null", "--json").stderr.strip() == (
        "error: /dev/null is not a regular file (a device or a pipe): give the data as one file")
    assert run_cli("recommend", "/no/such/file.csv", "--json").stderr.strip() == "error: file not found: /no/such/file.csv"


def test_the_quiet_job_log_is_set_up_once_however_often_main_runs(run_cli, monkeypatch):
    import logging

    monkeypatch.delenv("ENGINE_DEBUG", raising=False)
    for _ in range(3):
        assert run_cli("recommend", "/no/such/file.csv", "--json").returncode == 2
    handlers = logging.getLogger("engine.executors.local").handlers
    assert sum(isinstance(h, logging.NullHandler) for h in handlers) == 1


def test_recommend_json_contract():
    result = run_child("recommend", str(SAMPLE_DATA / "breast_cancer.csv"), "--transparency", "high", "--gpu", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["recommendation"] in ("ml", "dl", "either")
    assert 0.0 <= payload["confidence"] <= 1.0
    assert [c["name"] for c in payload["criteria"]][:2] == ["data_structure", "data_volume"]
    for criterion in payload["criteria"]:
        assert criterion["favours"] in ("ml", "dl", "neutral")
        assert isinstance(criterion["weight"], float) and criterion["reason"]
    by_name = {c["name"]: c for c in payload["criteria"]}
    assert by_name["transparency"]["favours"] == "ml" and by_name["compute"]["favours"] == "dl"
    profile = payload["profile"]
    assert profile["rows"] == 569 and profile["columns"] == 31 and profile["task"] == "binary"
    assert profile["column_kinds"]["mean radius"] == "numeric"


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLE_DATA.glob("*.csv")))
def test_compare_every_sample_dataset(sample, run_cli):
    result = run_cli("compare", str(SAMPLE_DATA / sample), "--shap-rows", "60", "--max-seconds", "20", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert set(payload) >= {"recommendation", "task", "split", "models", "winner", "agreed_with_recommendation", "explanations"}
    assert payload["recommendation"]["recommendation"] in ("ml", "dl", "either")
    assert payload["task"] in ("binary", "multiclass", "regression")
    split = payload["split"]
    assert split["train_rows"] > split["test_rows"] > 0 and split["seed"] == 0
    main = "r2" if payload["task"] == "regression" else "accuracy"
    for family in ("ml", "dl"):
        model = payload["models"][family]
        assert set(model) >= {"name", "metrics", "train_seconds", "predict_seconds", "size_bytes"}
        value = model["metrics"][main]
        assert (0.0 <= value <= 1.0) if main == "accuracy" else (-1.0 < value <= 1.0)
        # Every model beats (or at worst equals) the trivial one: majority class or training mean.
        assert value >= model["baseline"], (family, model["name"], value, model["baseline"])
        assert model["train_seconds"] > 0 and model["predict_seconds"] > 0 and model["size_bytes"] > 0
        explanation = payload["explanations"][family]
        importance = explanation["global_importance"]
        assert explanation["explainer"]
        assert set(importance) <= set(payload["recommendation"]["profile"]["column_kinds"])
        assert all(v >= 0 for v in importance.values()) and max(importance.values()) > 0
        assert explanation["additivity_max_error"] < 1e-3
    assert payload["winner"] in ("ml", "dl", "tie")
    assert isinstance(payload["agreed_with_recommendation"], bool)
    agreement = payload["explanations"]["agreement"]
    assert -1.0 <= agreement["spearman"] <= 1.0 and 0 <= agreement["top5_overlap"] <= 5


def test_compare_is_deterministic_under_a_seed(run_cli, monkeypatch):
    """A child process and this process give the same record: nothing depends on the process (hash seed, state)."""
    from engine.common import thresholds

    # as the child runs it (conftest sets one split in this process): repeated splits below the small-volume band
    monkeypatch.setattr(thresholds, "SMALL_DATA_ROWS", thresholds.VOLUME_SMALL_ROWS)
    args = ("compare", str(SAMPLE_DATA / "wine.csv"), "--seed", "3", "--shap-rows", "20", "--json")
    first, second = json.loads(run_child(*args).stdout), json.loads(run_cli(*args).stdout)
    assert first["verdict"]["splits"] == second["verdict"]["splits"] > 1  # the repeated splits repeat too
    for family in ("ml", "dl"):
        assert first["models"][family]["metrics"] == second["models"][family]["metrics"]
        assert first["explanations"][family]["global_importance"] == second["explanations"][family]["global_importance"]


def test_a_child_process_exits_2_on_a_bad_command_line():
    assert_usage_error(run_child("recommend", "/no/such/file.csv", "--json"))
    assert_usage_error(run_child())


def test_the_schema_refuses_a_renamed_or_dropped_field(run_cli):
    import jsonschema

    payload = json.loads(run_cli("recommend", str(SAMPLE_DATA / "wine.csv"), "--json").stdout)
    assert_cli_contract(payload)
    renamed = dict(payload)
    renamed["advice"] = renamed.pop("recommendation")
    dropped = {**payload, "profile": {k: v for k, v in payload["profile"].items() if k != "column_kinds"}}
    wrong_type = {**payload, "confidence": "high"}
    for broken in (renamed, dropped, wrong_type):
        with pytest.raises(AssertionError):
            assert_cli_contract(broken)
    jsonschema.Draft202012Validator.check_schema(json.loads((ROOT / "engine/schemas/cli_output.schema.json").read_text()))


def test_advice_on_a_table_no_model_can_train_on_says_so_beside_it(tmp_path, run_cli):
    """An identifier and a label alone: the criteria still advise, but "classic ML, 94 %" stood alone, while
    compare refused the table."""
    rows = "".join(f"C{i:05d},{i % 2}\n" for i in range(60))
    path = write(tmp_path, "ids.csv", ("customer_id,churned\n" + rows).encode())
    result = run_cli("recommend", path, "--json")
    assert result.returncode == 0, result.stderr
    notes = json.loads(result.stdout)["notes"]
    assert notes == ["no column the models can use: customer_id (identifier): compare would refuse this table, so the "
                     "advice has nothing to be measured on"]
    assert_usage_error(run_cli("compare", path, "--json"))
    assert json.loads(run_cli("recommend", str(SAMPLE_DATA / "wine.csv"), "--json").stdout)["notes"] == []
