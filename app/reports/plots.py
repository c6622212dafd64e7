"""The HTML report's plots as inline SVG drawn in Python: risk per file, this change against the
repository's history, and the change's dependency graph. Every label is escaped."""

from __future__ import annotations

import html
import itertools
import math
from collections.abc import Iterable, Sequence

from app.reports.result import AnalysisResult, Component, FileResult, Score

PLOT_TITLES = {
    "file-risk": "Risk per file",
    "history": "This change's risk against the repository's history",
    "dependencies": "Dependency graph of the change",
}
LEVEL_COLOURS = {"low": "#2e7d32", "medium": "#ef8f00", "high": "#c62828"}
HISTORY_BINS = 20
NO_HISTORY_NOTE = ("No history given: the risks of the repository's past changes were not "
                   "supplied, so only this change is marked.")


def escaped(text: object) -> str:
    """The text escaped for HTML content and attributes."""
    return html.escape(str(text), quote=True)


def number_text(value: float, digits: int = 2) -> str:
    """The number with `digits` decimals, or n/a for NaN."""
    return "n/a" if math.isnan(value) else f"{value:.{digits}f}"


def clamped(value: float) -> float:
    """The value clamped into [0, 1]; NaN counts as 0."""
    return 0.0 if math.isnan(value) else min(1.0, max(0.0, value))


def shortened(text: str, limit: int) -> str:
    """The text cut to its last `limit` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else "…" + text[-(limit - 1):]


def _svg(plot_id: str, width: float, height: float, body: str) -> str:
    """An inline SVG plot with its id and accessible title."""
    title = PLOT_TITLES[plot_id]
    return (f'<svg id="plot-{plot_id}" class="plot" role="img" '
            f'aria-labelledby="plot-{plot_id}-title" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}">\n'
            f'<title id="plot-{plot_id}-title">{escaped(title)}</title>\n{body}\n</svg>')


def _figure(svg: str, caption: str) -> str:
    """A plot with its caption."""
    return f"<figure>\n{svg}\n<figcaption>{caption}</figcaption>\n</figure>"


def plot_figures(result: AnalysisResult, history_risks: Sequence[float]) -> str:
    """The three plots: risk per file, the change against history, the dependency graph."""
    history = [v for v in history_risks if not math.isnan(v)]
    figures = (
        _figure(_file_risk_svg(result.files), "Risk of every scored file, riskiest first."),
        _figure(_history_svg(result.risk.value, history),
                escaped(_history_caption(result.risk.value, history))),
        _figure(_dependency_svg(result.files, result.components),
                "Changed files (left), the files they reach and the components "
                "(right) along their dependency paths."),
    )
    return "\n".join(figures)


BAR_LABEL_W, BAR_W, BAR_ROW, BAR_TOP = 320, 420, 22, 10


def _scored_files(files: Iterable[FileResult]) -> list[tuple[str, Score]]:
    """Every scored file's path and risk, riskiest first (NaN last)."""
    scored = [(f.path, f.risk) for f in files if f.risk is not None]
    return sorted(scored, key=lambda p: (math.isnan(p[1].value), -clamped(p[1].value), p[0]))


def _bar(index: int, path: str, score: Score) -> str:
    """One horizontal bar of the file-risk plot."""
    y = BAR_TOP + index * BAR_ROW
    width = clamped(score.value) * BAR_W
    colour = LEVEL_COLOURS.get(score.level, "#6e7781")
    return (f'<g class="bar"><title>{escaped(path)}: {number_text(score.value)} '
            f'({escaped(score.level)})</title>'
            f'<text x="{BAR_LABEL_W - 8}" y="{y + 15}" text-anchor="end">'
            f"{escaped(shortened(path, 44))}</text>"
            f'<rect x="{BAR_LABEL_W}" y="{y + 3}" width="{width:.1f}" height="{BAR_ROW - 6}" '
            f'fill="{colour}"/>'
            f'<text x="{BAR_LABEL_W + width + 6:.1f}" y="{y + 15}">'
            f"{number_text(score.value)}</text></g>")


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
        counts[min(bins - 1, int(clamped(value) * bins))] += 1
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
    x = HIST_LEFT + clamped(risk) * HIST_W
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
    return (f'<g class="node {css}"><title>{escaped(kind)}: {escaped(label)}</title>'
            f'<rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="4"/>'
            f'<text x="{x + 6}" y="{y + 17}">{escaped(shortened(label, 34))}</text></g>')


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
                   f'font-weight="bold">{escaped(n)}</text>' for i, n in enumerate(names))


def _dependency_svg(files: Sequence[FileResult], components: Sequence[Component]) -> str:
    """The changed files and the components they reach, in layered columns."""
    layers, edges = _graph(files, components)
    if not layers:
        return _svg("dependencies", 400, 60, '<text x="10" y="30">No changed files.</text>')
    positions = _positions(layers)
    changed = {f.path for f in files}
    notes = {c.name: f"(reach {number_text(c.reach)}, {c.affected_files} files)"
             for c in components}
    nodes = "\n".join(_node(n, *positions[n], changed, notes) for n in positions)
    arrows = "\n".join(_edge(positions[a], positions[b]) for a, b in edges)
    last = max(layers.values())
    width = GRAPH_LEFT * 2 + (last + 1) * NODE_W + last * GAP_X
    height = GRAPH_TOP + max(y for _, y in positions.values()) + NODE_H + 10
    return _svg("dependencies", width, height,
                f"{ARROW}\n{_column_heads(last)}\n{arrows}\n{nodes}")


# --- tables ------------------------------------------------------------------------------------
