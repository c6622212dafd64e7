"""Time-budgeted XGBoost tuning by time-series CV."""

from __future__ import annotations

import sys
import time

import numpy as np
import pytest
from numpy.typing import NDArray
from xgboost import XGBClassifier

from models.tuning import DEFAULT_PARAMS, build_xgboost, time_series_auc, tune_xgboost


def planted(n_rows: int, seed: int) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Rows whose label hangs on an interaction of two of six features, plus label noise."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(n_rows, 6))
    signal = features[:, 0] * features[:, 1] + 0.5 * features[:, 2]
    labels = (signal + rng.normal(scale=0.5, size=n_rows) > 0.3).astype(np.int64)
    return features, labels


def test_tuning_stops_soon_after_a_tiny_budget() -> None:
    features, labels = planted(300, 0)
    started = time.perf_counter()
    result = tune_xgboost(features, labels, budget_seconds=0.5, seed=0, n_splits=3)
    assert time.perf_counter() - started < 15.0
    assert 1 <= result.trials < 50


def test_tuned_params_build_a_working_classifier() -> None:
    features, labels = planted(300, 1)
    result = tune_xgboost(features, labels, budget_seconds=1.0, seed=0, n_splits=3)
    model = build_xgboost(result.params, labels, seed=0)
    assert isinstance(model, XGBClassifier)
    assert set(result.params) == set(DEFAULT_PARAMS)
    probabilities = model.fit(features, labels).predict_proba(features)[:, 1]
    assert probabilities.shape == (300,)


def test_tuning_is_at_least_as_good_as_the_defaults_on_a_planted_problem() -> None:
    features, labels = planted(600, 2)
    default = time_series_auc(DEFAULT_PARAMS, features, labels, seed=0, n_splits=3)
    result = tune_xgboost(features, labels, budget_seconds=4.0, seed=0, n_splits=3)
    assert result.cv_auc >= default - 1e-12
    assert result.cv_auc > 0.75


def test_missing_optuna_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "optuna", None)
    features, labels = planted(100, 3)
    with pytest.raises(ImportError, match=r"pip install 'diffrisk\[tune\]'"):
        tune_xgboost(features, labels, budget_seconds=1.0, seed=0)


def test_a_single_class_history_is_refused() -> None:
    features = np.zeros((60, 2))
    with pytest.raises(ValueError, match="both classes"):
        time_series_auc(DEFAULT_PARAMS, features, np.zeros(60, dtype=np.int64), 0, 3)
