"""Why a changed file is noise (generated, vendored, lock file, minified), not code to score."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from analyzers.fixdiff import unquote_path
from analyzers.git import GitRepo, decode_path, encode_path, missing_blob, read_blobs

ATTRIBUTES_FILE = ".gitattributes"
SYMLINK_MODE = "120000"
LOCK_FILES = frozenset({
    "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb",
    "poetry.lock", "Pipfile.lock", "pdm.lock", "uv.lock", "Cargo.lock", "go.sum",
    "Gemfile.lock", "composer.lock", "Podfile.lock", "mix.lock", "flake.lock",
    "packages.lock.json", "gradle.lockfile",
})
VENDORED_FOLDERS = re.compile(
    r"(^|/)(vendors?|third[-_]?party|3rd[-_]?party|node_modules|bower_components)/", re.I)
MINIFIED_NAME = re.compile(r"[.-]min\.(js|mjs|cjs|css)$", re.I)
MINIFIABLE = frozenset({".js", ".mjs", ".cjs", ".css"})
# Linguist calls a script minified when its lines average more than 110 characters.
MINIFIED_LINE_LENGTH = 110
GENERATED_HEADERS = (
    re.compile(rb"(?i)\bgenerated\b[^\n]*\bdo not (edit|modify)\b"),
    re.compile(rb"(?m)^\W{0,8}@generated\b"),
)
# Bytes of a file's new content read to recognise generated and minified files, and the
# most of a .gitattributes file read.
HEAD_BYTES = 2048
ATTRIBUTES_BYTES = 100_000
# Requests written to cat-file before reading answers: stays below a pipe's 64 KiB buffer.
REQUESTS_PER_WRITE = 1000
DRAIN_CHUNK = 1 << 16
LINGUIST = ("linguist-generated", "linguist-vendored")
WILDCARDS = {"*": "[^/]*", "?": "[^/]"}


@dataclass(frozen=True)
class Linguist:
    """The linguist attributes of a path: True set, False unset, None unspecified."""

    generated: bool | None = None
    vendored: bool | None = None


@dataclass(frozen=True)
class AttributeRule:
    """One pattern line of a .gitattributes file and the linguist values it assigns."""

    folder: str
    pattern: re.Pattern[str]
    anchored: bool
    values: tuple[tuple[str, bool | None], ...]

    def matches(self, path: str) -> bool:
        """Whether the rule applies to a path relative to the repository root."""
        if self.folder:
            if not path.startswith(self.folder + "/"):
                return False
            path = path[len(self.folder) + 1:]
        subject = path if self.anchored else posixpath.basename(path)
        return self.pattern.fullmatch(subject) is not None


@dataclass(frozen=True)
class GitAttributes:
    """The linguist rules of a tree's .gitattributes files, shallowest folder first."""

    rules: tuple[AttributeRule, ...] = ()

    def linguist(self, path: str) -> Linguist:
        """The linguist attributes of a path; later and deeper rules override earlier ones."""
        found: dict[str, bool | None] = {}
        for rule in self.rules:
            if rule.matches(path):
                found.update(rule.values)
        return Linguist(found.get(LINGUIST[0]), found.get(LINGUIST[1]))


def _char_class(pattern: str, start: int) -> tuple[str, int] | None:
    """The regex of a `[...]` class at start and the index after it; None if unclosed."""
    negated = pattern[start + 1:start + 2] in ("!", "^")
    first = start + 1 + negated  # a `]` right after `[` or `[!` is a member, not the end
    end = pattern.find("]", first + 1)
    if end < 0:
        return None
    body = re.sub(r"([\\\[\]])", r"\\\1", pattern[first:end])
    return "[" + "^/" * negated + body + "]", end + 1


def glob_regex(pattern: str) -> re.Pattern[str]:
    """Compile a gitignore-style glob: `*` and `?` stay within a folder, `**` crosses them."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        at_folder = i == 0 or pattern[i - 1] == "/"
        if at_folder and pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif at_folder and pattern[i:] == "**":
            out.append(".*")
            i += 2
        elif pattern[i] == "[" and (found := _char_class(pattern, i)) is not None:
            out.append(found[0])
            i = found[1]
        elif pattern[i] == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(WILDCARDS.get(pattern[i], re.escape(pattern[i])))
            i += 1
    return re.compile("".join(out), re.DOTALL)


def _value(token: str) -> tuple[str, bool | None]:
    """An attribute token as (name, value): `x` True, `-x` or `x=false` False, `!x` None."""
    if token.startswith("-"):
        return token[1:], False
    if token.startswith("!"):
        return token[1:], None
    name, _, value = token.partition("=")
    return name, value.lower() != "false" if value else True


def _split_pattern(line: str) -> tuple[str, str]:
    """A line's pattern (C-unquoted when quoted) and the attribute text after it."""
    if line.startswith('"'):
        end = 1
        while end < len(line) and line[end] != '"':
            end += 2 if line[end] == "\\" else 1
        raw = unquote_path(encode_path(line[:end + 1]))
        return decode_path(raw), line[end + 1:]
    pattern, *rest = line.split(None, 1)
    return pattern, "".join(rest)


