"""The portable risk model: same scores after a JSON round trip, additive contributions,
explanations in words."""

from __future__ import annotations

import json

import numpy as np
import pytest

from models.candidates import BASE_CANDIDATES, make_base
from models.features import add_derived
from models.risk_model import CalibrationMap, Part, RiskModel, portable_part
from models.training import TrainingOptions, TrainingResult, train_and_evaluate
from tests.synthetic import synthetic_dataset

FAST = TrainingOptions(n_splits=3, n_trees=30)


@pytest.fixture(scope="module")
def trained() -> TrainingResult:
    """A model trained on synthetic data where la and ld carry the signal."""
    return train_and_evaluate(synthetic_dataset(600, seed=3), FAST)


def reloaded(result: TrainingResult) -> RiskModel:
    """The result's model after a trip through JSON text."""
    assert result.risk_model is not None
    return RiskModel.from_json(json.loads(json.dumps(result.risk_model.to_json())))


def test_reloaded_model_gives_the_reported_test_scores(trained: TrainingResult) -> None:
    data = synthetic_dataset(600, seed=3)
    rows = data.features[trained.test_rows]
    assert np.allclose(reloaded(trained).score(rows), trained.test_probabilities, atol=1e-5)


@pytest.fixture(scope="module")
def parts() -> dict[str, Part]:
    """Each base candidate fitted on synthetic data and made portable."""
    data = synthetic_dataset(500, seed=5)
    x, _ = add_derived(data.features, data.names)
    return {kind: portable_part(kind, make_base(kind, data.labels, 0, 30).fit(x, data.labels),
                                x.shape[1]) for kind in BASE_CANDIDATES}


@pytest.mark.parametrize("kind", [*BASE_CANDIDATES, "stack"])
def test_contributions_add_up_to_the_log_odds(kind: str, parts: dict[str, Part]) -> None:
    data = synthetic_dataset(500, seed=5)
    x, names = add_derived(data.features, data.names)
    chosen = tuple(parts.values()) if kind == "stack" else (parts[kind],)
    weights = (0.5, 0.3, 0.4) if kind == "stack" else (1.0,)
    identity = CalibrationMap("isotonic", (0.0, 1.0), (0.0, 1.0))
    model = RiskModel(data.names, names, kind, chosen, weights, -0.1 if kind == "stack" else 0,
                      identity, 0.5, np.nanmedian(x, axis=0))
    rows = data.features[-20:]
    raw = np.clip(model.raw(rows), 1e-6, 1 - 1e-6)
    assert np.allclose(model.contributions(rows).sum(axis=1), np.log(raw / (1 - raw)),
                       atol=1e-3)
    assert np.abs(model.contributions(rows)[:, :-1]).max() > 0.01


def test_explanations_name_the_signal_with_numbers(trained: TrainingResult) -> None:
    model = reloaded(trained)
    data = synthetic_dataset(600, seed=3)
    row = data.features[int(np.argmax(data.features[:, 0]))]
    explanation = model.explain(row)
    assert explanation.factors[0].feature in {"la", "rel_la"}
    assert "typical here" in explanation.factors[0].sentence
    assert explanation.probability == pytest.approx(float(model.score(row[None, :])[0]),
                                                    abs=1e-6)
    assert any("Split the change" in text for text in explanation.recommendations)


def test_other_formats_are_refused() -> None:
    with pytest.raises(ValueError, match="not a diffrisk risk model"):
        RiskModel.from_json({"format": "pickle"})
