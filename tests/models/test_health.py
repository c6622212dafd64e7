"""The health meta-learner: learns from its components, stays calibrated, says how sure it is."""

from __future__ import annotations

import numpy as np
import pytest

from models.health import HealthModel, fit_health_model
from models.metrics import expected_calibration_error, roc_auc


def components(n_rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Component scores where risk and anomaly carry signal and bug and impact carry none."""
    rng = np.random.default_rng(seed)
    labels = (rng.random(n_rows) < 0.1).astype(np.int64)
    risk = np.clip(0.25 + 0.3 * labels + rng.normal(0, 0.15, n_rows), 0.01, 0.99)
    bug = rng.uniform(0.01, 0.99, n_rows)
    anomaly = np.clip(-0.2 + 0.3 * labels + rng.normal(0, 0.3, n_rows), -1, 1)
    impact = rng.uniform(0, 10, n_rows)
    return np.column_stack([risk, bug, anomaly, impact]), labels


def test_health_ranks_changes_and_round_trips() -> None:
    scores, labels = components(2000, 1)
    model = HealthModel.from_json(fit_health_model(scores[:1500], labels[:1500]).to_json())
    p = model.probability(scores[1500:])
    assert roc_auc(labels[1500:], p) > 0.8
    assert abs(p.mean() - labels[1500:].mean()) < 0.03
    assert expected_calibration_error(labels[1500:], p) < 0.05
    result = model.score({"risk": 0.9, "bug": 0.5, "anomaly": 0.6, "impact": 3.0})
    assert result.health < model.score({"risk": 0.1, "bug": 0.5, "anomaly": -0.5,
                                        "impact": 3.0}).health
    assert 0 <= result.health <= 10
    assert result.contributions["risk"] > abs(result.contributions["impact"])


def test_confidence_falls_with_missing_components_and_little_data() -> None:
    scores, labels = components(2000, 2)
    big = fit_health_model(scores, labels)
    small = fit_health_model(scores[:80], labels[:80])
    full = {"risk": 0.4, "bug": 0.3, "anomaly": 0.1, "impact": 2.0}
    assert big.score(full).confidence > small.score(full).confidence
    partial = big.score({"risk": 0.4, "bug": None, "anomaly": 0.1, "impact": None})
    assert partial.confidence < big.score(full).confidence
    assert 0 <= partial.confidence <= 1


def test_one_class_is_refused() -> None:
    scores, _ = components(100, 3)
    with pytest.raises(ValueError, match="bug-inducing and clean"):
        fit_health_model(scores, np.zeros(100, dtype=np.int64))
