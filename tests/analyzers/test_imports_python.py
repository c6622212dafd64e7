"""Python import parsing (ast, regex fallback, bounds) and resolution to files."""

from __future__ import annotations

import subprocess
import sys

import pytest

from analyzers.imports_python import (
    MAX_PARSE_BYTES,
    PyImport,
    import_leaves,
    parse_python_imports,
    python_roots,
    resolve_python,
)


def parse(text: str) -> list[PyImport]:
    return parse_python_imports(text.encode())


def test_every_import_form_anywhere_in_the_file() -> None:
    source = (
        "import os, a.b as ab\n"
        "from . import sibling\n"
        "from ..pkg.mod import (x,\n    y as z)\n"
        "from m import *\n"
        "try:\n    import fast\nexcept ImportError:\n    import slow\nelse:\n    pass\n"
        "finally:\n    import last\n"
        "def f():\n    if True:\n        from inner import g\n"
        "class C:\n    with open('x'):\n        import in_with\n"
        "match v:\n    case 1:\n        import in_match\n"
        "x = 'import not_me'\n"
    )
    assert parse(source) == [
        PyImport("os", 0, ()), PyImport("a.b", 0, ()), PyImport("", 1, ("sibling",)),
        PyImport("pkg.mod", 2, ("x", "y")), PyImport("m", 0, ("*",)), PyImport("fast", 0, ()),
        PyImport("slow", 0, ()), PyImport("last", 0, ()), PyImport("inner", 0, ("g",)),
        PyImport("in_with", 0, ()), PyImport("in_match", 0, ()),
    ]


def test_python2_falls_back_to_lines() -> None:
    source = ("import os, sys as system\nfrom .util import (a,\n  b)\nfrom .. import c\n"
              "print 'hello'\nexec 'import no'\n")
    assert parse(source) == [
        PyImport("os", 0, ()), PyImport("sys", 0, ()), PyImport("util", 1, ("a", "b")),
        PyImport("", 2, ("c",)),
    ]


def test_syntax_error_non_utf8_binary_and_huge_files() -> None:
    assert parse("import ok\ndef broken(:\n") == [PyImport("ok", 0, ())]
    assert parse_python_imports(b"# \xff\xfe latin\nimport ok\n") == [PyImport("ok", 0, ())]
    assert parse_python_imports(b"import ok\n\0\0") == []
    assert parse_python_imports(b"import ok\n" + b"#" * MAX_PARSE_BYTES) == []


@pytest.mark.parametrize("expression", ["1" + "+1" * 5000, "(" * 5000 + ")" * 5000,
                                        "[" * 5000 + "]" * 5000, "-" * 5000 + "1"])
def test_deeply_nested_expression_does_not_crash(expression: str) -> None:
    code = ("import sys\nfrom analyzers.imports_python import parse_python_imports\n"
            f"print(parse_python_imports(b'import ok\\nx = ' + b'{expression}' + b'\\n'))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "PyImport(module='ok'" in proc.stdout


FILES = {
    "pkg/__init__.py", "pkg/mod.py", "pkg/sub/__init__.py", "pkg/sub/deep.py",
    "src/lib/__init__.py", "src/lib/core.py", "src/ns/part/thing.py",
    "scripts/run.py", "scripts/helper.py", "top.py",
}
ROOTS = python_roots(FILES)


def resolve(spec: PyImport, importer: str) -> list[str]:
    return resolve_python(spec, importer, FILES, ROOTS)


def test_roots_are_conventional_and_parents_of_top_packages() -> None:
    assert ROOTS == ("", "src")
    assert python_roots({"lib/python/foo/__init__.py", "lib/python/foo/bar/__init__.py"}) == (
        "", "src", "lib/python")


@pytest.mark.parametrize(("spec", "importer", "expected"), [
    (PyImport("pkg.mod", 0, ()), "top.py", ["pkg/mod.py"]),
    (PyImport("pkg", 0, ()), "top.py", ["pkg/__init__.py"]),
    (PyImport("pkg.sub", 0, ("deep",)), "top.py", ["pkg/sub/deep.py"]),
    (PyImport("pkg.sub", 0, ("deep", "func")), "top.py",
     ["pkg/sub/deep.py", "pkg/sub/__init__.py"]),
    (PyImport("pkg.mod", 0, ("func",)), "top.py", ["pkg/mod.py"]),
    (PyImport("pkg.mod.attr", 0, ()), "top.py", ["pkg/mod.py"]),
    (PyImport("pkg", 0, ("*",)), "top.py", ["pkg/__init__.py"]),
    (PyImport("lib.core", 0, ()), "top.py", ["src/lib/core.py"]),
    (PyImport("ns.part.thing", 0, ()), "top.py", ["src/ns/part/thing.py"]),
    (PyImport("ns.part", 0, ("thing",)), "top.py", ["src/ns/part/thing.py"]),
    (PyImport("", 1, ("mod",)), "pkg/sub/deep.py", ["pkg/sub/__init__.py"]),
    (PyImport("", 2, ("mod",)), "pkg/sub/deep.py", ["pkg/mod.py"]),
    (PyImport("", 1, ("deep", "x")), "pkg/sub/__init__.py",
     ["pkg/sub/deep.py", "pkg/sub/__init__.py"]),
    (PyImport("sub.deep", 1, ("x",)), "pkg/mod.py", ["pkg/sub/deep.py"]),
    (PyImport("", 1, ("func",)), "pkg/mod.py", ["pkg/__init__.py"]),
    (PyImport("", 3, ("x",)), "pkg/mod.py", []),
    (PyImport("", 5, ("x",)), "pkg/sub/deep.py", []),
    (PyImport("helper", 0, ()), "scripts/run.py", ["scripts/helper.py"]),
    (PyImport("helper", 0, ()), "pkg/mod.py", []),
    (PyImport("numpy", 0, ()), "pkg/mod.py", []),
    (PyImport("os.path", 0, ("join",)), "pkg/mod.py", []),
])
def test_resolution(spec: PyImport, importer: str, expected: list[str]) -> None:
    assert resolve(spec, importer) == expected


def test_leaves_name_every_module_part_and_name() -> None:
    assert import_leaves(PyImport("a.b", 1, ("c", "*"))) == {"a", "b", "c"}
