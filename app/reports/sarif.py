"""SARIF 2.1.0 log of an analysis, for GitHub code scanning (`upload-sarif`).

One run whose results sit on the changed lines of changed files, so GitHub shows them on the
pull request's diff: risky files (rule `diffrisk/high-risk-file`), files likely to need a bug
fix (`diffrisk/likely-bug-file`), anomalies naming files (`diffrisk/anomaly/<kind>`) and a failed
or neutral quality gate (`diffrisk/gate`, on the riskiest file). Low levels give no result; files
without changed lines (deleted, skipped) give none either. At most `max_results` results are
kept, those on the riskiest files first. `partialFingerprints` hash rule id and path only, so
re-runs on later pushes update the same alerts.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from app.output_files import atomic_text_file
from app.reports.result import AnalysisResult, FileResult, Finding, LineRange, Score

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
TOOL_NAME = "diffrisk"
# pyproject.toml declares no project URL yet; replace this when it does.
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "diffriskRulePath/v1"
RISK_RULE = "diffrisk/high-risk-file"
BUG_RULE = "diffrisk/likely-bug-file"
GATE_RULE = "diffrisk/gate"
ANOMALY_PREFIX = "diffrisk/anomaly/"

SarifLevel = Literal["none", "note", "warning", "error"]
LEVEL_OF_SCORE: dict[str, SarifLevel | None] = {"high": "error", "medium": "warning", "low": None}
LEVEL_OF_SEVERITY: dict[str, SarifLevel] = {"high": "error", "medium": "warning", "low": "note"}
LEVEL_OF_GATE: dict[str, SarifLevel | None] = {"failure": "error", "neutral": "note",
                                               "success": None}
ANOMALY_KINDS: dict[str, str] = {
    "large_commit": "More lines or files changed than 99% of this repository's past changes.",
    "mass_deletion": "A deletion-dominated change that deletes more than this repository's "
                     "past changes usually do.",
    "complexity_spike": "A file's complexity grows more than this repository's files usually "
                        "do in one change.",
    "late_night": "Committed at a night hour at which the author (or repository) rarely "
                  "commits.",
    "unusual_file_pattern": "More files in rarely changed places (directories, extensions) "
                            "than this repository's changes usually touch.",
    "new_dependency": "Packages added to dependency manifests.",
}


@dataclass(frozen=True)
class Rule:
    """One SARIF reporting descriptor: what a kind of result means and its default level."""

    id: str
    name: str
    short: str
    full: str
    help: str
    level: SarifLevel


@dataclass(frozen=True)
class Candidate:
    """One result before ranking: its rule, level, message, file and the file's risk."""

    rule_id: str
    level: SarifLevel
    text: str
    file: FileResult
    priority: float


FIXED_RULES = (
    Rule(RISK_RULE, "HighRiskFile", "Risky file in this change",
         "The file's changes have a high or medium risk of breaking something, learned from "
         "this repository's history.",
         "Review the changed lines closely; the message names the factor that raised the risk "
         "most. Splitting large changes lowers the risk.", "warning"),
    Rule(BUG_RULE, "LikelyBugFile", "File likely to need a bug fix soon",
         "The file has a high or medium chance of a bug-fixing change within 30 days, learned "
         "from this repository's history.",
         "Add tests for the changed lines and review them with the message's factor in mind.",
         "warning"),
    Rule(GATE_RULE, "QualityGate", "Quality gate did not pass",
         "diffrisk's quality gate concluded failure (or neutral) for this change; the result "
         "sits on the riskiest changed file.",
         "Address the gate's reasons given in the message, or lower the risk of the change.",
         "error"),
)


def tool_version() -> str:
    """The installed diffrisk version ("0.0.0" when it is not installed)."""
    try:
        return version(TOOL_NAME)
    except PackageNotFoundError:
        return "0.0.0"


def anomaly_rule(kind: str) -> Rule:
    """The rule of one anomaly kind (a generic description for kinds it does not know)."""
    full = ANOMALY_KINDS.get(kind, f"The change is unusual for this repository ({kind}).")
    name = "Anomaly" + "".join(part.capitalize() for part in kind.split("_"))
    return Rule(ANOMALY_PREFIX + kind, name, f"Unusual change: {kind.replace('_', ' ')}", full,
                "Check that the unusual part of the change is intended; the message gives the "
                "numbers and the repository's usual range.", "warning")


def rules_of(result: AnalysisResult) -> tuple[Rule, ...]:
    """The fixed rules, then one per known anomaly kind and per other kind the result has."""
    kinds = sorted(set(ANOMALY_KINDS) | {finding.kind for finding in result.anomalies})
    return (*FIXED_RULES, *(anomaly_rule(kind) for kind in kinds))


def rule_json(rule: Rule) -> dict[str, Any]:
    """A rule as a SARIF reportingDescriptor."""
    return {"id": rule.id, "name": rule.name, "shortDescription": {"text": rule.short},
            "fullDescription": {"text": rule.full}, "help": {"text": rule.help},
            "defaultConfiguration": {"level": rule.level}}


def finite(value: float) -> float | None:
    """The value, or None when it is NaN or infinite (JSON has neither)."""
    return value if math.isfinite(value) else None


def score_text(label: str, score: Score) -> str:
    """'<label> 0.74 (high). Top factor: ...' for a message."""
    value = finite(score.value)
    shown = "n/a" if value is None else f"{value:.2f}"
    text = f"{label} {shown} ({score.level})."
    return f"{text} Top factor: {score.factors[0]}" if score.factors else text


