"""Split feature columns by time into the data a model learned on and the recent data to
compare: a CSV by the share of its newest rows, a mined repository's rows at a cutoff time."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from models.dataset import DatasetError, default_features, feature_column, read_columns, time_column

Columns = dict[str, list[str]]
Split = tuple[dict[str, np.ndarray], dict[str, np.ndarray]]
NOT_FEATURES = {"bug", "id", "bug_known_at"}


def split_by_time(path: Path, time_name: str, features: list[str] | None,
                  recent_share: float) -> Split:
    """The CSV's older rows (reference) and its newest recent_share of rows, per feature."""
    if not 0.0 < recent_share < 1.0:
        raise DatasetError(f"--recent-share must be between 0 and 1, got {recent_share}")
    columns = read_columns(path)
    times, names = _times_and_features(columns, time_name, features, str(path))
    order = np.argsort(times, kind="stable")
    cut = int(len(order) * (1.0 - recent_share))
    if cut < 2 or len(order) - cut < 2:
        raise DatasetError(f"{path} has too few rows ({len(order)}) to compare two periods")
    values = {name: feature_column(name, columns[name])[order] for name in names}
    return ({n: v[:cut] for n, v in values.items()}, {n: v[cut:] for n, v in values.items()})


def split_at_time(columns: Columns, time_name: str, features: list[str] | None,
                  cutoff: float, source: str) -> Split:
    """Rows up to the cutoff time (reference) and the rows after it, per feature."""
    times, names = _times_and_features(columns, time_name, features, source)
    after = times > cutoff
    values = {name: feature_column(name, columns[name]) for name in names}
    return ({n: v[~after] for n, v in values.items()}, {n: v[after] for n, v in values.items()})


def _times_and_features(columns: Columns, time_name: str, features: list[str] | None,
                        source: str) -> tuple[np.ndarray, list[str]]:
    if time_name not in columns:
        raise DatasetError(f"time column {time_name!r} is not in {source}: pass --time-column")
    names = features or default_features(columns, NOT_FEATURES | {time_name})
    missing = [name for name in names if name not in columns]
    if missing:
        raise DatasetError(f"column {missing[0]!r} is not in {source}")
    return time_column(time_name, columns[time_name]), names
