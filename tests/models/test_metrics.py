"""Metrics against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from models.metrics import (
    best_f1_threshold,
    brier,
    evaluate,
    expected_calibration_error,
    popt,
    recall_at_effort,
    recall_at_top,
    roc_auc,
    threshold_metrics,
)


def test_roc_auc_counts_pairs_and_half_ties() -> None:
    labels = np.array([0, 0, 1, 1])
    assert roc_auc(labels, np.array([0.1, 0.4, 0.35, 0.8])) == pytest.approx(0.75)
    assert roc_auc(labels, np.array([0.5, 0.1, 0.5, 0.9])) == pytest.approx(0.875)
    assert math.isnan(roc_auc(np.array([1, 1]), np.array([0.1, 0.2])))


def test_recall_at_top_counts_positives_in_the_highest_share() -> None:
    labels = np.array([1, 0, 0, 1, 0, 0, 0, 1, 0, 0])
    scores = np.array([0.9, 0.95, 0.1, 0.8, 0.2, 0.3, 0.1, 0.05, 0.0, 0.0])
    assert recall_at_top(labels, scores, 0.1) == pytest.approx(0.0)
    assert recall_at_top(labels, scores, 0.2) == pytest.approx(1 / 3)
    assert recall_at_top(labels, scores, 0.3) == pytest.approx(2 / 3)


def test_recall_at_effort_ranks_by_score_per_line() -> None:
    labels = np.array([1, 0, 1, 0])
    scores = np.array([0.9, 0.8, 0.3, 0.1])
    effort = np.array([10.0, 10.0, 10.0, 70.0])
    assert recall_at_effort(labels, scores, effort, 0.2) == pytest.approx(0.5)
    assert recall_at_effort(labels, scores, effort, 0.3) == pytest.approx(1.0)


def test_popt_on_a_three_change_example() -> None:
    labels = np.array([1, 0, 1])
    effort = np.array([1.0, 2.0, 1.0])
    assert popt(labels, np.array([0.2, 0.9, 0.5]), effort) == pytest.approx(0.5)
    assert popt(labels, np.array([0.9, 0.0, 0.8]), effort) == pytest.approx(1.0)
    assert popt(labels, np.array([0.0, 0.9, 0.1]), effort) == pytest.approx(0.0)


def test_expected_calibration_error_over_ten_bins() -> None:
    labels = np.array([0, 0, 1, 1])
    probabilities = np.array([0.05, 0.15, 0.15, 0.95])
    assert expected_calibration_error(labels, probabilities) == pytest.approx(0.2)
    assert expected_calibration_error(np.array([1]), np.array([1.0])) == pytest.approx(0.0)


def test_brier_and_threshold_metrics() -> None:
    labels = np.array([0, 1, 1, 0])
    assert brier(labels, np.array([0.0, 1.0, 0.5, 0.5])) == pytest.approx(0.125)
    result = threshold_metrics(labels, np.array([0, 1, 0, 1]))
    assert (result["precision"], result["recall"], result["f1"]) == (0.5, 0.5, 0.5)
    assert result["mcc"] == pytest.approx(0.0)


def test_best_f1_threshold_separates_when_possible() -> None:
    labels = np.array([0, 1, 1, 0])
    assert best_f1_threshold(labels, np.array([0.1, 0.8, 0.7, 0.6])) == pytest.approx(0.7)


def test_evaluate_reports_effort_metrics_only_with_effort() -> None:
    labels = np.array([0, 1, 1, 0])
    scores = np.array([0.1, 0.8, 0.7, 0.6])
    assert "popt" not in evaluate(labels, scores, 0.5, None)
    assert evaluate(labels, scores, 0.5, np.ones(4))["popt"] == pytest.approx(1.0)
