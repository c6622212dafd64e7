"""The HTML report: one self-contained page of a change's analysis.

Inline CSS and inline SVG drawn here in Python; no scripts, fonts or images, and a
Content-Security-Policy that lets nothing load from outside. Every piece of text that comes
from the repository (paths, messages, names) is escaped.
"""

from __future__ import annotations

import html
import itertools
import math
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from app.reports.result import AnalysisResult, Component, FileResult, Finding, Gate, Score

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
PLOT_TITLES = {
    "file-risk": "Risk per file",
    "history": "This change's risk against the repository's history",
    "dependencies": "Dependency graph of the change",
}
LEVEL_COLOURS = {"low": "#2e7d32", "medium": "#ef8f00", "high": "#c62828"}
HISTORY_BINS = 20
NO_HISTORY_NOTE = ("No history given: the risks of the repository's past changes were not "
                   "supplied, so only this change is marked.")

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


def _e(text: object) -> str:
    """The text escaped for HTML content and attributes."""
    return html.escape(str(text), quote=True)


def _num(value: float, digits: int = 2) -> str:
    """The number with `digits` decimals, or n/a for NaN."""
    return "n/a" if math.isnan(value) else f"{value:.{digits}f}"


def _unit(value: float) -> float:
    """The value clamped into [0, 1]; NaN counts as 0."""
    return 0.0 if math.isnan(value) else min(1.0, max(0.0, value))


def _short(text: str, limit: int) -> str:
    """The text cut to its last `limit` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else "…" + text[-(limit - 1):]


def _list(items: Iterable[str], empty: str = "", css: str = "") -> str:
    """An escaped bulleted list, or the `empty` note when there are no items."""
    rows = "".join(f"<li>{_e(item)}</li>" for item in items)
    if not rows:
        return f'<p class="muted">{_e(empty)}</p>' if empty else ""
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
            f"<title>{_e(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
            f"{body}\n</main>\n</body>\n</html>\n")


def render_html(result: AnalysisResult, history_risks: Sequence[float] = ()) -> str:
    """The result as one self-contained HTML5 page (inline CSS and SVG, no scripts)."""
    parts = (
        _header(result), _gate_section(result.gate), _scores_section(result),
        _plots_section(result, history_risks), _files_section(result.files),
        _anomalies_section(result.anomalies, result.anomaly_percentile),
        _components_section(result.components), _reviewers_section(result.reviewers),
        _model_section(result.model, result.timings),
    )
    return _page(f"diffrisk: {result.repository} {result.head[:12]}", "\n".join(parts))


def write_html(result: AnalysisResult, path: str | os.PathLike[str],
               history_risks: Sequence[float] = ()) -> None:
    """Write the HTML report to `path` atomically (a temporary file, then os.replace)."""
    target = Path(path)
    text = render_html(result, history_risks)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


# --- header, gate and scores -------------------------------------------------------------------

def _header(result: AnalysisResult) -> str:
    """The page heading: repository and the compared commits."""
    return (f"<header>\n<h1>diffrisk report: {_e(result.repository)}</h1>\n"
            f"<p>Change <code>{_e(result.base[:12])}</code> → "
            f"<code>{_e(result.head[:12])}</code></p>\n</header>")


def _gate_section(gate: Gate) -> str:
    """The quality gate's conclusion and its reasons."""
    heading = f'Gate: <span class="conclusion">{_e(gate.conclusion)}</span>'
    return _section("gate", heading, _list(gate.reasons, "No reasons given."),
                    f"gate-{_e(gate.conclusion)}")


def _score_card(name: str, score: Score, note: str = "") -> str:
    """One score: value, level, factors and recommendations."""
    extra = f'<p class="note">{_e(note)}</p>' if note else ""
    return (f'<article class="score level-{_e(score.level)}">\n<h3>{_e(name)}</h3>\n'
            f'<p class="value">{_num(score.value)} <span class="badge">{_e(score.level)}</span>'
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
                    f"Confidence {_num(result.health_confidence)}"),
    )
    return _section("scores", "Scores", '<div class="scores">\n' + "\n".join(cards) + "\n</div>")


# --- plots -------------------------------------------------------------------------------------

def _svg(plot_id: str, width: float, height: float, body: str) -> str:
    """An inline SVG plot with its id and accessible title."""
    title = PLOT_TITLES[plot_id]
    return (f'<svg id="plot-{plot_id}" class="plot" role="img" '
            f'aria-labelledby="plot-{plot_id}-title" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}">\n'
            f'<title id="plot-{plot_id}-title">{_e(title)}</title>\n{body}\n</svg>')


