"""Verification latency: labels as known at the split, the newest unknowns held back."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from app.cli import main
from models.dataset import Dataset, DatasetError, build_dataset, load_dataset
from models.latency import DAY, labels_as_of
from models.training import train_and_evaluate
from tests.synthetic import synthetic_columns, synthetic_dataset, write_synthetic_csv

NAN = float("nan")


def days(*values: float) -> np.ndarray:
    return np.array(values) * DAY


def test_labels_as_of_the_split_by_hand() -> None:
    # rows on days 0..7; positives: 2 (fixed day 4), 5 (day 6), 6 (day 10, after the split)
    train = Dataset(np.zeros((8, 1)), np.array([0, 0, 1, 0, 0, 1, 1, 0]), days(*range(8)),
                    ("x",), days(NAN, NAN, 4, NAN, NAN, 6, 10, NAN))
    as_of = labels_as_of(train, split_time=8 * DAY)
    assert as_of.window_days == pytest.approx(1.5)  # median of the known delays 2 and 1
    assert list(as_of.labels) == [0, 0, 1, 0, 0, 1, 0, 0]  # day 6's bug not known yet
    assert list(as_of.keep) == [True] * 7 + [False]  # day 7 is inside the window
    assert (as_of.held_back, as_of.not_yet_known) == (1, 1)


def test_without_label_times_nothing_changes() -> None:
    data = synthetic_dataset(50)
    as_of = labels_as_of(data, split_time=float(data.times[-1]))
    assert as_of.window_days is None and as_of.keep.all()
    assert (as_of.labels == data.labels).all()


def with_label_times(n_rows: int, delay_hours: float) -> dict[str, list[str]]:
    columns = synthetic_columns(n_rows, 0)
    known = [str(t + delay_hours * 3600) if bug else ""
             for t, bug in zip(columns["date"], columns["bug"], strict=True)]
    return {"bug_known_at": known}


def test_training_respects_latency_and_reports_it(tmp_path: Path) -> None:
    path = write_synthetic_csv(tmp_path / "f.csv", 400, extra=with_label_times(400, 24))
    result = train_and_evaluate(load_dataset(path, "bug", "date", label_time="bug_known_at"))
    assert result.latency_window_days == pytest.approx(1.0)
    assert result.held_back > 0 and result.n_train == 320 - result.held_back
    assert "bug_known_at" not in result.features


def test_the_command_uses_bug_known_at_when_present(tmp_path: Path) -> None:
    with_times = write_synthetic_csv(tmp_path / "a.csv", 400, extra=with_label_times(400, 24))
    plain = write_synthetic_csv(tmp_path / "b.csv", 400)
    args = ["train", "--target", "bug", "--time-column", "date", "--json", "--data"]
    used = json.loads(CliRunner().invoke(main, [*args, str(with_times)], env={}).stdout)
    assert used["latency_window_days"] == pytest.approx(1.0) and used["held_back"] > 0
    ignored = json.loads(CliRunner().invoke(main, [*args, str(plain)], env={}).stdout)
    assert ignored["latency_window_days"] is None and ignored["held_back"] == 0
    missing = CliRunner().invoke(main, [*args, str(plain), "--label-time-column", "fixed"],
                                 env={})
    assert missing.exit_code == 2 and "'fixed' is not in the CSV" in missing.stderr


def test_label_times_are_never_features_and_cover_every_positive() -> None:
    columns = {k: [str(v) for v in vals] for k, vals in synthetic_columns(60, 1).items()}
    columns["bug_known_at"] = ["" if b == "0" else "1" for b in columns["bug"]]
    with pytest.raises(DatasetError, match="cannot be a feature"):
        build_dataset(columns, "bug", "date", ["la", "bug_known_at"], "bug_known_at")
    columns["bug_known_at"] = [""] * 60
    with pytest.raises(DatasetError, match="empty for some positive rows"):
        build_dataset(columns, "bug", "date", None, "bug_known_at")
