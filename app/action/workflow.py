"""GitHub Actions workflow commands and the runner's files, as the Action writes them.

Escaping follows @actions/core's command.ts exactly: command data escapes `%`, CR and LF; a
property value also escapes `:` and `,`. Annotations: GitHub shows at most 10 errors, 10 warnings
and 10 notices of one step, so `annotation_commands` keeps the most important few.
$GITHUB_STEP_SUMMARY: the runner drops a step's summary larger than 1 MiB, so `write_step_summary`
cuts ours at a line end below that. $GITHUB_OUTPUT: `name=value`, or the heredoc form with a random
delimiter for values with line breaks (the form the runner parses, as @actions/core writes it).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from app.reports.formatting import format_number, scored_files, shorten, top_factor
from app.reports.result import AnalysisResult, FileResult, Finding

AnnotationLevel = Literal["notice", "warning", "error"]
ANNOTATION_LEVELS: tuple[AnnotationLevel, ...] = ("notice", "warning", "error")
PER_LEVEL_LIMIT = 10
SUMMARY_LIMIT = 1024 * 1024
MESSAGE_CHARS = 1000
FULL_REPORT_HINT = "run `diffrisk analyze --format markdown` for the full report"
OUTPUT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
DELIMITER_PREFIX = "ghadelimiter_"
LEVEL_OF_FILE: dict[str, AnnotationLevel] = {"high": "warning", "medium": "notice"}
LEVEL_OF_FINDING: dict[str, AnnotationLevel] = {"high": "warning", "medium": "notice",
                                                "low": "notice"}
FENCE_CLOSE = b"```\n"
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def escape_data(text: str) -> str:
    """Text safe as a workflow command's message (@actions/core escapeData)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Text safe as a workflow command's property value (@actions/core escapeProperty)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation_command(level: str, message: str, file: str | None = None,
                       line: int | None = None, end_line: int | None = None,
                       title: str | None = None) -> str:
    """One `::level file=…,line=…,endLine=…,title=…::message` annotation command."""
    if level not in ANNOTATION_LEVELS:
        raise ValueError(f"annotation level must be one of {', '.join(ANNOTATION_LEVELS)}, "
                         f"not {level!r}")
    for name, number in (("line", line), ("end_line", end_line)):
        if number is not None and number < 1:
            raise ValueError(f"{name} must be 1 or more, not {number}")
    properties = [(key, value) for key, value in (
        ("file", file), ("line", None if line is None else str(line)),
        ("endLine", None if end_line is None else str(end_line)), ("title", title),
    ) if value]
    joined = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::{level}{' ' + joined if joined else ''}::{escape_data(message)}"


@dataclass(frozen=True)
class Annotation:
    """One annotation before it becomes a command."""

    level: AnnotationLevel
    message: str
    file: str | None = None
    line: int | None = None
    end_line: int | None = None
    title: str | None = None

    def command(self) -> str:
        """The workflow command that makes this annotation."""
        return annotation_command(self.level, self.message, self.file, self.line,
                                  self.end_line, self.title)


def gate_annotations(result: AnalysisResult) -> list[Annotation]:
    """The gate's reasons: errors when it failed, notices otherwise; none when it passed."""
    conclusion = result.gate.conclusion
    if conclusion == "success":
        return []
    level: AnnotationLevel = "error" if conclusion == "failure" else "notice"
    return [Annotation(level, shorten(reason, MESSAGE_CHARS), title=f"diffrisk gate: {conclusion}")
            for reason in result.gate.reasons]


def file_lines(file: FileResult | None) -> tuple[int | None, int | None]:
    """The first changed line range of a file, or no lines when it has none."""
    if file is None or not file.changed_lines:
        return None, None
    first = file.changed_lines[0]
    return first.start, (first.end if first.end > first.start else None)


def file_annotation(file: FileResult) -> Annotation | None:
    """A scored file's annotation on its first changed lines: high risk warns, medium notes."""
    if file.risk is None or file.risk.level not in LEVEL_OF_FILE:
        return None
    parts = [top_factor(file), *file.risk.recommendations[:1]]
    message = "\n".join(p for p in parts if p) or f"{file.risk.level} risk"
    line, end_line = file_lines(file)
    title = f"diffrisk: {file.risk.level} risk {format_number(file.risk.value)}"
    return Annotation(LEVEL_OF_FILE[file.risk.level], shorten(message, MESSAGE_CHARS),
                      file.path, line, end_line, title)


