"""The AnalysisResult of one change: scores with levels, factors and recommendations from each
model's own contributions, per-file results, findings, components, reviewers and the gate."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from analyzers.diff import STATUSES, ChangedFile, ChangeDiff
from app.analysis.change import PreparedChange
from app.analysis.levels import (
    change_criticality,
    gate_verdict,
    level_of,
    weighted_change_scores,
    weighted_probability,
)
from app.gate_config import GateConfig
from app.reports.result import (
    AnalysisResult,
    Component,
    FileResult,
    Finding,
    LineRange,
    Score,
)

if TYPE_CHECKING:
    from models.explain import Explanation
    from models.scoring import ChangeScores, ModelSet

LETTERS = {word: letter for letter, word in STATUSES.items()}
BUG_HORIZON = 30
MAX_COMPONENTS = 20


@dataclass(frozen=True)
class ResultContext:
    """What the result is about besides the scores: repository, config, which models."""

    repository: str
    config: GateConfig
    model: dict[str, str]
    timings: dict[str, float]
    ignored: frozenset[str]


def score_of(name: str, value: float, config: GateConfig,
             explanation: Explanation | None = None) -> Score:
    """A score with its level and, when explained, its factors and recommendations."""
    if explanation is None:
        return Score(value, level_of(name, value, config))
    return Score(value, level_of(name, value, config),
                 tuple(f.sentence for f in explanation.factors), explanation.recommendations)


def line_ranges(changed: ChangedFile) -> tuple[LineRange, ...]:
    """The new-side lines each hunk adds, as ranges (a pure deletion anchors on its hunk)."""
    ranges: list[LineRange] = []
    for hunk in changed.hunks:
        lines = sorted(hunk.added) or ([hunk.new_start] if hunk.new_start > 0 else [])
        for line in lines:
            if ranges and ranges[-1].end == line - 1:
                ranges[-1] = LineRange(ranges[-1].start, line)
            else:
                ranges.append(LineRange(line, line))
    return tuple(ranges)


def file_explanations(model: Any, rows: Any, what: str, scores: Any,
                      horizon: int | None = None) -> list[Explanation]:
    """Each row's top factors from the model's TreeSHAP contributions."""
    from models.explain import explain_shares  # noqa: PLC0415

    if model is None or not len(rows):
        return []
    shares = (model.contributions(rows, horizon) if horizon is not None
              else model.contributions(rows))
    names = model.feature_names
    return [explain_shares(names, rows[i].tolist(), shares[i][:len(names)], what,
                           float(scores[i])) for i in range(len(rows))]


def scored_files(prepared: PreparedChange, models: ModelSet, scores: ChangeScores,
                 config: GateConfig) -> dict[str, FileResult]:
    """Per scored file: risk and 30-day bug with their factors, criticality applied."""
    inputs, paths = prepared.inputs, prepared.paths
    bug = scores.bug.get(BUG_HORIZON, np.full(len(paths), np.nan))
    risk_why = file_explanations(models.file_risk, inputs.files,
                                 "chance that this file's change is bug-inducing",
                                 scores.file_risk)
    bug_why = file_explanations(models.bug, inputs.file_history,
                                f"chance of a bug fix within {BUG_HORIZON} days", bug,
                                BUG_HORIZON)
    result = {}
    for i, path in enumerate(paths):
        weight = config.criticality(path)
        risk = (score_of("risk", weighted_probability(float(scores.file_risk[i]), weight),
                         config, risk_why[i]) if risk_why else None)
        bug_score = (score_of("bug", weighted_probability(float(bug[i]), weight), config,
                              bug_why[i]) if bug_why else None)
        result[path] = FileResult(path, "", 0, 0, risk, bug_score)
    return result


def file_results(diff: ChangeDiff, scored: dict[str, FileResult],
                 ignored: frozenset[str]) -> tuple[FileResult, ...]:
    """Every changed file in diff order: scored ones with their scores, others with why not."""
    results = []
    for changed in diff.files:
        found = scored.get(changed.path)
        reason = changed.skipped or ("ignored by .github/diffrisk.yml"
                                     if changed.path in ignored else None)
        if found is None and reason is None:
            reason = "deleted" if changed.status == "deleted" else "not scored"
        results.append(FileResult(
            changed.path, LETTERS.get(changed.status, "M"), changed.additions,
            changed.deletions, found.risk if found else None, found.bug if found else None,
            line_ranges(changed), changed.language, None if found else reason))
    return tuple(results)


def change_explanations(prepared: PreparedChange, models: ModelSet,
                        scores: ChangeScores) -> dict[str, Explanation | None]:
    """Why each change-level score is what it is, from its own model."""
    from models.explain_scores import (  # noqa: PLC0415
        explain_anomaly,
        explain_health,
        explain_impact,
        explain_riskiest_file,
    )

    inputs = prepared.inputs
    worst = (explain_riskiest_file(models.bug, inputs.file_history,  # type: ignore[arg-type]
                                   list(prepared.paths))
             if models.bug is not None else None)
    components = models.components(scores.risk, scores.bug, nan_none(scores.anomaly),
                                   nan_none(scores.impact))
    return {
        "risk": models.risk.explain(inputs.change),
        "bug": None if worst is None else worst[1],
        "anomaly": (explain_anomaly(models.anomaly, inputs.anomaly)  # type: ignore[arg-type]
                    if models.anomaly is not None else None),
        "impact": (explain_impact(models.impact, inputs.impact)  # type: ignore[arg-type]
                   if models.impact is not None else None),
        "health": (explain_health(models.health.score(components), components)
                   if models.health is not None else None)}


def nan_none(value: float) -> float | None:
    """None for NaN."""
    return None if math.isnan(value) else value


def worst_bug(scores: ChangeScores) -> float:
    """The riskiest file's 30-day bug probability (NaN without files or a bug model)."""
    values = scores.bug.get(BUG_HORIZON)
    return float(values.max()) if values is not None and len(values) else math.nan


