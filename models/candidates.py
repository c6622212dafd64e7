"""The candidate models and the stacked meta-learner over them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from xgboost import XGBClassifier

from models.features import logit, signed_log1p

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BASE_CANDIDATES = ("logistic", "forest", "xgboost")
STACK = "stack"


def logistic(seed: int) -> Pipeline:
    """Kamei-style logistic regression: impute, log1p, scale, balanced class weights."""
    return make_pipeline(SimpleImputer(strategy="median"), FunctionTransformer(signed_log1p),
                         StandardScaler(),
                         LogisticRegression(class_weight="balanced", max_iter=2000,
                                            random_state=seed))


def forest(seed: int, n_trees: int) -> Pipeline:
    """Random forest with balanced per-bootstrap class weights."""
    return make_pipeline(SimpleImputer(strategy="median"),
                         RandomForestClassifier(n_estimators=n_trees, min_samples_leaf=5,
                                                max_features="sqrt",
                                                class_weight="balanced_subsample",
                                                n_jobs=2, random_state=seed))


def xgboost(seed: int, n_trees: int, positive_weight: float,
            tuned: Mapping[str, Any] | None = None) -> XGBClassifier:
    """Gradient-boosted trees of modest depth, positives weighted by the class ratio; tuned
    hyperparameters (from --tune) replace the defaults."""
    params: dict[str, Any] = {"n_estimators": n_trees, "max_depth": 4, "learning_rate": 0.03,
                              "subsample": 0.8, "colsample_bytree": 0.8, "min_child_weight": 5}
    return XGBClassifier(**{**params, **(tuned or {})}, scale_pos_weight=positive_weight,
                         tree_method="hist", n_jobs=2, random_state=seed, verbosity=0)


def make_base(name: str, labels: IntArray, seed: int, n_trees: int,
              tuned: Mapping[str, Any] | None = None) -> Any:
    """An unfitted base candidate by name, weighted for the labels' class balance."""
    positives = max(int(labels.sum()), 1)
    if name == "logistic":
        return logistic(seed)
    if name == "forest":
        return forest(seed, n_trees)
    if name == "xgboost":
        return xgboost(seed, n_trees, (len(labels) - positives) / positives, tuned)
    raise ValueError(f"unknown candidate {name!r}: choose one of {', '.join(BASE_CANDIDATES)}")


def positive_scores(model: Any, features: FloatArray) -> FloatArray:
    """A fitted classifier's probability of the positive class."""
    return np.asarray(model.predict_proba(features)[:, 1], dtype=np.float64)


def fit_meta(base_scores: FloatArray, labels: IntArray) -> LogisticRegression:
    """The stacking meta-learner: logistic regression on the base models' logits."""
    meta = LogisticRegression(class_weight="balanced", max_iter=1000)
    return meta.fit(logit(base_scores), labels)


class StackedModel:
    """Base models fitted on all training rows, combined by a meta-learner fitted out of fold."""

    def __init__(self, bases: list[Any], meta: LogisticRegression) -> None:
        self.bases = bases
        self.meta = meta

    def predict_proba(self, features: FloatArray) -> FloatArray:
        """Class probabilities, like a scikit-learn classifier."""
        scores = np.column_stack([positive_scores(m, features) for m in self.bases])
        return np.asarray(self.meta.predict_proba(logit(scores)), dtype=np.float64)
