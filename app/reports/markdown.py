"""The analysis result as GitHub-flavoured markdown: a check-run summary or an Actions job summary.

Everything that comes from the repository (paths, messages, factors, names) is escaped so it
cannot break a table or inject HTML or markdown. The summary never exceeds `limit` characters:
the list of unscored files goes first, then the lowest-risk files' rows, and a closing note says
how many files were left out. Lengths are measured on the rendered text, never estimated.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.reports.formatting import (
    CONCLUSION_ICONS,
    FACTOR_CHARS,
    LEVEL_ICONS,
    SCORE_MEANINGS,
    change_recommendations,
    change_scores,
    escape_markdown,
    format_file_score,
    format_number,
    format_score_detail,
    format_score_value,
    format_timings,
    github_login,
    mention,
    model_label,
    scored_files,
    shorten,
    skip_reason,
    top_factor,
    unscored_files,
)
from app.reports.result import AnalysisResult, Component, FileResult, Finding

GITHUB_SUMMARY_LIMIT = 65_535
MIN_LIMIT = 300
MAX_CHANGE_FACTORS = 3
MAX_FINDINGS = 30
MAX_FINDING_PATHS = 5
MAX_COMPONENTS = 20
BLOCK_SEPARATOR = "\n\n"

def headline_block(result: AnalysisResult) -> str:
    """The gate's conclusion as a heading, then its reasons."""
    icon = CONCLUSION_ICONS.get(result.gate.conclusion, "❔")
    lines = [f"## {icon} diffrisk: {result.gate.conclusion}"]
    subject = f"{result.repository} {result.base[:7]}…{result.head[:7]}"
    lines.append(f"\n**Gate: {result.gate.conclusion}** · {escape_markdown(subject)}")
    if result.gate.reasons:
        lines.append("")
        lines.extend(f"- {escape_markdown(reason)}" for reason in result.gate.reasons)
    return "\n".join(lines)


def scores_block(result: AnalysisResult) -> str:
    """The five change-level scores as a table with their levels."""
    lines = ["| score | value | level | details |", "|---|--:|---|---|"]
    for name, score in change_scores(result):
        details = (format_score_detail(name, result), SCORE_MEANINGS[name])
        detail = " · ".join(d for d in details if d)
        level = f"{LEVEL_ICONS.get(score.level, '')} {escape_markdown(score.level)}".strip()
        lines.append(f"| {name} | {format_score_value(name, score)} | {level} | {detail} |")
    return "\n".join(lines)


def factors_block(result: AnalysisResult) -> str:
    """The change's top factors per score and its recommendations; empty when it has none."""
    factors = [
        f"- **{name}**: {escape_markdown(shorten(factor, 2 * FACTOR_CHARS))}"
        for name, score in change_scores(result)
        for factor in score.factors[:MAX_CHANGE_FACTORS]
    ]
    recommendations = [
        f"- {escape_markdown(shorten(r, 2 * FACTOR_CHARS))}" for r in change_recommendations(result)
    ]
    parts = []
    if factors:
        parts.append("### Why\n\n" + "\n".join(factors))
    if recommendations:
        parts.append("### What to do\n\n" + "\n".join(recommendations))
    return BLOCK_SEPARATOR.join(parts)


def file_row(rank: int, file: FileResult) -> str:
    """One file's table row: rank, path, risk, bug, +/− lines and top factor."""
    return (
        f"| {rank} | {escape_markdown(file.path)} | {format_file_score(file.risk)} | "
        f"{format_file_score(file.bug)} | +{file.added} −{file.deleted} | "
        f"{escape_markdown(top_factor(file))} |"
    )


FILES_TITLE = "### Riskiest files"
FILES_HEADER = "| # | file | risk | bug | +/− | top factor |\n|--:|---|---|---|---|---|"
NO_FILE_ROWS = "_No file rows fit in this summary._"
NO_SCORED_FILES = "_No scored files._"


def files_block(rows: Sequence[str], total_scored: int) -> str:
    """The riskiest files' table with the given rows."""
    if not rows:
        body = NO_SCORED_FILES if total_scored == 0 else NO_FILE_ROWS
        return f"{FILES_TITLE}{BLOCK_SEPARATOR}{body}"
    return f"{FILES_TITLE}{BLOCK_SEPARATOR}{FILES_HEADER}\n" + "\n".join(rows)


