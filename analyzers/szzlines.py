"""Tell the deleted lines of a fix that change code from blank, comment and cosmetic ones."""

from __future__ import annotations

import functools
import posixpath
import re
from collections import Counter
from collections.abc import Iterable

HASH = (b"#",)
SLASHES = (b"//", b"/*")
BLOCK_COMMENT = (b"/*",)
DASHES = (b"--",)
SEMICOLON = (b";",)
PERCENT = (b"%",)
# Line-comment markers by file extension; a language missing here gets no comment
# filter (blank and cosmetic lines are still recognised).
COMMENT_MARKERS: dict[str, tuple[bytes, ...]] = {
    **dict.fromkeys([".py", ".pyi", ".pyx", ".pxd", ".sh", ".bash", ".zsh", ".rb", ".pl",
                     ".pm", ".r", ".yaml", ".yml", ".toml", ".cfg", ".conf", ".cmake", ".jl",
                     ".nim", ".coffee", ".tcl", ".ex", ".exs", ".ps1", ".mk"], HASH),
    **dict.fromkeys([".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".hh", ".java", ".js", ".jsx",
                     ".mjs", ".cjs", ".ts", ".tsx", ".go", ".rs", ".swift", ".kt", ".kts",
                     ".scala", ".cs", ".dart", ".groovy", ".proto", ".scss", ".less", ".m",
                     ".mm"], SLASHES),
    ".css": BLOCK_COMMENT,
    ".php": (*SLASHES, *HASH),
    **dict.fromkeys([".sql", ".lua", ".hs", ".elm", ".ada"], DASHES),
    **dict.fromkeys([".lisp", ".clj", ".el", ".scm", ".asm", ".ini"], SEMICOLON),
    **dict.fromkeys([".tex", ".erl"], PERCENT),
}
COMMENT_MARKERS_BY_NAME = {"makefile": HASH, "dockerfile": HASH, "cmakelists.txt": HASH}
# Files that tools write: nobody's commit "induced" their lines, and blaming them is slow
# (ipython's style.min.css alone took a tenth of the whole history's blame time).
GENERATED_SUFFIXES = (".min.js", ".min.css", ".js.map", ".css.map", ".lock", ".pyc")
GENERATED_NAMES = {"package-lock.json", "yarn.lock", "poetry.lock", "pnpm-lock.yaml",
                   "cargo.lock", "composer.lock", "gemfile.lock"}
# Lines opening a Python docstring are documentation, like comments.
DOCSTRING_OPENERS = (b'"""', b"'''", b'r"""', b"r'''")
STRING_QUOTES = (b'"', b"'", b"`")
# Inner lines of a /* ... */ block: " * text", " *" and " */".
BLOCK_COMMENT_INNER = (b"* ", b"*/")


def is_generated(path: str) -> bool:
    """Whether a file name says a tool wrote it (minified, source maps, lock files)."""
    name = posixpath.basename(path).lower()
    return name.endswith(GENERATED_SUFFIXES) or name in GENERATED_NAMES


def comment_markers(path: str) -> tuple[bytes, ...]:
    """The markers that start a comment in the language of path (none when unknown)."""
    name = posixpath.basename(path).lower()
    if name in COMMENT_MARKERS_BY_NAME:
        return COMMENT_MARKERS_BY_NAME[name]
    return COMMENT_MARKERS.get(posixpath.splitext(name)[1], ())


def is_blank(text: bytes) -> bool:
    """Whether a line holds only whitespace."""
    return not text.strip()


def is_comment_only(text: bytes, markers: tuple[bytes, ...]) -> bool:
    """Whether a non-blank line holds only a comment (or opens a Python docstring)."""
    stripped = text.strip()
    if HASH[0] in markers and stripped.startswith(DOCSTRING_OPENERS):
        return True
    return bool(stripped) and not code_key(text, markers)


def code_key(text: bytes, markers: tuple[bytes, ...]) -> bytes:
    """The code of a line without its trailing comment and without any whitespace."""
    return b"".join(_strip_comment(text, markers).split())


def _strip_comment(text: bytes, markers: tuple[bytes, ...]) -> bytes:
    """The line up to the first comment marker found outside a string literal."""
    if BLOCK_COMMENT[0] in markers and _inside_block_comment(text):
        return b""
    if not markers:
        return text
    for match in _comment_scanner(markers).finditer(text):
        if match.lastgroup == "comment":
            return text[:match.start()]
    return text


@functools.cache
def _comment_scanner(markers: tuple[bytes, ...]) -> re.Pattern[bytes]:
    """Matches string literals (closed or running to the line's end) and comment markers."""
    strings = b"|".join(rb"%s(?:\\.|[^%s\\])*(?:%s|$)" % (q, q, q) for q in STRING_QUOTES)
    comment = b"|".join(re.escape(marker) for marker in markers)
    return re.compile(rb"(?P<string>%s)|(?P<comment>%s)" % (strings, comment), re.DOTALL)


def _inside_block_comment(text: bytes) -> bool:
    stripped = text.strip()
    return stripped == b"*" or stripped.startswith(BLOCK_COMMENT_INNER)


def cosmetic_lines(deleted: Iterable[tuple[int, bytes]], added: Iterable[bytes],
                   markers: tuple[bytes, ...]) -> set[int]:
    """Deleted line numbers whose code the same file re-adds: moved, reindented or re-commented."""
    available = Counter(code_key(text, markers) for text in added)
    moved: set[int] = set()
    for number, text in deleted:
        key = code_key(text, markers)
        if key and available[key] > 0:
            available[key] -= 1
            moved.add(number)
    return moved
