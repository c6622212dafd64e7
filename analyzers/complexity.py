"""Complexity of the changed files before and after a change, per file and per function.

Python is measured with radon; Python that radon cannot parse (Python 2, syntax errors) falls
back to lizard's tolerant Python reader, so it keeps per-function complexity but has no
maintainability or Halstead figures. Other languages are measured with lizard. Every input is
bounded before it is parsed; a file outside a bound, a binary file, a language we do not measure
or a parser failure gives a FileComplexity with `skipped` set to the reason.

`measures="functions"` measures only the functions (their cyclomatic complexity and sizes, the
file's average and maximum) and leaves Python's maintainability, Halstead and line counts out
(None, 0): over half of radon's time, and nothing a caller reading complexity alone needs.
Python's functions are then counted by analyzers.cyclomatic (radon's numbers, in one pass).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, MutableMapping, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from itertools import accumulate
from tokenize import TokenError
from typing import Literal

from analyzers.complexity_python import (
    RADON_VERSION,
    measure_python_functions,
    measure_with_radon,
)
from analyzers.complexity_types import (
    LIZARD_LANGUAGES,
    FileComplexity,
    FunctionComplexity,
    skipped_file,
)
from analyzers.filekinds import language_of
from analyzers.gc_pause import paused_gc
from analyzers.git import Blob, GitRepo, read_blobs

__all__ = [
    "DEFAULT_LIMITS",
    "MEASURED_LANGUAGES",
    "MEASURE_VERSION",
    "Blob",
    "ComplexityCache",
    "ComplexityDelta",
    "ComplexityLimits",
    "FileComplexity",
    "FunctionComplexity",
    "FunctionDelta",
    "Measures",
    "change_complexity",
    "compare_versions",
    "complexity_delta",
    "describe_changes",
    "measure_source",
    "nesting_depth",
    "read_blobs",
]

MEASURED_LANGUAGES = LIZARD_LANGUAGES
# Names what a measurement means, for caches that outlive a run: this module's version (raise
# it when a measure changes) and the parsers'. 2: Python functions counted by
# analyzers.cyclomatic (radon's numbers, also where radon's recursion gave up).
MEASURE_VERSION = f"2 radon {RADON_VERSION} lizard {version('lizard')}"
# What a parser may raise on hostile input; RecursionError and MemoryError included.
PARSE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError, IndexError, TokenError)
BINARY_PROBE = 8000  # bytes searched for a NUL, as git does
NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"([{)]}")))
OPENING = b"([{"
INDENT = re.compile(rb"^[ \t]+", re.MULTILINE)
INDENT_WIDTH = 4  # columns per nesting level when estimating depth from indentation
# Ranking in describe_changes: a maintainability drop of this many points ranks like one more
# branch in a function.
MI_POINTS_PER_BRANCH = 2.0


@dataclass(frozen=True)
class ComplexityLimits:
    """Bounds checked before parsing; a file beyond one is skipped with the reason."""

    max_bytes: int = 1_000_000
    max_lines: int = 20_000
    max_depth: int = 100  # bracket nesting, or indentation in levels of INDENT_WIDTH columns


DEFAULT_LIMITS = ComplexityLimits()


@dataclass(frozen=True)
class FunctionDelta:
    """A function whose cyclomatic complexity changed; None on the side it is absent from."""

    name: str
    before: int | None
    after: int | None


@dataclass(frozen=True)
class ComplexityDelta:
    """One changed file at base and head (None where absent) and its changed functions."""

    path: str
    before: FileComplexity | None
    after: FileComplexity | None
    functions: tuple[FunctionDelta, ...]


# What is measured: everything, or the functions alone (see the module's docstring).
Measures = Literal["all", "functions"]
# Measured blobs by (blob sha, path, limits, measures): the path names the language and the
# result.
ComplexityCache = MutableMapping[tuple[str, str, ComplexityLimits, Measures], FileComplexity]


def measure_source(path: str, source: bytes, limits: ComplexityLimits = DEFAULT_LIMITS,
                   measures: Measures = "all") -> FileComplexity:
    """Complexity of one version of a file, or a skipped FileComplexity saying why not."""
    language = language_of(path)
    refusal = _refusal(language, source, limits)
    if refusal is not None or language is None:  # an unknown language is always refused
        return skipped_file(path, language, refusal or "unknown language")
    text = source.decode("utf-8-sig", "replace")
    try:
        return _measure(path, language, text, measures)
    except PARSE_ERRORS as error:
        return skipped_file(path, language, f"could not be parsed ({type(error).__name__})")


def _refusal(language: str | None, source: bytes, limits: ComplexityLimits) -> str | None:
    """Why a file must not be parsed, checked cheaply on the raw bytes; None if it may be."""
    if language not in MEASURED_LANGUAGES:
        return f"no complexity analyzer for {language or 'this file type'}"
    if b"\0" in source[:BINARY_PROBE]:
        return "binary file"
    if len(source) > limits.max_bytes:
        return f"larger than {limits.max_bytes:,} bytes"
    if source.count(b"\n") > limits.max_lines:
        return f"more than {limits.max_lines:,} lines"
    if nesting_depth(source) > limits.max_depth:
        return f"nested deeper than {limits.max_depth} levels"
    return None


def nesting_depth(source: bytes) -> int:
    """A cheap estimate of the deepest nesting: bracket depth or indentation levels.

    Bracket depth is the deepest fall from a level back down to a later one, so that brackets
    left open inside strings or comments (`"print("`) do not add up over a file."""
    brackets = source.translate(None, NOT_BRACKETS)
    levels = list(accumulate((1 if byte in OPENING else -1 for byte in brackets), initial=0))
    lowest_after = list(accumulate(reversed(levels), min))[::-1]
    depth = max(level - low for level, low in zip(levels, lowest_after, strict=True))
    indent = max((len(match.replace(b"\t", b" " * INDENT_WIDTH))
                  for match in INDENT.findall(source)), default=0)
    return max(depth, indent // INDENT_WIDTH)


def _measure(path: str, language: str, text: str, measures: Measures) -> FileComplexity:
    if language == "Python":
        try:
            if measures == "functions":
                return measure_python_functions(path, text)
            return measure_with_radon(path, text)
        except SyntaxError:
            pass  # Python 2 or broken code: lizard's tolerant reader still finds the functions
    from analyzers.complexity_lizard import measure_with_lizard  # noqa: PLC0415 - 35 ms

    return measure_with_lizard(path, language, text)


def complexity_delta(path: str, before: bytes | None, after: bytes | None,
                     limits: ComplexityLimits = DEFAULT_LIMITS,
                     measures: Measures = "all") -> ComplexityDelta:
    """Measure both versions of a file (None where absent) and compare them."""
    return compare_versions(
        path, None if before is None else measure_source(path, before, limits, measures),
        None if after is None else measure_source(path, after, limits, measures))


def compare_versions(path: str, before: FileComplexity | None,
                     after: FileComplexity | None) -> ComplexityDelta:
    """The functions whose complexity differs, matched by qualified name; repeated names
    (overloads, redefinitions) are matched by order as name#2, name#3."""
    if (before is not None and before.skipped) or (after is not None and after.skipped):
        return ComplexityDelta(path, before, after, ())
    old, new = _by_name(before), _by_name(after)
    names = [*new, *(name for name in old if name not in new)]
    changed = (FunctionDelta(name, old.get(name), new.get(name)) for name in names)
    return ComplexityDelta(path, before, after,
                           tuple(delta for delta in changed if delta.before != delta.after))


