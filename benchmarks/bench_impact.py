"""The impact score on real history: train on the older 80% of changes, report on the newest
20% — RMSE, MAE and Spearman against the baselines — and precision/recall@5/@10 of the files
the blast radius ranks, against the files that did change.

Run: .venv/bin/python -m benchmarks.bench_impact --repo PATH --db FILE --name NAME

Rows are non-merge changes of 1 to MAX_TRANSACTION_FILES files from the mined store (mining
order). Nothing looks into the future of a row's features: co-change rules and the recent
activity of a change come from the changes before it only (kept up to date commit by commit),
its past impact from earlier changes whose follow-up windows were already over. The import
graph of a held-out change is the graph at the change just before it (built once at the cut,
then updated from each change's diff); training changes all use the graph at the cut, one
graph for the whole training history (cheaper than one per commit; the import structure of an
old change is approximated by the one at the cut). Training labels use only follow-ups known
at the cut (changes whose 30-day window ends after it are left out).

Precision/recall@k rank the blast radius's files (importers scored by the training changes'
follow-up rate at their import depth, coupled files by rule confidence) against (a) the files
of the follow-up commits, the impact label, and (b) the other files of the same held-out commit
given one of its files, the protocol of bench_cochange.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from analyzers.blast import BlastRadius
from analyzers.cochange import precision_recall_at
from analyzers.coupling import Coupling
from analyzers.git import GitRepo
from app.import_walk import GraphWalk
from app.storage.database import open_store
from app.storage.feature_store import FeatureStore
from models.impact import (
    ImpactMetrics,
    ImpactModel,
    RegressionMetrics,
    TrainOptions,
    depth_hit_rates,
    rank_blast_files,
    train_impact_model,
)
from models.impact_rows import build_rows
from models.impact_target import impact_scale
from models.portable import booster_margin

KS = (5, 10)
TEST_SHARE = 0.2
RANKINGS = ("blast", "blast (1/depth)", "graph", "coupling")


def ranking(blast: BlastRadius, rules: Mapping[str, list[Coupling]], kind: str, limit: int,
            rates: Mapping[int, float]) -> list[str]:
    """The files the blast radius ranks, from imports and history, or one of them."""
    if kind == "graph":
        return rank_blast_files(blast, None, limit, rates)
    if kind == "coupling":
        return rank_blast_files(replace(blast, affected_files={}), rules, limit)
    if kind == "blast (1/depth)":
        return rank_blast_files(blast, rules, limit)
    return rank_blast_files(blast, rules, limit, rates)


def precision_table(cases: Sequence[tuple[BlastRadius, Mapping[str, list[Coupling]],
                                          frozenset[str]]],
                    rates: Mapping[int, float]) -> dict[str, dict[str, float]]:
    """Mean P@k and R@k of each ranking over (blast, rules, files that did change) cases
    that have files to find."""
    scores: dict[str, dict[str, list[float]]] = {kind: {} for kind in RANKINGS}
    for blast, rules, actual in cases:
        if not actual:
            continue
        for kind in RANKINGS:
            ranked = ranking(blast, rules, kind, max(KS), rates)
            for k in KS:
                precision, recall = precision_recall_at(ranked, set(actual), k)
                scores[kind].setdefault(f"P@{k}", []).append(precision)
                scores[kind].setdefault(f"R@{k}", []).append(recall)
    return {kind: {m: statistics.fmean(v) for m, v in s.items()} for kind, s in scores.items()}


def scoring_microseconds(model: ImpactModel, rows: Sequence[tuple[float, ...]],
                         ) -> dict[str, float]:
    """Mean time to score one change: the pure-Python trees, and XGBoost's inplace_predict."""
    timer = time.perf_counter()
    for features in rows:
        model.score(features)
    python = (time.perf_counter() - timer) / len(rows) * 1e6
    timer = time.perf_counter()
    for features in rows:
        booster_margin(model.booster, np.asarray([features]))
    return {"score() (µs)": python,
            "booster_margin (µs)": (time.perf_counter() - timer) / len(rows) * 1e6}


