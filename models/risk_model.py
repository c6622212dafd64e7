"""The trained risk model in a portable form: scores, explains, and saves as plain JSON.

A fitted candidate (logistic regression, random forest, XGBoost, or their stack) and its
calibrator become a RiskModel made of parts that load without executing code: linear
coefficients as numbers, XGBoost as its JSON model, the forest as an ONNX graph. Scores are the
calibrated probabilities train_and_evaluate reported; contributions are per-feature shares of the
raw score in log-odds, from the model's own structure (exact for the linear part, TreeSHAP for
XGBoost, occlusion against the training medians for the forest, weighted by the stack's
meta-learner when stacked).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from models.explain import Explanation, explain
from models.features import add_derived, logit, sigmoid, signed_log1p
from models.forest_arrays import ForestArrays
from models.portable import (
    OnnxScorer,
    booster_to_text,
    fast_margins,
    onnx_to_text,
)
from models.treeshap import BoosterViews

FloatArray = NDArray[np.float64]
FORMAT = "diffrisk.risk/1"
def impute(features: FloatArray, medians: FloatArray) -> FloatArray:
    """Missing values replaced by the training medians."""
    return np.where(np.isnan(features), medians, features)


@dataclass(frozen=True)
class LinearPart:
    """Impute → signed log1p → standardise → logistic regression, as numbers."""

    medians: FloatArray
    mean: FloatArray
    scale: FloatArray
    coef: FloatArray
    intercept: float

    def standardized(self, features: FloatArray) -> FloatArray:
        """The rows as the regression sees them."""
        return (signed_log1p(impute(features, self.medians)) - self.mean) / self.scale

    def log_odds(self, features: FloatArray) -> FloatArray:
        """The regression's log-odds of each row."""
        return np.asarray(self.standardized(features) @ self.coef + self.intercept,
                          dtype=np.float64)

    def contributions(self, features: FloatArray) -> FloatArray:
        """Exact per-feature log-odds terms, then the intercept column."""
        terms = self.standardized(features) * self.coef
        return np.column_stack([terms, np.full(len(features), self.intercept)])

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values."""
        return {"kind": "logistic", "medians": self.medians.tolist(), "mean": self.mean.tolist(),
                "scale": self.scale.tolist(), "coef": self.coef.tolist(),
                "intercept": self.intercept}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LinearPart:
        """The part from its JSON values."""
        medians, mean, scale, coef = (np.array(data[k], dtype=np.float64)
                                      for k in ("medians", "mean", "scale", "coef"))
        return cls(medians, mean, scale, coef, float(data["intercept"]))


@dataclass(frozen=True)
class BoosterPart(BoosterViews):
    """An XGBoost classifier kept as its JSON model text."""

    text: str

    @property
    def model_text(self) -> str:
        """The XGBoost JSON text the views are built from."""
        return self.text

    def log_odds(self, features: FloatArray) -> FloatArray:
        """The booster's margin: its log-odds."""
        return fast_margins(self.trees, features)

    def contributions(self, features: FloatArray) -> FloatArray:
        """TreeSHAP contributions to the margin, then the bias column (booster_contributions
        computed with numpy)."""
        return self.shap.contributions(features)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values."""
        return {"kind": "xgboost", "model": self.text}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BoosterPart:
        """The part from its JSON values."""
        return cls(str(data["model"]))


@dataclass(frozen=True)
class ForestPart:
    """A random forest (with its imputer) as an ONNX graph; medians for occlusion. With its
    arrays (models/forest_arrays.py, kept by the caller) it is walked with numpy, to the same
    probabilities, instead of run by onnxruntime; `onnx` may then be left empty."""

    onnx: str
    medians: FloatArray
    arrays: ForestArrays | None = field(default=None, repr=False, compare=False)

    @cached_property
    def scorer(self) -> OnnxScorer:
        """The onnxruntime session (created once, on first use)."""
        return OnnxScorer(self.onnx)

    def probability(self, features: FloatArray) -> FloatArray:
        """The forest's probability of the positive class."""
        if self.arrays is not None:
            return self.arrays.probability(features)
        return np.asarray(self.scorer.outputs(features)[1][:, 1], dtype=np.float64)

    def log_odds(self, features: FloatArray) -> FloatArray:
        """The forest's probability as log-odds."""
        return logit(self.probability(features))

    def contributions(self, features: FloatArray) -> FloatArray:
        """Occlusion: how far the log-odds fall when one feature takes its training median."""
        rows, width = features.shape
        whole = self.log_odds(features)
        occluded = np.repeat(features, width, axis=0)
        columns = np.tile(np.arange(width), rows)
        occluded[np.arange(rows * width), columns] = self.medians[columns]
        terms = whole[:, None] - self.log_odds(occluded).reshape(rows, width)
        return np.column_stack([terms, whole - terms.sum(axis=1)])

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values."""
        if not self.onnx:
            raise ValueError("this forest was loaded as arrays without its ONNX graph: load "
                             "the model from its artifact to save it")
        return {"kind": "forest", "onnx": self.onnx, "medians": self.medians.tolist()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ForestPart:
        """The part from its JSON values."""
        return cls(str(data["onnx"]), np.array(data["medians"], dtype=np.float64))


Part = LinearPart | BoosterPart | ForestPart
PARTS: dict[str, Any] = {"logistic": LinearPart, "xgboost": BoosterPart, "forest": ForestPart}


@dataclass(frozen=True)
class CalibrationMap:
    """Platt (a·s + b on log-odds) or isotonic (piecewise linear on probabilities)."""

    method: str
    xs: tuple[float, ...]
    ys: tuple[float, ...]

    def apply(self, raw: FloatArray) -> FloatArray:
        """Calibrated probabilities of raw probabilities."""
        if self.method == "platt":
            return sigmoid(self.xs[0] * logit(raw) + self.ys[0])
        return np.asarray(np.interp(raw, self.xs, self.ys), dtype=np.float64)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values."""
        return {"method": self.method, "xs": list(self.xs), "ys": list(self.ys)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CalibrationMap:
        """The map from its JSON values."""
        return cls(str(data["method"]), tuple(map(float, data["xs"])),
                   tuple(map(float, data["ys"])))


@dataclass(frozen=True)
class RiskModel:
    """A trained risk model: input columns, parts, stacking weights, calibration, threshold."""

    inputs: tuple[str, ...]
    features: tuple[str, ...]
    candidate: str
    parts: tuple[Part, ...]
    weights: tuple[float, ...]
    bias: float
    calibration: CalibrationMap
    threshold: float
    medians: FloatArray
    info: dict[str, Any] = field(default_factory=dict)

    def matrix(self, rows: FloatArray) -> FloatArray:
        """Input rows (columns in `inputs` order) with the derived features appended."""
        derived, _ = add_derived(np.asarray(rows, dtype=np.float64), self.inputs)
        return derived

    def raw(self, rows: FloatArray) -> FloatArray:
        """The uncalibrated probability the chosen candidate gives each row."""
        features = self.matrix(rows)
        if len(self.parts) == 1:
            return sigmoid(self.parts[0].log_odds(features))
        stacked = sum((w * part.log_odds(features) for w, part in zip(self.weights, self.parts,
                                                                       strict=True)),
                      start=np.full(len(features), self.bias))
        return sigmoid(stacked)

    def score(self, rows: FloatArray) -> FloatArray:
        """Calibrated probability that each change is bug-inducing."""
        return self.calibration.apply(self.raw(rows))

    def contributions(self, rows: FloatArray) -> FloatArray:
        """Per-feature log-odds contributions (one column per name in `features`, then base)."""
        features = self.matrix(rows)
        if len(self.parts) == 1:
            return self.parts[0].contributions(features)
        total = np.zeros((len(features), len(self.features) + 1))
        for weight, part in zip(self.weights, self.parts, strict=True):
            total += weight * part.contributions(features)
        total[:, -1] += self.bias
        return total

    def explain(self, row: FloatArray, limit: int = 3) -> Explanation:
        """The top factors of one row's calibrated risk, in words, with recommendations."""
        features = self.matrix(np.asarray(row, dtype=np.float64).reshape(1, -1))
        contributions = self.contributions(features[:, :len(self.inputs)])[0]

        def calibrated(log_odds: float) -> float:
            return float(self.calibration.apply(sigmoid(np.array([log_odds])))[0])

        return explain(self.features, features[0].tolist(), contributions.tolist(),
                       self.medians.tolist(), limit, calibrated)

    def to_json(self) -> dict[str, Any]:
        """The whole model as plain JSON values."""
        return {"format": FORMAT, "inputs": list(self.inputs), "features": list(self.features),
                "candidate": self.candidate, "parts": [p.to_json() for p in self.parts],
                "weights": list(self.weights), "bias": self.bias,
                "calibration": self.calibration.to_json(), "threshold": self.threshold,
                "medians": self.medians.tolist(), "info": self.info}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RiskModel:
        """A model from to_json's values; refuses other formats."""
        if data.get("format") != FORMAT:
            raise ValueError(f"not a diffrisk risk model (format {data.get('format')!r}, "
                             f"expected {FORMAT!r}): export it again with this version")
        parts = tuple(PARTS[p["kind"]].from_json(p) for p in data["parts"])
        return cls(tuple(data["inputs"]), tuple(data["features"]), str(data["candidate"]),
                   parts, tuple(map(float, data["weights"])), float(data["bias"]),
                   CalibrationMap.from_json(data["calibration"]), float(data["threshold"]),
                   np.array(data["medians"], dtype=np.float64), dict(data.get("info", {})))


def linear_part(pipeline: Any) -> LinearPart:
    """The numbers of a fitted impute → log1p → scale → logistic pipeline."""
    imputer, _, scaler, regression = (step for _, step in pipeline.steps)
    return LinearPart(np.asarray(imputer.statistics_, dtype=np.float64),
                      np.asarray(scaler.mean_, dtype=np.float64),
                      np.asarray(scaler.scale_, dtype=np.float64),
                      np.asarray(regression.coef_[0], dtype=np.float64),
                      float(regression.intercept_[0]))


def forest_part(pipeline: Any, width: int) -> ForestPart:
    """A fitted impute → forest pipeline converted to ONNX."""
    from skl2onnx import to_onnx  # noqa: PLC0415  (only saving a forest needs the converter)

    graph = to_onnx(pipeline, np.zeros((1, width), dtype=np.float32),
                    options={id(pipeline.steps[-1][1]): {"zipmap": False}},
                    target_opset={"": 17, "ai.onnx.ml": 3})
    return ForestPart(onnx_to_text(graph), np.asarray(pipeline.steps[0][1].statistics_,
                                                      dtype=np.float64))


def portable_part(name: str, fitted: Any, width: int) -> Part:
    """One fitted base candidate as a portable part."""
    if name == "logistic":
        return linear_part(fitted)
    if name == "forest":
        return forest_part(fitted, width)
    return BoosterPart(booster_to_text(fitted.get_booster()))


def calibration_map(calibrator: Any) -> CalibrationMap:
    """A models.training.Calibrator as numbers."""
    mapping = calibrator.mapping
    if calibrator.method == "platt":
        return CalibrationMap("platt", (float(mapping.coef_[0][0]),),
                              (float(mapping.intercept_[0]),))
    return CalibrationMap("isotonic", tuple(map(float, mapping.X_thresholds_)),
                          tuple(map(float, mapping.y_thresholds_)))
