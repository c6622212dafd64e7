"""measures="functions" (what the analysis uses) gives exactly the functions, averages, maxima
and skip reasons the full measurement gives, on real code and on hostile input."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from analyzers.complexity import (
    DEFAULT_LIMITS,
    ComplexityCache,
    FileComplexity,
    change_complexity,
    compare_versions,
    measure_source,
)
from analyzers.git import GitRepo
from tests.analyzers.test_complexity import AFTER, BEFORE, DEEP_UNBOUNDED, PYTHON_BRANCHES, source
from tests.gitbuild import RepoBuilder

ROOT = Path(__file__).resolve().parents[2]
CORPUS = sorted(p for folder in ("analyzers", "models", "app", "tests", "benchmarks")
                for p in (ROOT / folder).rglob("*.py"))
ODD = {
    "python2.py": b"print 'hello'\ndef f(a):\n    if a: return 1\n    return 2\n",
    "broken.py": b"def f(:\n",
    "deep.py": source(DEEP_UNBOUNDED),
    "binary.py": b"\0\1\2",
    "crlf.py": b"def f(a):\r\n    # note\r\n    return a and 1\r\n",
    "closures.py": source(PYTHON_BRANCHES),
    "empty.py": b"",
}


def functions_part(measured: FileComplexity) -> tuple[object, ...]:
    """Everything measures="functions" promises to keep."""
    return (measured.path, measured.language, measured.functions, measured.cyclomatic_avg,
            measured.cyclomatic_max, measured.skipped)


def test_functions_only_equals_the_full_measurement_on_this_repository() -> None:
    assert len(CORPUS) > 100
    for path in CORPUS:
        content = path.read_bytes()
        full = measure_source(path.name, content)
        quick = measure_source(path.name, content, measures="functions")
        assert functions_part(quick) == functions_part(full), path
        assert compare_versions(path.name, quick, quick).functions == ()


@pytest.mark.parametrize("name", sorted(ODD))
def test_functions_only_equals_the_full_measurement_on_odd_input(name: str) -> None:
    full = measure_source(name, ODD[name])
    quick = measure_source(name, ODD[name], measures="functions")
    assert functions_part(quick) == functions_part(full)


def test_functions_only_leaves_the_file_measures_out() -> None:
    quick = measure_source("a.py", source(BEFORE), measures="functions")
    assert quick.functions and quick.skipped is None
    assert (quick.maintainability, quick.halstead_volume, quick.halstead_effort) == (
        None, None, None)
    assert (quick.loc, quick.sloc, quick.comments) == (0, 0, 0)


def test_change_complexity_functions_only_has_the_same_deltas(builder: RepoBuilder) -> None:
    builder.write("a.py", source(BEFORE))
    builder.write("gone.py", source(PYTHON_BRANCHES))
    base = builder.commit("Start")
    builder.write("a.py", source(AFTER))
    builder.delete("gone.py")
    builder.write("new.py", source(PYTHON_BRANCHES))
    head = builder.commit("Change")
    paths = [("a.py", "a.py"), ("gone.py", None), (None, "new.py")]
    repo = GitRepo(builder.path)
    full = change_complexity(repo, base, head, paths)
    quick = change_complexity(repo, base, head, paths, measures="functions")
    assert [d.functions for d in quick] == [d.functions for d in full]
    assert any(d.functions for d in quick)
    for fast, slow in zip(quick, full, strict=True):
        for one, other in ((fast.before, slow.before), (fast.after, slow.after)):
            assert (one is None) == (other is None)
            if one is not None and other is not None:
                assert functions_part(one) == functions_part(other)


def test_the_cache_keeps_the_two_measures_apart(builder: RepoBuilder) -> None:
    builder.write("a.py", source(BEFORE))
    base = builder.commit("Start")
    builder.write("a.py", source(AFTER))
    head = builder.commit("Change")
    repo, paths = GitRepo(builder.path), [("a.py", "a.py")]
    cache: ComplexityCache = {}
    quick = change_complexity(repo, base, head, paths, cache=cache, measures="functions")
    full = change_complexity(repo, base, head, paths, cache=cache)
    assert len(cache) == 4
    assert full[0].after is not None and full[0].after.maintainability is not None
    assert quick[0].after is not None and quick[0].after.maintainability is None
    blob = builder.git("rev-parse", f"{head}:a.py").strip()
    assert dataclasses.replace(cache[blob, "a.py", DEFAULT_LIMITS, "all"], maintainability=None,
                               halstead_volume=None, halstead_effort=None, loc=0, sloc=0,
                               comments=0) == cache[blob, "a.py", DEFAULT_LIMITS, "functions"]


def test_the_languages_measured_without_importing_lizard_are_lizards() -> None:
    from analyzers.complexity_lizard import READERS  # noqa: PLC0415
    from analyzers.complexity_types import LIZARD_LANGUAGES  # noqa: PLC0415

    assert frozenset(READERS) == LIZARD_LANGUAGES
