"""The impact score: how far a change reaches, 0–10, learned from what followed past changes.

Label and scale: models/impact_target.py.

Features. A fixed vector from blast-radius facts (analyzers.blast.BlastRadius, plain data),
the co-change rules of the changed files (analyzers.coupling), and two plain numbers of
history known before the change. The model is an XGBoost regressor stored as its JSON text;
one change is scored by walking the same trees with numpy (TreeArrays, equal to booster_margin
to float32 rounding) because XGBoost's per-call overhead alone is most of a millisecond, and
explained by TreeSHAP computed with numpy (models/treeshap.py): XGBoost is loaded only to train
and to score many rows at once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analyzers.blast import MIN_COUPLING_CONFIDENCE, BlastRadius
from analyzers.coupling import Coupling
from models.impact_target import MAX_IMPACT, impact_scale
from models.portable import (
    booster_margin,
    booster_to_text,
)
from models.treeshap import BoosterViews

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

MODEL_FORMAT = 1

FEATURE_NAMES: tuple[str, ...] = (
    "changed_files", "churn", "recent_changes", "past_impact", "past_impact_changes",
    "fan_in_sum", "fan_in_max", "fan_out_sum", "pagerank_max", "pagerank_sum",
    "reach_depth1", "reach_depth2", "reach_all",
    "components_reached", "components_by_imports", "components_by_history", "reach_mass",
    "coupled_files", "coupled_confidence_sum", "coupled_confidence_max", "coupled_support_sum",
    "affected_tests", "blast_files",
)
BLAST_SIZE_FEATURE = "blast_files"


# ---------------------------------------------------------------------------- features


def coupled_confidence(blast: BlastRadius, coupling: Mapping[str, Sequence[Coupling]],
                       ) -> dict[str, tuple[float, int]]:
    """Files outside the change that its files' co-change rules point to: the strongest
    confidence (at least MIN_COUPLING_CONFIDENCE) and the summed support."""
    changed = {item.path for item in blast.changed}
    strongest: dict[str, tuple[float, int]] = {}
    for rules in coupling.values():
        for rule in rules:
            if rule.path in changed or rule.confidence < MIN_COUPLING_CONFIDENCE:
                continue
            confidence, support = strongest.get(rule.path, (0.0, 0))
            strongest[rule.path] = (max(confidence, rule.confidence), support + rule.support)
    return strongest


def _depth_counts(blast: BlastRadius) -> tuple[float, float, float]:
    depths = list(blast.affected_files.values())
    return (float(sum(d <= 1 for d in depths)), float(sum(d <= 2 for d in depths)),
            float(len(depths)))


def impact_features(blast: BlastRadius, coupling: Mapping[str, Sequence[Coupling]] | None = None,
                    *, churn: int = 0, recent_changes: int = 0,
                    past_impact: tuple[float, int] = (0.0, 0)) -> tuple[float, ...]:
    """The feature vector (FEATURE_NAMES order) of a change: blast-radius facts, co-change
    rules of its files, its lines changed, how many commits touched its files in the
    WINDOW_DAYS before it, and the mean impact of their earlier changes (past_impacts)."""
    coupled = coupled_confidence(blast, coupling or {})
    fan_in = [item.fan_in for item in blast.changed] or [0]
    ranks = [item.pagerank for item in blast.changed] or [0.0]
    values = {
        "changed_files": len(blast.changed), "churn": churn, "recent_changes": recent_changes,
        "past_impact": past_impact[0], "past_impact_changes": past_impact[1],
        "fan_in_sum": sum(fan_in), "fan_in_max": max(fan_in),
        "fan_out_sum": sum(item.fan_out for item in blast.changed),
        "pagerank_max": max(ranks), "pagerank_sum": sum(ranks),
        "components_reached": len(blast.components),
        "components_by_imports": sum(c.import_depth is not None for c in blast.components),
        "components_by_history": sum(c.coupled_confidence > 0 for c in blast.components),
        "reach_mass": sum(c.reach for c in blast.components),
        "coupled_files": len(coupled),
        "coupled_confidence_sum": sum(conf for conf, _ in coupled.values()),
        "coupled_confidence_max": max((conf for conf, _ in coupled.values()), default=0.0),
        "coupled_support_sum": sum(support for _, support in coupled.values()),
        "affected_tests": len(blast.affected_tests),
        "blast_files": len(set(blast.affected_files) | coupled.keys()),
    }
    values.update(zip(("reach_depth1", "reach_depth2", "reach_all"), _depth_counts(blast),
                      strict=True))
    return tuple(float(values[name]) for name in FEATURE_NAMES)


def depth_hit_rates(blasts: Sequence[BlastRadius], followups: Sequence[Collection[str]],
                    ) -> dict[int, float]:
    """For each reverse-import depth, the share of importers that far away that changed in a
    change's follow-up commits, over past changes: turns depth into a probability."""
    seen: Counter[int] = Counter()
    hits: Counter[int] = Counter()
    for blast, files in zip(blasts, followups, strict=True):
        for path, depth in blast.affected_files.items():
            seen[depth] += 1
            hits[depth] += path in files
    return {depth: hits[depth] / seen[depth] for depth in seen}


