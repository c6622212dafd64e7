"""The health score: a meta-learner over risk, bug, anomaly and impact, with a confidence.

health = 10 · (1 − p), where p is the calibrated probability, learned from the four component
scores of past changes, that a change is bug-inducing (the risk label). The meta-learner is a
logistic regression on the components (risk and bug as log-odds, anomaly as is, impact / 10), so
each component's share of a prediction is exact. Confidence says how much to trust one health
value: 1 − the width of the 90% interval of p over bootstrap refits of the meta-learner, scaled
by the share of components that could be computed for the change (a missing one takes its
training mean).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
COMPONENTS = ("risk", "bug", "anomaly", "impact")
FORMAT = "diffrisk.health/1"
BOOTSTRAPS = 30
EPSILON = 1e-6


def component_matrix(scores: FloatArray) -> FloatArray:
    """Component scores (columns risk, bug, anomaly, impact) as the meta-learner sees them."""
    clipped = np.clip(scores[:, :2], EPSILON, 1 - EPSILON)
    return np.column_stack([np.log(clipped / (1 - clipped)), scores[:, 2], scores[:, 3] / 10.0])


def fit_logistic(x: FloatArray, labels: IntArray, seed: int,
                 balanced: bool = True) -> tuple[FloatArray, float]:
    """Coefficients and intercept of a logistic regression (classes balanced by default)."""
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415

    model = LogisticRegression(class_weight="balanced" if balanced else None, max_iter=1000,
                               random_state=seed)
    model.fit(x, labels)
    return np.asarray(model.coef_[0], dtype=np.float64), float(model.intercept_[0])


def bootstrap_fits(x: FloatArray, labels: IntArray, seed: int) -> FloatArray:
    """Coefficients (then intercept) of refits on bootstrap resamples with both classes."""
    generator = np.random.default_rng(seed)
    fits: list[list[float]] = []
    while len(fits) < BOOTSTRAPS:
        rows = generator.integers(0, len(labels), len(labels))
        if len(np.unique(labels[rows])) == 2:
            coef, intercept = fit_logistic(x[rows], labels[rows], seed)
            fits.append([*coef, intercept])
    return np.array(fits, dtype=np.float64)


def platt(raw: FloatArray, labels: IntArray) -> tuple[float, float]:
    """Slope and intercept mapping raw log-odds to calibrated log-odds (unweighted, so the
    probabilities keep the real share of bug-inducing changes)."""
    coef, intercept = fit_logistic(raw.reshape(-1, 1), labels, 0, balanced=False)
    return float(coef[0]), intercept


@dataclass(frozen=True)
class HealthScore:
    """One change's health, its confidence, and each component's share in log-odds."""

    health: float
    probability: float
    confidence: float
    contributions: dict[str, float]


@dataclass(frozen=True)
class HealthModel:
    """The fitted meta-learner: standardisation, coefficients, calibration, bootstrap refits."""

    mean: FloatArray
    scale: FloatArray
    coef: FloatArray
    intercept: float
    slope: float
    offset: float
    bootstrap: FloatArray
    fill: FloatArray

    def standardized(self, scores: FloatArray) -> FloatArray:
        """Component rows with missing values filled, standardised."""
        filled = np.where(np.isnan(scores), self.fill, scores)
        return (component_matrix(filled) - self.mean) / self.scale

    def probability(self, scores: FloatArray) -> FloatArray:
        """Calibrated probability that each change is bug-inducing."""
        raw = self.standardized(scores) @ self.coef + self.intercept
        return np.asarray(1 / (1 + np.exp(-(self.slope * raw + self.offset))), dtype=np.float64)

    def confidence(self, scores: FloatArray) -> FloatArray:
        """1 − the bootstrap 90% interval width of p (its 5th to 95th ranked refit), times the
        share of components present."""
        x = self.standardized(scores)
        raw = x @ self.bootstrap[:, :-1].T + self.bootstrap[:, -1]
        spread = 1 / (1 + np.exp(-(self.slope * raw + self.offset)))
        ranked = np.sort(spread, axis=1)
        width = ranked[:, int(0.95 * (BOOTSTRAPS - 1))] - ranked[:, int(0.05 * (BOOTSTRAPS - 1))]
        present = 1 - np.isnan(scores).mean(axis=1)
        return np.asarray(np.clip(1 - width, 0, 1) * present, dtype=np.float64)

    def score(self, components: Mapping[str, float | None]) -> HealthScore:
        """Health 0–10 (10 is healthy) of one change from its component scores."""
        row = np.array([[np.nan if components.get(c) is None else components[c]
                         for c in COMPONENTS]], dtype=np.float64)
        p = float(self.probability(row)[0])
        shares = self.standardized(row)[0] * self.coef * self.slope
        return HealthScore(round(10 * (1 - p), 2), p, float(self.confidence(row)[0]),
                           {c: float(v) for c, v in zip(COMPONENTS, shares, strict=True)})

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values."""
        return {"format": FORMAT, "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "coef": self.coef.tolist(), "intercept": self.intercept, "slope": self.slope,
                "offset": self.offset, "bootstrap": self.bootstrap.tolist(),
                "fill": self.fill.tolist()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HealthModel:
        """The model from to_json's values."""
        if data.get("format") != FORMAT:
            raise ValueError(f"not a diffrisk health model (format {data.get('format')!r})")
        arrays = {k: np.array(data[k], dtype=np.float64)
                  for k in ("mean", "scale", "coef", "bootstrap", "fill")}
        return cls(arrays["mean"], arrays["scale"], arrays["coef"], float(data["intercept"]),
                   float(data["slope"]), float(data["offset"]), arrays["bootstrap"],
                   arrays["fill"])


def fit_health_model(scores: FloatArray, labels: IntArray, seed: int = 0) -> HealthModel:
    """Fit the meta-learner on past changes' component scores (columns as COMPONENTS) and
    their risk labels; scores should come from component models that did not train on them."""
    if len(np.unique(labels)) < 2:
        raise ValueError("health needs bug-inducing and clean changes among its training rows")
    present = ~np.isnan(scores)
    # A component no training row has (its model is missing) is a constant 0: it gets no weight.
    fill = np.where(present.any(axis=0),
                    np.nansum(scores, axis=0) / np.maximum(present.sum(axis=0), 1), 0.0)
    filled = np.where(np.isnan(scores), fill, scores)
    x = component_matrix(filled)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    standardized = (x - mean) / scale
    coef, intercept = fit_logistic(standardized, labels, seed)
    slope, offset = platt(standardized @ coef + intercept, labels)
    return HealthModel(mean, scale, coef, intercept, slope, offset,
                       bootstrap_fits(standardized, labels, seed), fill)
