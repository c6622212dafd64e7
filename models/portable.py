"""Model parts as JSON-safe values that load without executing code.

XGBoost boosters travel as XGBoost's own JSON model text; scikit-learn trees (forests, isolation
forests) as ONNX graphs, base64-encoded, run by onnxruntime on one thread; linear parts as plain
lists of numbers. Nothing here unpickles: a stored model can be read from a shared place.
"""

from __future__ import annotations

import base64
import functools
import json
import math
from dataclasses import dataclass
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


# Up to this many rows the margins are summed in float64 (TreeArrays.margins); above it, in
# XGBoost's own float32 order (TreeArrays.booster_margins, bit for bit booster_margin), as when
# XGBoost itself scored the larger batches: the same scores as before, without importing it.
SMALL_BATCH = 8


def fast_margins(trees: TreeArrays, features: FloatArray) -> FloatArray:
    """A booster's margins from its trees walked with numpy: float64 sums for a few rows,
    XGBoost's float32 sums (equal to booster_margin) for more."""
    if len(features) <= SMALL_BATCH:
        return trees.margins(features)
    return trees.booster_margins(features)


@dataclass(frozen=True)
class TreeArrays:
    """All trees of a single-output XGBoost model as flat arrays, walked together with numpy
    for every row at once: x < threshold goes left, a missing value the node's default way; a
    leaf points to itself and holds its value. Equal to booster_margin without the library's
    per-call overhead (most of a millisecond), which dominates scoring a few rows."""

    base: float
    base32: np.float32  # the base margin as XGBoost computes it, in float32
    roots: NDArray[np.intp]
    left: NDArray[np.intp]
    right: NDArray[np.intp]
    feature: NDArray[np.intp]
    threshold: NDArray[np.float32]
    default_left: NDArray[np.bool_]
    leaf: NDArray[np.bool_]
    value: NDArray[np.float32]

    def margins(self, features: FloatArray) -> FloatArray:
        """The booster's raw output (its margin) for each row."""
        return np.asarray(self.base + self.leaf_values(features).sum(axis=1, dtype=np.float64),
                          dtype=np.float64)

    def booster_margins(self, features: FloatArray) -> FloatArray:
        """booster_margin bit for bit: the leaf values added to the base in tree order, in
        float32, as XGBoost's CPU predictor adds them."""
        values = self.leaf_values(features)
        start = np.full((len(values), 1), self.base32, dtype=np.float32)
        summed = np.cumsum(np.concatenate([start, values], axis=1), axis=1, dtype=np.float32)
        return np.asarray(summed[:, -1], dtype=np.float64)

    def leaf_values(self, features: FloatArray) -> NDArray[np.float32]:
        """The value of the leaf each row reaches in each tree: (rows, trees)."""
        rows = np.ascontiguousarray(features, dtype=np.float32)
        node = np.broadcast_to(self.roots, (len(rows), len(self.roots)))
        index = np.arange(len(rows))[:, None]
        missing = np.isnan(rows)
        any_missing = bool(missing.any())
        while not self.leaf[node].all():
            split = self.feature[node]
            go_left = rows[index, split] < self.threshold[node]
            if any_missing:
                go_left |= missing[index, split] & self.default_left[node]
            node = np.where(go_left, self.left[node], self.right[node])
        return np.asarray(self.value[node], dtype=np.float32)


def is_logistic(learner: dict[str, Any]) -> bool:
    """Whether the model's base score is a probability (a logistic objective)."""
    name = learner.get("objective", {}).get("name", "")
    return bool(name.startswith(("binary:logistic", "reg:logistic")))


def base_margin(learner: dict[str, Any]) -> float:
    """The model's base score on the margin scale (logistic objectives store a probability)."""
    base = float(np.float32(str(learner["learner_model_param"]["base_score"]).strip("[]")))
    if is_logistic(learner):
        return float(np.log(base / (1 - base)))
    return base


def base_margin32(learner: dict[str, Any]) -> np.float32:
    """The base margin as XGBoost computes it: −log(1/p − 1) from the float32 p, in float32."""
    base = np.float32(str(learner["learner_model_param"]["base_score"]).strip("[]"))
    if is_logistic(learner):
        return np.float32(-math.log(float(np.float32(1) / base - np.float32(1))))
    return base


@functools.lru_cache(maxsize=16)
def booster_learner(booster_text: str) -> dict[str, Any]:
    """The "learner" of an XGBoost JSON model, parsed once per text (callers only read it)."""
    learner: dict[str, Any] = json.loads(booster_text)["learner"]
    return learner


def trees_from_text(booster_text: str) -> TreeArrays:
    """The trees of a single-output XGBoost JSON model as flat arrays."""
    learner = booster_learner(booster_text)
    trees = learner["gradient_booster"]["model"]["trees"]
    if str(learner["learner_model_param"].get("num_target", "1")) != "1" or any(
            any(tree.get("split_type", ())) for tree in trees):
        raise ValueError("only single-output boosters with numeric splits are walked here")
    roots: list[int] = []
    left: list[int] = []
    right: list[int] = []
    feature: list[int] = []
    threshold: list[float] = []
    default_left: list[bool] = []
    for tree in trees:
        offset = len(left)
        roots.append(offset)
        for node, (lo, hi) in enumerate(zip(tree["left_children"], tree["right_children"],
                                            strict=True)):
            left.append(offset + node if lo == -1 else offset + lo)
            right.append(offset + node if hi == -1 else offset + hi)
        feature.extend(tree["split_indices"])
        threshold.extend(tree["split_conditions"])
        default_left.extend(bool(d) for d in tree["default_left"])
    left_array = np.array(left, dtype=np.intp)
    leaf = left_array == np.arange(len(left), dtype=np.intp)
    values = np.array(threshold, dtype=np.float32)
    return TreeArrays(base_margin(learner), base_margin32(learner),
                      np.array(roots, dtype=np.intp), left_array,
                      np.array(right, dtype=np.intp), np.array(feature, dtype=np.intp),
                      values, np.array(default_left, dtype=np.bool_), leaf,
                      np.where(leaf, values, np.float32(0)))
