"""Evaluation metrics: ranking, threshold, effort-aware (Kamei) and calibration."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def roc_auc(labels: IntArray, scores: FloatArray) -> float:
    """ROC AUC by the rank-sum formula (ties count half); NaN with one class only."""
    positives = int(labels.sum())
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return math.nan
    from scipy.stats import rankdata  # noqa: PLC0415  (scipy and scikit-learn load only when
    # something is evaluated: scoring imports this module for its types)

    ranks = rankdata(scores)
    return float((ranks[labels == 1].sum() - positives * (positives + 1) / 2)
                 / (positives * negatives))


def pr_auc(labels: IntArray, scores: FloatArray) -> float:
    """Area under the precision-recall curve (average precision)."""
    from sklearn.metrics import average_precision_score  # noqa: PLC0415

    return float(average_precision_score(labels, scores)) if labels.any() else math.nan


def threshold_metrics(labels: IntArray, predicted: IntArray) -> dict[str, float]:
    """Precision, recall, F1 and MCC of hard 0/1 predictions."""
    from sklearn.metrics import matthews_corrcoef  # noqa: PLC0415

    true_pos = int(np.sum((predicted == 1) & (labels == 1)))
    precision = true_pos / max(int(predicted.sum()), 1)
    recall = true_pos / max(int(labels.sum()), 1)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    mcc = float(matthews_corrcoef(labels, predicted))
    return {"precision": precision, "recall": recall, "f1": f1, "mcc": mcc}


def best_f1_threshold(labels: IntArray, scores: FloatArray) -> float:
    """The score threshold (predict 1 when score ≥ it) that maximises F1."""
    order = ranked(scores)
    sorted_scores = scores[order]
    true_pos = np.cumsum(labels[order])
    last_of_tie = np.append(sorted_scores[1:] != sorted_scores[:-1], True)
    flagged = np.arange(1, len(labels) + 1)
    f1 = 2 * true_pos / (flagged + max(int(labels.sum()), 1))
    f1 = np.where(last_of_tie, f1, -1.0)
    return float(sorted_scores[int(np.argmax(f1))])


def ranked(scores: FloatArray) -> IntArray:
    """Row indices from the highest score down (stable on ties)."""
    return np.argsort(-scores, kind="stable").astype(np.int64)


def recall_at_top(labels: IntArray, scores: FloatArray, fraction: float) -> float:
    """Share of all positives among the ceil(fraction·n) highest-scored rows."""
    k = math.ceil(fraction * len(labels) - 1e-9)
    total = int(labels.sum())
    return float(labels[ranked(scores)[:k]].sum() / total) if total else math.nan


def effort_order(scores: FloatArray, effort: FloatArray) -> IntArray:
    """Rows by risk density score / effort, highest first (effort floored at 1 line)."""
    return ranked(scores / np.maximum(effort, 1.0))


def recall_at_effort(labels: IntArray, scores: FloatArray, effort: FloatArray,
                     budget: float = 0.2) -> float:
    """Share of positives found inspecting rows by score/effort until budget of total effort."""
    order = effort_order(scores, effort)
    spent = np.cumsum(effort[order])
    inspected = order[spent <= budget * effort.sum() + 1e-9]
    total = int(labels.sum())
    return float(labels[inspected].sum() / total) if total else math.nan


def effort_curve_area(labels: IntArray, effort: FloatArray, order: IntArray) -> float:
    """Area under cumulative share of positives vs cumulative share of effort (trapezoids)."""
    x = np.concatenate([[0.0], np.cumsum(effort[order]) / effort.sum()])
    y = np.concatenate([[0.0], np.cumsum(labels[order]) / labels.sum()])
    return float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2))


def popt(labels: IntArray, scores: FloatArray, effort: FloatArray) -> float:
    """Normalised Popt (Kamei et al. 2013): 1 − (optimal − model) / (optimal − worst) area."""
    if not labels.any() or labels.all():
        return math.nan
    density = labels / np.maximum(effort, 1.0)
    optimal = np.lexsort((effort, -density)).astype(np.int64)
    worst = np.lexsort((-effort, density)).astype(np.int64)
    best_area = effort_curve_area(labels, effort, optimal)
    worst_area = effort_curve_area(labels, effort, worst)
    model_area = effort_curve_area(labels, effort, effort_order(scores, effort))
    return 1.0 - (best_area - model_area) / (best_area - worst_area)


def brier(labels: IntArray, probabilities: FloatArray) -> float:
    """Mean squared error of the probabilities."""
    return float(np.mean((probabilities - labels) ** 2))


def expected_calibration_error(labels: IntArray, probabilities: FloatArray,
                               bins: int = 10) -> float:
    """ECE over equal-width probability bins: Σ (n_b / n)·|mean p_b − positive rate_b|."""
    index = np.minimum((probabilities * bins).astype(np.int64), bins - 1)
    total = 0.0
    for b in np.unique(index):
        members = index == b
        total += members.sum() * abs(probabilities[members].mean() - labels[members].mean())
    return float(total / len(labels))


def evaluate(labels: IntArray, probabilities: FloatArray, threshold: float,
             effort: FloatArray | None) -> dict[str, float]:
    """Every reported test metric of calibrated probabilities."""
    result = {"auc": roc_auc(labels, probabilities), "pr_auc": pr_auc(labels, probabilities),
              **threshold_metrics(labels, (probabilities >= threshold).astype(np.int64)),
              "recall_at_top10": recall_at_top(labels, probabilities, 0.1),
              "recall_at_top20": recall_at_top(labels, probabilities, 0.2),
              "brier": brier(labels, probabilities),
              "ece": expected_calibration_error(labels, probabilities)}
    if effort is not None:
        result["recall_at_20pct_effort"] = recall_at_effort(labels, probabilities, effort)
        result["popt"] = popt(labels, probabilities, effort)
    return result
