"""Plain-language explanations of the bug, file-risk, anomaly, impact and health scores, each
from its own model's per-prediction contributions (the risk model explains itself:
RiskModel.explain)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from models.anomaly import AnomalyModel
from models.bug import BugModel
from models.explain import Explanation, explain_shares
from models.file_risk import FileRiskModel
from models.health import COMPONENTS, HealthScore
from models.impact import ImpactModel

FloatArray = NDArray[np.float64]


def explain_riskiest_file(model: BugModel | FileRiskModel, rows: FloatArray,
                          paths: Sequence[str], horizon: int = 30,
                          ) -> tuple[str, Explanation] | None:
    """The file with the highest score among a change's files and why (TreeSHAP and linear
    log-odds terms of the model's own parts)."""
    if not len(rows):
        return None
    if isinstance(model, BugModel):
        scores = model.score_horizon(rows, horizon)
        what = f"chance of a bug fix within {horizon} days"
    else:
        scores = model.score(rows)
        what = "chance that this file's change is bug-inducing"
    worst = int(np.argmax(scores))
    if isinstance(model, BugModel):
        shares = model.contributions(rows[worst:worst + 1], horizon)[0]
    else:
        shares = model.contributions(rows[worst:worst + 1])[0]
    names = model.feature_names
    return paths[worst], explain_shares(names, rows[worst].tolist(), shares[:len(names)], what,
                                        float(scores[worst]))


def explain_anomaly(model: AnomalyModel, row: FloatArray) -> Explanation:
    """Which features make the change unusual: the score's drop when each takes the history's
    median (occlusion), with the median as the typical value."""
    score, _ = model.score(row)
    shares = model.contributions(row)
    names = list(shares)
    values = [float(row[model.feature_names.index(n)]) for n in names]
    typical = [float(model.medians[model.feature_names.index(n)]) for n in names]
    return explain_shares(names, values, [shares[n] for n in names], "anomaly score", score,
                          typical)


def explain_impact(model: ImpactModel, features: Sequence[float]) -> Explanation:
    """Which blast-radius facts drive the impact (TreeSHAP on the regressor's raw output)."""
    contributions = model.contributions(features)
    names = list(contributions.by_feature)
    return explain_shares(names, list(features), [contributions.by_feature[n] for n in names],
                          "impact", model.score(features))


def explain_health(result: HealthScore, components: Mapping[str, float | None]) -> Explanation:
    """Which component scores pull the health down (the meta-learner's own log-odds terms,
    negated: a term that raises the bug probability lowers health)."""
    values = [np.nan if (value := components.get(c)) is None else float(value)
              for c in COMPONENTS]
    shares = [-result.contributions[c] for c in COMPONENTS]
    return explain_shares(COMPONENTS, values, shares, "health", result.health)
