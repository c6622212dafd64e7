"""All five models on one mined repository: health validated on the future, scoring speed.

The history is cut by time into A (oldest 60%), B (next 20%) and C (newest 20%). Risk, file
risk, bug, anomaly and impact learn from A only; health, the meta-learner, learns from their
scores on B with labels as known at the end of B; everything is measured on C, whose labels are
those known today, leaving out the last W days (W: the median fix delay), whose clean labels
cannot be trusted yet. Then the scoring time of all five scores for a 50-file change (models
loaded from their JSON) and the throughput of batch scoring.

    python -m benchmarks.bench_models --db STORE.db --name NAME --repo MIRROR
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analyzers.changes import ChangeRecord
from analyzers.git import GitRepo
from app.storage.database import open_store
from app.storage.feature_store import FeatureStore
from app.training_run import store_columns
from benchmarks.bench_impact import GraphWalk, build_rows
from models.anomaly import DEFAULT_FEATURES, AnomalyModel, fit_anomaly_model
from models.bug import BugModel, train_bug_model
from models.dataset import Dataset, dataset_from_columns
from models.file_history import FileRow, feature_matrix, replay
from models.file_risk import FileRiskModel, LinkFact, row_values, train_file_risk_model
from models.health import HealthModel, fit_health_model
from models.impact import ImpactModel, train_impact_model
from models.impact_target import impact_scale
from models.metrics import brier, expected_calibration_error, pr_auc, roc_auc
from models.risk_model import RiskModel
from models.scoring import ChangeInputs, ModelSet
from models.training import TrainingOptions, train_and_evaluate

FloatArray = NDArray[np.float64]
DAY = 86_400.0
FILES = 50


@dataclass(frozen=True)
class Cuts:
    """The two times that cut the history into A, B and C."""

    a_end: float
    b_end: float


def timed(label: str, seconds: dict[str, float], work: Callable[[], Any]) -> Any:
    """Run work, record its wall time."""
    started = time.perf_counter()
    result = work()
    seconds[label] = time.perf_counter() - started
    return result


def change_rows(store: FeatureStore, name: str) -> tuple[Dataset, list[str]]:
    """The change-level dataset (sorted by time) and each row's sha."""
    columns = store_columns(store, name)
    data = dataset_from_columns(columns, "bug", "date", None, "bug_known_at")
    order = np.argsort(np.array(columns["date"], dtype=np.float64), kind="stable")
    return data, [columns["id"][i] for i in order]


def rows_before(data: Dataset, end: float) -> Dataset:
    """The rows older than a time, labels as known then."""
    keep = data.times < end
    known = data.known_at[keep] if data.known_at is not None else None
    return Dataset(data.features[keep], data.labels[keep], data.times[keep], data.names, known)


def columns_of(data: Dataset, names: Sequence[str]) -> FloatArray:
    """The dataset's matrix restricted to some columns, in that order."""
    return data.features[:, [data.names.index(n) for n in names]]


def file_rows(records: Sequence[ChangeRecord], fixes: set[str]) -> dict[str, list[FileRow]]:
    """Each change's file rows (file history as of the change), by sha."""
    _, rows = replay(records, fixes)
    grouped: dict[str, list[FileRow]] = defaultdict(list)
    for row in rows:
        grouped[row.sha].append(row)
    return grouped


def metrics_of(labels: NDArray[np.int64], scores: FloatArray) -> dict[str, float]:
    """AUC, PR-AUC, Brier and ECE (the last two only mean something for probabilities)."""
    keep = ~np.isnan(scores)
    labels, scores = labels[keep], scores[keep]
    return {"auc": roc_auc(labels, scores), "pr_auc": pr_auc(labels, scores),
            "brier": brier(labels, np.clip(scores, 0, 1)),
            "ece": expected_calibration_error(labels, np.clip(scores, 0, 1)), "n": len(labels)}


def median_ms(work: Callable[[], Any], repeat: int) -> float:
    """Median wall time of a call in milliseconds, after one warm-up call."""
    work()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def trip(model: Any) -> Any:
    """A model after a trip through JSON text, as a worker would load it."""
    return type(model).from_json(json.loads(json.dumps(model.to_json())))