def finding_annotation(finding: Finding, files: Mapping[str, FileResult]) -> Annotation:
    """A typed anomaly's annotation, on the first path it names when it names one."""
    path = finding.paths[0] if finding.paths else None
    line, end_line = file_lines(files.get(path)) if path else (None, None)
    return Annotation(LEVEL_OF_FINDING.get(finding.severity, "notice"),
                      shorten(finding.message, MESSAGE_CHARS), path, line, end_line,
                      f"diffrisk anomaly: {finding.kind} ({finding.severity})")


def annotation_commands(result: AnalysisResult, limit: int = 10) -> list[str]:
    """The top `limit` annotations: gate reasons, riskiest files, then typed anomalies."""
    files = {f.path: f for f in result.files}
    findings = sorted(result.anomalies, key=lambda f: SEVERITY_ORDER.get(f.severity, 3))
    candidates = [
        *gate_annotations(result),
        *(a for a in map(file_annotation, scored_files(result)) if a is not None),
        *(finding_annotation(f, files) for f in findings),
    ]
    kept: list[str] = []
    per_level = dict.fromkeys(ANNOTATION_LEVELS, 0)
    for annotation in candidates:
        if len(kept) >= limit:
            break
        if per_level[annotation.level] < PER_LEVEL_LIMIT:
            per_level[annotation.level] += 1
            kept.append(annotation.command())
    return kept


@dataclass(frozen=True)
class SummaryWrite:
    """What `write_step_summary` appended: its size in UTF-8 bytes and whether it was cut."""

    size: int
    cut: bool


def cut_note(kept: int, total: int, full_report: str) -> str:
    """The closing line of a cut summary: how much was kept and where the rest is."""
    return (f"> **Note:** this summary was cut after {kept:,} of {total:,} bytes to stay within "
            f"GitHub's 1 MiB step-summary limit; {full_report}.")


def cut_tail(kept: int, total: int, full_report: str) -> bytes:
    """The cut note as the UTF-8 bytes appended after the kept lines."""
    return ("\n" + cut_note(kept, total, full_report) + "\n").encode("utf-8")


def cut_markdown(data: bytes, room: int) -> bytes:
    """The longest run of whole lines of `data` within `room` bytes, code fences closed."""
    head = data[: max(room, 0)]
    end = head.rfind(b"\n")
    head = head[:end + 1] if end >= 0 else b""
    fences = sum(1 for line in head.splitlines() if line.lstrip().startswith(b"```"))
    return head + FENCE_CLOSE if fences % 2 else head


def write_step_summary(path: Path | str, markdown: str, limit: int = SUMMARY_LIMIT,
                       full_report: str = FULL_REPORT_HINT) -> SummaryWrite:
    """Append markdown to $GITHUB_STEP_SUMMARY, keeping the file within `limit` UTF-8 bytes."""
    target = Path(path)
    existing = target.stat().st_size if target.exists() else 0
    data = markdown.encode("utf-8")
    if not data.endswith(b"\n"):
        data += b"\n"
    budget = limit - existing
    written, cut = data, False
    if len(data) > budget:
        # The note with `budget` as its count is at least as long as the final one.
        room = budget - len(cut_tail(budget, len(data), full_report)) - len(FENCE_CLOSE)
        head = cut_markdown(data, room)
        written, cut = head + cut_tail(len(head), len(data), full_report), True
        if len(written) > budget:
            raise ValueError(f"no room for the step summary: {budget} of {limit} bytes left")
    with target.open("ab") as stream:
        stream.write(written)
    return SummaryWrite(len(written), cut)


def output_lines(name: str, value: str, delimiter: str | None = None) -> str:
    """One $GITHUB_OUTPUT entry: `name=value`, or a heredoc when the value has line breaks."""
    if not OUTPUT_NAME.fullmatch(name):
        raise ValueError(f"output name {name!r} must be letters, digits, _ and -")
    if "\n" not in value and "\r" not in value:
        return f"{name}={value}\n"
    delimiter = delimiter or f"{DELIMITER_PREFIX}{uuid.uuid4()}"
    if delimiter in value:
        raise ValueError(f"output {name!r} contains the delimiter {delimiter!r}")
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def write_outputs(path: Path | str, outputs: Mapping[str, str],
                  delimiter: str | None = None) -> None:
    """Append outputs to $GITHUB_OUTPUT (or $GITHUB_ENV, which has the same format)."""
    text = "".join(output_lines(name, value, delimiter) for name, value in outputs.items())
    with Path(path).open("a", encoding="utf-8", newline="") as stream:
        stream.write(text)
