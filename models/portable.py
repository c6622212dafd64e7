"""Model parts as JSON-safe values that load without executing code.

XGBoost boosters travel as XGBoost's own JSON model text; scikit-learn trees (forests, isolation
forests) as ONNX graphs, base64-encoded, run by onnxruntime on one thread; linear parts as plain
lists of numbers. Nothing here unpickles: a stored model can be read from a shared place.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def booster_to_text(booster: Any) -> str:
    """An XGBoost booster as its JSON model text."""
    return bytes(booster.save_raw(raw_format="json")).decode("utf-8")


def booster_from_text(text: str) -> Any:
    """An XGBoost booster loaded from its JSON model text, predicting on one thread."""
    import xgboost  # noqa: PLC0415  (loaded only by what scores with a booster)

    booster = xgboost.Booster()
    booster.load_model(bytearray(text.encode("utf-8")))
    booster.set_param({"nthread": 1})
    return booster


def booster_margin(booster: Any, features: FloatArray) -> FloatArray:
    """The booster's raw margin (log-odds for a logistic objective) of each row."""
    return np.asarray(booster.inplace_predict(np.ascontiguousarray(features, dtype=np.float32),
                                              predict_type="margin"), dtype=np.float64)


def booster_contributions(booster: Any, features: FloatArray) -> FloatArray:
    """Exact TreeSHAP contributions to the margin: one column per feature, then the bias."""
    import xgboost  # noqa: PLC0415

    matrix = xgboost.DMatrix(np.ascontiguousarray(features, dtype=np.float32))
    return np.asarray(booster.predict(matrix, pred_contribs=True), dtype=np.float64)


def onnx_to_text(model: Any) -> str:
    """An ONNX ModelProto as base64 text."""
    return base64.b64encode(model.SerializeToString()).decode("ascii")


class OnnxScorer:
    """One onnxruntime session over a stored ONNX graph, single-threaded, input named X."""

    def __init__(self, text: str) -> None:
        import onnxruntime  # noqa: PLC0415

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(base64.b64decode(text), options,
                                                    providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name

    def outputs(self, features: FloatArray) -> list[Any]:
        """Every output of the graph for the rows."""
        rows = np.ascontiguousarray(features, dtype=np.float32)
        return list(self.session.run(None, {self.input: rows}))


def floats(values: Any) -> list[float]:
    """A numeric array as a plain list of floats (NaN kept as NaN is not JSON: use None)."""
    return [None if np.isnan(v) else float(v)  # type: ignore[misc]
            for v in np.asarray(values, dtype=np.float64).ravel()]


def array(values: list[float | None]) -> FloatArray:
    """A plain list back as a float array (None → NaN)."""
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)
