"""Measure Python with radon: cyclomatic complexity per function, maintainability, Halstead
(or the functions alone, for callers that read only complexity: counted by
analyzers.cyclomatic, which gives radon's numbers in one pass over the tree).

The source is parsed once (ast.parse raises SyntaxError, ValueError or RecursionError, which the
caller handles) and radon's visitors run on that one tree. A function's cyclomatic complexity is
radon's: 1, plus 1 for each if, elif, ternary, for, while, loop else, except handler, try else,
assert and match case, for each `and`/`or` operand beyond the first, and for each comprehension
`for` and its `if`s; closures count on their own, not in the enclosing function.
Maintainability is radon's `mi_visit(code, multi=True)`.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

import radon
from radon.metrics import h_visit_ast, mi_compute
from radon.visitors import ComplexityVisitor

from analyzers.complexity_types import FileComplexity, FunctionComplexity, file_complexity
from analyzers.cyclomatic import FunctionNode, function_complexities

RADON_VERSION = str(radon.__version__)
LINE_ENDS = (tokenize.NEWLINE, tokenize.NL)
NOT_SEEN_BY_RADON = (tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING, tokenize.ENDMARKER)
BRACKET_DEPTH = {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}


@dataclass(frozen=True)
class RawCounts:
    """radon's raw metrics: lines, logical lines, code lines, comments, docstring lines."""

    loc: int
    lloc: int
    sloc: int
    comments: int
    multi: int
    blank: int
    single_comments: int


def measure_with_radon(path: str, text: str) -> FileComplexity:
    """Functions, maintainability, Halstead and raw line counts of Python source."""
    tree = ast.parse(text)
    visitor = ComplexityVisitor.from_ast(tree)
    halstead = h_visit_ast(tree).total
    raw = raw_counts(text)
    comment_percent = (raw.comments + raw.multi) / raw.sloc * 100 if raw.sloc else 0.0
    maintainability = mi_compute(halstead.volume, visitor.total_complexity, raw.lloc,
                                 comment_percent)
    return file_complexity(path, "Python", _functions(tree, visitor, text), loc=raw.loc,
                           sloc=raw.sloc, comments=raw.comments,
                           maintainability=float(maintainability),
                           halstead=(float(halstead.volume), float(halstead.effort)))


def measure_python_functions(path: str, text: str) -> FileComplexity:
    """The functions of Python source only (what measure_with_radon gives them, the file's
    cyclomatic average and maximum): no maintainability, Halstead or line counts (None, 0),
    which take over half the time and which a caller reading only complexity does not need.
    The complexities are counted by analyzers.cyclomatic, radon's rules in one pass."""
    code_before = _code_lines_before(text)
    return file_complexity(path, "Python",
                           (_function(name, complexity, node, code_before)
                            for name, node, complexity in function_complexities(ast.parse(text))),
                           loc=0, sloc=0, comments=0)


def _functions(tree: ast.Module, visitor: Any, text: str) -> Iterator[FunctionComplexity]:
    """Every function radon's visitor found, with its definition's lines and parameters."""
    nodes = {(node.lineno, node.col_offset): node for node in _function_nodes(tree.body)}
    code_before = _code_lines_before(text)
    return (_function(name, int(block.complexity), nodes[block.lineno, block.col_offset],
                      code_before)
            for name, block in _named_blocks(visitor))


def _code_lines_before(text: str) -> list[int]:
    """Per line number n, how many of the lines before it are neither blank nor a comment."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")  # as Python counts
    return list(accumulate((_is_code(line) for line in lines), initial=0))


def _function_nodes(statements: list[ast.stmt]) -> Iterator[FunctionNode]:
    """Every function definition, visiting statements only (expressions hold none)."""
    pending = list(statements)
    while pending:
        node = pending.pop()
        if isinstance(node, FunctionNode):
            yield node
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            pending.extend(getattr(node, field, ()))


def _is_code(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _named_blocks(visitor: Any) -> Iterator[tuple[str, Any]]:
    """radon's function blocks with qualified names: f, f.inner, Class.method, Outer.Inner.m."""
    for function in visitor.functions:
        yield from _with_closures("", function)
    for cls in visitor.classes:
        yield from _class_methods("", cls)


