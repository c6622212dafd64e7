"""Select a model by time-series CV, calibrate it out of fold, evaluate it on the future."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import TimeSeriesSplit

from models.candidates import (
    BASE_CANDIDATES,
    STACK,
    StackedModel,
    fit_meta,
    make_base,
    positive_scores,
)
from models.dataset import Dataset, subset, time_split
from models.features import add_derived, logit
from models.latency import DEFAULT_QUANTILE, labels_as_of
from models.metrics import best_f1_threshold, brier, evaluate, roc_auc
from models.risk_model import RiskModel, calibration_map, portable_part
from models.validation import DataValidationError, require_valid

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
CANDIDATES = (*BASE_CANDIDATES, STACK)
CALIBRATIONS = ("platt", "isotonic")


@dataclass(frozen=True)
class TrainingOptions:
    """Knobs of one training run."""

    test_size: float = 0.2
    n_splits: int = 5
    n_trees: int = 300
    seed: int = 0
    latency_quantile: float = DEFAULT_QUANTILE
    portable: bool = True
    xgboost_params: dict[str, Any] | None = None


@dataclass(frozen=True)
class OutOfFold:
    """Time-series CV scores of the training rows each fold validated (fold −1: none)."""

    scores: dict[str, FloatArray]
    fold: IntArray


@dataclass(frozen=True)
class TrainingResult:
    """The chosen model, how it was chosen, and its metrics on the future rows."""

    model: str
    calibration: str
    threshold: float
    cv_auc: dict[str, float]
    metrics: dict[str, float]
    n_train: int
    n_test: int
    features: tuple[str, ...]
    warnings: list[str] = field(default_factory=list)
    test_labels: IntArray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    test_probabilities: FloatArray = field(default_factory=lambda: np.empty(0))
    latency_window_days: float | None = None
    held_back: int = 0
    labels_not_yet_known: int = 0
    test_held_back: int = 0
    train_window: tuple[float, float] = (0.0, 0.0)
    test_window: tuple[float, float] = (0.0, 0.0)
    risk_model: RiskModel | None = None
    test_rows: IntArray = field(default_factory=lambda: np.empty(0, dtype=np.int64))


@dataclass(frozen=True)
class Calibrator:
    """A fitted map from raw model scores to calibrated probabilities."""

    method: str
    mapping: Any

    def apply(self, scores: FloatArray) -> FloatArray:
        """Calibrated probabilities of raw scores."""
        if self.method == "platt":
            column = logit(scores).reshape(-1, 1)
            return np.asarray(self.mapping.predict_proba(column)[:, 1], dtype=np.float64)
        return np.asarray(self.mapping.predict(scores), dtype=np.float64)


def fit_calibrator(method: str, scores: FloatArray, labels: IntArray) -> Calibrator:
    """Fit one calibration method on scores and their labels."""
    if method == "platt":
        mapping: Any = LogisticRegression(C=1e6, max_iter=1000)
        mapping.fit(logit(scores).reshape(-1, 1), labels)
    else:
        mapping = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        mapping.fit(scores, labels)
    return Calibrator(method, mapping)


def choose_calibrator(scores: FloatArray, labels: IntArray, fold: IntArray) -> Calibrator:
    """Fit each method on earlier folds, keep the lower Brier on the last fold, refit on all."""
    last = fold == fold.max()
    earlier = ~last
    method = "platt"
    if earlier.any() and len(np.unique(labels[earlier])) == 2:
        briers = {m: brier(labels[last],
                           fit_calibrator(m, scores[earlier], labels[earlier]).apply(scores[last]))
                  for m in CALIBRATIONS}
        method = min(briers, key=briers.__getitem__)
    return fit_calibrator(method, scores, labels)


def base_out_of_fold(features: FloatArray, labels: IntArray,
                     options: TrainingOptions) -> OutOfFold:
    """Each base candidate's scores on every TimeSeriesSplit validation block."""
    scores = {name: np.full(len(labels), np.nan) for name in BASE_CANDIDATES}
    fold = np.full(len(labels), -1, dtype=np.int64)
    splits = TimeSeriesSplit(n_splits=options.n_splits).split(features)
    for number, (fit_rows, check_rows) in enumerate(splits):
        if len(np.unique(labels[fit_rows])) < 2:
            continue
        fold[check_rows] = number
        for name in BASE_CANDIDATES:
            model = make_base(name, labels[fit_rows], options.seed, options.n_trees,
                              options.xgboost_params)
            model.fit(features[fit_rows], labels[fit_rows])
            scores[name][check_rows] = positive_scores(model, features[check_rows])
    return OutOfFold(scores, fold)


def stack_out_of_fold(oof: OutOfFold, labels: IntArray) -> FloatArray:
    """Stacked scores on each block from a meta-learner fitted on the earlier blocks only."""
    base = np.column_stack([oof.scores[name] for name in BASE_CANDIDATES])
    stacked = np.full(len(labels), np.nan)
    for number in np.unique(oof.fold[oof.fold >= 0]):
        earlier = (oof.fold >= 0) & (oof.fold < number)
        if len(np.unique(labels[earlier])) == 2:
            meta = fit_meta(base[earlier], labels[earlier])
            rows = oof.fold == number
            stacked[rows] = meta.predict_proba(logit(base[rows]))[:, 1]
    return stacked


