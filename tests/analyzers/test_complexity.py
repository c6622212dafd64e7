"""Complexity before and after a change: values checked by hand, hostile input, built repos."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap

import pytest
from radon.metrics import h_visit, mi_visit
from radon.raw import analyze

from analyzers.complexity import (
    DEFAULT_LIMITS,
    ComplexityCache,
    ComplexityLimits,
    FileComplexity,
    change_complexity,
    complexity_delta,
    describe_changes,
    measure_source,
    nesting_depth,
)
from analyzers.complexity_python import raw_counts
from analyzers.git import GitRepo
from tests.gitbuild import RepoBuilder


def source(text: str) -> bytes:
    return textwrap.dedent(text).lstrip("\n").encode()


def cyclomatic(path: str, text: str) -> dict[str, int]:
    measured = measure_source(path, source(text))
    assert measured.skipped is None
    return {function.name: function.cyclomatic for function in measured.functions}


PYTHON_BRANCHES = """
    def plain(a):
        with open(a) as f:
            return lambda: f
    def if_elif(a, b):
        if a:
            return 1
        elif b:
            return 2
        else:
            return 3
    def loop_else(items):
        for item in items:
            if item:
                break
        else:
            return 0
        while items:
            items.pop()
    def boolean(a, b, c, d):
        return a and b and c or d
    def handlers(a):
        try:
            a()
        except ValueError:
            pass
        except KeyError:
            pass
        else:
            pass
        finally:
            pass
    def comprehensions(a, b):
        assert a
        return [x for x in a if x if b], {y: 1 for y in a for _ in b}, (1 if a else 2)