def parse_gitattributes(folder: str, text: str) -> tuple[AttributeRule, ...]:
    """The rules of one .gitattributes file (in folder) that set linguist attributes."""
    rules = []
    for raw_line in text.splitlines():
        line = raw_line.strip(" \t\r")
        if not line or line.startswith(("#", "[attr]", "!")):
            continue
        pattern, rest = _split_pattern(line)
        values = tuple(v for v in map(_value, rest.split()) if v[0] in LINGUIST)
        if not values or not pattern or pattern.endswith("/"):
            continue  # folder-only patterns never apply to the files inside in gitattributes
        anchored = "/" in pattern
        rules.append(AttributeRule(folder, glob_regex(pattern.removeprefix("/")), anchored,
                                   values))
    return tuple(rules)


def attribute_folders(paths: Iterable[str]) -> list[str]:
    """Every folder whose .gitattributes could apply to one of paths, root first."""
    folders = {""}
    for path in paths:
        parts = path.split("/")[:-1]
        folders.update("/".join(parts[:depth]) for depth in range(1, len(parts) + 1))
    return sorted(folders, key=lambda folder: (folder.count("/") + bool(folder), folder))


def load_gitattributes(repo: GitRepo, commit: str, paths: Iterable[str]) -> GitAttributes:
    """The linguist rules that apply to paths, read from the commit's tree (no work tree)."""
    folders = attribute_folders(paths)
    names = [posixpath.join(folder, ATTRIBUTES_FILE) for folder in folders]
    listing = repo.output(["--literal-pathspecs", "ls-tree", "-z", "--full-tree", commit,
                           "--", *names])
    blobs: dict[str, str] = {}
    for entry in filter(None, listing.split(b"\0")):
        meta, _, name = entry.partition(b"\t")
        mode, kind, blob = meta.decode().split(" ")
        if kind == "blob" and mode != SYMLINK_MODE:  # git ignores symlinked attribute files
            blobs[posixpath.dirname(decode_path(name))] = blob
    texts = read_heads(repo, list(blobs.values()), ATTRIBUTES_BYTES)
    rules: list[AttributeRule] = []
    for folder in folders:
        if folder in blobs:
            rules.extend(parse_gitattributes(folder, decode_path(texts[blobs[folder]])))
    return GitAttributes(tuple(rules))


def read_heads(repo: GitRepo, blobs: Sequence[str], size: int = HEAD_BYTES) -> dict[str, bytes]:
    """The first size bytes of each blob, from one batched `git cat-file --batch`."""
    heads = {}
    for sha, found in read_blobs(repo, blobs, size).items():
        if found is None:
            raise missing_blob(repo, sha)
        heads[sha] = found.content
    return heads


def is_minified(path: str, head: bytes | None) -> bool:
    """A `.min.js`-style name, or a script or stylesheet whose first lines are very long."""
    if MINIFIED_NAME.search(path):
        return True
    if head is None or posixpath.splitext(path)[1].lower() not in MINIFIABLE:
        return False
    lines = head.count(b"\n") + (0 if head.endswith(b"\n") else 1)
    return len(head) > lines * MINIFIED_LINE_LENGTH


def has_generated_header(head: bytes | None) -> bool:
    """Whether a file's first bytes say it is generated ("Code generated ... DO NOT EDIT")."""
    return head is not None and any(regex.search(head) for regex in GENERATED_HEADERS)


def noise_reason(path: str, linguist: Linguist, head: bytes | None) -> str | None:
    """Why a file (head: its first bytes, if any) is noise: vendored, generated, lock file..."""
    if linguist.vendored or (linguist.vendored is None and VENDORED_FOLDERS.search(path)):
        return "vendored"
    if linguist.generated is not None:
        return "generated" if linguist.generated else None
    if posixpath.basename(path) in LOCK_FILES:
        return "lock file"
    if is_minified(path, head):
        return "minified"
    if has_generated_header(head):
        return "generated"
    return None
