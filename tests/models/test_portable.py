"""Tree walking with numpy gives XGBoost's own margins, for logistic and regression models."""

from __future__ import annotations

import numpy as np
import pytest
from xgboost import XGBClassifier, XGBRegressor

from models.portable import (
    booster_from_text,
    booster_margin,
    booster_to_text,
    fast_margins,
    trees_from_text,
)


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_walked_trees_equal_the_booster(kind: str) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(800, 6))
    x[rng.random(x.shape) < 0.1] = np.nan
    y = (np.nan_to_num(x[:, 0]) + rng.normal(0, 0.5, 800) > 0.3).astype(int)
    model = (XGBClassifier if kind == "classifier" else XGBRegressor)(
        n_estimators=60, max_depth=4, n_jobs=1).fit(x, y)
    text = booster_to_text(model.get_booster())
    rows = x[:50]
    walked = trees_from_text(text).margins(rows)
    assert np.allclose(walked, booster_margin(booster_from_text(text), rows), atol=1e-5)
    assert walked.std() > 0.1
    for count in (1, 3, 50):
        assert np.allclose(fast_margins(trees_from_text(text), rows[:count]),
                           walked[:count], atol=1e-5)
