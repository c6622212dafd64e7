"""Registrations of the anomaly and impact models of a mined repository, each compared with the
production model of its kind on the same rows, as the registry's promotion rule needs."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np

from analyzers.git import GitRepo
from app.analysis.history import MinedHistory
from app.file_models_run import matrix_hash
from app.storage.feature_store import FeatureStore
from app.storage.registry import ModelRegistry, Registration
from app.training_run import finite

ANOMALY_SEED = 0


def anomaly_rows(store: FeatureStore, history: MinedHistory,
                 names: tuple[str, ...]) -> tuple[np.ndarray, list[Any]]:
    """The catalogue features (columns `names`) of every non-merge commit with files, in
    history order, and each one as the typed rules' baseline learns from it."""
    from models.anomaly_rules import history_change  # noqa: PLC0415

    by_sha = {c.sha: c.features for c in store.commits(history.repository_id,
                                                        include_merges=False)}
    rows, changes = [], []
    for record in history.records:
        features = by_sha.get(record.sha)
        if features is None:
            continue
        rows.append([float(features.get(name, np.nan)) for name in names])
        changes.append(history_change(features, record.author,
                                      [touch.path for touch in record.files]))
    return np.array(rows, dtype=np.float64).reshape(-1, len(names)), changes


def anomaly_registration(store: FeatureStore, registry: ModelRegistry,
                         history: MinedHistory) -> Registration:
    """An isolation forest and typed-rule baseline learned from the whole history; promoted
    over production when it has seen more of the history (there is no label to compare on)."""
    from models.anomaly import DEFAULT_FEATURES, fit_anomaly_model  # noqa: PLC0415
    from models.anomaly_rules import learn_baseline  # noqa: PLC0415

    rows, changes = anomaly_rows(store, history, DEFAULT_FEATURES)
    model = fit_anomaly_model(rows, DEFAULT_FEATURES, seed=ANOMALY_SEED,
                              baseline=learn_baseline(changes))
    times = [r.time for r in history.records]
    production = registry.production(history.name, "anomaly")
    comparison: dict[str, Any] = {}
    if production is not None:
        comparison = {"against": f"production anomaly@{production.version}",
                      "against_version": production.version, "metric": "history_changes",
                      "candidate": len(rows),
                      "baseline": int(production.metrics.get("n_test", 0))}
    return Registration(
        "anomaly", "isolation_forest+rules", {"anomaly": model.to_json()},
        {"n_test": len(rows), "history_changes": len(rows)},
        {"seed": ANOMALY_SEED}, list(DEFAULT_FEATURES), matrix_hash(rows),
        (min(times, default=0), max(times, default=0)), (min(times, default=0),
                                                         max(times, default=0)), comparison)


def impact_rows(repo: GitRepo, history: MinedHistory) -> tuple[list[Any], dict[str, int]]:
    """Impact training rows of the whole history, all on the import graph of its newest change
    (one graph instead of one per commit), and each row's position by sha."""
    from app.import_walk import GraphWalk  # noqa: PLC0415
    from models.impact_rows import build_rows  # noqa: PLC0415

    records = list(history.records)
    walk = GraphWalk(repo, records[-1].sha)
    rows, _ = build_rows(records, len(records), walk)
    return rows, {records[row.index].sha: n for n, row in enumerate(rows)}


def impact_registration(registry: ModelRegistry, history: MinedHistory,
                        rows: list[Any]) -> Registration:
    """The impact regressor on follow-up co-changes, validated on the newest rows (Spearman
    against the scaled target) and compared with production on those same rows."""
    from models.impact import (  # noqa: PLC0415  # noqa: PLC0415
        ImpactModel,
        TrainOptions,
        regression_metrics,
        time_order_split,
        train_impact_model,
    )
    from models.impact_target import impact_scale  # noqa: PLC0415

    features = np.array([row.features for row in rows], dtype=np.float64)
    targets = np.array([impact_scale(len(row.followups)) for row in rows], dtype=np.float64)
    times = np.array([history.records[row.index].time for row in rows], dtype=np.float64)
    options = TrainOptions()
    model, metrics = train_impact_model(features, targets, times, options)
    train, test = time_order_split(times, options.test_size)
    production = registry.production(history.name, "impact")
    comparison: dict[str, Any] = {}
    if production is not None:
        theirs = ImpactModel.from_json(registry.load(history.name, "impact",
                                                     production.version))
        comparison = {"against": f"production impact@{production.version}",
                      "against_version": production.version, "metric": "spearman",
                      "candidate": finite(metrics.model.spearman),
                      "baseline": finite(regression_metrics(
                          targets[test], theirs.scores(features[test])).spearman)}
    return Registration(
        "impact", "xgboost", model.to_json(),
        {"spearman": finite(metrics.model.spearman), "rmse": finite(metrics.model.rmse),
         "mae": finite(metrics.model.mae), "rmse_training_mean": finite(metrics.mean_baseline.rmse),
         "n_test": metrics.test_rows, "n_train": metrics.train_rows},
        asdict(options), list(model.feature_names), matrix_hash(features, targets),
        (int(times[train].min()), int(times[train].max())),
        (int(times[test].min()), int(times[test].max())), comparison)
