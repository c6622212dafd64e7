"""An AnalysisResult back from the JSON it is stored as (result_json): the App's analyses table
keeps it, and both the worker (to post it again) and the report page read it."""

from __future__ import annotations

import math
from typing import Any

from app.reports.result import (
    AnalysisResult,
    Component,
    FileResult,
    Finding,
    Gate,
    LineRange,
    Score,
)


def _score(data: dict[str, Any] | None) -> Score | None:
    if data is None:
        return None
    value = data.get("value")
    return Score(math.nan if value is None else float(value), data["level"],
                 tuple(data.get("factors") or ()), tuple(data.get("recommendations") or ()))


def _file(data: dict[str, Any]) -> FileResult:
    return FileResult(data["path"], data["status"], int(data["added"]), int(data["deleted"]),
                      _score(data.get("risk")), _score(data.get("bug")),
                      tuple(LineRange(int(r["start"]), int(r["end"]))
                            for r in data.get("changed_lines") or ()),
                      data.get("language"), data.get("skipped"))


def result_from_json(data: dict[str, Any]) -> AnalysisResult:
    """An AnalysisResult back from its stored JSON form (result_json)."""
    risk, bug, anomaly, impact, health = (
        _score(data[name]) or Score(math.nan, "low")
        for name in ("risk", "bug", "anomaly", "impact", "health"))
    confidence = data.get("health_confidence")
    return AnalysisResult(
        data["repository"], data["base"], data["head"], risk, bug, anomaly, impact, health,
        math.nan if confidence is None else float(confidence),
        tuple(_file(f) for f in data.get("files") or ()),
        tuple(Finding(f["kind"], f["severity"], f["message"], tuple(f.get("paths") or ()))
              for f in data.get("anomalies") or ()),
        tuple(Component(c["name"], float(c["reach"]), tuple(c.get("dependency_path") or ()),
                        int(c.get("affected_files") or 0)) for c in data.get("components") or ()),
        tuple(data.get("reviewers") or ()),
        Gate(data["gate"]["conclusion"], tuple(data["gate"].get("reasons") or ())),
        dict(data.get("model") or {}), dict(data.get("timings") or {}),
        data.get("anomaly_percentile"))
