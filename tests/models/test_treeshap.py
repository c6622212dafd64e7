"""Scoring and explaining without XGBoost or onnxruntime gives their numbers: TreeSHAP with
numpy equals pred_contribs, the float32 tree walk equals XGBoost's margins bit for bit, and the
forest arrays equal onnxruntime's probabilities bit for bit; on small models fitted here and on
the shipped model."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from xgboost import XGBClassifier, XGBRegressor

from models.candidates import make_base
from models.forest_arrays import forest_from_onnx
from models.portable import (
    OnnxScorer,
    booster_contributions,
    booster_from_text,
    booster_margin,
    booster_to_text,
    fast_margins,
    trees_from_text,
)
from models.risk_model import BoosterPart, ForestPart, portable_part
from models.shipped import shipped_risk_model
from models.treeshap import shap_trees_from_text, shapley_values

FloatArray = NDArray[np.float64]


def gappy_rows(count: int, width: int, seed: int) -> FloatArray:
    """Rows on several scales with a tenth of the values missing."""
    rng = np.random.default_rng(seed)
    rows = rng.normal(size=(count, width)) * np.geomspace(0.01, 1000, width)
    rows[rng.random(rows.shape) < 0.1] = np.nan
    return rows


def labels_of(rows: FloatArray, seed: int) -> NDArray[np.int64]:
    """Labels that depend on a few columns and their interaction."""
    x = np.nan_to_num(rows)
    noise = np.random.default_rng(seed).normal(0, 0.5, len(rows))
    return ((x[:, 0] > 0) ^ (x[:, 1] * x[:, 2] > 0) ^ (noise > 0.6)).astype(np.int64)


MODELS: dict[str, Callable[[], Any]] = {
    "classifier": lambda: XGBClassifier(n_estimators=40, max_depth=4, n_jobs=1),
    "deep, few features": lambda: XGBClassifier(n_estimators=25, max_depth=7, n_jobs=1),
    "base score": lambda: XGBClassifier(n_estimators=20, max_depth=3, base_score=0.27, n_jobs=1),
    "regressor": lambda: XGBRegressor(n_estimators=40, max_depth=5, n_jobs=1),
}


@pytest.fixture(scope="module", params=sorted(MODELS))
def booster_text(request: pytest.FixtureRequest) -> str:
    """A fitted XGBoost model as JSON text (few features: paths split a feature twice)."""
    width = 3 if "few" in request.param else 7
    rows = gappy_rows(900, width, 1)
    model = MODELS[request.param]().fit(rows, labels_of(np.pad(rows, ((0, 0), (0, 3))), 2))
    return booster_to_text(model.get_booster())


def test_treeshap_equals_pred_contribs(booster_text: str) -> None:
    width = int(booster_from_text(booster_text).num_features())
    rows = gappy_rows(200, width, 3)
    ours = shap_trees_from_text(booster_text).contributions(rows)
    theirs = booster_contributions(booster_from_text(booster_text), rows)
    assert ours.shape == theirs.shape
    assert np.abs(ours - theirs).max() < 1e-5
    assert np.abs(theirs[:, :-1]).max() > 0.05
    margins = booster_margin(booster_from_text(booster_text), rows)
    assert np.allclose(ours.sum(axis=1), margins, atol=1e-5)


def test_float32_walk_equals_xgboost_margins_bit_for_bit(booster_text: str) -> None:
    width = int(booster_from_text(booster_text).num_features())
    rows = gappy_rows(500, width, 4)
    trees = trees_from_text(booster_text)
    expected = booster_margin(booster_from_text(booster_text), rows)
    assert np.array_equal(trees.booster_margins(rows), expected)
    assert np.array_equal(fast_margins(trees, rows), expected)
    assert np.array_equal(fast_margins(trees, rows[:3]), trees.margins(rows[:3]))


def test_shapley_values_of_one_leaf_by_enumeration() -> None:
    taken = np.array([[[1.0, 0.0, 1.0]]])
    zero = np.array([[0.5, 0.25, 0.8]])
    values = shapley_values(taken, zero)[0, 0]
    # v(S) = Π_{j∈S} o_j · Π_{j∉S} z_j, Shapley values by enumerating the orderings
    from itertools import permutations  # noqa: PLC0415

    def game(members: set[int]) -> float:
        return float(np.prod([taken[0, 0, j] if j in members else zero[0, j]
                              for j in range(3)]))

    expected = np.zeros(3)
    orders = list(permutations(range(3)))
    for order in orders:
        members: set[int] = set()
        for player in order:
            expected[player] += game(members | {player}) - game(members)
            members.add(player)
    assert np.allclose(values, expected / len(orders), atol=1e-12)


@pytest.fixture(scope="module")
def forest() -> ForestPart:
    """A fitted impute → random forest pipeline converted to ONNX, as the risk model keeps it."""
    rows = gappy_rows(700, 6, 5)
    labels = labels_of(rows, 6)
    part = portable_part("forest", make_base("forest", labels, 0, 40).fit(rows, labels), 6)
    assert isinstance(part, ForestPart)
    return part


def test_forest_arrays_equal_onnxruntime_bit_for_bit(forest: ForestPart) -> None:
    arrays = forest_from_onnx(base64.b64decode(forest.onnx))
    for count in (1, 7, 400):
        rows = gappy_rows(count, 6, count)
        assert np.array_equal(arrays.probability(rows), forest.probability(rows))
    rows = gappy_rows(300, 6, 9)
    assert np.array_equal(ForestPart(forest.onnx, forest.medians, arrays).contributions(rows),
                          forest.contributions(rows))


def test_other_graphs_are_refused() -> None:
    with pytest.raises(ValueError, match="imputer and a tree ensemble"):
        forest_from_onnx(b"")


def test_the_shipped_model_scores_and_explains_as_with_the_libraries() -> None:
    model = shipped_risk_model()
    assert model is not None
    rows = gappy_rows(60, len(model.features), 11)
    for part in model.parts:
        if isinstance(part, ForestPart):
            walked = forest_from_onnx(base64.b64decode(part.onnx)).probability(rows)
            session = OnnxScorer(part.onnx).outputs(rows)[1][:, 1]
            assert np.array_equal(walked, np.asarray(session, dtype=np.float64))
        elif isinstance(part, BoosterPart):
            theirs = booster_contributions(part.booster, rows)
            assert np.abs(part.contributions(rows) - theirs).max() < 1e-5
            assert np.array_equal(part.trees.booster_margins(rows),
                                  booster_margin(part.booster, rows))
