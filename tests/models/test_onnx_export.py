"""The exported ONNX graph scores like RiskModel.score for every candidate and calibration."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime
import pytest
from numpy.typing import NDArray

from models.candidates import BASE_CANDIDATES, forest, logistic, xgboost
from models.features import add_derived
from models.onnx_export import INPUT, OUTPUT, risk_onnx, risk_onnx_bytes
from models.risk_model import CalibrationMap, Part, RiskModel, calibration_map, portable_part
from models.training import TrainingOptions, fit_calibrator, train_and_evaluate
from tests.synthetic import synthetic_dataset

FloatArray = NDArray[np.float64]
TOLERANCE = 1e-4
N_TREES = 20


@cache
def fitted_parts() -> tuple[tuple[str, ...], dict[str, Part], FloatArray, NDArray[np.int64]]:
    """Inputs, each base candidate fitted and made portable, the training rows and labels."""
    data = synthetic_dataset(400)
    matrix, names = add_derived(data.features, data.names)
    models: dict[str, Any] = {"logistic": logistic(0), "forest": forest(0, N_TREES),
                              "xgboost": xgboost(0, N_TREES, 1.0)}
    parts = {name: portable_part(name, model.fit(matrix, data.labels), len(names))
             for name, model in models.items()}
    return data.names, parts, data.features, data.labels


def rows_with_gaps() -> FloatArray:
    """Training-like rows with NaN in every column (lt and nf too), zeros and a negative."""
    _, _, features, _ = fitted_parts()
    rows = features[:60].copy()
    for column in range(rows.shape[1]):
        rows[column::7, column] = np.nan
    rows[5, 2] = 0.0
    rows[6, 3] = 0.0
    rows[8, 0] = -3.0
    return np.asarray(rows.astype(np.float32), dtype=np.float64)


def risk_json(kind: str, method: str) -> dict[str, Any]:
    """A RiskModel of one candidate kind with a calibration fitted on its own raw scores."""
    inputs, parts, features, labels = fitted_parts()
    kinds = BASE_CANDIDATES if kind == "stack" else (kind,)
    weights = (0.7, 0.5, 0.9) if kind == "stack" else (1.0,)
    names = add_derived(features[:1], inputs)[1]
    model = RiskModel(inputs, names, kind, tuple(parts[k] for k in kinds), weights, -0.2,
                      CalibrationMap("platt", (1.0,), (0.0,)), 0.5,
                      np.zeros(len(names)))
    calibrator = fit_calibrator(method, model.raw(features), labels)
    model = RiskModel(inputs, names, kind, model.parts, weights, -0.2,
                      calibration_map(calibrator), 0.5, np.zeros(len(names)))
    return model.to_json()


def onnx_scores(graph: onnx.ModelProto, rows: FloatArray) -> FloatArray:
    """The exported graph run by onnxruntime on the rows."""
    session = onnxruntime.InferenceSession(graph.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    (scores,) = session.run([OUTPUT], {INPUT: rows.astype(np.float32)})
    return np.asarray(scores, dtype=np.float64)


@pytest.mark.parametrize("method", ["platt", "isotonic"])
@pytest.mark.parametrize("kind", ["logistic", "forest", "xgboost", "stack"])
def test_graph_matches_risk_model_score(kind: str, method: str) -> None:
    model = risk_json(kind, method)
    assert model["calibration"]["method"] == method
    rows = rows_with_gaps()
    expected = RiskModel.from_json(model).score(rows)
    scores = onnx_scores(risk_onnx(model), rows)
    assert scores.shape == (len(rows),)
    assert np.abs(scores - expected).max() < TOLERANCE
    assert np.ptp(expected) > 0.01  # the rows are not all scored alike: the check has teeth


def test_trained_model_exports_and_the_written_file_checks(tmp_path: Path) -> None:
    data = synthetic_dataset(400, seed=1)
    result = train_and_evaluate(data, TrainingOptions(n_splits=3, n_trees=20))
    assert result.risk_model is not None
    model = result.risk_model.to_json()
    path = tmp_path / "risk.onnx"
    path.write_bytes(risk_onnx_bytes(model))
    loaded = onnx.load(str(path))
    onnx.checker.check_model(loaded, full_check=True)
    assert [i.name for i in loaded.graph.input] == [INPUT]
    assert [o.name for o in loaded.graph.output] == [OUTPUT]
    assert {o.domain: o.version for o in loaded.opset_import} == {"": 17, "ai.onnx.ml": 3}
    rows = rows_with_gaps()
    expected = result.risk_model.score(rows)
    assert np.abs(onnx_scores(loaded, rows) - expected).max() < TOLERANCE


def test_isotonic_ties_become_steps_like_np_interp() -> None:
    model = risk_json("logistic", "isotonic")
    model["calibration"] = {"method": "isotonic", "xs": [0.2, 0.5, 0.5, 0.8],
                            "ys": [0.1, 0.3, 0.6, 0.9]}
    rows = rows_with_gaps()
    expected = RiskModel.from_json(model).score(rows)
    assert np.abs(onnx_scores(risk_onnx(model), rows) - expected).max() < TOLERANCE


def test_stack_weights_matter() -> None:
    model = risk_json("stack", "platt")
    rows = rows_with_gaps()
    before = onnx_scores(risk_onnx(model), rows)
    model["weights"] = [0.1, 2.0, -0.5]
    after = onnx_scores(risk_onnx(model), rows)
    assert np.abs(after - RiskModel.from_json(model).score(rows)).max() < TOLERANCE
    assert np.abs(after - before).max() > 0.01


def test_other_formats_are_refused() -> None:
    with pytest.raises(ValueError, match="format"):
        risk_onnx({"format": "something/else"})