def main() -> None:  # noqa: PLR0915  (one linear story, told in order)
    """Train on A, fit health on B, measure on C, time the scoring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--repo", required=True, help="the mirror (import graphs for impact)")
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()
    seconds: dict[str, float] = {}
    store = FeatureStore(open_store(f"sqlite:///{args.db}"))
    repository = store.repository_id(args.name)
    assert repository is not None, f"{args.name} is not in {args.db}"
    data, shas = change_rows(store, args.name)
    records = store.change_records(repository)
    fixes = {c.sha for c in store.commits(repository) if c.is_fix}
    cuts = Cuts(float(np.quantile(data.times, 0.6)), float(np.quantile(data.times, 0.8)))
    in_a = [r for r in records if r.time < cuts.a_end]
    assert data.known_at is not None, "the store gives when each bug became known"

    risk_result = timed("risk", seconds, lambda: train_and_evaluate(
        rows_before(data, cuts.a_end), TrainingOptions()))
    risk: RiskModel = risk_result.risk_model
    bug: BugModel = timed("bug", seconds, lambda: train_bug_model(in_a, fixes)[0])
    links = [LinkFact(*link) for link in store.szz_links(repository)
             if link[3] < cuts.a_end]
    file_risk: FileRiskModel = timed("file_risk", seconds, lambda: train_file_risk_model(
        in_a, fixes, store.file_features(repository), links)[0])
    a_rows = data.times < cuts.a_end
    anomaly = timed("anomaly", seconds, lambda: fit_anomaly_model(
        columns_of(data, DEFAULT_FEATURES)[a_rows], DEFAULT_FEATURES, seed=0))
    cut = sum(1 for r in records if r.time < cuts.a_end)
    walk = GraphWalk(GitRepo(args.repo), records[cut - 1].sha)
    train_rows, later_rows = timed("impact_rows", seconds, lambda: build_rows(records, cut, walk))
    impact_features = {records[r.index].sha: r.features for r in train_rows + later_rows}
    impact: ImpactModel = timed("impact", seconds, lambda: train_impact_model(
        [r.features for r in train_rows],
        [impact_scale(len(r.followups)) for r in train_rows],
        [float(r.index) for r in train_rows])[0])

    grouped = file_rows(records, fixes)
    per_file = store.file_features(repository)
    bug_rows = {sha: feature_matrix(rows) for sha, rows in grouped.items()}
    risk_rows = {sha: np.array([row_values(r, per_file.get((sha, r.path))) for r in rows],
                               dtype=np.float64) for sha, rows in grouped.items()}
    later = np.flatnonzero(data.times >= cuts.a_end)
    risk_scores = risk.score(data.features[later])
    anomaly_scores = anomaly.scores(columns_of(data, DEFAULT_FEATURES)[later])
    impact_scores = np.array([impact.score(impact_features[shas[i]])
                              if shas[i] in impact_features else np.nan for i in later])
    worst_bug = np.array([bug.score_horizon(bug_rows[shas[i]], 30).max()
                          if len(bug_rows.get(shas[i], ())) else np.nan for i in later])
    components = np.column_stack([risk_scores, worst_bug, anomaly_scores, impact_scores])
    in_b = data.times[later] < cuts.b_end
    known_by_b = np.nan_to_num(data.known_at[later], nan=np.inf) < cuts.b_end
    labels_b = (data.labels[later] * known_by_b)[in_b]
    health = fit_health_model(components[in_b], labels_b.astype(np.int64))
    delays = (data.known_at - data.times)[(data.labels == 1) & (data.known_at < cuts.a_end)]
    window = float(np.median(delays)) if len(delays) else 0.0
    in_c = ~in_b & (data.times[later] <= data.times.max() - window)
    labels_c = data.labels[later][in_c]
    report = {"repository": args.name, "rows": {"A": int(a_rows.sum()), "B": int(in_b.sum()),
                                                "C": int(in_c.sum())},
              "latency_window_days": window / DAY, "train_seconds": seconds,
              "health": metrics_of(labels_c, health.probability(components[in_c])),
              "risk": metrics_of(labels_c, risk_scores[in_c]),
              "bug (riskiest file, 30 days)": metrics_of(labels_c, worst_bug[in_c]),
              "anomaly": metrics_of(labels_c, anomaly_scores[in_c]),
              "impact": metrics_of(labels_c, impact_scores[in_c]),
              "health confidence (median)": float(np.median(
                  health.confidence(components[in_c])))}

    loaded_risk: RiskModel = trip(risk)
    loaded_file_risk: FileRiskModel = trip(file_risk)
    loaded_bug: BugModel = trip(bug)
    loaded_anomaly: AnomalyModel = AnomalyModel.from_json(anomaly.to_json())
    loaded_impact: ImpactModel = trip(impact)
    loaded_health: HealthModel = trip(health)
    models = ModelSet(loaded_risk, loaded_file_risk, loaded_bug, loaded_anomaly, loaded_impact,
                      loaded_health)
    newest = [i for i in later[in_c] if shas[i] in grouped]
    pool = [(shas[i], n) for i in newest for n in range(len(grouped[shas[i]]))]
    picked = [pool[k] for k in np.random.default_rng(0).choice(len(pool), FILES, replace=False)]
    widest = max(newest, key=lambda i: len(grouped[shas[i]]))
    no_impact = tuple(0.0 for _ in impact.feature_names)
    inputs = ChangeInputs(data.features[widest],
                          np.vstack([risk_rows[sha][n] for sha, n in picked]),
                          np.vstack([bug_rows[sha][n] for sha, n in picked]),
                          columns_of(data, DEFAULT_FEATURES)[widest],
                          impact_features.get(shas[widest], no_impact))
    batch = [ChangeInputs(data.features[i], risk_rows[shas[i]], bug_rows[shas[i]],
                          columns_of(data, DEFAULT_FEATURES)[i],
                          impact_features.get(shas[i], no_impact)) for i in newest]
    single = {"all five (50 files)": lambda: models.score(inputs),
              "risk (change)": lambda: loaded_risk.score(inputs.change.reshape(1, -1)),
              "file risk (50 files)": lambda: loaded_file_risk.score(inputs.files),
              "bug (50 files, 3 horizons)": lambda: [loaded_bug.score_horizon(
                  inputs.file_history, h) for h in (7, 15, 30)],
              "anomaly": lambda: loaded_anomaly.score(inputs.anomaly),
              "impact": lambda: loaded_impact.score(inputs.impact),
              "health": lambda: loaded_health.score({"risk": 0.3, "bug": 0.2, "anomaly": 0.1,
                                                     "impact": 4.0})}
    report["scoring_ms_median"] = {name: median_ms(work, args.repeat)
                                   for name, work in single.items()}
    batch_ms = median_ms(lambda: models.score_batch(batch), 20)
    report["batch"] = {"changes": len(batch), "ms_median": batch_ms,
                       "changes_per_second": len(batch) / batch_ms * 1000}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
