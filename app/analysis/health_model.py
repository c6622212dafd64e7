"""The health meta-learner of a mined repository, fitted on the scores its production component
models give the newest changes (which none of them trained on) and validated on the newest of
those, later in time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from app.file_models_run import matrix_hash
from app.storage.registry import ModelRegistry, Registration
from app.training_run import finite

FloatArray = NDArray[np.float64]
WINDOW_SHARE = 0.3  # the newest share of changes the meta-learner learns and is tested on
FIT_SHARE = 0.5  # of that window, the older part it is fitted on
BUG_HORIZON = 30


@dataclass(frozen=True)
class ComponentRows:
    """Per change (time order): its risk-model row, label, time, when its label became known,
    file-history rows, anomaly row and impact features (None where unknown)."""

    shas: list[str]
    risk_rows: FloatArray
    labels: NDArray[np.int64]
    times: FloatArray
    known_at: FloatArray
    bug_rows: Mapping[str, FloatArray]
    anomaly_rows: FloatArray
    impact: Mapping[str, tuple[float, ...]]


def component_scores(models: Any, rows: ComponentRows, picked: NDArray[np.intp]) -> FloatArray:
    """The columns risk, bug (riskiest file, 30 days), anomaly and impact of some changes, NaN
    where a model or an input is missing."""
    nan = np.full(len(picked), np.nan)
    risk = models.risk.score(rows.risk_rows[picked])
    bug = nan if models.bug is None else np.array([
        float(models.bug.score_horizon(found, BUG_HORIZON).max())
        if len(found := rows.bug_rows.get(rows.shas[i], np.empty((0, 0)))) else np.nan
        for i in picked])
    anomaly = nan if models.anomaly is None else models.anomaly.scores(rows.anomaly_rows[picked])
    impact = nan if models.impact is None else np.array([
        models.impact.score(rows.impact[rows.shas[i]]) if rows.shas[i] in rows.impact
        else np.nan for i in picked])
    return np.column_stack([risk, bug, anomaly, impact])


def latency_days(rows: ComponentRows) -> float:
    """The median delay from a bug-inducing change to its first fix (seconds)."""
    delays = (rows.known_at - rows.times)[(rows.labels == 1) & ~np.isnan(rows.known_at)]
    return float(np.median(delays)) if len(delays) else 0.0


def health_window(rows: ComponentRows) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Fit and test rows: the newest WINDOW_SHARE of changes whose clean labels can be trusted
    (older than the median fix delay), split by time."""
    newest = rows.times.max() - latency_days(rows)
    start = int(len(rows.times) * (1 - WINDOW_SHARE))
    window = np.array([i for i in range(start, len(rows.times)) if rows.times[i] <= newest],
                      dtype=np.intp)
    cut = int(len(window) * FIT_SHARE)
    return window[:cut], window[cut:]


def health_metrics(labels: NDArray[np.int64], probability: FloatArray) -> dict[str, Any]:
    """AUC, PR-AUC, Brier and ECE of held-out probabilities."""
    from models.metrics import brier, expected_calibration_error, pr_auc, roc_auc  # noqa: PLC0415

    return {"auc": finite(roc_auc(labels, probability)),
            "pr_auc": finite(pr_auc(labels, probability)),
            "brier": finite(brier(labels, probability)),
            "ece": finite(expected_calibration_error(labels, probability)),
            "n_test": len(labels)}


def health_registration(registry: ModelRegistry, name: str, models: Any,
                        rows: ComponentRows) -> Registration:
    """Fit the meta-learner on the window's older changes, validate it on the newer ones and
    compare it there with production's health model."""
    from models.health import COMPONENTS, HealthModel, fit_health_model  # noqa: PLC0415

    fit, test = health_window(rows)
    if len(fit) < 2 or len(test) < 1:
        raise ValueError(f"only {len(fit) + len(test)} recent changes with trusted labels: "
                         "health needs more history")
    scores = component_scores(models, rows, np.concatenate([fit, test]))
    model = fit_health_model(scores[:len(fit)], rows.labels[fit])
    metrics = health_metrics(rows.labels[test], model.probability(scores[len(fit):]))
    production = registry.production(name, "health")
    comparison: dict[str, Any] = {}
    if production is not None:
        theirs = HealthModel.from_json(registry.load(name, "health", production.version))
        comparison = {"against": f"production health@{production.version}",
                      "against_version": production.version, "metric": "auc",
                      "candidate": metrics["auc"],
                      "baseline": health_metrics(rows.labels[test], theirs.probability(
                          scores[len(fit):]))["auc"]}
    return Registration(
        "health", "logistic meta-learner", model.to_json(), metrics,
        {"window_share": WINDOW_SHARE, "fit_share": FIT_SHARE}, list(COMPONENTS),
        matrix_hash(scores, rows.labels[np.concatenate([fit, test])]),
        (int(rows.times[fit].min()), int(rows.times[fit].max())),
        (int(rows.times[test].min()), int(rows.times[test].max())), comparison)
