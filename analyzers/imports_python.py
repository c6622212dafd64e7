"""Python imports: parse them from source (bounded `ast`, regex fallback) and resolve to files."""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Collection, Iterable, Iterator, Set
from typing import NamedTuple

# Files above this size are not parsed: their node stays, without imports.
MAX_PARSE_BYTES = 1 << 20
INIT = "__init__.py"
# Source roots tried for every absolute import besides the parents of top-level packages.
CONVENTIONAL_ROOTS = ("", "src")
# Line-based fallback for files `ast` refuses (Python 2, syntax errors, too deep).
FROM_LINE = re.compile(r"^[ \t]*from[ \t]+(\.*)[ \t]*([\w.]*)[ \t]+import[ \t]+"
                       r"(\([^()]*\)|[^\n#;]*)", re.MULTILINE)
IMPORT_LINE = re.compile(r"^[ \t]*import[ \t]+([\w. \t,]+)", re.MULTILINE)
NAME = re.compile(r"[\w.]+|\*")
# Statements that hold other statements: the only ones the walk descends into.
COMPOUND_STATEMENTS = (
    ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For,
    ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try, ast.TryStar, ast.ExceptHandler,
    ast.Match, ast.match_case,
)


class PyImport(NamedTuple):
    """One imported module: `import a.b` is ("a.b", 0, ()); `from ..a import b` is
    ("a", 2, ("b",)); `from a import *` is ("a", 0, ("*",))."""

    module: str
    level: int
    names: tuple[str, ...]


def parse_python_imports(content: bytes) -> list[PyImport]:
    """The imports of a Python file anywhere in it (functions, try blocks); [] if binary/huge."""
    if len(content) > MAX_PARSE_BYTES or b"\0" in content[:8000] or b"import" not in content:
        return []
    text = content.decode("utf-8", "replace")
    try:
        tree = ast.parse(text)
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return _regex_imports(text)
    return list(_ast_imports(tree))


def _ast_imports(tree: ast.Module) -> Iterator[PyImport]:
    """Walk statements only (imports are statements), iteratively, so depth cannot recurse."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import):
            yield from (PyImport(alias.name, 0, ()) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names = tuple(alias.name for alias in node.names)
            yield PyImport(node.module or "", node.level, names)
        else:
            stack.extend(reversed(list(_child_statements(node))))


def _child_statements(node: ast.AST) -> Iterator[ast.AST]:
    if not isinstance(node, COMPOUND_STATEMENTS):
        return
    for field in ("body", "handlers", "orelse", "finalbody", "cases"):
        children = getattr(node, field, None)
        if isinstance(children, list):
            yield from (child for child in children if isinstance(child, ast.AST))


def _regex_imports(text: str) -> list[PyImport]:
    found: list[tuple[int, PyImport]] = []
    for match in IMPORT_LINE.finditer(text):
        for part in match.group(1).split(","):
            words = part.split()
            if words and NAME.fullmatch(words[0]):
                found.append((match.start(), PyImport(words[0], 0, ())))
    for match in FROM_LINE.finditer(text):
        dots, module, rest = match.groups()
        names = tuple(words[0] for part in rest.strip("()").split(",")
                      if (words := part.split()) and NAME.fullmatch(words[0]))
        if names and (module or dots):
            found.append((match.start(), PyImport(module, len(dots), names)))
    return [spec for _, spec in sorted(found, key=lambda item: item[0])]


def python_roots(paths: Iterable[str]) -> tuple[str, ...]:
    """Folders an absolute import starts from: "", src/, and the parent of every top package."""
    inits = {posixpath.dirname(path) for path in paths if posixpath.basename(path) == INIT}
    tops = {posixpath.dirname(folder) for folder in inits
            if folder and posixpath.dirname(folder) not in inits}
    extra = sorted(tops - set(CONVENTIONAL_ROOTS))
    return (*CONVENTIONAL_ROOTS, *extra)


def import_leaves(spec: PyImport) -> set[str]:
    """Last path parts of every file that could resolve the import, besides __init__.py."""
    return {*spec.module.split("."), *spec.names} - {"", "*"}


def file_leaves(path: str) -> set[str]:
    """The last part of the module's dotted name, as import_leaves names it."""
    if posixpath.basename(path) == INIT:
        return {posixpath.basename(posixpath.dirname(path))}
    return {posixpath.splitext(posixpath.basename(path))[0]}


def resolve_python(spec: PyImport, importer: str, files: Collection[str],
                   roots: tuple[str, ...]) -> list[str]:
    """Files in the repository that the import loads: submodules named, else the module itself;
    [] when it is third-party or goes above the repository's top."""
    if spec.level:
        base = _relative_base(importer, spec.level)
        if base is None:
            return []
        bases = [base]
    else:
        bases = list(_search_folders(importer, files, roots))
    for folder in bases:
        found = _resolve_in(folder, spec, files)
        if found:
            return found
    return []


def _relative_base(importer: str, level: int) -> str | None:
    folder = posixpath.dirname(importer)
    for _ in range(level - 1):
        if not folder:
            return None
        folder = posixpath.dirname(folder)
    return folder


def _search_folders(importer: str, files: Set[str] | Collection[str],
                    roots: tuple[str, ...]) -> Iterator[str]:
    """sys.path as it would be: the roots, then a script's own folder (outside packages)."""
    yield from roots
    folder = posixpath.dirname(importer)
    if folder not in roots and posixpath.join(folder, INIT) not in files:
        yield folder


def _resolve_in(folder: str, spec: PyImport, files: Collection[str]) -> list[str]:
    parts = spec.module.split(".") if spec.module else []
    names = [name for name in spec.names if name != "*"]
    found = [sub for name in names if (sub := _module_file(folder, [*parts, name], files))]
    if len(found) < len(spec.names) or not spec.names:
        found.extend(_enclosing_module(folder, parts, spec.level > 0, files))
    return found


def _enclosing_module(folder: str, parts: list[str], relative: bool,
                      files: Collection[str]) -> list[str]:
    """The module itself, else its nearest package that exists (a relative import may end at
    the importer's own package)."""
    for size in range(len(parts), -1 if relative else 0, -1):
        found = _module_file(folder, parts[:size], files)
        if found:
            return [found]
    return []


def _module_file(folder: str, parts: list[str], files: Collection[str]) -> str | None:
    stem = "/".join([folder, *parts] if folder else parts)
    if parts and f"{stem}.py" in files:
        return f"{stem}.py"
    init = f"{stem}/{INIT}" if stem else INIT
    return init if init in files else None
