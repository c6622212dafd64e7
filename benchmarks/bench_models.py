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
from app.import_walk import GraphWalk
from app.storage.database import open_store
from app.storage.feature_store import FeatureStore
from app.training_run import store_columns
from models.anomaly import DEFAULT_FEATURES, AnomalyModel, fit_anomaly_model
from models.bug import BugModel, train_bug_model
from models.dataset import Dataset, dataset_from_columns
from models.file_history import FileRow, feature_matrix, replay
from models.file_risk import FileRiskModel, LinkFact, row_values, train_file_risk_model
from models.health import HealthModel, fit_health_model
from models.impact import ImpactModel, train_impact_model
from models.impact_rows import build_rows
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


@dataclass(frozen=True)
class History:
    """One mined repository, its change rows (by time) and the A/B/C cuts."""

    store: FeatureStore
    repository: int
    data: Dataset
    shas: list[str]
    records: list[ChangeRecord]
    fixes: set[str]
    cuts: Cuts


@dataclass(frozen=True)
class Trained:
    """The component models learned from A, and every change's impact features."""

    risk: RiskModel
    bug: BugModel
    file_risk: FileRiskModel
    anomaly: AnomalyModel
    impact: ImpactModel
    impact_features: dict[str, tuple[float, ...]]


@dataclass(frozen=True)
class FileRows:
    """Each change's file rows as the bug and file-risk models read them, by sha."""

    bug: dict[str, FloatArray]
    risk: dict[str, FloatArray]


def load_history(db: str, name: str) -> History:
    """The repository's rows from its store, cut at 60% and 80% of its time."""
    store = FeatureStore(open_store(f"sqlite:///{db}"))
    repository = store.repository_id(name)
    assert repository is not None, f"{name} is not in {db}"
    data, shas = change_rows(store, name)
    assert data.known_at is not None, "the store gives when each bug became known"
    cuts = Cuts(float(np.quantile(data.times, 0.6)), float(np.quantile(data.times, 0.8)))
    return History(store, repository, data, shas, store.change_records(repository),
                   {c.sha for c in store.commits(repository) if c.is_fix}, cuts)


def train_on_a(history: History, mirror: str, seconds: dict[str, float]) -> Trained:
    """Risk, bug, file risk, anomaly and impact learned from the oldest 60% only."""
    data, cuts, records = history.data, history.cuts, history.records
    in_a = [r for r in records if r.time < cuts.a_end]
    risk = timed("risk", seconds, lambda: train_and_evaluate(
        rows_before(data, cuts.a_end), TrainingOptions()).risk_model)
    bug = timed("bug", seconds, lambda: train_bug_model(in_a, history.fixes)[0])
    links = [LinkFact(*link) for link in history.store.szz_links(history.repository)
             if link[3] < cuts.a_end]
    file_risk = timed("file_risk", seconds, lambda: train_file_risk_model(
        in_a, history.fixes, history.store.file_features(history.repository), links)[0])
    anomaly = timed("anomaly", seconds, lambda: fit_anomaly_model(
        columns_of(data, DEFAULT_FEATURES)[data.times < cuts.a_end], DEFAULT_FEATURES, seed=0))
    walk = GraphWalk(GitRepo(mirror), records[len(in_a) - 1].sha)
    train_rows, later_rows = timed("impact_rows", seconds,
                                   lambda: build_rows(records, len(in_a), walk))
    impact = timed("impact", seconds, lambda: train_impact_model(
        [r.features for r in train_rows], [impact_scale(len(r.followups)) for r in train_rows],
        [float(r.index) for r in train_rows])[0])
    return Trained(risk, bug, file_risk, anomaly, impact,
                   {records[r.index].sha: r.features for r in train_rows + later_rows})


def file_rows_of(history: History) -> tuple[dict[str, list[FileRow]], FileRows]:
    """Each change's file rows, and their matrices for the bug and file-risk models."""
    grouped = file_rows(history.records, history.fixes)
    per_file = history.store.file_features(history.repository)
    return grouped, FileRows(
        {sha: feature_matrix(rows) for sha, rows in grouped.items()},
        {sha: np.array([row_values(r, per_file.get((sha, r.path))) for r in rows],
                       dtype=np.float64) for sha, rows in grouped.items()})


