"""The result of analysing one change: plain data every report is rendered from.

Its JSON form (`result_json`) is the stable, versioned output of `diffrisk analyze --format json`;
SCHEMA_VERSION changes with any change to that form.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

SCHEMA_VERSION = "1.0"
Level = Literal["low", "medium", "high"]
Conclusion = Literal["success", "failure", "neutral"]
Severity = Literal["low", "medium", "high"]


@dataclass(frozen=True)
class Score:
    """One score with its level, why, and what to do."""

    value: float
    level: Level
    factors: tuple[str, ...] = ()
    recommendations: tuple[str, ...] = ()


@dataclass(frozen=True)
class LineRange:
    """Lines start..end (1-based, inclusive) of a file's new version."""

    start: int
    end: int


@dataclass(frozen=True)
class FileResult:
    """One changed file: its change, its scores, and the changed lines of its new version."""

    path: str
    status: str
    added: int
    deleted: int
    risk: Score | None
    bug: Score | None
    changed_lines: tuple[LineRange, ...] = ()
    language: str | None = None
    skipped: str | None = None


@dataclass(frozen=True)
class Finding:
    """A typed anomaly of the change."""

    kind: str
    severity: Severity
    message: str
    paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class Component:
    """A component the change can reach, and the dependency path that reaches it."""

    name: str
    reach: float
    dependency_path: tuple[str, ...] = ()
    affected_files: int = 0


@dataclass(frozen=True)
class Gate:
    """The quality gate's conclusion and its reasons."""

    conclusion: Conclusion
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnalysisResult:
    """Everything diffrisk concluded about one change."""

    repository: str
    base: str
    head: str
    risk: Score
    bug: Score
    anomaly: Score
    impact: Score
    health: Score
    health_confidence: float
    files: tuple[FileResult, ...]
    anomalies: tuple[Finding, ...]
    components: tuple[Component, ...]
    reviewers: tuple[str, ...]
    gate: Gate
    model: dict[str, str]
    timings: dict[str, float] = field(default_factory=dict)
    anomaly_percentile: float | None = None


def plain(value: Any) -> Any:
    """Tuples as lists and NaN as None, recursively (JSON has neither)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def result_json(result: AnalysisResult) -> dict[str, Any]:
    """The result as the JSON object of schema SCHEMA_VERSION."""
    return {"schema_version": SCHEMA_VERSION, **plain(asdict(result))}