def rank_blast_files(blast: BlastRadius, coupling: Mapping[str, Sequence[Coupling]] | None = None,
                     limit: int = 10, depth_rates: Mapping[int, float] | None = None,
                     ) -> list[str]:
    """The files the blast radius expects to change next, best first: an importer at depth d
    scores g = depth_rates[d] (1/d uncalibrated), a coupled file its confidence c, a file
    with both 1 − (1 − g)(1 − c)."""
    coupled = coupled_confidence(blast, coupling or {})
    by_graph = {path: depth_rates.get(depth, 0.0) if depth_rates is not None else 1 / depth
                for path, depth in blast.affected_files.items()}
    score = {path: 1 - (1 - by_graph.get(path, 0.0)) * (1 - coupled.get(path, (0.0, 0))[0])
             for path in by_graph.keys() | coupled.keys()}
    return sorted(score, key=lambda path: (-score[path], path))[:limit]


# ---------------------------------------------------------------------------- the model




@dataclass(frozen=True)
class Contributions:
    """Why a change scored what it did: the model's base value and each feature's share."""

    base: float
    by_feature: dict[str, float]


@dataclass(frozen=True)
class ImpactModel(BoosterViews):
    """A trained impact regressor: XGBoost JSON text and the features it takes, in order."""

    booster_text: str
    feature_names: tuple[str, ...] = FEATURE_NAMES

    @property
    def model_text(self) -> str:
        """The XGBoost JSON text the views are built from."""
        return self.booster_text

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe form that loads without executing code."""
        return {"format": MODEL_FORMAT, "kind": "impact", "feature_names": list(self.feature_names),
                "booster": self.booster_text}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ImpactModel:
        """The model to_json gave; ValueError for another format or kind."""
        if data.get("format") != MODEL_FORMAT or data.get("kind") != "impact":
            raise ValueError(f"not an impact model of format {MODEL_FORMAT}")
        return cls(str(data["booster"]), tuple(str(name) for name in data["feature_names"]))

    def _rows(self, features: Sequence[float] | FloatArray) -> FloatArray:
        rows = np.asarray(features, dtype=np.float64)
        rows = rows.reshape(1, -1) if rows.ndim == 1 else rows
        if rows.shape[1] != len(self.feature_names):
            raise ValueError(f"expected {len(self.feature_names)} features, got {rows.shape[1]}")
        return rows

    def scores(self, features: Sequence[Sequence[float]] | FloatArray) -> FloatArray:
        """The 0–10 impact of each row."""
        margin = booster_margin(self.booster, self._rows(np.asarray(features, dtype=np.float64)))
        return np.clip(margin, 0.0, MAX_IMPACT)

    def score(self, features: Sequence[float]) -> float:
        """The 0–10 impact of one change's feature vector (tens of microseconds)."""
        if len(features) != len(self.feature_names):
            raise ValueError(f"expected {len(self.feature_names)} features, got {len(features)}")
        margin = float(self.trees.margins(np.asarray(features, dtype=np.float64)[None, :])[0])
        return min(MAX_IMPACT, max(0.0, margin))

    def contributions(self, features: Sequence[float]) -> Contributions:
        """Exact TreeSHAP contributions of each feature to this change's raw score."""
        values = self.shap.contributions(self._rows(features))[0]
        return Contributions(float(values[-1]),
                             {name: float(v) for name, v in zip(self.feature_names, values[:-1],
                                                                strict=True)})


# ---------------------------------------------------------------------------- training


@dataclass(frozen=True)
class TrainOptions:
    """Knobs of the impact regressor (small trees: a few thousand rows per repository)."""

    test_size: float = 0.2
    max_rounds: int = 400
    early_stopping: int = 30
    inner_validation: float = 0.2
    max_depth: int = 4
    learning_rate: float = 0.05
    min_child_weight: float = 5.0
    subsample: float = 0.8
    seed: int = 0


@dataclass(frozen=True)
class RegressionMetrics:
    """Errors and rank agreement of predictions against the 0–10 target."""

    rmse: float
    mae: float
    spearman: float


