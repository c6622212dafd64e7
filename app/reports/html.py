"""The HTML report: one self-contained page of a change's analysis.

Inline CSS and inline SVG drawn here in Python; no scripts, fonts or images, and a
Content-Security-Policy that lets nothing load from outside. Every piece of text that comes
from the repository (paths, messages, names) is escaped.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from app.output_files import atomic_text_file
from app.reports.plots import (
    escaped,
    number_text,
    plot_figures,
)
from app.reports.result import AnalysisResult, Component, FileResult, Finding, Gate, Score

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
STYLE = """
body{font-family:system-ui,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
main{max-width:1100px;margin:0 auto;padding:1rem 1.5rem}
section{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:.5rem 1rem;
margin:1rem 0}
h1{font-size:1.5rem}h2{font-size:1.2rem}h3{font-size:1rem;margin:.2rem 0}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border-bottom:1px solid #d0d7de;padding:.3rem .4rem;text-align:left;vertical-align:top}
code{font-size:.85rem;word-break:break-all}
td:first-child{min-width:12rem}
.gate-failure{border-left:6px solid #c62828}.gate-success{border-left:6px solid #2e7d32}
.gate-neutral{border-left:6px solid #6e7781}
.scores{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:.6rem}
.score{border:1px solid #d0d7de;border-radius:6px;padding:.4rem .6rem}
.value{font-size:1.4rem;margin:.2rem 0}
.badge{font-size:.8rem;padding:.05rem .4rem;border-radius:1rem;color:#fff;background:#6e7781}
.level-low .badge,.badge.level-low{background:#2e7d32}
.level-medium .badge,.badge.level-medium{background:#ef8f00}
.level-high .badge,.badge.level-high{background:#c62828}
.muted,.note{color:#57606a}
figure{margin:.8rem 0;overflow-x:auto}
svg.plot{font-size:12px;background:#fff}
svg .axis{stroke:#8c959f}svg .bin{fill:#8c959f}svg .marker{stroke:#c62828;stroke-width:2}
svg .node rect{stroke:#57606a;fill:#f6f8fa}svg .node.changed rect{fill:#ddf4ff}
svg .node.component rect{fill:#fff8c5}svg .edge{stroke:#57606a;fill:none}
"""


def _list(items: Iterable[str], empty: str = "", css: str = "") -> str:
    """An escaped bulleted list, or the `empty` note when there are no items."""
    rows = "".join(f"<li>{escaped(item)}</li>" for item in items)
    if not rows:
        return f'<p class="muted">{escaped(empty)}</p>' if empty else ""
    return f'<ul class="{css}">{rows}</ul>' if css else f"<ul>{rows}</ul>"


def _section(section_id: str, heading: str, body: str, css: str = "") -> str:
    """A page section with its id and heading."""
    extra = f' class="{css}"' if css else ""
    return f'<section id="{section_id}"{extra}>\n<h2>{heading}</h2>\n{body}\n</section>'


def _page(title: str, body: str) -> str:
    """The whole HTML5 document around `body`."""
    return ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escaped(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
            f"{body}\n</main>\n</body>\n</html>\n")


def render_html(result: AnalysisResult, history_risks: Sequence[float] = ()) -> str:
    """The result as one self-contained HTML5 page (inline CSS and SVG, no scripts)."""
    parts = (
        _header(result), _gate_section(result.gate), _scores_section(result),
        _section("plots", "Plots", plot_figures(result, history_risks)),
        _files_section(result.files),
        _anomalies_section(result.anomalies, result.anomaly_percentile),
        _components_section(result.components), _reviewers_section(result.reviewers),
        _model_section(result.model, result.timings),
    )
    return _page(f"diffrisk: {result.repository} {result.head[:12]}", "\n".join(parts))


def write_html(result: AnalysisResult, path: str | os.PathLike[str],
               history_risks: Sequence[float] = ()) -> None:
    """Write the HTML report to `path` atomically (a temporary file, then os.replace)."""
    text = render_html(result, history_risks)
    with atomic_text_file(Path(path)) as handle:
        handle.write(text)


# --- header, gate and scores -------------------------------------------------------------------

def _header(result: AnalysisResult) -> str:
    """The page heading: repository and the compared commits."""
    return (f"<header>\n<h1>diffrisk report: {escaped(result.repository)}</h1>\n"
            f"<p>Change <code>{escaped(result.base[:12])}</code> → "
            f"<code>{escaped(result.head[:12])}</code></p>\n</header>")


def _gate_section(gate: Gate) -> str:
    """The quality gate's conclusion and its reasons."""
    heading = f'Gate: <span class="conclusion">{escaped(gate.conclusion)}</span>'
    return _section("gate", heading, _list(gate.reasons, "No reasons given."),
                    f"gate-{escaped(gate.conclusion)}")


def _score_card(name: str, score: Score, note: str = "") -> str:
    """One score: value, level, factors and recommendations."""
    extra = f'<p class="note">{escaped(note)}</p>' if note else ""
    return (f'<article class="score level-{escaped(score.level)}">\n<h3>{escaped(name)}</h3>\n'
            f'<p class="value">{number_text(score.value)} '
            f'<span class="badge">{escaped(score.level)}</span>'
            f"</p>{extra}\n{_list(score.factors, css='factors')}"
            f"{_list(score.recommendations, css='recommendations')}\n</article>")


def _scores_section(result: AnalysisResult) -> str:
    """The change's five scores."""
    anomaly_note = ("" if result.anomaly_percentile is None else
                    f"More unusual than {result.anomaly_percentile:.1f}% of past changes")
    cards = (
        _score_card("Risk", result.risk, "Chance that the change breaks something (0–1)"),
        _score_card("Bug", result.bug, "Chance of a bug fix within 30 days (0–1)"),
        _score_card("Anomaly", result.anomaly, anomaly_note),
        _score_card("Impact", result.impact, "Reach into the rest of the code"),
        _score_card("Health", result.health,
                    f"Confidence {number_text(result.health_confidence)}"),
    )
    return _section("scores", "Scores", '<div class="scores">\n' + "\n".join(cards) + "\n</div>")


# --- plots -------------------------------------------------------------------------------------

def _score_cell(score: Score | None, skipped: str | None) -> str:
    """A table cell with a score and its level, or why there is none."""
    if score is None:
        return f'<td class="muted">{escaped(f"skipped: {skipped}" if skipped else "—")}</td>'
    return (f"<td>{number_text(score.value)} "
            f'<span class="badge level-{escaped(score.level)}">{escaped(score.level)}</span></td>')


def _factors(file: FileResult) -> str:
    """A file's factors and recommendations from both its scores."""
    scores = [s for s in (file.risk, file.bug) if s is not None]
    factors = [f for s in scores for f in s.factors]
    advice = [r for s in scores for r in s.recommendations]
    return _list(factors, css="factors") + _list(advice, css="recommendations")


def _file_row(file: FileResult) -> str:
    """One row of the files table."""
    lines = ", ".join(f"{r.start}–{r.end}" for r in file.changed_lines) or "—"
    return (f"<tr><td><code>{escaped(file.path)}</code></td><td>{escaped(file.status)}</td>"
            f"<td>+{file.added} −{file.deleted}</td><td>{escaped(file.language or '—')}</td>"
            f"{_score_cell(file.risk, file.skipped)}{_score_cell(file.bug, file.skipped)}"
            f"<td>{_factors(file)}</td><td>{lines}</td></tr>")


def _files_section(files: Sequence[FileResult]) -> str:
    """The table of changed files with their scores and factors."""
    if not files:
        return _section("files", "Files", '<p class="muted">No files changed.</p>')
    head = ("<tr><th>File</th><th>Status</th><th>Lines</th><th>Language</th><th>Risk</th>"
            "<th>Bug</th><th>Factors and recommendations</th><th>Changed lines</th></tr>")
    rows = "\n".join(_file_row(f) for f in files)
    return _section("files", "Files",
                    f"<table>\n<thead>{head}</thead>\n<tbody>\n{rows}\n</tbody>\n</table>")


def _finding_row(finding: Finding) -> str:
    """One row of the anomalies table."""
    paths = "<br>".join(f"<code>{escaped(p)}</code>" for p in finding.paths) or "—"
    return (f"<tr><td>{escaped(finding.kind)}</td><td><span class=\"badge level-"
            f'{escaped(finding.severity)}">{escaped(finding.severity)}</span></td>'
            f"<td>{escaped(finding.message)}</td><td>{paths}</td></tr>")


def _anomalies_section(findings: Sequence[Finding], percentile: float | None) -> str:
    """The change's anomalies."""
    note = ("" if percentile is None else
            f'<p class="note">Anomaly percentile: {percentile:.1f}</p>\n')
    if not findings:
        return _section("anomalies", "Anomalies", f'{note}<p class="muted">None found.</p>')
    head = "<tr><th>Kind</th><th>Severity</th><th>Message</th><th>Files</th></tr>"
    rows = "\n".join(_finding_row(f) for f in findings)
    return _section("anomalies", "Anomalies",
                    f"{note}<table>\n<thead>{head}</thead>\n<tbody>\n{rows}\n</tbody>\n</table>")


def _components_section(components: Sequence[Component]) -> str:
    """The components the change reaches, with their dependency paths."""
    if not components:
        return _section("components", "Components", '<p class="muted">None reached.</p>')
    head = ("<tr><th>Component</th><th>Reach</th><th>Affected files</th>"
            "<th>Dependency path</th></tr>")
    rows = "\n".join(
        f"<tr><td><code>{escaped(c.name)}</code></td><td>{number_text(c.reach)}</td>"
        f"<td>{c.affected_files}</td><td>"
        f"{' → '.join(f'<code>{escaped(p)}</code>' for p in c.dependency_path) or '—'}</td></tr>"
        for c in components)
    return _section("components", "Components",
                    f"<table>\n<thead>{head}</thead>\n<tbody>\n{rows}\n</tbody>\n</table>")


def _reviewers_section(reviewers: Sequence[str]) -> str:
    """The suggested reviewers."""
    return _section("reviewers", "Suggested reviewers",
                    _list(reviewers, "No reviewers suggested."))


def _model_section(model: dict[str, str], timings: dict[str, float]) -> str:
    """The model that scored the change, and how long each stage took."""
    facts = "".join(f"<tr><th>{escaped(k)}</th><td>{escaped(v)}</td></tr>"
                    for k, v in model.items())
    stages = "".join(f"<tr><th>{escaped(k)}</th><td>{number_text(v, 3)} s</td></tr>"
                     for k, v in timings.items())
    total = sum(v for v in timings.values() if not math.isnan(v))
    body = (f"<h3>Model</h3>\n<table>{facts or '<tr><td>unknown</td></tr>'}</table>\n"
            f"<h3>Timings</h3>\n<table>{stages}<tr><th>total</th><td>{total:.3f} s</td></tr>"
            "</table>")
    return _section("model", "Model and timings", body)
