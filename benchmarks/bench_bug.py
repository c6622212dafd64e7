"""File-level models on a mined store: the bug score per horizon and the file-change risk,
each against simple rankings on the same newest rows by time.

Run: .venv/bin/python -m benchmarks.bench_bug --db /work/scratch/mined/flask.db --name flask

Bug: rows (file, t) for each file a commit touches; the newest 20% by time test, training rows
keep t + h ≤ the split. File-change risk: SZZ labels known at the split, latency window held
back. Baselines rank the same test rows by one history feature (no fitting).
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

import numpy as np
from sqlalchemy import Engine, select

from analyzers.catalogue import EXTRACTOR_VERSION
from app.storage.database import open_store
from app.storage.feature_store import FeatureStore
from app.storage.schema import Commit, FileChange, SzzLink
from models.bug import BUG_OPTIONS, BugData, bug_split, build_bug_data, train_bug_on
from models.file_history import FILE_HISTORY_FEATURES
from models.file_risk import (
    FILE_RISK_FEATURES,
    FILE_RISK_OPTIONS,
    FileRiskData,
    LinkFact,
    build_file_risk_data,
    file_risk_split,
    train_file_risk_on,
)
from models.file_scorers import BoostOptions
from models.metrics import IntArray, pr_auc, recall_at_top, roc_auc
from models.portable import FloatArray

COLUMNS = ("auc", "pr_auc", "f1", "mcc", "precision", "recall", "recall_at_top10",
           "recall_at_top20", "brier", "n_train", "n_test")


def file_features(engine: Engine, repository_id: int) -> dict[tuple[str, str], dict[str, Any]]:
    """The mined features of every file change of non-merge commits, by (sha, path)."""
    query = select(Commit.sha, FileChange.path, FileChange.features).join(
        Commit, Commit.id == FileChange.commit_id).where(
        Commit.repository_id == repository_id, Commit.extractor_version == EXTRACTOR_VERSION,
        Commit.is_merge.is_(False))
    with engine.connect() as conn:
        return {(sha, path): dict(features) for sha, path, features in conn.execute(query)}


def links(engine: Engine, repository_id: int) -> list[LinkFact]:
    """Every stored SZZ link of the repository."""
    query = select(SzzLink.fix_sha, SzzLink.inducing_sha, SzzLink.path, SzzLink.known_at).where(
        SzzLink.repository_id == repository_id)
    with engine.connect() as conn:
        return [LinkFact(*row) for row in conn.execute(query)]


def ranking(labels: IntArray, scores: FloatArray) -> dict[str, float]:
    """The threshold-free metrics of a ranking."""
    return {"auc": roc_auc(labels, scores), "pr_auc": pr_auc(labels, scores),
            "recall_at_top10": recall_at_top(labels, scores, 0.1),
            "recall_at_top20": recall_at_top(labels, scores, 0.2),
            "n_test": float(len(labels))}


def column(features: FloatArray, names: tuple[str, ...], name: str) -> FloatArray:
    """One feature column, NaN as 0."""
    return np.nan_to_num(features[:, names.index(name)])


def baselines(features: FloatArray, names: tuple[str, ...]) -> dict[str, FloatArray]:
    """Simple rankings: past fixes (all, or of 90 days when counts of all are not features)
    and changes of 90 days, each with the other breaking ties."""
    fixes = "prior_fixes" if "prior_fixes" in names else "fixes_90d"
    return {f"baseline: {fixes.replace('_', ' ')}": column(features, names, fixes)
            + 1e-3 * column(features, names, "changes_90d"),
            "baseline: changes 90d": column(features, names, "changes_90d")
            + 1e-3 * column(features, names, fixes)}


def cell(value: float | None) -> str:
    """A table cell: counts as integers, rates to three decimals, blanks when absent."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(int(value)) if float(value).is_integer() and value > 1 else f"{value:.3f}"


def table_rows(score: str, results: dict[str, dict[str, float]]) -> list[str]:
    """Markdown rows of one score's models and baselines."""
    return [f"| {score} | {model} | " + " | ".join(cell(metrics.get(c)) for c in COLUMNS) + " |"
            for model, metrics in results.items()]


def bug_results(data: BugData, options: BoostOptions) -> dict[str, dict[str, dict[str, float]]]:
    """Per horizon: the model's test metrics and the baselines' on the same rows."""
    _, metrics = train_bug_on(data, options)
    results = {}
    for horizon in sorted(data.labels):
        test = bug_split(data.times, data.last_time, horizon, options).test
        labels = data.labels[horizon][test]
        rows = {"model: xgboost + logistic": metrics[f"{horizon}d"]}
        for name, scores in baselines(data.features[test], FILE_HISTORY_FEATURES).items():
            rows[name] = ranking(labels, scores)
        results[f"bug {horizon}d"] = rows
    return results


def file_risk_results(data: FileRiskData) -> dict[str, dict[str, float]]:
    """The file-change risk model's test metrics and the baselines' on the same rows."""
    _, metrics = train_file_risk_on(data, FILE_RISK_OPTIONS)
    test = file_risk_split(data, FILE_RISK_OPTIONS).test
    labels = data.labels[test]
    rows = {"model: xgboost + logistic": metrics}
    churn = column(data.features[test], FILE_RISK_FEATURES, "la") + column(
        data.features[test], FILE_RISK_FEATURES, "ld")
    rows["baseline: churn la+ld"] = ranking(labels, churn)
    for name, scores in baselines(data.features[test], FILE_RISK_FEATURES).items():
        rows[name] = ranking(labels, scores)
    return rows


def main() -> None:
    """Train and validate both file-level models on one store and print a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True, help="SQLite store file")
    parser.add_argument("--name", required=True, help="repository name in the store")
    args = parser.parse_args()
    started = time.perf_counter()
    engine = open_store(f"sqlite:///{args.db}")
    store = FeatureStore(engine)
    repository_id = store.repository_id(args.name)
    if repository_id is None:
        raise SystemExit(f"{args.name} is not in {args.db}")
    history = store.change_records(repository_id)
    fixes = {c.sha for c in store.commits(repository_id, include_merges=False) if c.is_fix}
    loaded = time.perf_counter()
    bug = bug_results(build_bug_data(history, fixes), BUG_OPTIONS)
    bug_done = time.perf_counter()
    risk = file_risk_results(build_file_risk_data(
        history, fixes, file_features(engine, repository_id), links(engine, repository_id)))
    finished = time.perf_counter()
    print(f"## {args.name}: {len(history)} changes, {len(fixes)} fixes\n")
    print("| score | model | " + " | ".join(COLUMNS) + " |")
    print("|---|---|" + "---|" * len(COLUMNS))
    for score, rows in bug.items():
        print("\n".join(table_rows(score, rows)))
    print("\n".join(table_rows("file-change risk", risk)))
    extra = risk["model: xgboost + logistic"]
    print(f"\nfile-change risk: latency window {extra['latency_window_days']:.1f} days, "
          f"{int(extra['held_back'])} rows held back, {int(extra['labels_not_yet_known'])} "
          "training positives not yet known at the split")
    print(f"time: load {loaded - started:.1f}s, bug {bug_done - loaded:.1f}s, "
          f"file-change risk {finished - bug_done:.1f}s, total {finished - started:.1f}s")


if __name__ == "__main__":
    main()
