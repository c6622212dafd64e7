"""analyzers.cyclomatic gives radon's cyclomatic complexity, function for function: on checked-in
snippets of every rule and quirk, on this repository, and on every Python file of the flask
mirror at its tip (when the mirror is on this machine)."""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from radon.visitors import ComplexityVisitor

from analyzers.cyclomatic import function_complexities
from analyzers.git import GitRepo, read_blobs

ROOT = Path(__file__).resolve().parents[2]
FLASK_MIRROR = Path("/work/.mirror/pallets+flask/repo")
Measured = list[tuple[str, int, int]]

SNIPPETS = {
    "branches": """
        def f(a, b):
            if a:
                return 1
            elif b:
                return 2
            elif a and b or not a:
                return 3
            else:
                x = 1 if a else (2 if b else 3)
            while a:
                break
            else:
                pass
            for i in b:
                continue
            async def g():
                async for i in a:
                    pass
                else:
                    pass
                async with a as b, b:
                    await b
            return x
        """,
    "handlers": """
        def f():
            try:
                pass
            except ValueError:
                pass
            except (KeyError, IndexError) as error:
                pass
            else:
                pass
            finally:
                pass
            try:
                pass
            finally:
                pass
            try:
                if a: pass
            except* OSError:
                if b: pass
            except* ValueError:
                pass
        """,
    "comprehensions": """
        def f(xs):
            a = [x for x in xs if x if not x]
            b = {x: y for x in xs for y in x if y}
            c = {x for x in xs}
            d = list(x async for x in xs if x and x or x)
            e = (lambda q=(1 if xs else 2): q if q else [z for z in q])
            return a, b, c, d, e
        """,
    "asserts": """
        def f(a, b):
            assert a
            assert a and b or (a if b else b), [x for x in a if x]
            return lambda: a or b
        """,
    "match": """
        def f(p):
            match p:
                case 1 | 2:
                    pass
                case [x, *rest] if x and rest:
                    pass
                case {"k": v}:
                    pass
                case _:
                    pass
        def g(p):
            match p:
                case y:
                    pass
        def h(p):
            match p:
                case _:
                    pass
            match p:
                case (1 as one) | (2 as one):
                    pass
                case Point(x=0) as pt:
                    pass
            match p:
                case [_, _] if p:
                    pass
        """,
    "closures and classes": """
        import sys
        @decorate(a and b, 1 if c else 2)
        def outer(a=lambda: b if c else d, *, k: int = x or y) -> (p if q else r):
            @decorate(a and b)
            def inner(x=(1 if a else 2)):
                def innermost():
                    return x if x else a
                return [y for y in x]
            class Local:
                def method(self):
                    if self: return 1
            if a:
                def conditional():
                    return a or b
            return inner
        class Outer(Base if sys else object, metaclass=Meta):
            attribute = [x for x in range(3) if x]
            if sys.version_info > (3,):
                def method(self, a):
                    while a: a -= 1
                    def helper():
                        return a and self
                    return helper
            else:
                def method(self, a):
                    return a
            try:
                def guarded(self): return self or 1
            except ImportError:
                pass
            class Inner:
                def deep(self):
                    for x in self: pass
                class Innermost:
                    def deepest(self):
                        return 1 if self else 0
            async def coroutine(self):
                return [x async for x in self]
        if sys.platform == "win32":
            def platform():
                return 1
        else:
            def platform():
                return 2
        try:
            from fast import thing
        except ImportError:
            def thing(a):
                return a and a
        with context():
            def in_with(): return 1 if a else 2
        match sys.argv:
            case [_, "x"]:
                def in_case(): return a or b
        for _ in ():
            def in_loop(): pass
        """,
    "statements": """
        def f(d):
            global counter
            nonlocal_value = {**d, "a": 1 if d else 2}
            del d[0]
            raise ValueError(f"{d if d else 0!r:>{1 if d else 2}}") from (d or None)
        def g():
            x = 1
            def h():
                nonlocal x
                x = (y := x) if x else y
            yield from (i for i in range(x) if i)
        def empty(): ...
        """,
}


