"""Synthetic datasets whose signal is known, for the tests of the ML core (the one place)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from models.dataset import Dataset

NAMES = ("la", "ld", "lt", "nf", "noise")


def synthetic_columns(n_rows: int, seed: int) -> dict[str, np.ndarray]:
    """Skewed churn counts whose log drives the label, plus pure noise; time ascending."""
    rng = np.random.default_rng(seed)
    columns = {"la": rng.lognormal(3, 1.5, n_rows).round(),
               "ld": rng.lognormal(2, 1.5, n_rows).round(),
               "lt": rng.lognormal(6, 1, n_rows).round(), "nf": rng.integers(1, 20, n_rows),
               "noise": rng.normal(size=n_rows)}
    logit = 1.2 * (np.log1p(columns["la"]) - 3) + 0.5 * (np.log1p(columns["ld"]) - 2)
    columns["bug"] = (rng.random(n_rows) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    columns["date"] = np.arange(n_rows) * 3600.0 + 1.6e9
    return columns


def synthetic_dataset(n_rows: int = 400, seed: int = 0) -> Dataset:
    """A time-ordered dataset where la and ld carry the signal and noise carries none."""
    columns = synthetic_columns(n_rows, seed)
    features = np.column_stack([columns[name] for name in NAMES]).astype(np.float64)
    return Dataset(features, columns["bug"], columns["date"], NAMES)


def write_synthetic_csv(path: Path, n_rows: int = 300, seed: int = 0,
                        extra: dict[str, list[str]] | None = None) -> Path:
    """Write a synthetic dataset (plus extra string columns) as CSV and return its path."""
    columns = {name: [str(v) for v in values]
               for name, values in synthetic_columns(n_rows, seed).items()}
    columns.update(extra or {})
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(zip(*columns.values(), strict=True))
    return path