@dataclass(frozen=True)
class ImpactMetrics:
    """The model against the baselines on the newest rows (never seen in training)."""

    train_rows: int
    test_rows: int
    rounds: int
    model: RegressionMetrics
    mean_baseline: RegressionMetrics
    blast_baseline: RegressionMetrics


def regression_metrics(targets: FloatArray, predicted: FloatArray) -> RegressionMetrics:
    """RMSE, MAE and Spearman's rho (0 when either side is constant)."""
    errors = predicted - targets
    from scipy.stats import spearmanr  # noqa: PLC0415  (evaluation only: keeps scoring light)

    constant = np.ptp(predicted) == 0 or np.ptp(targets) == 0
    rho = 0.0 if constant else float(spearmanr(predicted, targets).statistic)
    return RegressionMetrics(float(np.sqrt(np.mean(errors ** 2))), float(np.mean(np.abs(errors))),
                             rho)


def time_order_split(times: FloatArray, test_size: float) -> tuple[IntArray, IntArray]:
    """Row indices of the older and the newest test_size share, by time (stable)."""
    order = np.argsort(times, kind="stable")
    cut = round(len(order) * (1 - test_size))
    return order[:cut], order[cut:]


def _params(options: TrainOptions, mean: float) -> dict[str, Any]:
    return {"objective": "reg:squarederror", "eta": options.learning_rate,
            "max_depth": options.max_depth, "min_child_weight": options.min_child_weight,
            "subsample": options.subsample, "colsample_bytree": 0.8, "nthread": 1,
            "seed": options.seed, "base_score": mean, "eval_metric": "rmse"}


def best_rounds(features: FloatArray, targets: FloatArray, options: TrainOptions) -> int:
    """The number of boosting rounds that did best on the newest share of the training rows."""
    import xgboost  # noqa: PLC0415  (loaded only by training)

    cut = int(len(targets) * (1 - options.inner_validation))
    if cut < 10 or len(targets) - cut < 5:
        return min(options.max_rounds, 100)
    fit = xgboost.DMatrix(features[:cut], label=targets[:cut])
    held = xgboost.DMatrix(features[cut:], label=targets[cut:])
    booster = xgboost.train(_params(options, float(np.mean(targets[:cut]))), fit,
                            options.max_rounds, evals=[(held, "held")],
                            early_stopping_rounds=options.early_stopping, verbose_eval=False)
    return int(booster.best_iteration) + 1


def fit_impact_model(features: FloatArray, targets: FloatArray, rounds: int,
                     options: TrainOptions = TrainOptions()) -> ImpactModel:
    """An impact model fitted on rows in time order (columns named FEATURE_NAMES when they
    are that many, f0, f1, … otherwise)."""
    import xgboost  # noqa: PLC0415

    booster = xgboost.train(_params(options, float(np.mean(targets))),
                            xgboost.DMatrix(features, label=targets), rounds)
    names = FEATURE_NAMES if features.shape[1] == len(FEATURE_NAMES) else tuple(
        f"f{i}" for i in range(features.shape[1]))
    return ImpactModel(booster_to_text(booster), names)


def train_impact_model(features: Sequence[Sequence[float]] | FloatArray,
                       targets: Sequence[float] | FloatArray, times: Sequence[float] | FloatArray,
                       options: TrainOptions = TrainOptions(),
                       ) -> tuple[ImpactModel, ImpactMetrics]:
    """Fit on the older rows, report on the newest test_size share against the training mean
    and the blast size on the target's scale; rounds chosen on the training rows alone."""
    x = np.asarray(features, dtype=np.float64)
    y = np.asarray(targets, dtype=np.float64)
    train, test = time_order_split(np.asarray(times, dtype=np.float64), options.test_size)
    if len(train) < 2 or len(test) < 1:
        raise ValueError(f"too few rows to train and test: {len(y)}")
    rounds = best_rounds(x[train], y[train], options)
    model = fit_impact_model(x[train], y[train], rounds, options)
    blast_column = (model.feature_names.index(BLAST_SIZE_FEATURE)
                    if BLAST_SIZE_FEATURE in model.feature_names else None)
    blast = np.array([impact_scale(v) for v in x[test, blast_column]]
                     if blast_column is not None else np.zeros(len(test)))
    return model, ImpactMetrics(
        len(train), len(test), rounds, regression_metrics(y[test], model.scores(x[test])),
        regression_metrics(y[test], np.full(len(test), float(np.mean(y[train])))),
        regression_metrics(y[test], blast))