def radon_functions(tree: ast.Module) -> Measured:
    """Every function block radon reports: (qualified name, line, complexity), sorted."""
    visitor = ComplexityVisitor.from_ast(tree)
    found = [found for function in visitor.functions for found in _closures("", function)]
    found += [found for cls in visitor.classes for found in _methods("", cls)]
    return sorted(found, key=lambda item: (item[1], item[0]))


def _methods(prefix: str, cls: Any) -> Iterator[tuple[str, int, int]]:
    for method in cls.methods:
        yield from _closures(f"{prefix}{cls.name}.", method)
    for inner in cls.inner_classes:
        yield from _methods(f"{prefix}{cls.name}.", inner)


def _closures(prefix: str, function: Any) -> Iterator[tuple[str, int, int]]:
    yield f"{prefix}{function.name}", function.lineno, function.complexity
    for closure in function.closures:
        yield from _closures(f"{prefix}{function.name}.", closure)


def counted(tree: ast.Module) -> Measured:
    """What analyzers.cyclomatic reports, in the same form."""
    return sorted(((name, node.lineno, complexity)
                   for name, node, complexity in function_complexities(tree)),
                  key=lambda item: (item[1], item[0]))


def assert_same_as_radon(text: str, where: str) -> int:
    """Compare on one source text (skipped when it does not parse); how many functions."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return 0
    expected = radon_functions(tree)
    assert counted(tree) == expected, where
    return len(expected)


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_snippets_count_as_radon_counts(name: str) -> None:
    assert assert_same_as_radon(textwrap.dedent(SNIPPETS[name]), name) > 0


def test_the_rules_give_the_expected_numbers() -> None:
    def complexities(name: str) -> dict[str, int]:
        tree = ast.parse(textwrap.dedent(SNIPPETS[name]))
        return {found: complexity for found, _, complexity in counted(tree)}

    # if, 2 elif, and+or, 2 ternaries, while+else, for; then g: async for+else
    assert complexities("branches") == {"f": 1 + 3 + 2 + 2 + 2 + 1, "f.g": 1 + 2}
    assert complexities("handlers") == {"f": 1 + 2 + 1 + 2}  # except*: only the ifs in it
    assert complexities("match") == {"f": 1 + 3 + 1, "g": 1, "h": 1 + 0 + 2 + 1}
    closures = complexities("closures and classes")
    # outer: the `if`; inner: its comprehension (neither decorator nor defaults count)
    assert closures["outer"] == 2 and closures["outer.inner"] == 2
    assert closures["outer.inner.innermost"] == 2 and "Local.method" not in closures
    assert closures["Outer.Inner.Innermost.deepest"] == 2 and closures["Outer.guarded"] == 2
    assert complexities("asserts") == {"f": 1 + 2 + 1}


def test_expressions_too_deep_for_radon_are_counted() -> None:
    tree = ast.parse("def f(a):\n    return " + "a + " * 2000 + "(1 if a else 2)\n")
    with pytest.raises(RecursionError):
        ComplexityVisitor.from_ast(tree)
    assert counted(tree) == [("f", 1, 2)]


def test_this_repository_counts_as_radon_counts() -> None:
    files = sorted(p for folder in ("analyzers", "app", "models", "tests", "benchmarks",
                                    "workers", "webhooks")
                   for p in (ROOT / folder).rglob("*.py"))
    assert len(files) > 100
    assert sum(assert_same_as_radon(p.read_text(encoding="utf-8"), str(p))
               for p in files) > 1000


@pytest.mark.skipif(not FLASK_MIRROR.is_dir(), reason="no flask mirror on this machine")
def test_the_flask_mirror_counts_as_radon_counts() -> None:
    repo = GitRepo(FLASK_MIRROR)
    listing = repo.output(["ls-tree", "-r", "-z", "--name-only", "HEAD"]).decode()
    names = [f"HEAD:{path}" for path in listing.split("\0") if path.endswith(".py")]
    assert len(names) > 50
    blobs = read_blobs(repo, names, 10_000_000)
    measured = sum(assert_same_as_radon(blob.content.decode("utf-8-sig", "replace"), name)
                   for name, blob in blobs.items() if blob is not None)
    assert measured > 500
