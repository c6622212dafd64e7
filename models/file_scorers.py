"""The file-level scorer shared by the bug and file-change risk models: the mean of a
calibrated XGBoost booster and a strongly regularised logistic regression on log features, with
an F1-best threshold, all stored as plain JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from models.features import sigmoid
from models.metrics import IntArray, best_f1_threshold, evaluate
from models.portable import (
    FloatArray,
    booster_margin,
    booster_to_text,
    fast_margins,
)
from models.treeshap import BoosterViews

MIN_ROWS = 20


class BugTrainingError(ValueError):
    """History too short or one-sided to train and validate a file-level model."""


@dataclass(frozen=True)
class BoostOptions:
    """Knobs of one booster fit and its time-ordered validation."""

    test_size: float = 0.2
    calibration_size: float = 0.2
    max_rounds: int = 400
    early_stopping: int = 40
    learning_rate: float = 0.05
    max_depth: int = 4
    min_child_weight: float = 5.0
    subsample: float = 0.8
    seed: int = 0
    n_jobs: int = 1
    monotone: tuple[int, ...] = ()


@dataclass(frozen=True)
class BoostedScorer(BoosterViews):
    """An XGBoost booster, a Platt map of its margin, and the F1-best decision threshold."""

    booster_text: str
    slope: float
    intercept: float
    threshold: float
    rounds: int

    @property
    def model_text(self) -> str:
        """The XGBoost JSON text the views are built from."""
        return self.booster_text

    @classmethod
    def load(cls, booster_text: str, slope: float, intercept: float, threshold: float,
             rounds: int) -> BoostedScorer:
        """A scorer of the JSON model text (XGBoost itself is loaded only if asked for)."""
        return cls(booster_text, slope, intercept, threshold, rounds)

    def probabilities(self, features: FloatArray) -> FloatArray:
        """Calibrated probabilities of the rows."""
        margins = fast_margins(self.trees, features)
        return sigmoid(self.slope * margins + self.intercept)

    def contributions(self, features: FloatArray) -> FloatArray:
        """Exact TreeSHAP contributions of each feature to the margin (bias column dropped)."""
        return self.shap.contributions(features)[:, :-1]

    def to_json(self) -> dict[str, Any]:
        """The scorer as JSON-safe values."""
        return {"booster": self.booster_text, "slope": self.slope,
                "intercept": self.intercept, "threshold": self.threshold,
                "rounds": self.rounds}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BoostedScorer:
        """A scorer from to_json's values."""
        return cls.load(str(data["booster"]), float(data["slope"]), float(data["intercept"]),
                        float(data["threshold"]), int(data["rounds"]))


Rows = tuple[FloatArray, IntArray]  # features, labels


def boost(rows: Rows, options: BoostOptions, rounds: int, check: Rows | None = None) -> Any:
    """A logistic XGBoost booster; with a check set, stopped early on its log-loss."""
    import xgboost  # noqa: PLC0415  (loaded only when training)

    params = {"objective": "binary:logistic", "eval_metric": "logloss",
              "eta": options.learning_rate, "max_depth": options.max_depth,
              "min_child_weight": options.min_child_weight, "subsample": options.subsample,
              "colsample_bytree": 0.8, "tree_method": "hist", "seed": options.seed,
              "nthread": options.n_jobs}
    if options.monotone:
        params["monotone_constraints"] = "(" + ",".join(map(str, options.monotone)) + ")"
    train = xgboost.DMatrix(rows[0].astype(np.float32), label=rows[1])
    if check is None:
        return xgboost.train(params, train, num_boost_round=rounds)
    evals = [(xgboost.DMatrix(check[0].astype(np.float32), label=check[1]), "check")]
    return xgboost.train(params, train, num_boost_round=rounds, evals=evals,
                         early_stopping_rounds=options.early_stopping, verbose_eval=False)


def platt_from_margins(margins: FloatArray, labels: IntArray) -> tuple[float, float]:
    """(slope, intercept) of a Platt map from margins to probabilities."""
    from models.training import fit_calibrator  # noqa: PLC0415  (fitting only: scikit-learn)

    mapping = fit_calibrator("platt", sigmoid(margins), labels).mapping
    return float(mapping.coef_[0][0]), float(mapping.intercept_[0])


def require_both_classes(labels: IntArray, part: str) -> None:
    """Raise BugTrainingError when a part of the data is too small or holds one class."""
    if len(labels) < MIN_ROWS or len(np.unique(labels)) < 2:
        raise BugTrainingError(f"the {part} rows ({len(labels)}, {int(labels.sum())} positive) "
                               "are too few or of one class: add older history")


def fit_scorer(fit: Rows, check: Rows, options: BoostOptions,
               ) -> tuple[BoostedScorer, FloatArray]:
    """Fit on the older rows, stop and calibrate on the newer check rows, refit on both; also
    the check rows' calibrated probabilities from the booster fitted on the older rows."""
    require_both_classes(fit[1], "fitting")
    require_both_classes(check[1], "calibration")
    first = boost(fit, options, options.max_rounds, check)
    rounds = int(first.best_iteration) + 1
    margins = booster_margin(first, check[0])
    slope, intercept = platt_from_margins(margins, check[1])
    check_probabilities = sigmoid(slope * margins + intercept)
    threshold = best_f1_threshold(check[1], check_probabilities)
    both = (np.vstack([fit[0], check[0]]), np.concatenate([fit[1], check[1]]))
    final = boost(both, options, rounds)
    return (BoostedScorer.load(booster_to_text(final), slope, intercept, threshold, rounds),
            check_probabilities)


