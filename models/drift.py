"""Drift between the data a model was trained on and recent data: population stability index
(PSI) and the Kolmogorov–Smirnov statistic per feature, one overall magnitude, and whether that
calls for retraining.

The magnitude is the median PSI of the features that vary, not the mean: counters that grow with
a history (an author's experience, the touched files' lines, their unique changes) leave the
training range in every new period, and their PSI of 5 to 8 would make the mean say "drift"
after any hundred changes (docs/benchmarks.md, "Drift on real histories"). The median says
whether the typical feature moved; the mean is reported beside it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

# Quantile bins of the reference data; a bin's share is floored at EPSILON so that an empty
# bin on one side gives a large but finite PSI term.
BINS = 10
EPSILON = 1e-4
DEFAULT_THRESHOLD = 0.15
# Below this many recent rows the PSI of a feature is mostly sampling noise (docs/benchmarks.md,
# "Drift on real histories"): drift is reported but not judged.
MIN_RECENT_ROWS = 100


@dataclass(frozen=True)
class FeatureDrift:
    """How far one feature's recent distribution moved from the reference."""

    name: str
    psi: float
    ks: float
    ks_p_value: float


@dataclass(frozen=True)
class DriftReport:
    """Per-feature drift, the overall magnitude (median PSI of the varying features), the
    retraining decision, and the mean PSI of all features."""

    features: tuple[FeatureDrift, ...]
    magnitude: float
    threshold: float
    retrain: bool
    n_reference: int
    n_recent: int
    mean_psi: float
    min_recent: int
    varying: tuple[str, ...] = ()  # the features the magnitude is the median of


def population_stability(reference: np.ndarray, recent: np.ndarray, bins: int = BINS) -> float:
    """PSI = Σ (recent − reference share) · ln(recent / reference share) over the reference's
    quantile bins (repeated edges of discrete features merged)."""
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)))
    if len(edges) < 2:  # a constant reference: every change is a move to a new value
        moved = float(np.mean(recent != edges[0])) if len(recent) else 0.0
        return _psi_terms(np.array([1.0, 0.0]), np.array([1 - moved, moved]))
    inner = edges[1:-1]
    expected = np.bincount(np.searchsorted(inner, reference, side="right"),
                           minlength=len(edges) - 1) / len(reference)
    actual = np.bincount(np.searchsorted(inner, recent, side="right"),
                         minlength=len(edges) - 1) / max(len(recent), 1)
    return _psi_terms(expected, actual)


def _psi_terms(expected: np.ndarray, actual: np.ndarray) -> float:
    expected = np.maximum(expected, EPSILON)
    actual = np.maximum(actual, EPSILON)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def feature_drift(name: str, reference: np.ndarray, recent: np.ndarray) -> FeatureDrift:
    """PSI and two-sample KS of one feature."""
    from scipy.stats import ks_2samp  # noqa: PLC0415  (SciPy is slow to import)

    ks = ks_2samp(reference, recent)
    return FeatureDrift(name, population_stability(reference, recent),
                        float(ks.statistic), float(ks.pvalue))


def drift_report(reference: Mapping[str, np.ndarray], recent: Mapping[str, np.ndarray],
                 threshold: float = DEFAULT_THRESHOLD,
                 features: Sequence[str] | None = None,
                 min_recent: int = MIN_RECENT_ROWS) -> DriftReport:
    """Drift of every feature (both sides must have it); retrain when there are min_recent
    recent rows and the median PSI of the features that vary exceeds the threshold."""
    names = list(features) if features is not None else sorted(reference.keys() & recent.keys())
    missing = [n for n in names if n not in reference or n not in recent]
    if missing:
        raise ValueError(f"feature(s) {', '.join(missing)} missing on one side: compare data "
                         "with the same columns")
    if not names:
        raise ValueError("no feature in common to compare: pass data with the same columns")
    sizes = {len(reference[names[0]]), len(recent[names[0]])}
    if 0 in sizes:
        raise ValueError("one side has no rows: drift needs data on both sides")
    columns = {n: (np.asarray(reference[n], dtype=float), np.asarray(recent[n], dtype=float))
               for n in names}
    drifts = tuple(sorted((feature_drift(n, *columns[n]) for n in names),
                          key=lambda d: (-d.psi, d.name)))
    varying = tuple(d.name for d in drifts if varies(*columns[d.name]))
    magnitude = float(np.median([d.psi for d in drifts if d.name in varying])) \
        if varying else 0.0
    n_recent = len(recent[names[0]])
    return DriftReport(drifts, magnitude, threshold,
                       magnitude > threshold and n_recent >= min_recent,
                       len(reference[names[0]]), n_recent,
                       float(np.mean([d.psi for d in drifts])), min_recent, varying)


def varies(reference: np.ndarray, recent: np.ndarray) -> bool:
    """Whether a feature takes more than one value over both periods."""
    values = np.concatenate([reference, recent])
    values = values[~np.isnan(values)]
    return bool(len(values)) and bool(values.max() > values.min())