def _class_methods(prefix: str, cls: Any) -> Iterator[tuple[str, Any]]:
    name = f"{prefix}{cls.name}."
    for method in cls.methods:
        yield from _with_closures(name, method)
    for inner in cls.inner_classes:
        yield from _class_methods(name, inner)


def _with_closures(prefix: str, function: Any) -> Iterator[tuple[str, Any]]:
    name = f"{prefix}{function.name}"
    yield name, function
    for closure in function.closures:
        yield from _with_closures(f"{name}.", closure)


def _function(name: str, complexity: int, node: FunctionNode,
              code_before: list[int]) -> FunctionComplexity:
    """One function; nloc counts its lines that are neither blank nor only a comment."""
    start, end = node.lineno, node.end_lineno or node.lineno
    arguments = node.args
    parameters = (len(arguments.posonlyargs) + len(arguments.args) + len(arguments.kwonlyargs)
                  + (arguments.vararg is not None) + (arguments.kwarg is not None))
    return FunctionComplexity(name=name, start_line=start, end_line=end,
                              cyclomatic=complexity,
                              nloc=code_before[end] - code_before[start - 1],
                              parameters=parameters, length=end - start + 1)


def raw_counts(text: str) -> RawCounts:
    """The counts of radon.raw.analyze from one tokenize pass (radon re-tokenizes a growing
    buffer for every line of a multi-line statement: quadratic, minutes for a long literal)."""
    rows = [line.strip() for line in text.split("\n")]
    lloc = sloc = comments = multi = blank = single_comments = 0
    for group in _line_groups(text):
        filled = sum(1 for row in rows[group[0].start[0] - 1:group[-1].start[0]] if row)
        lines = group[-1].start[0] - group[0].start[0] + 1
        code = [token for token in group if token.type not in LINE_ENDS]
        comments += sum(token.type == tokenize.COMMENT for token in code)
        lloc += _logical_lines(code)
        alone = code[0].type if len(code) == 1 else None  # a comment or docstring line?
        if alone == tokenize.COMMENT or (alone == tokenize.STRING and lines == 1):
            single_comments += 1
        elif alone == tokenize.STRING:
            multi, blank = multi + filled, blank + lines - filled
        else:
            sloc, blank = sloc + filled, blank + lines - filled
    return RawCounts(loc=sloc + blank + multi + single_comments, lloc=lloc, sloc=sloc,
                     comments=comments, multi=multi, blank=blank,
                     single_comments=single_comments)


def _line_groups(text: str) -> Iterator[list[tokenize.TokenInfo]]:
    """The tokens of each logical line, blank line or comment-only line, as radon groups them."""
    group: list[tokenize.TokenInfo] = []
    depth = 0
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        kind = token.type
        if kind in NOT_SEEN_BY_RADON:
            continue
        group.append(token)
        if kind == tokenize.OP:
            depth += BRACKET_DEPTH.get(token.string, 0)
        elif kind == tokenize.NEWLINE or (kind == tokenize.NL and depth <= 0):
            yield group
            group = []
    if group:
        yield group


def _logical_lines(code: list[tokenize.TokenInfo]) -> int:
    """radon's logical lines of a group without its line ends: one per `;`-separated
    statement, two when a compound statement has its body on the same line (`if x: return`)."""
    parts: list[list[str | None]] = [[]]
    for token in code:
        if token.type == tokenize.OP and token.string == ";":
            parts.append([])
        elif token.type != tokenize.COMMENT:
            parts[-1].append(token.string if token.type == tokenize.OP else "")
    parts[-1].append(None)  # radon's last part ends with the ENDMARKER token
    logical = 0
    for part in parts:
        if ":" in part:
            last_colon = len(part) - 1 - part[::-1].index(":")
            logical += 2 - (last_colon == len(part) - 2)
        else:
            logical += any(item is not None for item in part)
    return logical