"""


def test_python_cyclomatic_follows_radon_rules() -> None:
    # with and lambda add nothing; elif is an if; else of an if adds nothing; a loop else
    # adds one; `and`/`or` add one per operand beyond the first of each operator; each except
    # and a try's else add one; a comprehension adds one per for and one per if; assert and
    # a ternary add one each.
    assert cyclomatic("m.py", PYTHON_BRANCHES) == {
        "plain": 1, "if_elif": 3, "loop_else": 5, "boolean": 4, "handlers": 4,
        "comprehensions": 1 + 1 + 1 + 2 + 2 + 1,
    }


def test_python_names_are_qualified_and_closures_count_apart() -> None:
    text = """
        class Parser:
            def parse(self, data, *rest, strict=False, **options):
                def step(x):
                    return x if x else None
                if data:
                    return step
            class Header:
                async def read(self):
                    return 1
        def top():
            pass
    """
    measured = measure_source("p.py", source(text))
    rows = [(f.name, f.cyclomatic, f.start_line, f.end_line, f.parameters, f.nloc, f.length)
            for f in measured.functions]
    assert rows == [
        ("Parser.parse", 2, 2, 6, 5, 5, 5),
        ("Parser.parse.step", 2, 3, 4, 1, 2, 2),
        ("Parser.Header.read", 1, 8, 9, 1, 2, 2),
        ("top", 1, 10, 11, 0, 2, 2),
    ]
    assert measured.cyclomatic_max == 2
    assert measured.cyclomatic_avg == pytest.approx(6 / 4)


RAW_SAMPLE = '''
    """Module docstring
    on two lines."""
    import os  # trailing comment

    # a comment line
    X = {
        "a": 1,  # inside a literal

        "b": 2,
    }
    if X: print(X); print(1)
    y = 1 + \\
        2
    def f(a):
        """One line."""
        return a
'''


def test_python_file_measures_equal_radon() -> None:
    text = textwrap.dedent(RAW_SAMPLE).lstrip("\n")
    measured = measure_source("r.py", text.encode())
    raw = analyze(text)
    assert dataclasses.astuple(raw_counts(text)) == tuple(raw)
    assert (measured.loc, measured.sloc, measured.comments) == (raw.loc, raw.sloc, raw.comments)
    assert measured.maintainability == pytest.approx(mi_visit(text, True))
    halstead = h_visit(text).total
    assert measured.halstead_volume == pytest.approx(halstead.volume)
    assert measured.halstead_effort == pytest.approx(halstead.effort)


def test_long_literal_is_counted_in_linear_time() -> None:
    # radon.raw.analyze re-tokenizes a statement for each of its lines: minutes for this one.
    text = "X = [\n" + "    1,\n" * 19_000 + "]\n"
    measured = measure_source("table.py", text.encode())
    assert (measured.skipped, measured.loc, measured.sloc) == (None, 19_002, 19_002)


LIZARD_CASES = [
    ("a.c", """
        int f(int a, int b) {
          // comment
          if (a && b) { return 1; }
          for (int i = 0; i < a; i++) { if (i) b++; }
          return a ? b : 0;
        }
     """, [("f", 6, 2)]),
    ("server.go", """
        package main

        func (s *Server) Handle(a int, b string) error {
            if a > 0 && b != "" {
                return nil
            }
            switch a {
            case 1:
                return nil
            case 2:
                return nil
            }
            return nil
        }
     """, [("Handle", 5, 2)]),
    ("Foo.java", """
        public class Foo {
          public int bar(int a, String b) {
            try { if (a > 1) { return 1; } } catch (Exception e) { return 2; }
            while (a < 3) a++;
            return 0;
          }
          public Foo() {}
        }
     """, [("Foo.bar", 4, 2), ("Foo.Foo", 1, 0)]),
    ("app.js", """
        function pick(a, b, c) {
          if (a || b) { return b; }
          return a ? b : c;
        }
     """, [("pick", 4, 3)]),
]


@pytest.mark.parametrize(("path", "text", "expected"), LIZARD_CASES)
def test_lizard_languages(path: str, text: str, expected: list[tuple[str, int, int]]) -> None:
    measured = measure_source(path, source(text))
    assert measured.skipped is None and measured.maintainability is None
    assert [(f.name, f.cyclomatic, f.parameters) for f in measured.functions] == expected


def test_lizard_line_counts() -> None:
    measured = measure_source("a.c", source(LIZARD_CASES[0][1]))
    assert (measured.loc, measured.sloc, measured.comments) == (6, 5, 1)
    assert [(f.start_line, f.end_line, f.nloc, f.length) for f in measured.functions] == [
        (1, 6, 5, 6)]


def test_python_2_falls_back_to_lizard() -> None:
    measured = measure_source("old.py", b"def f(x):\n    print 'hi'\n    if x:\n        return 1\n")
    assert measured.skipped is None and measured.maintainability is None
    assert [(f.name, f.cyclomatic) for f in measured.functions] == [("f", 2)]


def test_undecodable_bytes_are_replaced() -> None:
    measured = measure_source("latin.py", b"def f():\n    return '\xe9t\xe9'  # \xff\n")
    assert measured.skipped is None and [f.name for f in measured.functions] == ["f"]


@pytest.mark.parametrize(("path", "content", "reason"), [
    ("README.md", b"# title\n", "no complexity analyzer for Markdown"),
    ("LICENSE", b"MIT\n", "no complexity analyzer for this file type"),
    ("logo.c", b"\x89PNG\r\n\x1a\n\0\0\0", "binary file"),
    ("big.py", b"x = 1\n" * 200_000, "larger than 1,000,000 bytes"),
    ("generated.py", b"x = 1\n" * 50_000, "more than 20,000 lines"),
    ("deep.py", b"x = " + b"(" * 5000 + b"1" + b")" * 5000 + b"\n", "nested deeper than 100"),
    ("deep.js", b"f(" + b"[" * 150 + b"]" * 150 + b");\n", "nested deeper than 100"),
    ("indent.rb", b"if a\n" + b" " * 1000 + b"b\nend\n", "nested deeper than 100"),
    ("chain.py", b"x = " + b"1 + " * 5000 + b"1\n", "could not be parsed (RecursionError)"),
])
def test_hostile_input_is_skipped_with_a_reason(path: str, content: bytes, reason: str) -> None:
    measured = measure_source(path, content)
    assert measured.skipped is not None and measured.skipped.startswith(reason)
    assert measured.functions == ()


def test_nesting_depth_estimate() -> None:
    assert nesting_depth(b"f(a[1], {2: (3)})\n") == 3
    assert nesting_depth(b"if a:\n\tif b:\n            c\n") == 3
    assert nesting_depth(b"") == 0


def test_brackets_left_open_in_strings_do_not_add_up() -> None:
    text = b"".join(b'print("(%d")\n' % line for line in range(500))
    assert nesting_depth(text) == 1
    assert measure_source("strings.py", text).skipped is None


DEEP_UNBOUNDED = """
import sys
from analyzers.complexity import ComplexityLimits, measure_source
limits = ComplexityLimits(max_depth=10**9)
for path, text in [("p.py", b"x = " + b"(" * 5000 + b"1" + b")" * 5000),
                   ("q.py", b"x = " + b"-" * 100000 + b"1"),
                   ("r.js", b"f(" + b"[" * 5000 + b"]" * 5000 + b")"),
                   ("s.c", b"int f() {" + b"{" * 5000 + b"}" * 5000 + b"}")]:
    print(path, measure_source(path, text, limits).skipped)
