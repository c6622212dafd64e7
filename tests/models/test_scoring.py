"""All five scores from real (small) trained models: one change, a batch, and their agreement."""

from __future__ import annotations

import numpy as np
import pytest

from models.anomaly import fit_anomaly_model
from models.bug import train_bug_model
from models.candidates import make_base
from models.features import add_derived
from models.file_history import feature_matrix, replay
from models.health import fit_health_model
from models.impact import FEATURE_NAMES, train_impact_model
from models.risk_model import CalibrationMap, RiskModel, portable_part
from models.scoring import ChangeInputs, ModelSet
from tests.models.test_bug import synthetic_history
from tests.models.test_impact import planted
from tests.synthetic import synthetic_dataset


@pytest.fixture(scope="module")
def models() -> ModelSet:
    """Risk, bug, anomaly, impact and health fitted on synthetic data."""
    data = synthetic_dataset(400, seed=2)
    x, names = add_derived(data.features, data.names)
    part = portable_part("xgboost", make_base("xgboost", data.labels, 0, 30).fit(
        x, data.labels), x.shape[1])
    risk = RiskModel(data.names, names, "xgboost", (part,), (1.0,), 0.0,
                     CalibrationMap("platt", (1.0,), (0.0,)), 0.5, np.nanmedian(x, axis=0))
    history, fixes = synthetic_history(days=300)
    bug, _ = train_bug_model(history, fixes)
    anomaly = fit_anomaly_model(data.features, data.names, seed=0)
    impact, _ = train_impact_model(*planted(300, seed=4))
    rng = np.random.default_rng(0)
    labels = (rng.random(300) < 0.3).astype(np.int64)
    components = np.column_stack([np.clip(0.3 + 0.3 * labels + rng.normal(0, 0.1, 300), 0, 1),
                                  rng.random(300), rng.normal(0, 0.3, 300),
                                  rng.uniform(0, 10, 300)])
    return ModelSet(risk, None, bug, anomaly, impact, fit_health_model(components, labels))


def changes(count: int) -> list[ChangeInputs]:
    """Changes with real feature rows: synthetic change features and file histories."""
    data = synthetic_dataset(count, seed=7)
    history, fixes = synthetic_history(days=120, seed=5)
    _, rows = replay(history, fixes)
    files = feature_matrix(rows)
    impact_rows, _, _ = planted(count, seed=8)
    return [ChangeInputs(data.features[i], np.empty((0, 0)), files[i * 3:(i * 3) + 1 + i % 5],
                         data.features[i], tuple(impact_rows[i])) for i in range(count)]


def test_one_change_gets_every_score_in_range(models: ModelSet) -> None:
    scores = models.score(changes(1)[0])
    assert 0 <= scores.risk <= 1
    assert set(scores.bug) == {7, 15, 30}
    assert -1 <= scores.anomaly <= 1 and 0 <= scores.anomaly_percentile <= 100
    assert 0 <= scores.impact <= 10
    assert 0 <= scores.health <= 10 and 0 < scores.confidence <= 1
    assert len(FEATURE_NAMES) == len(changes(1)[0].impact)


def test_batch_scores_equal_one_by_one(models: ModelSet) -> None:
    batch = changes(12)
    together = models.score_batch(batch)
    alone = [models.score(inputs) for inputs in batch]
    assert np.allclose(together.risk, [s.risk for s in alone])
    assert np.allclose(together.anomaly, [s.anomaly for s in alone])
    assert np.allclose(together.impact, [s.impact for s in alone], atol=1e-4)
    assert np.allclose(together.bug, [s.bug[30].max() for s in alone])
    assert np.allclose(together.health, [s.health for s in alone], atol=0.01)
    assert np.allclose(together.confidence, [s.confidence for s in alone])


def test_missing_models_leave_their_scores_empty(models: ModelSet) -> None:
    partial = ModelSet(models.risk, None, None, None, None, models.health)
    scores = partial.score(changes(1)[0])
    assert np.isnan(scores.anomaly) and np.isnan(scores.impact) and scores.bug == {}
    assert scores.confidence < models.score(changes(1)[0]).confidence