def _figure(svg: str, caption: str) -> str:
    """A plot with its caption."""
    return f"<figure>\n{svg}\n<figcaption>{caption}</figcaption>\n</figure>"


def _plots_section(result: AnalysisResult, history_risks: Sequence[float]) -> str:
    """The three plots: risk per file, the change against history, the dependency graph."""
    history = [v for v in history_risks if not math.isnan(v)]
    figures = (
        _figure(_file_risk_svg(result.files), "Risk of every scored file, riskiest first."),
        _figure(_history_svg(result.risk.value, history),
                _e(_history_caption(result.risk.value, history))),
        _figure(_dependency_svg(result.files, result.components),
                "Changed files (left), the files they reach and the components "
                "(right) along their dependency paths."),
    )
    return _section("plots", "Plots", "\n".join(figures))


BAR_LABEL_W, BAR_W, BAR_ROW, BAR_TOP = 320, 420, 22, 10


def _scored_files(files: Iterable[FileResult]) -> list[tuple[str, Score]]:
    """Every scored file's path and risk, riskiest first (NaN last)."""
    scored = [(f.path, f.risk) for f in files if f.risk is not None]
    return sorted(scored, key=lambda p: (math.isnan(p[1].value), -_unit(p[1].value), p[0]))


def _bar(index: int, path: str, score: Score) -> str:
    """One horizontal bar of the file-risk plot."""
    y = BAR_TOP + index * BAR_ROW
    width = _unit(score.value) * BAR_W
    colour = LEVEL_COLOURS.get(score.level, "#6e7781")
    return (f'<g class="bar"><title>{_e(path)}: {_num(score.value)} ({_e(score.level)})</title>'
            f'<text x="{BAR_LABEL_W - 8}" y="{y + 15}" text-anchor="end">'
            f"{_e(_short(path, 44))}</text>"
            f'<rect x="{BAR_LABEL_W}" y="{y + 3}" width="{width:.1f}" height="{BAR_ROW - 6}" '
            f'fill="{colour}"/>'
            f'<text x="{BAR_LABEL_W + width + 6:.1f}" y="{y + 15}">{_num(score.value)}</text></g>')


def _x_axis(left: float, width: float, y: float) -> str:
    """A 0–1 axis with ticks at every quarter."""
    ticks = "".join(
        f'<line class="axis" x1="{left + t * width:.1f}" y1="{y}" x2="{left + t * width:.1f}" '
        f'y2="{y + 4}"/><text x="{left + t * width:.1f}" y="{y + 16}" text-anchor="middle">'
        f"{t:.2f}</text>" for t in (0.0, 0.25, 0.5, 0.75, 1.0))
    return f'<line class="axis" x1="{left}" y1="{y}" x2="{left + width}" y2="{y}"/>{ticks}'


def _file_risk_svg(files: Sequence[FileResult]) -> str:
    """Horizontal bars of every scored file's risk, sorted."""
    scored = _scored_files(files)
    rows = max(len(scored), 1)
    height = BAR_TOP + rows * BAR_ROW + 30
    bars = "\n".join(_bar(i, path, score) for i, (path, score) in enumerate(scored))
    if not bars:
        bars = f'<text x="{BAR_LABEL_W}" y="{BAR_TOP + 15}">No file was scored.</text>'
    axis = _x_axis(BAR_LABEL_W, BAR_W, BAR_TOP + rows * BAR_ROW + 4)
    return _svg("file-risk", BAR_LABEL_W + BAR_W + 60, height, f"{bars}\n{axis}")


HIST_LEFT, HIST_W, HIST_TOP, HIST_H = 50, 520, 30, 150


def _histogram(values: Sequence[float], bins: int = HISTORY_BINS) -> list[int]:
    """Counts of the values in `bins` equal bins over [0, 1] (values outside are clamped)."""
    counts = [0] * bins
    for value in values:
        counts[min(bins - 1, int(_unit(value) * bins))] += 1
    return counts


def _history_caption(risk: float, history: Sequence[float]) -> str:
    """Where the change's risk falls among the history's, in words."""
    if not history:
        return NO_HISTORY_NOTE
    if math.isnan(risk):
        return f"This change has no risk score to compare with {len(history)} past changes."
    share = 100.0 * sum(1 for v in history if v < risk) / len(history)
    return f"This change ({risk:.2f}) is riskier than {share:.0f}% of {len(history)} past changes."