"""


def test_deep_nesting_past_the_bound_does_not_crash_the_interpreter() -> None:
    # In a child process, so that a stack overflow would show as a signal, not kill pytest.
    proc = subprocess.run([sys.executable, "-c", DEEP_UNBOUNDED], capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 4


BEFORE = """
    def parse_header(line):
        if not line:
            return None
        name, _, value = line.partition(":")
        return name, value
    def gone(a):
        return a or None
    def same(a):
        return a
    def twice(a):
        return a
    def twice(a):
        return a
"""
AFTER = """
    def parse_header(line):
        if not line:
            return None
        if ":" not in line:
            raise ValueError(line)
        name, _, value = line.partition(":")
        if name and value or name.startswith("x-"):
            return name.strip(), value.strip()
        return None
    def same(a):
        return a
    def fresh(a):
        return [x for x in a if x]
    def twice(a):
        return a
    def twice(a):
        return a if a else None
"""


def test_delta_matches_functions_by_name_and_order() -> None:
    delta = complexity_delta("http.py", source(BEFORE), source(AFTER))
    assert [(f.name, f.before, f.after) for f in delta.functions] == [
        ("parse_header", 2, 6), ("fresh", None, 3), ("twice#2", 1, 2), ("gone", 2, None)]
    assert delta.before is not None and delta.after is not None
    assert delta.after.maintainability is not None


def test_added_and_deleted_files_and_skipped_sides() -> None:
    added = complexity_delta("n.py", None, source(AFTER))
    assert added.before is None and len(added.functions) == 5
    deleted = complexity_delta("n.py", source(BEFORE), None)
    assert deleted.after is None and {f.after for f in deleted.functions} == {None}
    now_binary = complexity_delta("n.py", source(BEFORE), b"\0\0")
    assert now_binary.functions == ()


def test_describe_changes_says_the_largest_first_with_numbers() -> None:
    delta = complexity_delta("http.py", source(BEFORE), source(AFTER))
    # A maintainability drop of 7 points ranks like 3.5 more branches.
    assert describe_changes([delta], limit=10) == [
        "parse_header: complexity 2 → 6 (http.py)",
        "maintainability 68 → 61 (http.py)",
        "fresh: new, complexity 3 (http.py)",
        "gone: removed, complexity was 2 (http.py)",
        "twice#2: complexity 1 → 2 (http.py)",
    ]
    assert describe_changes([delta], limit=1) == ["parse_header: complexity 2 → 6 (http.py)"]
    assert describe_changes([]) == []


def test_change_complexity_reads_both_sides_of_a_built_repo(builder: RepoBuilder) -> None:
    builder.write("http.py", source(BEFORE))
    builder.write("old.py", b"def old(a):\n    return a and a\n")
    builder.write("lib/util.js", b"function u(a) { return a ? 1 : 2; }\n")
    builder.write("README.md", "# x\n")
    base = builder.commit("Start")
    builder.write("http.py", source(AFTER))
    builder.delete("old.py")
    builder.move("lib/util.js", "src/util.js")
    builder.write("src/util.js", b"function u(a) { return a && a.b ? 1 : 2; }\n")
    builder.write("cmd/main.go", b"package main\n\nfunc main() {\n\tif true {\n\t}\n}\n")
    builder.write("README.md", "# y\n")
    head = builder.commit("Change")
    paths: list[tuple[str | None, str | None]] = [
        ("http.py", "http.py"), ("old.py", None), ("lib/util.js", "src/util.js"),
        (None, "cmd/main.go"), ("README.md", "README.md"), ("nowhere.py", "nowhere.py")]
    deltas = change_complexity(GitRepo(builder.path), base, head, paths)
    by_path = {delta.path: delta for delta in deltas}
    assert [delta.path for delta in deltas] == [
        "http.py", "old.py", "src/util.js", "cmd/main.go", "README.md", "nowhere.py"]
    assert by_path["http.py"] == complexity_delta("http.py", source(BEFORE), source(AFTER))
    assert [(f.name, f.before, f.after) for f in by_path["old.py"].functions] == [
        ("old", 2, None)]
    util = by_path["src/util.js"]
    assert util.before is not None and util.before.path == "lib/util.js"
    assert [(f.name, f.before, f.after) for f in util.functions] == [("u", 2, 3)]
    assert [(f.name, f.before, f.after) for f in by_path["cmd/main.go"].functions] == [
        ("main", None, 2)]
    readme = by_path["README.md"]
    assert isinstance(readme.after, FileComplexity) and readme.after.skipped is not None
    missing = by_path["nowhere.py"].before
    assert missing is not None and missing.skipped is not None
    assert missing.skipped.startswith("no file at")


def test_change_complexity_bounds_large_blobs(builder: RepoBuilder) -> None:
    builder.write("small.py", b"def f():\n    pass\n")
    base = builder.commit("Start")
    builder.write("small.py", b"def f():\n    pass\n" + b"# padding\n" * 2000)
    builder.write("after.py", b"def g():\n    pass\n")
    head = builder.commit("Grow")
    limits = ComplexityLimits(max_bytes=1000)
    deltas = change_complexity(GitRepo(builder.path), base, head,
                               [("small.py", "small.py"), (None, "after.py")], limits)
    grown = deltas[0].after
    assert grown is not None and grown.skipped == "larger than 1,000 bytes"
    assert deltas[1].after is not None and [f.name for f in deltas[1].after.functions] == ["g"]


def test_change_complexity_measures_each_blob_once_with_a_cache(builder: RepoBuilder) -> None:
    builder.write("a.py", b"def f(x):\n    return x or 1\n")
    base = builder.commit("Start")
    builder.write("a.py", b"def f(x):\n    return x or 1 or 2\n")
    head = builder.commit("More")
    repo, paths = GitRepo(builder.path), [("a.py", "a.py")]
    cache: ComplexityCache = {}
    first = change_complexity(repo, base, head, paths, cache=cache)
    assert len(cache) == 2
    assert change_complexity(repo, base, head, paths, cache=cache) == first
    blob = builder.git("rev-parse", f"{base}:a.py").strip()
    marked = dataclasses.replace(cache[blob, "a.py", DEFAULT_LIMITS, "all"], loc=-1)
    cache[blob, "a.py", DEFAULT_LIMITS, "all"] = marked
    assert change_complexity(repo, base, head, paths, cache=cache)[0].before == marked