def _by_name(version: FileComplexity | None) -> dict[str, int]:
    seen: Counter[str] = Counter()
    complexities = {}
    for function in version.functions if version is not None else ():
        seen[function.name] += 1
        count = seen[function.name]
        complexities[function.name if count == 1 else f"{function.name}#{count}"] = (
            function.cyclomatic)
    return complexities


def change_complexity(repo: GitRepo, base: str, head: str,
                      paths: Sequence[tuple[str | None, str | None]],
                      limits: ComplexityLimits = DEFAULT_LIMITS,
                      cache: ComplexityCache | None = None,
                      measures: Measures = "all") -> list[ComplexityDelta]:
    """Complexity deltas of changed files, each given as (path at base or None if added, path
    at head or None if deleted); both sides' blobs come from one `git cat-file --batch`.
    A cache keeps each measured blob for later calls (e.g. the next push of the same PR)."""
    shas = (repo.resolve(base), repo.resolve(head))
    names = [f"{sha}:{path}" for pair in paths for sha, path in zip(shas, pair, strict=True)
             if path is not None and language_of(path) in MEASURED_LANGUAGES]
    blobs = read_blobs(repo, names, limits.max_bytes + 1)  # one byte more tells it is too big
    measured = {} if cache is None else cache
    deltas = []
    with paused_gc():  # syntax trees: many objects, no cycles
        for pair in paths:
            before, after = (_version(sha, path, blobs, limits, measured, measures)
                             for sha, path in zip(shas, pair, strict=True))
            deltas.append(compare_versions(pair[1] or pair[0] or "", before, after))
    return deltas


def _version(sha: str, path: str | None, blobs: dict[str, Blob | None],
             limits: ComplexityLimits, cache: ComplexityCache,
             measures: Measures) -> FileComplexity | None:
    if path is None:
        return None
    name = f"{sha}:{path}"
    if name not in blobs:  # not read: a language measure_source skips without its content
        return measure_source(path, b"", limits, measures)
    blob = blobs[name]
    if blob is None:
        return skipped_file(path, language_of(path), f"no file at {sha[:12]} (submodule?)")
    key = (blob.sha, path, limits, measures)
    if key not in cache:
        cache[key] = measure_source(path, blob.content, limits, measures)
    return cache[key]


def describe_changes(deltas: Sequence[ComplexityDelta], limit: int = 5) -> list[str]:
    """Plain sentences for the largest complexity changes, largest first, with the numbers:
    "parse_header: complexity 4 → 13 (http.py)", "maintainability 71 → 48 (http.py)"."""
    ranked = sorted((change for delta in deltas for change in _changes(delta)),
                    key=lambda change: -change[0])
    return [sentence for _, sentence in ranked[:limit]]


def _changes(delta: ComplexityDelta) -> Iterator[tuple[float, str]]:
    """(size, sentence) of each changed function and of the file's maintainability."""
    where = f"({delta.path})"
    for function in delta.functions:
        before, after = function.before, function.after
        if before is None:
            yield float(after or 0), f"{function.name}: new, complexity {after} {where}"
        elif after is None:
            yield float(before), f"{function.name}: removed, complexity was {before} {where}"
        else:
            yield float(abs(after - before)), (
                f"{function.name}: complexity {before} → {after} {where}")
    old = delta.before.maintainability if delta.before is not None else None
    new = delta.after.maintainability if delta.after is not None else None
    if old is not None and new is not None and round(old) != round(new):
        yield (abs(new - old) / MI_POINTS_PER_BRANCH,
               f"maintainability {old:.0f} → {new:.0f} {where}")
