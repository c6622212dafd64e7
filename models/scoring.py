"""All five scores of a change from loaded models: one change, or many in one batch.

The inputs are plain feature rows (built by the analyzers and models/*_features functions);
the models are the portable ones (risk, file risk, bug, anomaly, impact, health), each loaded
once. Scoring a change only runs their fast paths: numpy, XGBoost's in-place prediction and
onnxruntime.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from models.health import COMPONENTS, HealthModel
from models.risk_model import RiskModel

FloatArray = NDArray[np.float64]
BUG_HORIZON_FOR_HEALTH = 30


class RowScorer(Protocol):
    """A model that gives one probability per row."""

    def score(self, features: FloatArray) -> FloatArray:
        """One probability per row."""


class HorizonScorer(Protocol):
    """The bug model: probabilities per horizon."""

    def score_horizon(self, features: FloatArray, horizon: int) -> FloatArray:
        """One probability per row for the horizon (days)."""


class AnomalyScorer(Protocol):
    """The anomaly model: (score −1..1, percentile) of one change, scores of many."""

    def score(self, features: FloatArray) -> tuple[float, float]:
        """Score and percentile of one change."""

    def scores(self, features: FloatArray) -> FloatArray:
        """Scores of many changes."""


class ImpactScorer(Protocol):
    """The impact model: 0–10 of one change, or of many."""

    def score(self, features: Sequence[float]) -> float:
        """Impact of one change."""

    def scores(self, features: FloatArray) -> FloatArray:
        """Impact of many changes."""


@dataclass(frozen=True)
class ChangeInputs:
    """The feature rows of one change, in each model's column order."""

    change: FloatArray
    files: FloatArray
    file_history: FloatArray
    anomaly: FloatArray
    impact: tuple[float, ...]


@dataclass(frozen=True)
class ChangeScores:
    """The five scores of one change (and the per-file ones)."""

    risk: float
    file_risk: FloatArray
    bug: dict[int, FloatArray]
    anomaly: float
    anomaly_percentile: float
    impact: float
    health: float
    confidence: float


@dataclass(frozen=True)
class ModelSet:
    """The loaded models of one repository (or the shipped ones)."""

    risk: RiskModel
    file_risk: RowScorer | None
    bug: HorizonScorer | None
    anomaly: AnomalyScorer | None
    impact: ImpactScorer | None
    health: HealthModel | None
    horizons: tuple[int, ...] = (7, 15, 30)

    def components(self, risk: float, bug: dict[int, FloatArray], anomaly: float | None,
                   impact: float | None) -> dict[str, float | None]:
        """The health meta-learner's inputs: the change's risk, its riskiest file's 30-day
        bug probability, its anomaly and its impact (None where a model is missing)."""
        files = bug.get(BUG_HORIZON_FOR_HEALTH)
        worst = float(files.max()) if files is not None and len(files) else None
        return dict(zip(COMPONENTS, (risk, worst, anomaly, impact), strict=True))

    def score(self, inputs: ChangeInputs) -> ChangeScores:
        """All scores of one change."""
        risk = float(self.risk.score(inputs.change.reshape(1, -1))[0])
        file_risk = (self.file_risk.score(inputs.files) if self.file_risk is not None
                     else np.empty(0))
        bug = ({h: self.bug.score_horizon(inputs.file_history, h) for h in self.horizons}
               if self.bug is not None else {})
        anomaly, percentile = (self.anomaly.score(inputs.anomaly)
                               if self.anomaly is not None else (np.nan, np.nan))
        impact = self.impact.score(inputs.impact) if self.impact is not None else np.nan
        health, confidence = np.nan, 0.0
        if self.health is not None:
            result = self.health.score(self.components(
                risk, bug, None if np.isnan(anomaly) else anomaly,
                None if np.isnan(impact) else impact))
            health, confidence = result.health, result.confidence
        return ChangeScores(risk, file_risk, bug, float(anomaly), float(percentile),
                            float(impact), float(health), float(confidence))

    def score_batch(self, batch: Sequence[ChangeInputs]) -> BatchScores:
        """The change-level scores of many changes, each model called once for all of them."""
        risk = self.risk.score(np.vstack([i.change.reshape(1, -1) for i in batch]))
        nan = np.full(len(batch), np.nan)
        anomaly = (self.anomaly.scores(np.vstack([i.anomaly.reshape(1, -1) for i in batch]))
                   if self.anomaly is not None else nan)
        impact = (self.impact.scores(np.array([i.impact for i in batch], dtype=np.float64))
                  if self.impact is not None else nan)
        worst = self.worst_bug(batch) if self.bug is not None else nan
        health, confidence = nan, np.zeros(len(batch))
        if self.health is not None:
            components = np.column_stack([risk, worst, anomaly, impact])
            health = 10 * (1 - self.health.probability(components))
            confidence = self.health.confidence(components)
        return BatchScores(risk, anomaly, impact, worst, health, confidence)

    def worst_bug(self, batch: Sequence[ChangeInputs]) -> FloatArray:
        """Each change's highest 30-day bug probability over its files, in one model call."""
        assert self.bug is not None
        sizes = [len(i.file_history) for i in batch]
        if not sum(sizes):
            return np.full(len(batch), np.nan)
        rows = np.vstack([i.file_history for i in batch if len(i.file_history)])
        scores = self.bug.score_horizon(rows, BUG_HORIZON_FOR_HEALTH)
        ends = np.cumsum(sizes)
        return np.array([scores[end - size:end].max() if size else np.nan
                         for size, end in zip(sizes, ends, strict=True)])


@dataclass(frozen=True)
class BatchScores:
    """Change-level scores of many changes, one entry per change."""

    risk: FloatArray
    anomaly: FloatArray
    impact: FloatArray
    bug: FloatArray
    health: FloatArray
    confidence: FloatArray
