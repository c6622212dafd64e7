"""Time-budgeted Optuna search of XGBoost settings by time-series CV on the training rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.model_selection import TimeSeriesSplit
from xgboost import XGBClassifier

from models.metrics import roc_auc

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
MISSING_OPTUNA = "tuning needs optuna: pip install 'diffrisk[tune]'"
DEFAULT_PARAMS: dict[str, Any] = {
    "n_estimators": 300, "max_depth": 4, "learning_rate": 0.03, "min_child_weight": 5.0,
    "subsample": 0.8, "colsample_bytree": 0.8, "reg_lambda": 1.0, "gamma": 0.0,
}


@dataclass(frozen=True)
class TuningResult:
    """The best XGBoost settings found, their mean CV AUC, and how many trials ran."""

    params: dict[str, Any]
    cv_auc: float
    trials: int


def positive_weight(labels: IntArray) -> float:
    """Negatives per positive, the XGBoost class weight for imbalanced labels."""
    positives = max(int(labels.sum()), 1)
    return (len(labels) - positives) / positives


def build_xgboost(params: dict[str, Any], labels: IntArray, seed: int) -> XGBClassifier:
    """An unfitted single-threaded XGBClassifier (threads thrash on busy cores), class-weighted."""
    return XGBClassifier(**params, scale_pos_weight=positive_weight(labels), tree_method="hist",
                         n_jobs=1, random_state=seed, verbosity=0)


def time_series_auc(params: dict[str, Any], features: FloatArray, labels: IntArray,
                    seed: int, n_splits: int) -> float:
    """Mean AUC over the TimeSeriesSplit folds whose fit and check rows hold both classes."""
    aucs = []
    for fit_rows, check_rows in TimeSeriesSplit(n_splits=n_splits).split(features):
        if len(np.unique(labels[fit_rows])) < 2 or len(np.unique(labels[check_rows])) < 2:
            continue
        model = build_xgboost(params, labels[fit_rows], seed)
        model.fit(features[fit_rows], labels[fit_rows])
        scores = np.asarray(model.predict_proba(features[check_rows])[:, 1], dtype=np.float64)
        aucs.append(roc_auc(labels[check_rows], scores))
    if not aucs:
        raise ValueError("no time-series fold holds both classes: add labelled history")
    return float(np.mean(aucs))


def suggest_params(trial: Any) -> dict[str, Any]:
    """One trial's XGBoost settings drawn from the search space."""
    return {
        "n_estimators": trial.suggest_int("n_estimators", 100, 800, step=50),
        "max_depth": trial.suggest_int("max_depth", 2, 8),
        "learning_rate": trial.suggest_float("learning_rate", 0.005, 0.2, log=True),
        "min_child_weight": trial.suggest_float("min_child_weight", 1.0, 100.0, log=True),
        "subsample": trial.suggest_float("subsample", 0.5, 1.0),
        "colsample_bytree": trial.suggest_float("colsample_bytree", 0.4, 1.0),
        "reg_lambda": trial.suggest_float("reg_lambda", 1e-2, 100.0, log=True),
        "gamma": trial.suggest_float("gamma", 0.0, 5.0),
    }


def import_optuna() -> Any:
    """The optuna module with its logging silenced, or a clear error when it is missing."""
    try:
        import optuna  # noqa: PLC0415 - optional dependency, imported only when tuning
    except ImportError as error:
        raise ImportError(MISSING_OPTUNA) from error
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def tune_xgboost(features: FloatArray, labels: IntArray, budget_seconds: float, seed: int,
                 n_splits: int = 5) -> TuningResult:
    """Search XGBoost settings for budget_seconds by mean time-series-CV AUC, defaults first."""
    optuna = import_optuna()
    study = optuna.create_study(direction="maximize",
                                sampler=optuna.samplers.TPESampler(seed=seed))
    study.enqueue_trial(DEFAULT_PARAMS)

    def objective(trial: Any) -> float:
        return time_series_auc(suggest_params(trial), features, labels, seed, n_splits)

    study.optimize(objective, timeout=max(budget_seconds, 1e-3), n_trials=None,
                   show_progress_bar=False)
    finished = [t for t in study.trials if t.value is not None]
    return TuningResult(dict(study.best_params), float(study.best_value), len(finished))
