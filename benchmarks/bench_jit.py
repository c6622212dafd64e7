"""Our trainer against the published JIT defect predictors on six projects (Zeng et al. 2021).

Run: .venv/bin/python -m benchmarks.bench_jit [--data-dir PATH] [--resamples 1000]
     [--tune-seconds 0] [--seeds 1]

Per project, the paper's split: the first int(0.8·n) rows by date train, the rest test; the 14
Kamei features. Ours is `train_and_evaluate` as `diffrisk train` runs it (selection by
time-series CV on the training rows only, calibrated out of fold). In the same run: the untuned
random forest (300 trees, min leaf 5) on the same split, and the published models' AUC recomputed
from their prediction files. Bootstrap: the same resamples of the test rows for every model,
giving 95% intervals of AUC and of ours minus the forest and minus the best published model.
With --tune-seconds S > 0, XGBoost's settings are first searched for S seconds per project by
time-series CV on the training rows only (as `diffrisk train --tune`); the test rows stay unseen.
With --seeds K > 1, ours and the forest are also trained again with seeds 1..K-1, and the spread of
the mean AUC difference over those trainings is printed (the bootstrap covers the test rows only).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from sklearn.ensemble import RandomForestClassifier

from models.dataset import Dataset, load_dataset, subset, time_split
from models.features import add_derived
from models.metrics import roc_auc
from models.training import TrainingOptions, TrainingResult, train_and_evaluate
from models.tuning import tune_xgboost

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
PROJECTS = ("qt", "openstack", "jdt", "platform", "gerrit", "go")
KAMEI = ("ns", "nd", "nf", "entrophy", "la", "ld", "lt", "fix", "ndev", "age", "nuc", "exp",
         "rexp", "sexp")
PUBLISHED = {"la": "LApredict", "deepjit": "DeepJIT", "cc2vec": "CC2Vec", "dbn": "Deeper",
             "lr": "KameiLR"}
DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets" / "jit-issta21"
DETAIL = ("pr_auc", "f1", "mcc", "recall_at_top10", "recall_at_top20",
          "recall_at_20pct_effort", "popt", "brier", "ece")


@dataclass(frozen=True)
class ProjectRun:
    """One project's test labels, every model's test scores, and our full result."""

    name: str
    labels: IntArray
    scores: dict[str, FloatArray]
    ours: TrainingResult
    seconds: float


def published_scores(data_dir: Path, project: str, labels: IntArray) -> dict[str, FloatArray]:
    """The published models' test probabilities, checked against our test labels."""
    scores = {}
    for key, title in PUBLISHED.items():
        table = np.loadtxt(data_dir / "published_predictions" / f"{key}_{project}_WP.result",
                           delimiter="\t", ndmin=2)
        if not np.array_equal(table[:, 0].astype(np.int64), labels):
            raise SystemExit(f"{key}_{project}_WP.result does not match the test rows' labels")
        scores[title] = table[:, 1]
    return scores


def forest_baseline(data: Dataset, train: IntArray, test: IntArray, seed: int = 0) -> FloatArray:
    """The untuned random forest of the dataset README (300 trees, min leaf 5)."""
    model = RandomForestClassifier(n_estimators=300, min_samples_leaf=5, n_jobs=2,
                                   random_state=seed)
    model.fit(data.features[train], data.labels[train])
    return np.asarray(model.predict_proba(data.features[test])[:, 1], dtype=np.float64)


def training_options(data: Dataset, train: IntArray, tune_seconds: float,
                     seed: int = 0) -> TrainingOptions:
    """The paper's split, with XGBoost settings tuned by CV on the training rows when asked."""
    if tune_seconds <= 0:
        return TrainingOptions(test_size=0.2, seed=seed)
    features, _ = add_derived(data.features[train], data.names)
    tuned = tune_xgboost(features, data.labels[train], tune_seconds, seed=seed)
    return TrainingOptions(test_size=0.2, xgboost_params=tuned.params, seed=seed)


def load_project(data_dir: Path, project: str) -> Dataset:
    """One project's 14 Kamei features, labels and dates."""
    return load_dataset(data_dir / f"{project}_k_feature.csv", "bug", "date", list(KAMEI))


def run_project(data_dir: Path, project: str, tune_seconds: float = 0.0) -> ProjectRun:
    """Train ours and the forest on one project and gather every model's test scores."""
    started = time.perf_counter()
    data = load_project(data_dir, project)
    train, test = time_split(len(data.labels), 0.2)
    ours = train_and_evaluate(data, training_options(data, train, tune_seconds))
    labels = subset(data, test).labels
    scores = {"ours": ours.test_probabilities, "RF": forest_baseline(data, train, test),
              **published_scores(data_dir, project, labels)}
    return ProjectRun(project, labels, scores, ours, time.perf_counter() - started)


def seeded_aucs(data_dir: Path, project: str, seed: int,
                tune_seconds: float) -> tuple[float, float]:
    """Test AUC of ours and of the forest, both trained with this seed."""
    data = load_project(data_dir, project)
    train, test = time_split(len(data.labels), 0.2)
    ours = train_and_evaluate(data, training_options(data, train, tune_seconds, seed))
    labels = subset(data, test).labels
    return (roc_auc(labels, ours.test_probabilities),
            roc_auc(labels, forest_baseline(data, train, test, seed)))


