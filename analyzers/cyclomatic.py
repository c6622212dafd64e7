"""Cyclomatic complexity of Python functions by radon's rules, in one pass over the parsed tree:
about a third of the time of radon's ComplexityVisitor, which starts a new visitor for every
statement of every body.

The rules are radon's (6.x), quirks included, so the numbers are the same:

- a function counts 1, plus, anywhere in its body outside nested definitions: 1 per `if`,
  `elif` and ternary; 1 per `for`, `async for` and `while`, and 1 more when the loop has an
  `else`; per `try`, 1 per `except` handler and 1 for an `else` (a `try` with `except*` handlers
  counts nothing, though its body does); per `match`, 1 per case, less one when some case is a
  bare capture (`case _:`, `case x:`); 1 per comprehension `for` and 1 per its `if`; each
  `and`/`or` operand beyond the first; 1 per `assert`, whose condition and message are not
  looked into. `with`, `lambda` and `case` guards count nothing themselves (what is in a lambda
  or a guard counts in the enclosing function).
- a nested function is a closure, measured on its own and reported as `outer.inner`; a class in
  a function is not measured at all. Decorators, default values and annotations of a definition
  count nowhere, and neither do a class's bases and keywords.
- functions defined in a class body (also under an `if` or `try` there) are its methods
  (`Class.method`), classes there its inner classes (`Outer.Inner.method`); at module level,
  anything under statements (`if TYPE_CHECKING:`, `try:`) is top-level.

The walk is iterative, so a deeply nested expression that `ast.parse` accepts is measured where
radon's recursive visitor would exceed Python's recursion limit.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
# What a function adds for a node of a kind, beyond what is inside the node.
_Rule = Callable[[ast.AST], int]
FIELDS_WITHOUT_NODES = frozenset({"ctx"})  # Load/Store/Del: never a decision


def _loop(node: ast.AST) -> int:
    return 1 + bool(node.orelse)  # type: ignore[attr-defined]


def _try(node: ast.AST) -> int:
    return len(node.handlers) + bool(node.orelse)  # type: ignore[attr-defined]


def _match(node: ast.AST) -> int:
    cases: list[ast.match_case] = node.cases  # type: ignore[attr-defined]
    catch_all = any(isinstance(case.pattern, ast.MatchAs) and case.pattern.pattern is None
                    for case in cases)
    return len(cases) - catch_all  # a match has a case: never below 0


RULES: dict[type[ast.AST], _Rule] = {
    ast.If: lambda node: 1,
    ast.IfExp: lambda node: 1,
    ast.For: _loop,
    ast.AsyncFor: _loop,
    ast.While: _loop,
    ast.Try: _try,
    ast.Match: _match,
    ast.BoolOp: lambda node: len(node.values) - 1,  # type: ignore[attr-defined]
    ast.comprehension: lambda node: 1 + len(node.ifs),  # type: ignore[attr-defined]
}
_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}  # per kind: the fields to look into


def function_complexities(tree: ast.Module) -> list[tuple[str, FunctionNode, int]]:
    """Every function radon reports, as (qualified name, definition, cyclomatic complexity)."""
    found: list[tuple[str, FunctionNode, int]] = []
    for name, node in _definitions(tree.body, ""):
        if isinstance(node, ast.ClassDef):
            _measure_class(f"{name}.", node, found)
        else:
            _measure_function(name, node, found)
    return found


def _measure_class(prefix: str, cls: ast.ClassDef,
                   found: list[tuple[str, FunctionNode, int]]) -> None:
    """The methods of a class (closures included), then those of its inner classes."""
    for name, node in _definitions(cls.body, prefix):
        if isinstance(node, ast.ClassDef):
            _measure_class(f"{name}.", node, found)
        else:
            _measure_function(name, node, found)


def _measure_function(name: str, function: FunctionNode,
                      found: list[tuple[str, FunctionNode, int]]) -> None:
    """A function, then its closures (each measured apart, as `name.closure`)."""
    points, closures = _decisions(function.body)
    found.append((name, function, 1 + points))
    for closure in closures:
        _measure_function(f"{name}.{closure.name}", closure, found)


def _definitions(statements: list[ast.stmt],
                 prefix: str) -> Iterator[tuple[str, FunctionNode | ast.ClassDef]]:
    """The functions and classes defined in a module or class body, also under its compound
    statements, with the prefix before their names; not those inside them."""
    pending: list[ast.AST] = list(reversed(statements))
    while pending:
        node = pending.pop()
        if isinstance(node, FunctionNode | ast.ClassDef):
            yield f"{prefix}{node.name}", node
            continue
        for field in ("cases", "finalbody", "orelse", "handlers", "body"):  # popped last first
            pending.extend(reversed(getattr(node, field, ())))


def _decisions(statements: list[ast.stmt]) -> tuple[int, list[FunctionNode]]:
    """The decision points in a function body outside nested definitions, and the functions
    defined in it (classes defined in it are left out, as radon leaves them)."""
    points = 0
    closures: list[FunctionNode] = []
    pending: list[ast.AST] = list(reversed(statements))
    while pending:
        node = pending.pop()
        kind = type(node)
        if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
            closures.append(node)  # type: ignore[arg-type]
            continue
        if kind is ast.ClassDef:
            continue
        if kind is ast.Assert:
            points += 1
            continue
        rule = RULES.get(kind)
        if rule is not None:
            points += rule(node)
        _push_children(node, kind, pending)
    return points, closures


def _push_children(node: ast.AST, kind: type[ast.AST], pending: list[ast.AST]) -> None:
    """Push a node's child nodes (order does not matter: only counts are kept)."""
    fields = _FIELDS.get(kind)
    if fields is None:
        fields = _FIELDS[kind] = tuple(f for f in kind._fields if f not in FIELDS_WITHOUT_NODES)
    for field in fields:
        value = getattr(node, field, None)
        if isinstance(value, list):
            pending.extend(item for item in value if isinstance(item, ast.AST))
        elif isinstance(value, ast.AST):
            pending.append(value)