def first_range(file: FileResult) -> LineRange | None:
    """The file's first valid changed line range, or None when it has none."""
    for lines in file.changed_lines:
        if 1 <= lines.start <= lines.end:
            return lines
    return None


def located(file: FileResult) -> bool:
    """Whether a result can sit on the file: scored, not skipped, with changed lines."""
    return file.skipped is None and file.status != "D" and first_range(file) is not None


def risk_of(file: FileResult) -> float:
    """The file's risk value for ranking (-1 when it has none)."""
    value = None if file.risk is None else finite(file.risk.value)
    return -1.0 if value is None else value


def score_candidate(rule_id: str, label: str, score: Score | None,
                    file: FileResult) -> Candidate | None:
    """A result for a file score whose level is high or medium."""
    level = None if score is None else LEVEL_OF_SCORE.get(score.level)
    if score is None or level is None:
        return None
    return Candidate(rule_id, level, f"{file.path}: {score_text(label, score)}", file,
                     risk_of(file))


def file_candidates(file: FileResult) -> list[Candidate]:
    """The risk and bug results of one located file."""
    found = (score_candidate(RISK_RULE, "Change risk", file.risk, file),
             score_candidate(BUG_RULE, "Chance of a bug fix within 30 days", file.bug, file))
    return [candidate for candidate in found if candidate is not None]


def anomaly_candidates(finding: Finding, files: dict[str, FileResult]) -> list[Candidate]:
    """One result per located file the finding names."""
    level = LEVEL_OF_SEVERITY.get(finding.severity, "warning")
    return [Candidate(ANOMALY_PREFIX + finding.kind, level,
                      f"Unusual change ({finding.kind}, {finding.severity}): {finding.message}",
                      files[path], risk_of(files[path]))
            for path in dict.fromkeys(finding.paths) if path in files]


def gate_candidate(result: AnalysisResult, files: dict[str, FileResult]) -> Candidate | None:
    """The gate's result on the riskiest located file, when the gate did not pass."""
    level = LEVEL_OF_GATE.get(result.gate.conclusion)
    if level is None or not files:
        return None
    riskiest = max(files.values(), key=risk_of)
    reasons = "; ".join(result.gate.reasons) or "no reasons given"
    text = (f"Quality gate: {result.gate.conclusion} ({reasons}). "
            f"{score_text('Change risk', result.risk)}")
    return Candidate(GATE_RULE, level, text, riskiest, math.inf)


def candidates(result: AnalysisResult) -> list[Candidate]:
    """Every result of the analysis, riskiest files first (gate first of all)."""
    files = {file.path: file for file in result.files if located(file)}
    found = [c for file in files.values() for c in file_candidates(file)]
    found += [c for finding in result.anomalies for c in anomaly_candidates(finding, files)]
    gate = gate_candidate(result, files)
    found += [gate] if gate is not None else []
    return sorted(found, key=lambda c: (-c.priority, c.file.path, c.rule_id))


def fingerprint(rule_id: str, path: str) -> str:
    """A stable hash of rule id and path, so re-runs update the same alert."""
    return hashlib.sha256(f"{rule_id}\0{path}".encode()).hexdigest()[:32]


def location_json(file: FileResult) -> dict[str, Any]:
    """The file's first changed line range as a SARIF location."""
    lines = first_range(file)
    assert lines is not None  # candidates are built from located files only
    return {"physicalLocation": {
        "artifactLocation": {"uri": quote(file.path, safe="/"), "uriBaseId": SRCROOT},
        "region": {"startLine": lines.start, "endLine": lines.end}}}


def result_json(candidate: Candidate, rule_index: int) -> dict[str, Any]:
    """A candidate as a SARIF result."""
    file = candidate.file
    return {"ruleId": candidate.rule_id, "ruleIndex": rule_index, "level": candidate.level,
            "message": {"text": candidate.text}, "locations": [location_json(file)],
            "partialFingerprints": {FINGERPRINT_KEY: fingerprint(candidate.rule_id, file.path)},
            "properties": {"risk": None if file.risk is None else finite(file.risk.value),
                           "bug": None if file.bug is None else finite(file.bug.value)}}


def run_properties(result: AnalysisResult, total: int, kept: int) -> dict[str, Any]:
    """The change-level numbers of the run, and whether results were cut."""
    return {"repository": result.repository, "base": result.base, "head": result.head,
            "risk": finite(result.risk.value), "bug": finite(result.bug.value),
            "gate": result.gate.conclusion, "model": dict(result.model),
            "resultsTotal": total, "resultsTruncated": kept < total}


def render_sarif(result: AnalysisResult, max_results: int = 1000) -> dict[str, Any]:
    """The analysis as a SARIF 2.1.0 log with at most `max_results` results, riskiest first."""
    if max_results < 0:
        raise ValueError(f"max_results must be at least 0, not {max_results}")
    rules = rules_of(result)
    index = {rule.id: i for i, rule in enumerate(rules)}
    found = candidates(result)
    kept = found[:max_results]
    driver = {"name": TOOL_NAME, "version": tool_version(),
              "rules": [rule_json(rule) for rule in rules]}
    run = {"tool": {"driver": driver},
           "results": [result_json(c, index[c.rule_id]) for c in kept],
           "columnKind": "unicodeCodePoints",
           "properties": run_properties(result, len(found), len(kept))}
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def write_sarif(result: AnalysisResult, path: str | os.PathLike[str],
                max_results: int = 1000) -> None:
    """Write the SARIF log to `path` atomically (a temporary file, then os.replace)."""
    text = json.dumps(render_sarif(result, max_results), indent=2, ensure_ascii=False)
    with atomic_text_file(Path(path)) as handle:
        handle.write(text + "\n")