NAN_FILL = 3650.0  # a missing "days since" reads as ten years
LINEAR_C = 0.01


@dataclass(frozen=True)
class LinearScorer:
    """Logistic regression on standardised log1p features plus one is-missing indicator."""

    means: tuple[float, ...]
    scales: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    indicator: int

    def design(self, features: FloatArray) -> FloatArray:
        """The standardised model inputs of feature rows."""
        return linear_design(features, self.indicator, np.array(self.means),
                             np.array(self.scales))

    def contributions(self, features: FloatArray) -> FloatArray:
        """Each feature's log-odds term (the indicator's added to its feature)."""
        terms = self.design(features) * np.array(self.coef)
        terms[:, self.indicator] += terms[:, -1]
        return np.asarray(terms[:, :-1], dtype=np.float64)

    def probabilities(self, features: FloatArray) -> FloatArray:
        """Probabilities of the rows."""
        return sigmoid(self.design(features) @ np.array(self.coef) + self.intercept)

    def to_json(self) -> dict[str, Any]:
        """The scorer as JSON-safe values."""
        return {"means": list(self.means), "scales": list(self.scales), "coef": list(self.coef),
                "intercept": self.intercept, "indicator": self.indicator}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LinearScorer:
        """A scorer from to_json's values."""
        return cls(tuple(map(float, data["means"])), tuple(map(float, data["scales"])),
                   tuple(map(float, data["coef"])), float(data["intercept"]),
                   int(data["indicator"]))


def log_inputs(features: FloatArray, indicator: int) -> FloatArray:
    """log1p of the features (missing → NAN_FILL, negatives → 0) and whether the indicator
    feature was missing."""
    missing = np.isnan(features[:, indicator]).astype(np.float64)
    filled = np.nan_to_num(features, nan=NAN_FILL)
    return np.column_stack([np.log1p(np.maximum(filled, 0.0)), missing])


def linear_design(features: FloatArray, indicator: int, means: FloatArray,
                  scales: FloatArray) -> FloatArray:
    """Standardised log inputs."""
    return np.asarray((log_inputs(features, indicator) - means) / scales, dtype=np.float64)


def fit_linear(rows: Rows, indicator: int) -> LinearScorer:
    """A strongly regularised logistic regression on the rows' log inputs."""
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415

    inputs = log_inputs(rows[0], indicator)
    means = inputs.mean(axis=0)
    scales = np.where(inputs.std(axis=0) > 0, inputs.std(axis=0), 1.0)
    model = LogisticRegression(C=LINEAR_C, max_iter=2000)
    model.fit((inputs - means) / scales, rows[1])
    return LinearScorer(tuple(map(float, means)), tuple(map(float, scales)),
                        tuple(map(float, model.coef_[0])), float(model.intercept_[0]), indicator)


@dataclass(frozen=True)
class EnsembleScorer:
    """The mean of a boosted and a linear scorer's probabilities, with its F1-best threshold."""

    boosted: BoostedScorer
    linear: LinearScorer
    threshold: float

    def probabilities(self, features: FloatArray) -> FloatArray:
        """Probabilities of the rows: the mean of both parts."""
        return (self.boosted.probabilities(features) + self.linear.probabilities(features)) / 2

    def contributions(self, features: FloatArray) -> FloatArray:
        """Per-feature log-odds contributions: the mean of both parts' (TreeSHAP, linear)."""
        return (self.boosted.contributions(features) + self.linear.contributions(features)) / 2

    def to_json(self) -> dict[str, Any]:
        """The scorer as JSON-safe values."""
        return {"boosted": self.boosted.to_json(), "linear": self.linear.to_json(),
                "threshold": self.threshold}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EnsembleScorer:
        """A scorer from to_json's values."""
        return cls(BoostedScorer.from_json(data["boosted"]),
                   LinearScorer.from_json(data["linear"]), float(data["threshold"]))


def fit_ensemble(fit: Rows, check: Rows, options: BoostOptions,
                 indicator: int) -> EnsembleScorer:
    """Both parts fitted on all rows; the threshold from the parts fitted on the older rows
    and applied to the newer check rows."""
    boosted, check_boosted = fit_scorer(fit, check, options)
    early = fit_linear(fit, indicator)
    threshold = best_f1_threshold(check[1], (check_boosted + early.probabilities(check[0])) / 2)
    both = (np.vstack([fit[0], check[0]]), np.concatenate([fit[1], check[1]]))
    return EnsembleScorer(boosted, fit_linear(both, indicator), threshold)


def holdout_metrics(labels: IntArray, probabilities: FloatArray, threshold: float,
                 n_train: int) -> dict[str, float]:
    """The reported metrics of probabilities on test rows, with the row counts."""
    return {**evaluate(labels, probabilities, threshold, None), "n_train": float(n_train),
            "n_test": float(len(labels)), "test_positive_rate": float(labels.mean()),
            "threshold": threshold}
