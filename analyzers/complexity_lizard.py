"""Complexity measured with lizard (imported only when a file needs it: 35 ms).

lizard reads JavaScript/TypeScript, Java, Go, C/C++, C#, Ruby, Rust, PHP, Kotlin and Swift, and
Python that radon cannot parse. It gives each function its cyclomatic complexity (CCN), lines of
code (NLOC), parameters and length; maintainability and Halstead measures are Python-only (None).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
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

from analyzers.complexity_types import (
    FileComplexity,
    FunctionComplexity,
    blank_lines,
    file_complexity,
)

# The reader of each language, for the extensions lizard does not know itself (.mts, .kts, ...).
READERS: dict[str, Any] = {
    "JavaScript": JavaScriptReader, "TypeScript": TypeScriptReader, "Java": JavaReader,
    "Go": GoReader, "C": CLikeReader, "C++": CLikeReader, "C#": CSharpReader,
    "Ruby": RubyReader, "Rust": RustReader, "PHP": PHPReader, "Kotlin": KotlinReader,
    "Swift": SwiftReader, "Python": PythonReader,
}
# lizard's own token pipeline (what lizard.analyze_file runs), driven here so that a
# RecursionError reaches us instead of being printed and swallowed.
PROCESSORS = (lizard.preprocessing, lizard.comment_counter, lizard.line_counter,
              lizard.token_counter, lizard.condition_counter)


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