def _history_bins(counts: Sequence[int]) -> str:
    """The histogram's bars."""
    peak = max(max(counts, default=0), 1)
    step = HIST_W / len(counts)
    return "".join(
        f'<rect class="bin" x="{HIST_LEFT + i * step + 1:.1f}" '
        f'y="{HIST_TOP + HIST_H - HIST_H * c / peak:.1f}" width="{step - 2:.1f}" '
        f'height="{HIST_H * c / peak:.1f}"><title>{c} changes</title></rect>'
        for i, c in enumerate(counts) if c)


def _history_marker(risk: float) -> str:
    """The vertical marker of this change's risk."""
    if math.isnan(risk):
        return ""
    x = HIST_LEFT + _unit(risk) * HIST_W
    return (f'<line class="marker" x1="{x:.1f}" y1="{HIST_TOP - 12}" x2="{x:.1f}" '
            f'y2="{HIST_TOP + HIST_H}"/><text x="{x:.1f}" y="{HIST_TOP - 16}" '
            f'text-anchor="middle" fill="#c62828">this change {risk:.2f}</text>')


def _history_svg(risk: float, history: Sequence[float]) -> str:
    """A histogram of the history's risks with a marker at this change's risk."""
    counts = _histogram(history)
    body = _history_bins(counts)
    if not history:
        body = (f'<text x="{HIST_LEFT + HIST_W / 2}" y="{HIST_TOP + HIST_H / 2}" '
                f'text-anchor="middle" class="note">No history given</text>')
    peak = max(counts) if history else 0
    y_label = (f'<text x="{HIST_LEFT - 6}" y="{HIST_TOP + 4}" text-anchor="end">{peak}</text>'
               f'<text x="{HIST_LEFT - 6}" y="{HIST_TOP + HIST_H}" text-anchor="end">0</text>')
    axis = _x_axis(HIST_LEFT, HIST_W, HIST_TOP + HIST_H)
    return _svg("history", HIST_LEFT + HIST_W + 30, HIST_TOP + HIST_H + 30,
                f"{body}\n{y_label}\n{axis}\n{_history_marker(risk)}")


Node = tuple[str, str]  # (kind, name): kind is "file" or "component"
NODE_W, NODE_H, GAP_X, GAP_Y, GRAPH_TOP, GRAPH_LEFT = 230, 26, 70, 10, 36, 10


def _place(layers: dict[Node, int], node: Node, layer: int) -> None:
    """Put the node in the leftmost of its layers."""
    layers[node] = min(layers.get(node, layer), layer)


def _graph(files: Sequence[FileResult],
           components: Sequence[Component]) -> tuple[dict[Node, int], list[tuple[Node, Node]]]:
    """The dependency graph's nodes with their layers, and its edges."""
    layers: dict[Node, int] = {}
    for changed in files:
        _place(layers, ("file", changed.path), 0)
    last = max(1, max((len(c.dependency_path) for c in components), default=0))
    edges: dict[tuple[Node, Node], None] = {}
    for component in components:
        chain: list[Node] = [("file", p) for p in component.dependency_path]
        for index, node in enumerate(chain):
            _place(layers, node, index)
        chain.append(("component", component.name))
        layers[chain[-1]] = last
        edges.update(dict.fromkeys(itertools.pairwise(chain)))
    return layers, list(edges)


def _positions(layers: dict[Node, int]) -> dict[Node, tuple[float, float]]:
    """Each node's top-left corner: one column per layer, nodes sorted by name."""
    positions: dict[Node, tuple[float, float]] = {}
    for layer in sorted(set(layers.values())):
        column = sorted((n for n, lay in layers.items() if lay == layer), key=lambda n: n[1])
        for row, node in enumerate(column):
            positions[node] = (GRAPH_LEFT + layer * (NODE_W + GAP_X),
                               GRAPH_TOP + row * (NODE_H + GAP_Y))
    return positions


def _node(node: Node, x: float, y: float, changed: set[str], notes: dict[str, str]) -> str:
    """One node box with its (cut) name and full name as tooltip."""
    kind, name = node
    css = "component" if kind == "component" else "changed" if name in changed else "via"
    label = name if kind == "file" else f"{name} {notes.get(name, '')}".strip()
    return (f'<g class="node {css}"><title>{_e(kind)}: {_e(label)}</title>'
            f'<rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="4"/>'
            f'<text x="{x + 6}" y="{y + 17}">{_e(_short(label, 34))}</text></g>')


def _edge(start: tuple[float, float], end: tuple[float, float]) -> str:
    """An arrow from the right side of one node to the left side of another."""
    x1, y1 = start[0] + NODE_W, start[1] + NODE_H / 2
    x2, y2 = end[0], end[1] + NODE_H / 2
    bend = (x2 - x1) / 2
    return (f'<path class="edge" d="M{x1:.1f},{y1:.1f} C{x1 + bend:.1f},{y1:.1f} '
            f'{x2 - bend:.1f},{y2:.1f} {x2:.1f},{y2:.1f}" marker-end="url(#dep-arrow)"/>')