def components_of(prepared: PreparedChange) -> tuple[Component, ...]:
    """The components the change can reach, strongest first, with their dependency paths."""
    return tuple(Component(c.name, round(c.reach, 4), c.dependency_path, c.affected_files)
                 for c in prepared.blast.components[:MAX_COMPONENTS])


def findings_of(prepared: PreparedChange, models: ModelSet) -> tuple[Finding, ...]:
    """The typed anomalies, by the thresholds learned from the repository's history."""
    from models.anomaly_rules import evaluate_rules  # noqa: PLC0415

    baseline = getattr(models.anomaly, "baseline", None)
    if baseline is None:
        return ()
    return tuple(Finding(f.kind, f.severity, f.message, f.paths)
                 for f in evaluate_rules(prepared.facts, baseline))


def build_result(diff: ChangeDiff, prepared: PreparedChange, models: ModelSet,
                 scores: ChangeScores, context: ResultContext) -> AnalysisResult:
    """The whole result of the change."""
    config = context.config
    raw = {"risk": scores.risk, "bug": worst_bug(scores), "anomaly": scores.anomaly,
           "impact": scores.impact, "health": scores.health}
    values = weighted_change_scores(raw, change_criticality(config, prepared.paths))
    why = change_explanations(prepared, models, scores)
    files = file_results(diff, scored_files(prepared, models, scores, config), context.ignored)
    scores_by_name = {name: score_of(name, values[name], config, why[name])
                      for name in ("risk", "bug", "anomaly", "impact", "health")}
    return AnalysisResult(
        context.repository, diff.base, diff.head, risk=scores_by_name["risk"],
        bug=scores_by_name["bug"], anomaly=scores_by_name["anomaly"],
        impact=scores_by_name["impact"], health=scores_by_name["health"],
        health_confidence=float(scores.confidence), files=files,
        anomalies=findings_of(prepared, models), components=components_of(prepared),
        reviewers=tuple(r.author for r in prepared.reviewers),
        gate=gate_verdict(values, config, len(prepared.paths)), model=context.model,
        timings=context.timings, anomaly_percentile=nan_none(scores.anomaly_percentile))
