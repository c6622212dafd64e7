"""The complexity measures every language shares, and their measurement with lizard.

lizard reads JavaScript/TypeScript, Java, Go, C/C++, C#, Ruby, Rust, PHP, Kotlin and Swift, and
Python that radon cannot parse. It gives each function its cyclomatic complexity (CCN), lines of
code (NLOC), parameters and length; maintainability and Halstead measures are Python-only (None).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import lizard
from lizard_languages import (
    CLikeReader,
    CSharpReader,
    GoReader,
    JavaReader,
    JavaScriptReader,
    KotlinReader,
    PHPReader,
    PythonReader,
    RubyReader,
    RustReader,
    SwiftReader,
    TypeScriptReader,
    get_reader_for,
)

# The reader of each language, for the extensions lizard does not know itself (.mts, .kts, ...).
READERS: dict[str, Any] = {
    "JavaScript": JavaScriptReader, "TypeScript": TypeScriptReader, "Java": JavaReader,
    "Go": GoReader, "C": CLikeReader, "C++": CLikeReader, "C#": CSharpReader,
    "Ruby": RubyReader, "Rust": RustReader, "PHP": PHPReader, "Kotlin": KotlinReader,
    "Swift": SwiftReader, "Python": PythonReader,
}
LIZARD_VERSION = str(getattr(lizard, "version", "unknown"))
# lizard's own token pipeline (what lizard.analyze_file runs), driven here so that a
# RecursionError reaches us instead of being printed and swallowed.
PROCESSORS = (lizard.preprocessing, lizard.comment_counter, lizard.line_counter,
              lizard.token_counter, lizard.condition_counter)


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


def measure_with_lizard(path: str, language: str, text: str) -> FileComplexity:
    """Functions and lines of a file by lizard; comments are the lines neither blank nor code.

    Raises RecursionError (and IndexError on some broken input) for the caller to report."""
    info = _lizard_file(path, language, text)
    lines = text.splitlines()
    loc, sloc = len(lines), int(info.nloc)
    comments = max(0, loc - blank_lines(lines) - sloc)
    return file_complexity(path, language, _functions(info.function_list),
                           loc=loc, sloc=sloc, comments=comments)


def _lizard_file(path: str, language: str, text: str) -> Any:
    """lizard's FileInformation of one file's text."""
    context = lizard.FileInfoBuilder(path)
    reader = (get_reader_for(path) or READERS[language])(context)
    tokens = reader.generate_tokens(text)
    for processor in PROCESSORS:
        tokens = processor(tokens, reader)
    for _ in reader(tokens, reader):
        pass
    return context.fileinfo


def _functions(infos: Iterable[Any]) -> Iterator[FunctionComplexity]:
    for info in infos:
        yield FunctionComplexity(
            name=str(info.name).replace("::", "."), start_line=int(info.start_line),
            end_line=int(info.end_line), cyclomatic=int(info.cyclomatic_complexity),
            nloc=int(info.nloc), parameters=int(info.parameter_count), length=int(info.length))