ARROW = ('<defs><marker id="dep-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
         'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#57606a"/>'
         "</marker></defs>")


def _column_heads(last: int) -> str:
    """The headings of the graph's columns."""
    names = ["Changed files", *[f"Reached, step {i}" for i in range(1, last)], "Components"]
    return "".join(f'<text x="{GRAPH_LEFT + i * (NODE_W + GAP_X)}" y="{GRAPH_TOP - 14}" '
                   f'font-weight="bold">{_e(n)}</text>' for i, n in enumerate(names))


def _dependency_svg(files: Sequence[FileResult], components: Sequence[Component]) -> str:
    """The changed files and the components they reach, in layered columns."""
    layers, edges = _graph(files, components)
    if not layers:
        return _svg("dependencies", 400, 60, '<text x="10" y="30">No changed files.</text>')
    positions = _positions(layers)
    changed = {f.path for f in files}
    notes = {c.name: f"(reach {_num(c.reach)}, {c.affected_files} files)" for c in components}
    nodes = "\n".join(_node(n, *positions[n], changed, notes) for n in positions)
    arrows = "\n".join(_edge(positions[a], positions[b]) for a, b in edges)
    last = max(layers.values())
    width = GRAPH_LEFT * 2 + (last + 1) * NODE_W + last * GAP_X
    height = GRAPH_TOP + max(y for _, y in positions.values()) + NODE_H + 10
    return _svg("dependencies", width, height,
                f"{ARROW}\n{_column_heads(last)}\n{arrows}\n{nodes}")


# --- tables ------------------------------------------------------------------------------------

def _score_cell(score: Score | None, skipped: str | None) -> str:
    """A table cell with a score and its level, or why there is none."""
    if score is None:
        return f'<td class="muted">{_e(f"skipped: {skipped}" if skipped else "—")}</td>'
    return (f"<td>{_num(score.value)} "
            f'<span class="badge level-{_e(score.level)}">{_e(score.level)}</span></td>')


def _factors(file: FileResult) -> str:
    """A file's factors and recommendations from both its scores."""
    scores = [s for s in (file.risk, file.bug) if s is not None]
    factors = [f for s in scores for f in s.factors]
    advice = [r for s in scores for r in s.recommendations]
    return _list(factors, css="factors") + _list(advice, css="recommendations")


def _file_row(file: FileResult) -> str:
    """One row of the files table."""
    lines = ", ".join(f"{r.start}–{r.end}" for r in file.changed_lines) or "—"
    return (f"<tr><td><code>{_e(file.path)}</code></td><td>{_e(file.status)}</td>"
            f"<td>+{file.added} −{file.deleted}</td><td>{_e(file.language or '—')}</td>"
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
    paths = "<br>".join(f"<code>{_e(p)}</code>" for p in finding.paths) or "—"
    return (f"<tr><td>{_e(finding.kind)}</td><td><span class=\"badge level-"
            f'{_e(finding.severity)}">{_e(finding.severity)}</span></td>'
            f"<td>{_e(finding.message)}</td><td>{paths}</td></tr>")


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
        f"<tr><td><code>{_e(c.name)}</code></td><td>{_num(c.reach)}</td>"
        f"<td>{c.affected_files}</td><td>"
        f"{' → '.join(f'<code>{_e(p)}</code>' for p in c.dependency_path) or '—'}</td></tr>"
        for c in components)
    return _section("components", "Components",
                    f"<table>\n<thead>{head}</thead>\n<tbody>\n{rows}\n</tbody>\n</table>")


def _reviewers_section(reviewers: Sequence[str]) -> str:
    """The suggested reviewers."""
    return _section("reviewers", "Suggested reviewers",
                    _list(reviewers, "No reviewers suggested."))


def _model_section(model: dict[str, str], timings: dict[str, float]) -> str:
    """The model that scored the change, and how long each stage took."""
    facts = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in model.items())
    stages = "".join(f"<tr><th>{_e(k)}</th><td>{_num(v, 3)} s</td></tr>"
                     for k, v in timings.items())
    total = sum(v for v in timings.values() if not math.isnan(v))
    body = (f"<h3>Model</h3>\n<table>{facts or '<tr><td>unknown</td></tr>'}</table>\n"
            f"<h3>Timings</h3>\n<table>{stages}<tr><th>total</th><td>{total:.3f} s</td></tr>"
            "</table>")
    return _section("model", "Model and timings", body)
