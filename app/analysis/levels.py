"""Levels, business criticality and the quality gate's verdict, from the gate configuration."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from app.gate_config import GateConfig
from app.reports.result import Gate, Level

HIGHER_IS_WORSE = ("risk", "bug", "anomaly", "impact")


def level_of(name: str, value: float, config: GateConfig) -> Level:
    """high at the gate's threshold, medium halfway to it, low below (health: the other way
    round, 10 being healthy)."""
    if math.isnan(value):
        return "low"
    limit = config.thresholds[name]
    if name == "health":
        return "high" if value <= limit else "medium" if value <= (limit + 10) / 2 else "low"
    low_end = -1.0 if name == "anomaly" else 0.0
    middle = (limit + low_end) / 2 if name == "anomaly" else limit / 2
    return "high" if value >= limit else "medium" if value >= middle else "low"


def weighted_probability(probability: float, weight: float) -> float:
    """A probability whose odds are multiplied by a criticality weight (1.0 leaves it)."""
    if math.isnan(probability) or weight == 1.0:
        return probability
    odds = weight * probability
    return odds / (1 - probability + odds)


def change_criticality(config: GateConfig, paths: Iterable[str]) -> float:
    """The weight of the most critical path the change touches (1.0 when none)."""
    return max((config.criticality(p) for p in paths), default=1.0)


def weighted_change_scores(scores: Mapping[str, float], weight: float) -> dict[str, float]:
    """Change-level scores with criticality applied: risk and bug by odds, impact scaled (at
    most 10), health lowered as its bug probability's odds rise; anomaly is left as is."""
    result = dict(scores)
    for name in ("risk", "bug"):
        result[name] = weighted_probability(scores[name], weight)
    result["impact"] = min(10.0, scores["impact"] * weight)
    health = scores["health"]
    if not math.isnan(health):
        result["health"] = 10 * (1 - weighted_probability(1 - health / 10, weight))
    return result


def gate_verdict(scores: Mapping[str, float], config: GateConfig, scored_files: int) -> Gate:
    """failure when a gating score crosses its threshold, neutral when nothing could be scored
    or a gating score is missing, success otherwise; with the reasons."""
    if scored_files == 0:
        return Gate("neutral", ("no changed file could be scored",))
    reasons, missing = [], []
    for name in config.gate:
        value = scores.get(name, math.nan)
        if math.isnan(value):
            missing.append(name)
        elif config.fails(name, value):
            side = "at or below" if name == "health" else "at or above"
            reasons.append(f"{name} {value:.2f} is {side} the threshold "
                           f"{config.thresholds[name]:.2f}")
    if reasons:
        return Gate("failure", tuple(reasons))
    if missing:
        return Gate("neutral", tuple(f"{name} could not be computed: this repository has no "
                                     f"{name} model yet" for name in missing))
    return Gate("success", tuple(f"{name} {scores[name]:.2f} is within the threshold "
                                 f"{config.thresholds[name]:.2f}" for name in config.gate))