def cv_auc(oof: OutOfFold, labels: IntArray) -> dict[str, float]:
    """Mean per-fold AUC of each candidate over the folds every candidate scored."""
    scored = np.all([~np.isnan(s) for s in oof.scores.values()], axis=0)
    folds = np.unique(oof.fold[scored & (oof.fold >= 0)])
    if not len(folds):
        raise DataValidationError("too few rows of both classes early in time for time-series "
                                  "cross-validation: add older labelled history")
    return {name: float(np.nanmean([roc_auc(labels[oof.fold == f], s[oof.fold == f])
                                    for f in folds]))
            for name, s in oof.scores.items()}


def fit_final(name: str, features: FloatArray, labels: IntArray, oof: OutOfFold,
              options: TrainingOptions) -> Any:
    """The chosen candidate fitted on all training rows (a stack's meta-learner out of fold)."""
    names = BASE_CANDIDATES if name == STACK else (name,)
    bases = [make_base(n, labels, options.seed, options.n_trees,
                       options.xgboost_params).fit(features, labels) for n in names]
    if name != STACK:
        return bases[0]
    rows = oof.fold >= 0
    base = np.column_stack([oof.scores[n][rows] for n in BASE_CANDIDATES])
    return StackedModel(bases, fit_meta(base, labels[rows]))


def loc_effort(features: FloatArray, names: tuple[str, ...]) -> FloatArray | None:
    """Lines touched (la + ld) per change, when both columns exist."""
    if "la" not in names or "ld" not in names:
        return None
    return np.asarray(np.nan_to_num(features[:, names.index("la")] +
                                    features[:, names.index("ld")]), dtype=np.float64)


def portable_model(chosen: str, model: Any, calibrator: Calibrator, threshold: float,
                   inputs: tuple[str, ...], names: tuple[str, ...],
                   x_train: FloatArray) -> RiskModel:
    """The fitted candidate and its calibrator as a RiskModel that saves as plain JSON."""
    fitted = model.bases if chosen == STACK else [model]
    kinds = BASE_CANDIDATES if chosen == STACK else (chosen,)
    parts = tuple(portable_part(kind, m, len(names)) for kind, m in zip(kinds, fitted,
                                                                         strict=True))
    weights: tuple[float, ...] = (1.0,)
    bias = 0.0
    if chosen == STACK:
        weights = tuple(float(w) for w in model.meta.coef_[0])
        bias = float(model.meta.intercept_[0])
    medians = np.nan_to_num(np.nanmedian(x_train, axis=0))
    return RiskModel(inputs, names, chosen, parts, weights, bias, calibration_map(calibrator),
                     threshold, medians)


def test_rows_with_known_labels(test: Dataset, window_days: float | None) -> NDArray[np.bool_]:
    """Test rows old enough for their bugs to be found: the last latency window before the
    newest row is left out, as its clean labels cannot be trusted yet."""
    if window_days is None or not window_days:
        return np.ones(len(test.labels), dtype=bool)
    return np.asarray(test.times <= test.times.max() - window_days * 86_400.0)


def train_and_evaluate(data: Dataset, options: TrainingOptions | None = None) -> TrainingResult:
    """Validate, select by time-series CV, calibrate out of fold, evaluate on the last rows."""
    options = options or TrainingOptions()
    warnings = require_valid(data)
    train_rows, test_rows = time_split(len(data.labels), options.test_size)
    train, test = subset(data, train_rows), subset(data, test_rows)
    as_of = labels_as_of(train, float(test.times[0]), options.latency_quantile)
    trusted = test_rows_with_known_labels(test, as_of.window_days)
    test = subset(test, np.flatnonzero(trusted))
    train = Dataset(train.features[as_of.keep], as_of.labels[as_of.keep],
                    train.times[as_of.keep], train.names)
    if len(np.unique(train.labels)) < 2:
        raise DataValidationError("the training part holds one class only once labels not "
                                  "yet known at the split are set aside: add history")
    if len(np.unique(test.labels)) < 2:
        raise DataValidationError("the test part (the newest rows) holds one class only: "
                                  "raise --test-size or add history")
    x_train, names = add_derived(train.features, data.names)
    x_test, _ = add_derived(test.features, data.names)
    base_oof = base_out_of_fold(x_train, train.labels, options)
    oof = OutOfFold({**base_oof.scores, STACK: stack_out_of_fold(base_oof, train.labels)},
                    base_oof.fold)
    aucs = cv_auc(oof, train.labels)
    chosen = max(aucs, key=aucs.__getitem__)
    scored = ~np.isnan(oof.scores[chosen])
    calibrator = choose_calibrator(oof.scores[chosen][scored], train.labels[scored],
                                   oof.fold[scored])
    threshold = best_f1_threshold(train.labels[scored],
                                  calibrator.apply(oof.scores[chosen][scored]))
    model = fit_final(chosen, x_train, train.labels, base_oof, options)
    probabilities = calibrator.apply(positive_scores(model, x_test))
    metrics = evaluate(test.labels, probabilities, threshold, loc_effort(test.features,
                                                                         data.names))
    risk_model = portable_model(chosen, model, calibrator, threshold, data.names, names,
                                x_train) if options.portable else None
    return TrainingResult(chosen, calibrator.method, threshold, aucs, metrics,
                          len(train.labels), len(test.labels), names, warnings, test.labels,
                          probabilities, as_of.window_days, as_of.held_back,
                          as_of.not_yet_known, int((~trusted).sum()),
                          (float(train.times[0]), float(train.times[-1])),
                          (float(test.times[0]), float(test.times[-1])), risk_model,
                          test_rows[trusted])