def files_block_length(row_chars: int, rows: int, total_scored: int) -> int:
    """The length files_block would have for `rows` rows totalling `row_chars` characters."""
    if rows == 0:
        return len(files_block((), total_scored))
    return len(FILES_TITLE) + len(BLOCK_SEPARATOR) + len(FILES_HEADER) + rows + row_chars


def finding_line(finding: Finding) -> str:
    """One typed anomaly as a list item, with the paths it concerns."""
    icon = LEVEL_ICONS.get(finding.severity, "")
    line = (f"- {icon} **{escape_markdown(finding.kind)}** ({escape_markdown(finding.severity)}): "
            f"{escape_markdown(finding.message)}")
    if finding.paths:
        shown = ", ".join(escape_markdown(p) for p in finding.paths[:MAX_FINDING_PATHS])
        more = len(finding.paths) - MAX_FINDING_PATHS
        line += f" — {shown}" + (f" and {more} more" if more > 0 else "")
    return line


def more_line(count: int, noun: str) -> list[str]:
    """A "…and N more" list item when some items were not listed."""
    return [f"- …and {count} more {noun}"] if count > 0 else []


def anomalies_block(findings: Sequence[Finding]) -> str:
    """The typed anomalies as a list; empty when there are none."""
    if not findings:
        return ""
    lines = [finding_line(f) for f in findings[:MAX_FINDINGS]]
    lines += more_line(len(findings) - MAX_FINDINGS, "findings")
    return "### Anomalies\n\n" + "\n".join(lines)


def component_line(component: Component) -> str:
    """One affected component with its reach, its files and its dependency path."""
    path = " → ".join(escape_markdown(step) for step in component.dependency_path)
    line = (f"- **{escape_markdown(component.name)}** (reach {format_number(component.reach)}, "
            f"{component.affected_files} files)")
    return line + (f": {path}" if path else "")


def components_block(components: Sequence[Component]) -> str:
    """The affected components with their dependency paths; empty when there are none."""
    if not components:
        return ""
    ranked = sorted(components, key=lambda c: -c.reach if math.isfinite(c.reach) else math.inf)
    lines = [component_line(c) for c in ranked[:MAX_COMPONENTS]]
    lines += more_line(len(components) - MAX_COMPONENTS, "components")
    return "### Affected components\n\n" + "\n".join(lines)


def reviewers_block(reviewers: Sequence[str]) -> str:
    """The suggested reviewers that have a GitHub login, as @mentions (an e-mail address is
    never posted); empty when there are none."""
    logins = list(dict.fromkeys(login for r in reviewers if (login := github_login(r))))
    if not logins:
        return ""
    return "### Suggested reviewers\n\n" + ", ".join(mention(login) for login in logins)


def skipped_block(files: Sequence[FileResult]) -> str:
    """The files without scores, with their reasons, in a collapsed <details>."""
    if not files:
        return ""
    lines = [f"- {escape_markdown(f.path)} — {escape_markdown(skip_reason(f))}" for f in files]
    noun = "file" if len(files) == 1 else "files"
    return (f"<details><summary>{len(files)} {noun} not scored</summary>\n\n"
            + "\n".join(lines) + "\n\n</details>")


def footer_block(result: AnalysisResult) -> str:
    """The model name and version and the timings, small."""
    parts = [f"model {model_label(result.model)}", format_timings(result.timings)]
    text = " · ".join(escape_markdown(p) for p in parts if p)
    return f"<sub>{text}</sub>"


def left_out_note(left_out: int, total: int, limit: int, summary_cut: bool = False) -> str:
    """The closing note saying how many files were left out to stay within `limit`."""
    rest = " and the rest of the summary" if summary_cut else ""
    return (f"> **Note:** {left_out:,} of {total:,} files{rest} were left out (lowest risk "
            f"first) to keep this summary within {limit:,} characters. Run "
            f"`diffrisk analyze --format json` for the full report.")


def joined_length(lengths: Iterable[int]) -> int:
    """The length of non-empty blocks of these lengths joined by BLOCK_SEPARATOR."""
    present = [n for n in lengths if n > 0]
    return sum(present) + len(BLOCK_SEPARATOR) * max(len(present) - 1, 0)


