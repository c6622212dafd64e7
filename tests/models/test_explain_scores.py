"""Explanations of every score come from its model's own contributions, in words with numbers."""

from __future__ import annotations

import numpy as np

from models.bug import BugModel
from models.explain_scores import (
    explain_anomaly,
    explain_health,
    explain_impact,
    explain_riskiest_file,
)
from models.scoring import ModelSet
from tests.models.test_scoring import changes, models  # noqa: F401  (the fixture)


def test_the_riskiest_file_is_named_with_its_reasons(models: ModelSet) -> None:  # noqa: F811
    inputs = changes(6)[5]
    assert isinstance(models.bug, BugModel)
    paths = [f"src/f{i}.py" for i in range(len(inputs.file_history))]
    found = explain_riskiest_file(models.bug, inputs.file_history, paths)
    assert found is not None
    path, explanation = found
    scores = models.bug.score_horizon(inputs.file_history, 30)
    assert path == paths[int(np.argmax(scores))]
    assert explanation.probability == max(scores)
    assert explanation.factors and "bug fix within 30 days" in explanation.factors[0].sentence
    assert explain_riskiest_file(models.bug, inputs.file_history[:0], []) is None


def test_anomaly_impact_and_health_explanations(models: ModelSet) -> None:  # noqa: F811
    inputs = changes(1)[0]
    unusual = inputs.anomaly.copy()
    unusual[0] = 50_000.0
    anomaly = explain_anomaly(models.anomaly, unusual)  # type: ignore[arg-type]
    assert anomaly.factors[0].feature == "la"
    assert "Lines added is 50,000 (typical here:" in anomaly.factors[0].sentence
    impact = explain_impact(models.impact, inputs.impact)  # type: ignore[arg-type]
    assert 0 <= impact.probability <= 10 and impact.factors
    assert models.health is not None
    components = {"risk": 0.9, "bug": 0.2, "anomaly": 0.1, "impact": 3.0}
    health = explain_health(models.health.score(components), components)
    assert health.factors[0].feature == "risk"
    assert "lowers the health" in health.factors[0].sentence
