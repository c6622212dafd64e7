"""The complexity measures every language shares: one function, one version of a file, and
a file that was not measured (with the reason). Pure data: no parser is imported here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# The languages lizard measures (analyzers.complexity_lizard.READERS has their readers); Python
# is measured by radon or analyzers.cyclomatic first, by lizard's tolerant reader when they fail.
LIZARD_LANGUAGES = frozenset({
    "JavaScript", "TypeScript", "Java", "Go", "C", "C++", "C#", "Ruby", "Rust", "PHP", "Kotlin",
    "Swift", "Python"})


@dataclass(frozen=True)
class FunctionComplexity:
    """One function: qualified name (Class.method), lines, cyclomatic complexity and size."""

    name: str
    start_line: int
    end_line: int
    cyclomatic: int
    nloc: int
    parameters: int
    length: int


@dataclass(frozen=True)
class FileComplexity:
    """One version of one file: its functions and file-wide measures, or why it was skipped."""

    path: str
    language: str | None
    functions: tuple[FunctionComplexity, ...]
    cyclomatic_avg: float
    cyclomatic_max: int
    maintainability: float | None
    halstead_volume: float | None
    halstead_effort: float | None
    loc: int
    sloc: int
    comments: int
    skipped: str | None


def skipped_file(path: str, language: str | None, reason: str) -> FileComplexity:
    """A file that was not measured, with the reason."""
    return FileComplexity(path, language, (), 0.0, 0, None, None, None, 0, 0, 0, reason)


def file_complexity(path: str, language: str, functions: Iterable[FunctionComplexity], *,
                    loc: int, sloc: int, comments: int, maintainability: float | None = None,
                    halstead: tuple[float, float] | None = None) -> FileComplexity:
    """A measured file; average and maximum complexity are over its functions (0 if none)."""
    ordered = tuple(sorted(functions, key=lambda function: function.start_line))
    values = [function.cyclomatic for function in ordered]
    average = sum(values) / len(values) if values else 0.0
    volume, effort = halstead if halstead is not None else (None, None)
    return FileComplexity(path, language, ordered, average, max(values, default=0),
                          maintainability, volume, effort, loc, sloc, comments, None)


def blank_lines(lines: list[str]) -> int:
    """Lines with nothing but whitespace."""
    return sum(1 for line in lines if not line.strip())