def seed_rows(runs: list[ProjectRun], data_dir: Path, seeds: int, tune_seconds: float) -> str:
    """Mean AUC of ours and the forest per training seed, and the spread of their difference."""
    firsts = [(roc_auc(r.labels, r.scores["ours"]), roc_auc(r.labels, r.scores["RF"]))
              for r in runs]
    per_seed = [np.mean(firsts, axis=0)]
    for seed in range(1, seeds):
        pairs = [seeded_aucs(data_dir, r.name, seed, tune_seconds) for r in runs]
        per_seed.append(np.mean(pairs, axis=0))
    lines = [f"seed {n}: ours {o:.4f} | RF {f:.4f} | ours−RF {o - f:+.4f}"
             for n, (o, f) in enumerate(per_seed)]
    gaps = np.array([o - f for o, f in per_seed])
    lines.append(f"ours−RF over {seeds} seeds: min {gaps.min():+.4f} | median "
                 f"{np.median(gaps):+.4f} | max {gaps.max():+.4f}")
    return "\n".join(lines)


def bootstrap_aucs(labels: IntArray, scores: dict[str, FloatArray], resamples: int,
                   seed: int) -> dict[str, FloatArray]:
    """AUC of every model on the same bootstrap resamples of the test rows."""
    rng = np.random.default_rng(seed)
    draws = [rng.integers(0, len(labels), len(labels)) for _ in range(resamples)]
    return {name: np.array([roc_auc(labels[d], s[d]) for d in draws])
            for name, s in scores.items()}


def interval(values: FloatArray) -> str:
    """'[lo, hi]' of the central 95%."""
    low, high = np.nanpercentile(values, [2.5, 97.5])
    return f"[{low:.3f}, {high:.3f}]"


def auc_row(run: ProjectRun, boot: dict[str, FloatArray]) -> str:
    """One project's AUC line: ours, forest and published, with intervals and differences."""
    aucs = {name: roc_auc(run.labels, s) for name, s in run.scores.items()}
    best = max(PUBLISHED.values(), key=aucs.__getitem__)
    cells = [f"{run.name:9}", f"{aucs['ours']:.3f} {interval(boot['ours'])}",
             f"{aucs['RF']:.3f} {interval(boot['RF'])}",
             *(f"{aucs[t]:.3f}" for t in PUBLISHED.values()),
             f"{aucs['ours'] - aucs['RF']:+.3f} {interval(boot['ours'] - boot['RF'])}",
             f"{aucs['ours'] - aucs[best]:+.3f} {interval(boot['ours'] - boot[best])} ({best})",
             run.ours.model]
    return " | ".join(cells)


def mean_row(runs: list[ProjectRun], boots: list[dict[str, FloatArray]]) -> str:
    """Mean AUC over the projects per model, and the 95% interval of the mean difference of
    ours from each (the projects' bootstrap resamples drawn independently, averaged draw by
    draw)."""
    names = ["ours", "RF", *PUBLISHED.values()]
    means = {n: np.mean([roc_auc(r.labels, r.scores[n]) for r in runs]) for n in names}
    gaps = {n: np.mean([b["ours"] - b[n] for b in boots], axis=0) for n in names[1:]}
    return ("mean      | " + " | ".join(f"{n} {v:.3f}" for n, v in means.items())
            + "\nmean ours−model [95%] | " + " | ".join(
                f"{n} {means['ours'] - means[n]:+.4f} {interval(g)}" for n, g in gaps.items()))


def detail_row(run: ProjectRun) -> str:
    """Our other test metrics for one project."""
    return f"{run.name:9} | " + " | ".join(f"{run.ours.metrics[m]:.3f}" for m in DETAIL) + (
        f" | {run.ours.cv_auc[run.ours.model]:.3f} | {run.ours.calibration} | {run.seconds:.0f}s")


def main() -> None:
    """Run every project and print the AUC table, the detail table and the means."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--projects", default=",".join(PROJECTS))
    parser.add_argument("--tune-seconds", type=float, default=0.0)
    parser.add_argument("--seeds", type=int, default=1)
    args = parser.parse_args()
    runs = [run_project(args.data_dir, p, args.tune_seconds) for p in args.projects.split(",")]
    print("project   | ours AUC [95%] | RF AUC [95%] | " + " | ".join(PUBLISHED.values())
          + " | ours−RF [95%] | ours−best published [95%] | chosen")
    boots = [bootstrap_aucs(run.labels, run.scores, args.resamples, number)
             for number, run in enumerate(runs)]
    for run, boot in zip(runs, boots, strict=True):
        print(auc_row(run, boot))
    print(mean_row(runs, boots))
    print("\nproject   | " + " | ".join(DETAIL) + " | CV AUC (train) | calibration | time")
    for run in runs:
        print(detail_row(run))
    if args.seeds > 1:
        print("\ntraining seeds (mean over the projects, test rows)")
        print(seed_rows(runs, args.data_dir, args.seeds, args.tune_seconds))


if __name__ == "__main__":
    main()