def metric_line(name: str, metrics: RegressionMetrics) -> str:
    """One markdown table row of regression metrics."""
    return f"| {name} | {metrics.rmse:.3f} | {metrics.mae:.3f} | {metrics.spearman:.3f} |"


def print_report(name: str, metrics: ImpactMetrics, targets: np.ndarray,
                 precision: dict[str, dict[str, dict[str, float]]],
                 seconds: dict[str, float]) -> None:
    """The markdown tables."""
    print(f"\n### {name}: impact on the newest {metrics.test_rows} changes "
          f"(trained on {metrics.train_rows}, {metrics.rounds} rounds)\n")
    print(f"held-out target: mean {targets.mean():.2f}, sd {targets.std():.2f}, "
          f"share 0: {(targets == 0).mean():.2f}\n")
    print("| predictor | RMSE | MAE | Spearman |\n|---|---|---|---|")
    print(metric_line("model (XGBoost)", metrics.model))
    print(metric_line("training mean", metrics.mean_baseline))
    print(metric_line("blast size on the scale", metrics.blast_baseline))
    for title, table in precision.items():
        print(f"\nfiles ranked by the blast radius against {title} (held-out changes):\n")
        print("| ranking | P@5 | R@5 | P@10 | R@10 |\n|---|---|---|---|---|")
        for kind, values in table.items():
            print(f"| {kind} | " + " | ".join(f"{values[m]:.3f}"
                                             for m in ("P@5", "R@5", "P@10", "R@10")) + " |")
    print("\ntimes: " + ", ".join(f"{k} {v:.1f}s" for k, v in seconds.items()
                                 if not k.endswith("(µs)")))
    print("scoring one change: " + ", ".join(f"{k} {v:.0f}" for k, v in seconds.items()
                                              if k.endswith("(µs)")))


def main() -> None:
    """Parse arguments, build the rows, train, evaluate, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", required=True, help="a git clone or bare mirror")
    parser.add_argument("--db", required=True, help="the mined SQLite store")
    parser.add_argument("--name", required=True, help="the repository's name in the store")
    args = parser.parse_args()
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    store = FeatureStore(open_store(f"sqlite:///{args.db}"))
    repository = store.repository_id(args.name)
    if repository is None:
        raise SystemExit(f"{args.name} is not in {args.db}")
    records = store.change_records(repository)
    cut = int(len(records) * (1 - TEST_SHARE))
    seconds["load"] = time.perf_counter() - started
    walk = GraphWalk(GitRepo(args.repo), records[cut - 1].sha)
    seconds["graph"] = time.perf_counter() - started - sum(seconds.values())
    train, test = build_rows(records, cut, walk)
    seconds["rows"] = time.perf_counter() - started - sum(seconds.values())
    rows = train + test
    targets = np.array([len(r.followups) for r in rows], dtype=np.float64)
    scaled = np.array([impact_scale(n) for n in targets])
    model, metrics = train_impact_model(
        [r.features for r in rows], scaled, [float(r.index) for r in rows],
        TrainOptions(test_size=len(test) / len(rows)))
    assert metrics.test_rows == len(test), "the split must be the cut"
    seconds["train"] = time.perf_counter() - started - sum(seconds.values())
    rates = depth_hit_rates([r.blast for r in train], [r.followups for r in train])
    precision = {
        "follow-up files (the label)": precision_table(
            [(r.blast, r.rules, r.followups) for r in test], rates),
        "same-commit co-changes, one file given": precision_table(
            [(c.blast, c.rules, c.actual) for r in test for c in r.cases], rates)}
    seconds["total"] = time.perf_counter() - started
    seconds.update(scoring_microseconds(model, [r.features for r in test[:200]]))
    print_report(args.name, metrics, scaled[len(train):], precision, seconds)


if __name__ == "__main__":
    main()