def validate_health(history: History, trained: Trained, files: FileRows,
                    seconds: dict[str, float]) -> tuple[HealthModel, FloatArray, dict[str, Any]]:
    """Health fitted on B's component scores, everything measured on C; the health model, C's
    row indices and the report."""
    data, shas, cuts = history.data, history.shas, history.cuts
    assert data.known_at is not None
    later = np.flatnonzero(data.times >= cuts.a_end)
    scores = {
        "risk": trained.risk.score(data.features[later]),
        "bug (riskiest file, 30 days)": np.array([
            trained.bug.score_horizon(files.bug[shas[i]], 30).max()
            if len(files.bug.get(shas[i], ())) else np.nan for i in later]),
        "anomaly": trained.anomaly.scores(columns_of(data, DEFAULT_FEATURES)[later]),
        "impact": np.array([trained.impact.score(trained.impact_features[shas[i]])
                            if shas[i] in trained.impact_features else np.nan for i in later])}
    components = np.column_stack(list(scores.values()))
    in_b = data.times[later] < cuts.b_end
    known_by_b = np.nan_to_num(data.known_at[later], nan=np.inf) < cuts.b_end
    health = fit_health_model(components[in_b],
                              (data.labels[later] * known_by_b)[in_b].astype(np.int64))
    delays = (data.known_at - data.times)[(data.labels == 1) & (data.known_at < cuts.a_end)]
    window = float(np.median(delays)) if len(delays) else 0.0
    in_c = ~in_b & (data.times[later] <= data.times.max() - window)
    labels_c = data.labels[later][in_c]
    report = {"rows": {"A": int((data.times < cuts.a_end).sum()), "B": int(in_b.sum()),
                       "C": int(in_c.sum())},
              "latency_window_days": window / DAY, "train_seconds": seconds,
              "health": metrics_of(labels_c, health.probability(components[in_c])),
              **{name: metrics_of(labels_c, values[in_c]) for name, values in scores.items()},
              "health confidence (median)": float(np.median(
                  health.confidence(components[in_c])))}
    return health, later[in_c], report


def scoring_report(history: History, trained: Trained, health: HealthModel,
                   grouped: dict[str, list[FileRow]], files: FileRows, newest_rows: FloatArray,
                   repeat: int) -> dict[str, Any]:
    """Median scoring times of a 50-file change, per model and for all five, and the
    throughput of batch scoring, with every model loaded from its JSON."""
    data, shas = history.data, history.shas
    risk: RiskModel = trip(trained.risk)
    file_risk: FileRiskModel = trip(trained.file_risk)
    bug: BugModel = trip(trained.bug)
    anomaly = AnomalyModel.from_json(trained.anomaly.to_json())
    impact: ImpactModel = trip(trained.impact)
    loaded_health: HealthModel = trip(health)
    models = ModelSet(risk, file_risk, bug, anomaly, impact, loaded_health)
    newest = [int(i) for i in newest_rows if shas[i] in grouped]
    pool = [(shas[i], n) for i in newest for n in range(len(grouped[shas[i]]))]
    picked = [pool[k] for k in np.random.default_rng(0).choice(len(pool), FILES, replace=False)]
    widest = max(newest, key=lambda i: len(grouped[shas[i]]))
    no_impact = tuple(0.0 for _ in impact.feature_names)
    inputs = ChangeInputs(data.features[widest],
                          np.vstack([files.risk[sha][n] for sha, n in picked]),
                          np.vstack([files.bug[sha][n] for sha, n in picked]),
                          columns_of(data, DEFAULT_FEATURES)[widest],
                          trained.impact_features.get(shas[widest], no_impact))
    batch = [ChangeInputs(data.features[i], files.risk[shas[i]], files.bug[shas[i]],
                          columns_of(data, DEFAULT_FEATURES)[i],
                          trained.impact_features.get(shas[i], no_impact)) for i in newest]
    single = {"all five (50 files)": lambda: models.score(inputs),
              "risk (change)": lambda: risk.score(inputs.change.reshape(1, -1)),
              "file risk (50 files)": lambda: file_risk.score(inputs.files),
              "bug (50 files, 3 horizons)": lambda: [bug.score_horizon(
                  inputs.file_history, h) for h in (7, 15, 30)],
              "anomaly": lambda: anomaly.score(inputs.anomaly),
              "impact": lambda: impact.score(inputs.impact),
              "health": lambda: loaded_health.score({"risk": 0.3, "bug": 0.2, "anomaly": 0.1,
                                                     "impact": 4.0})}
    batch_ms = median_ms(lambda: models.score_batch(batch), 20)
    return {"scoring_ms_median": {name: median_ms(work, repeat)
                                  for name, work in single.items()},
            "batch": {"changes": len(batch), "ms_median": batch_ms,
                      "changes_per_second": len(batch) / batch_ms * 1000}}


def main() -> None:
    """Train on A, fit health on B, measure on C, time the scoring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--repo", required=True, help="the mirror (import graphs for impact)")
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()
    seconds: dict[str, float] = {}
    history = load_history(args.db, args.name)
    trained = train_on_a(history, args.repo, seconds)
    grouped, files = file_rows_of(history)
    health, newest, report = validate_health(history, trained, files, seconds)
    report = {"repository": args.name, **report,
              **scoring_report(history, trained, health, grouped, files, newest, args.repeat)}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