def join_blocks(blocks: Iterable[str]) -> str:
    """The non-empty blocks joined by BLOCK_SEPARATOR."""
    return BLOCK_SEPARATOR.join(b for b in blocks if b)


@dataclass(frozen=True)
class Layout:
    """How much of the result fits: the number of file rows and whether the details stay."""

    rows: int
    details: bool
    left_out: int


@dataclass(frozen=True)
class Parts:
    """The rendered pieces of a summary, before fitting it to a limit."""

    before: tuple[str, ...]
    rows: tuple[str, ...]
    after: tuple[str, ...]
    details: str
    footer: str
    unscored: int

    @property
    def total_files(self) -> int:
        """Every file of the result, scored or not."""
        return len(self.rows) + self.unscored


def render_parts(result: AnalysisResult) -> Parts:
    """Every piece of the summary, rendered in full."""
    scored, unscored = scored_files(result), unscored_files(result)
    return Parts(
        before=(headline_block(result), scores_block(result), factors_block(result)),
        rows=tuple(file_row(rank, f) for rank, f in enumerate(scored, start=1)),
        after=(anomalies_block(result.anomalies), components_block(result.components),
               reviewers_block(result.reviewers)),
        details=skipped_block(unscored),
        footer=footer_block(result),
        unscored=len(unscored),
    )


def layout_length(parts: Parts, row_chars: int, layout: Layout, limit: int) -> int:
    """The exact length of the summary rendered with this layout."""
    note = left_out_note(layout.left_out, parts.total_files, limit) if layout.left_out else ""
    return joined_length([
        *(len(b) for b in parts.before),
        files_block_length(row_chars, layout.rows, len(parts.rows)),
        *(len(b) for b in parts.after),
        len(parts.details) if layout.details else 0,
        len(parts.footer),
        len(note),
    ])


def candidate_layouts(parts: Parts) -> Iterable[Layout]:
    """Layouts from fullest to emptiest: the collapsed list of unscored files goes first (a
    reviewer needs the risky rows more), then rows, lowest-risk first."""
    scored = len(parts.rows)
    if parts.details:
        yield Layout(scored, True, 0)
    hidden = parts.unscored if parts.details else 0
    for rows in range(scored, -1, -1):
        yield Layout(rows, not parts.details, scored - rows + hidden)


def fit_layout(parts: Parts, limit: int) -> Layout | None:
    """The fullest layout whose measured length is within `limit`, or None if none is."""
    row_chars = [0]
    for row in parts.rows:
        row_chars.append(row_chars[-1] + len(row))
    for layout in candidate_layouts(parts):
        if layout_length(parts, row_chars[layout.rows], layout, limit) <= limit:
            return layout
    return None


def render_layout(parts: Parts, layout: Layout, limit: int) -> str:
    """The summary rendered with this layout."""
    note = left_out_note(layout.left_out, parts.total_files, limit) if layout.left_out else ""
    return join_blocks([
        *parts.before,
        files_block(parts.rows[: layout.rows], len(parts.rows)),
        *parts.after,
        parts.details if layout.details else "",
        parts.footer,
        note,
    ])


def render_cut(parts: Parts, limit: int) -> str:
    """The summary's head cut at a line end so that it and a closing note fit in `limit`."""
    note = left_out_note(parts.total_files, parts.total_files, limit, summary_cut=True)
    room = limit - len(note) - len(BLOCK_SEPARATOR)
    head = join_blocks(parts.before)[: max(room, 0)]
    head = head[: head.rfind("\n")] if "\n" in head else ""
    return join_blocks([head.rstrip(), note])[:limit]


def render_markdown(result: AnalysisResult, limit: int = GITHUB_SUMMARY_LIMIT) -> str:
    """The result as a GitHub-flavoured markdown summary of at most `limit` characters."""
    if limit < MIN_LIMIT:
        raise ValueError(f"limit must be at least {MIN_LIMIT} characters, not {limit}")
    parts = render_parts(result)
    layout = fit_layout(parts, limit)
    if layout is None:
        return render_cut(parts, limit)
    text = render_layout(parts, layout, limit)
    return text if len(text) <= limit else render_cut(parts, limit)
