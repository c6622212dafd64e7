"""Split a CSV by time into the data a model learned on and the recent data to compare."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from models.dataset import DatasetError, default_features, feature_column, read_columns, time_column


def split_by_time(path: Path, time_name: str, features: list[str] | None,
                  recent_share: float) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The CSV's older rows (reference) and its newest recent_share of rows, per feature."""
    if not 0.0 < recent_share < 1.0:
        raise DatasetError(f"--recent-share must be between 0 and 1, got {recent_share}")
    columns = read_columns(path)
    if time_name not in columns:
        raise DatasetError(f"time column {time_name!r} is not in {path}: pass --time-column")
    names = features or default_features(columns, {time_name, "bug", "id"})
    missing = [name for name in names if name not in columns]
    if missing:
        raise DatasetError(f"column {missing[0]!r} is not in {path}")
    order = np.argsort(time_column(time_name, columns[time_name]), kind="stable")
    cut = int(len(order) * (1.0 - recent_share))
    if cut < 2 or len(order) - cut < 2:
        raise DatasetError(f"{path} has too few rows ({len(order)}) to compare two periods")
    values = {name: feature_column(name, columns[name])[order] for name in names}
    return ({n: v[:cut] for n, v in values.items()}, {n: v[cut:] for n, v in values.items()})
