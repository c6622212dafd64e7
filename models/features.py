"""Derived features added before training (Kamei et al.'s normalisations).

Each derived feature, when its inputs are present:
- ``rel_la``: lines added / max(lt, 1) — churn relative to the files' size before the change.
- ``rel_ld``: lines deleted / max(lt, 1).
- ``lt_per_file``: lt / max(nf, 1) — mean size of the touched files.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

EPSILON = 1e-6
DERIVED = {"rel_la": ("la", "lt"), "rel_ld": ("ld", "lt"), "lt_per_file": ("lt", "nf")}


def ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """numerator / max(denominator, 1)."""
    return numerator / np.maximum(denominator, 1.0)


def add_derived(features: FloatArray, names: tuple[str, ...]) -> tuple[FloatArray, tuple[str, ...]]:
    """The matrix with every derived feature whose inputs are present appended."""
    index = {name: i for i, name in enumerate(names)}
    extra = {new: ratio(features[:, index[a]], features[:, index[b]])
             for new, (a, b) in DERIVED.items()
             if a in index and b in index and new not in index}
    if not extra:
        return features, names
    return np.column_stack([features, *extra.values()]), (*names, *extra)


def logit(probabilities: FloatArray) -> FloatArray:
    """log(p / (1 − p)), clipped away from 0 and 1."""
    clipped = np.clip(probabilities, EPSILON, 1 - EPSILON)
    return np.asarray(np.log(clipped / (1 - clipped)), dtype=np.float64)


def sigmoid(values: FloatArray) -> FloatArray:
    """The logistic function, elementwise (the inverse of logit)."""
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(values, -500.0, 500.0))), dtype=np.float64)


def signed_log1p(values: FloatArray) -> FloatArray:
    """sign(x)·log(1 + |x|): tames skewed counts, keeps negative values ordered."""
    return np.sign(values) * np.log1p(np.abs(values))
