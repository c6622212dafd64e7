"""Load a training CSV into numpy arrays and split it by time."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


class DatasetError(ValueError):
    """A CSV that cannot become a training set (message is one line saying what to do)."""


@dataclass(frozen=True)
class Dataset:
    """Feature matrix, binary labels and timestamps, rows sorted by time; known_at, when
    given, says when each positive label became knowable (NaN for negatives)."""

    features: FloatArray
    labels: IntArray
    times: FloatArray
    names: tuple[str, ...]
    known_at: FloatArray | None = None


def read_columns(path: Path) -> dict[str, list[str]]:
    """The CSV's columns by header name, as raw strings."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except OSError as exc:
        raise DatasetError(f"cannot read {path}: {exc.strerror}") from exc
    return parse_columns(rows, str(path))


def parse_columns(rows: list[list[str]], source: str) -> dict[str, list[str]]:
    """CSV rows (header first) as columns by header name."""
    if not rows:
        raise DatasetError(f"{source} is empty: give a CSV with a header row")
    header, body = rows[0], [row for row in rows[1:] if row]
    if any(len(row) != len(header) for row in body):
        raise DatasetError(f"{source} has rows whose field count differs from the header")
    return {name: [row[i] for row in body] for i, name in enumerate(header)}


def concatenate_columns(tables: list[dict[str, list[str]]], sources: list[str],
                        ) -> dict[str, list[str]]:
    """Several CSVs with the same header as one (cross-project training)."""
    header = list(tables[0])
    for table, source in zip(tables[1:], sources[1:], strict=True):
        if list(table) != header:
            raise DatasetError(f"{source} has other columns than {sources[0]}: give CSVs "
                               "exported by the same diffrisk version")
    return {name: [v for table in tables for v in table[name]] for name in header}


def parse_number(text: str) -> float:
    """A float from a CSV cell; empty or NA cells become NaN; raises ValueError otherwise."""
    if text.strip().lower() in {"", "na", "nan", "null", "none"}:
        return math.nan
    return float(text)


def numeric_column(values: list[str]) -> FloatArray | None:
    """The column as floats, or None when some cell is not a number."""
    try:
        return np.array([parse_number(v) for v in values], dtype=np.float64)
    except ValueError:
        return None


def time_column(name: str, values: list[str]) -> FloatArray:
    """Timestamps as floats: numbers as they are, ISO dates as unix seconds."""
    numbers = numeric_column(values)
    if numbers is not None and not np.isnan(numbers).any():
        return numbers
    try:
        return np.array([datetime.fromisoformat(v).timestamp() for v in values])
    except ValueError as exc:
        raise DatasetError(f"time column {name!r} must hold numbers or ISO dates: {exc}") from exc


def label_column(name: str, values: list[str]) -> IntArray:
    """The target as 0/1 integers; refuses anything that is not binary."""
    numbers = numeric_column(values)
    if numbers is None:
        raise DatasetError(f"target {name!r} is not numeric: encode it as 0/1")
    if np.isnan(numbers).any():
        raise DatasetError(f"target {name!r} has missing values: drop or label those rows")
    if not set(np.unique(numbers)) <= {0.0, 1.0}:
        raise DatasetError(f"target {name!r} must be 0/1, found other values")
    return numbers.astype(np.int64)


def feature_column(name: str, values: list[str]) -> FloatArray:
    """A feature as floats; refuses text."""
    numbers = numeric_column(values)
    if numbers is None:
        raise DatasetError(f"feature {name!r} is not numeric: leave it out of --features")
    return numbers


def default_features(columns: dict[str, list[str]], excluded: set[str]) -> list[str]:
    """Numeric, named columns other than the excluded ones."""
    return [name for name, values in columns.items()
            if name.strip() and name not in excluded and numeric_column(values) is not None]


def label_times(name: str, values: list[str], labels: IntArray) -> FloatArray:
    """When each positive label became known; every positive needs one."""
    known = numeric_column(values)
    if known is None:
        raise DatasetError(f"label-time column {name!r} must hold unix seconds")
    if np.isnan(known[labels == 1]).any():
        raise DatasetError(f"label-time column {name!r} is empty for some positive rows: "
                           "give every positive its time, or leave the column out")
    return known


def build_dataset(columns: dict[str, list[str]], target: str, time_name: str,
                  features: list[str] | None = None, label_time: str | None = None,
                  ) -> Dataset:
    """Select target, time, features (and label times, when that column exists) from raw
    columns and sort the rows by time."""
    wanted = [target, time_name, *(features or [])]
    missing = [name for name in wanted if name not in columns]
    if missing:
        raise DatasetError(f"column {missing[0]!r} is not in the CSV "
                           f"(columns: {', '.join(n for n in columns if n)})")
    names = features or default_features(columns, {target, time_name, label_time or ""})
    if label_time in names:
        raise DatasetError(f"{label_time!r} tells when labels became known: it cannot be a "
                           "feature")
    if not names:
        raise DatasetError("no numeric feature column: pass --features")
    matrix = [feature_column(name, columns[name]) for name in names]
    times = time_column(time_name, columns[time_name])
    order = np.argsort(times, kind="stable")
    labels = label_column(target, columns[target])
    known = (label_times(label_time, columns[label_time], labels)[order]
             if label_time and label_time in columns else None)
    return Dataset(np.column_stack(matrix)[order], labels[order], times[order], tuple(names),
                   known)


def load_dataset(path: Path, target: str, time_name: str, features: list[str] | None = None,
                 label_time: str | None = None, require_label_time: bool = False) -> Dataset:
    """Read a CSV and build its time-sorted dataset (label times used when the column exists,
    or required)."""
    return dataset_from_columns(read_columns(path), target, time_name, features, label_time,
                                require_label_time)


def dataset_from_columns(columns: dict[str, list[str]], target: str, time_name: str,
                         features: list[str] | None = None, label_time: str | None = None,
                         require_label_time: bool = False) -> Dataset:
    """The time-sorted dataset of raw columns (label times as in load_dataset)."""
    if require_label_time and label_time not in columns:
        raise DatasetError(f"label-time column {label_time!r} is not in the CSV")
    return build_dataset(columns, target, time_name, features, label_time)


def time_split(n_rows: int, test_size: float) -> tuple[IntArray, IntArray]:
    """Indices of the past (first int((1-test_size)·n) rows) and the future (the rest)."""
    if not 0.0 < test_size < 1.0:
        raise DatasetError(f"--test-size must be between 0 and 1, got {test_size}")
    n_train = int(n_rows * (1.0 - test_size))
    return np.arange(n_train, dtype=np.int64), np.arange(n_train, n_rows, dtype=np.int64)


def subset(data: Dataset, rows: IntArray) -> Dataset:
    """The dataset restricted to the given rows."""
    known = None if data.known_at is None else data.known_at[rows]
    return Dataset(data.features[rows], data.labels[rows], data.times[rows], data.names, known)
