"""The analysis result as a plain-text terminal report (`diffrisk analyze --format text`).

The same content as the markdown summary, compactly and without markup, and with every file.
Control characters in repository text (newlines, terminal escapes) are shown as symbols.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from app.reports.formatting import (
    change_recommendations,
    change_scores,
    format_file_score,
    format_number,
    format_score_detail,
    format_score_value,
    format_timings,
    model_label,
    scored_files,
    skip_reason,
    top_factor,
    unscored_files,
    visible_controls,
)
from app.reports.result import AnalysisResult, Component, FileResult, Finding

MIN_WIDTH = 40
INDENT = "  "
DETAIL_INDENT = "      "
COLUMN = 13
FILE_COLUMNS = f"{'risk':<{COLUMN}}{'bug':<{COLUMN}}{'+/-':<{COLUMN}}file"


def wrapped(text: str, width: int, indent: str = INDENT, first: str | None = None) -> list[str]:
    """Repository text made visible and wrapped to `width`, every line indented."""
    lead = indent if first is None else first
    return textwrap.wrap(visible_controls(text), width, initial_indent=lead,
                         subsequent_indent=indent, break_on_hyphens=False,
                         break_long_words=False) or [lead.rstrip()]


def headline_lines(result: AnalysisResult, width: int) -> list[str]:
    """The gate's conclusion, the change, and the gate's reasons."""
    subject = visible_controls(f"{result.repository} {result.base[:7]}..{result.head[:7]}")
    lines = [f"diffrisk: {result.gate.conclusion.upper()} - {subject}"]
    for reason in result.gate.reasons:
        lines += wrapped(reason, width, INDENT + "  ", first=INDENT + "- ")
    return lines


def score_lines(result: AnalysisResult) -> list[str]:
    """The five change-level scores, one per line, with health's confidence and the percentile."""
    lines = ["Scores"]
    for name, score in change_scores(result):
        detail = format_score_detail(name, result)
        line = f"{INDENT}{name:<8}{format_score_value(name, score):>9}  {score.level:<7}{detail}"
        lines.append(line.rstrip())
    return lines


def factor_lines(result: AnalysisResult, width: int) -> list[str]:
    """The change's factors per score and its recommendations; nothing when it has none."""
    lines: list[str] = []
    factors = [(name, f) for name, score in change_scores(result) for f in score.factors[:3]]
    if factors:
        lines.append("Why")
        for name, factor in factors:
            lines += wrapped(f"{name}: {factor}", width, INDENT + "  ", first=INDENT + "- ")
    recommendations = change_recommendations(result)
    if recommendations:
        lines.append("What to do")
        for recommendation in recommendations:
            lines += wrapped(recommendation, width, INDENT + "  ", first=INDENT + "- ")
    return lines


def file_lines(file: FileResult, width: int) -> list[str]:
    """One scored file: its scores, +/- lines and path, then its top factor indented."""
    changes = f"+{file.added} -{file.deleted}"
    lines = [f"{INDENT}{format_file_score(file.risk):<{COLUMN}}"
             f"{format_file_score(file.bug):<{COLUMN}}{changes:<{COLUMN}}"
             f"{visible_controls(file.path)}"]
    factor = top_factor(file)
    return lines + (wrapped(factor, width, DETAIL_INDENT) if factor else [])


def files_section(result: AnalysisResult, width: int) -> list[str]:
    """Every scored file, riskiest first, then every file without scores and why."""
    scored, unscored = scored_files(result), unscored_files(result)
    lines = [f"Files ({len(scored)} scored, {len(unscored)} not scored)"]
    if scored:
        lines.append(INDENT + FILE_COLUMNS)
    for file in scored:
        lines += file_lines(file, width)
    for file in unscored:
        lines.append(f"{INDENT}{'not scored':<{2 * COLUMN}}{'':<{COLUMN}}"
                     f"{visible_controls(file.path)}: "
                     f"{visible_controls(skip_reason(file))}")
    return lines


def finding_text(finding: Finding) -> str:
    """One typed anomaly as a sentence, with the paths it concerns."""
    paths = f" ({', '.join(finding.paths)})" if finding.paths else ""
    return f"[{finding.severity}] {finding.kind}: {finding.message}{paths}"


def anomaly_lines(findings: Sequence[Finding], width: int) -> list[str]:
    """The typed anomalies; nothing when there are none."""
    if not findings:
        return []
    lines = ["Anomalies"]
    for finding in findings:
        lines += wrapped(finding_text(finding), width, INDENT + "  ", first=INDENT + "- ")
    return lines


def component_text(component: Component) -> str:
    """One affected component with its reach, its files and its dependency path."""
    path = " -> ".join(component.dependency_path)
    text = (f"{component.name} (reach {format_number(component.reach)}, "
            f"{component.affected_files} files)")
    return text + (f": {path}" if path else "")


def component_lines(components: Sequence[Component], width: int) -> list[str]:
    """The affected components with their dependency paths; nothing when there are none."""
    if not components:
        return []
    lines = ["Affected components"]
    for component in components:
        lines += wrapped(component_text(component), width, INDENT + "  ", first=INDENT + "- ")
    return lines


def closing_lines(result: AnalysisResult, width: int) -> list[str]:
    """The suggested reviewers, the model and the timings."""
    lines: list[str] = []
    if result.reviewers:
        lines += wrapped("Suggested reviewers: " + ", ".join(result.reviewers), width, INDENT, "")
    footer = " - ".join(p for p in (f"model {model_label(result.model)}",
                                    format_timings(result.timings)) if p)
    return lines + wrapped(footer, width, INDENT, "")


def render_text(result: AnalysisResult, width: int = 100) -> str:
    """The result as a plain-text report wrapped to `width` columns (paths are never cut)."""
    width = max(width, MIN_WIDTH)
    sections = [
        headline_lines(result, width),
        score_lines(result),
        factor_lines(result, width),
        files_section(result, width),
        anomaly_lines(result.anomalies, width),
        component_lines(result.components, width),
        closing_lines(result, width),
    ]
    return "\n\n".join("\n".join(lines) for lines in sections if lines) + "\n"
