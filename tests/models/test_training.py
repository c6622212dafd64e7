"""Loading, the time-ordered split, derived features, calibration and the whole training run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.dataset import DatasetError, build_dataset, load_dataset, subset, time_split
from models.features import add_derived
from models.training import (
    CANDIDATES,
    TrainingOptions,
    base_out_of_fold,
    choose_calibrator,
    stack_out_of_fold,
    train_and_evaluate,
)
from models.validation import TargetLeakError
from tests.synthetic import synthetic_dataset, write_synthetic_csv

FAST = TrainingOptions(n_splits=3, n_trees=40)


def test_rows_are_sorted_by_time_and_no_test_row_is_older() -> None:
    rng = np.random.default_rng(3)
    times = rng.permutation(100).astype(float)
    columns = {"t": [str(t) for t in times], "y": [str(int(t) % 2) for t in times],
               "x": [str(t * 2) for t in times]}
    data = build_dataset(columns, "y", "t", ["x"])
    assert list(data.times) == sorted(times)
    train, test = time_split(len(data.labels), 0.2)
    assert (len(train), len(test)) == (80, 20)
    assert subset(data, train).times.max() <= subset(data, test).times.min()


def test_split_matches_the_papers_int_of_eighty_percent() -> None:
    train, test = time_split(3279, 0.2)
    assert (len(train), len(test)) == (2623, 656)
    with pytest.raises(DatasetError, match="--test-size"):
        time_split(10, 1.0)


def test_iso_dates_order_rows_and_default_features_skip_text(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("when,bug,la,author\n2024-01-02,1,5,a\n2024-01-01,0,3,b\n")
    data = load_dataset(path, "bug", "when")
    assert data.names == ("la",)
    assert list(data.labels) == [0, 1]


def test_derived_features_normalise_churn_by_size() -> None:
    features = np.array([[10.0, 5.0, 100.0, 4.0]])
    extended, names = add_derived(features, ("la", "ld", "lt", "nf"))
    assert names[-3:] == ("rel_la", "rel_ld", "lt_per_file")
    assert list(extended[0, -3:]) == [0.1, 0.05, 25.0]


def test_stack_is_scored_only_from_earlier_folds() -> None:
    data = synthetic_dataset(300)
    oof = base_out_of_fold(data.features, data.labels, FAST)
    stacked = stack_out_of_fold(oof, data.labels)
    first = oof.fold == 0
    assert np.isnan(stacked[first]).all()
    assert not np.isnan(stacked[oof.fold == 2]).any()
    assert (oof.fold[:75] == -1).all()


def test_calibrator_picks_a_method_and_returns_probabilities() -> None:
    rng = np.random.default_rng(0)
    scores = rng.random(600)
    labels = (rng.random(600) < scores**2).astype(np.int64)
    calibrator = choose_calibrator(scores, labels, np.repeat(np.arange(3), 200))
    assert calibrator.method in ("platt", "isotonic")
    probabilities = calibrator.apply(scores)
    assert probabilities.min() >= 0.0 and probabilities.max() <= 1.0


def test_training_finds_the_known_signal_on_future_rows() -> None:
    result = train_and_evaluate(synthetic_dataset(500), FAST)
    assert result.model in CANDIDATES
    assert (result.n_train, result.n_test) == (400, 100)
    assert result.metrics["auc"] > 0.75
    assert set(result.cv_auc) == set(CANDIDATES)
    assert len(result.test_probabilities) == 100
    assert "rel_la" in result.features


def test_training_refuses_a_leaking_feature() -> None:
    data = synthetic_dataset()
    leaking = type(data)(np.column_stack([data.features, data.labels]), data.labels,
                         data.times, (*data.names, "__"))
    with pytest.raises(TargetLeakError, match="'__'"):
        train_and_evaluate(leaking, FAST)


def test_training_from_csv(tmp_path: Path) -> None:
    path = write_synthetic_csv(tmp_path / "d.csv", 300)
    result = train_and_evaluate(load_dataset(path, "bug", "date"), FAST)
    assert result.n_test == 60
