"""The validator: each check, refusals as named errors, warnings as data."""

from __future__ import annotations

import numpy as np
import pytest

from models.dataset import Dataset
from models.validation import (
    DataValidationError,
    TargetLeakError,
    require_valid,
    validate,
)
from tests.synthetic import synthetic_dataset


def with_column(data: Dataset, name: str, column: np.ndarray) -> Dataset:
    """The dataset with one more feature column."""
    return Dataset(np.column_stack([data.features, column]), data.labels, data.times,
                   (*data.names, name))


def test_clean_data_passes_with_only_a_skew_warning() -> None:
    report = validate(synthetic_dataset())
    assert report.errors == [] and report.leaks == []
    assert all("skewed" in w for w in report.warnings)


def test_too_few_rows_is_refused() -> None:
    data = synthetic_dataset(20)
    with pytest.raises(DataValidationError, match="only 20 rows"):
        require_valid(data)


def test_one_class_is_refused() -> None:
    data = synthetic_dataset()
    single = Dataset(data.features, np.zeros_like(data.labels), data.times, data.names)
    with pytest.raises(DataValidationError, match="need at least 10 of each class"):
        require_valid(single)


def test_rare_class_is_a_warning() -> None:
    data = synthetic_dataset(1000)
    labels = np.zeros_like(data.labels)
    labels[:30] = 1
    report = validate(Dataset(data.features, labels, data.times, data.names))
    assert any("class imbalance" in w for w in report.warnings)


def test_duplicate_rows_are_counted() -> None:
    data = synthetic_dataset()
    doubled = Dataset(np.vstack([data.features, data.features[:5]]),
                      np.concatenate([data.labels, data.labels[:5]]),
                      np.concatenate([data.times, data.times[:5]]), data.names)
    assert "5 duplicate rows (1.2%)" in validate(doubled).warnings


def test_missing_values_warn_and_mostly_missing_refuses() -> None:
    data = synthetic_dataset()
    some = data.features[:, 0].copy()
    some[:10] = np.nan
    assert any("'extra' is 2.5% missing" in w
               for w in validate(with_column(data, "extra", some)).warnings)
    mostly = np.where(np.arange(400) < 300, np.nan, 1.0 * np.arange(400))
    with pytest.raises(DataValidationError, match="'extra' is 75% missing"):
        require_valid(with_column(data, "extra", mostly))


def test_constant_feature_is_a_warning() -> None:
    report = validate(with_column(synthetic_dataset(), "flat", np.ones(400)))
    assert "feature 'flat' is constant: it carries no signal" in report.warnings


def test_infinite_values_are_refused() -> None:
    column = np.arange(400.0)
    column[3] = np.inf
    with pytest.raises(DataValidationError, match="'bad' has infinite values"):
        require_valid(with_column(synthetic_dataset(), "bad", column))


def test_copy_of_the_target_is_refused_by_name() -> None:
    data = synthetic_dataset()
    with pytest.raises(TargetLeakError, match="feature '__' is a copy of the target"):
        require_valid(with_column(data, "__", data.labels.astype(float)))


def test_complement_and_near_perfect_separators_leak() -> None:
    data = synthetic_dataset()
    flipped = with_column(data, "clean", 1.0 - data.labels)
    assert validate(flipped).leaks == ["feature 'clean' is a copy of the target"]
    rng = np.random.default_rng(1)
    almost = data.labels * 10 + rng.random(400)
    assert "feature 'almost' predicts" in validate(with_column(data, "almost", almost)).leaks[0]
