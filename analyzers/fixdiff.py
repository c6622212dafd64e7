"""Parse one streamed `git log -p -U0` over fix commits into the lines each fix deleted."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from analyzers.git import GitRepo, decode_path, split_stream

COMMIT_MARK = b"\x1e"
DIFF_FORMAT = "--format=%x1e%H %P"
HUNK_RE = re.compile(rb"@@ -(\d+)(?:,(\d+))? \+\d+(?:,(\d+))? @@")
# Extended header lines that carry a file mode; submodules (160000) and symbolic links
# (120000) have no lines to blame.
MODE_HEADERS = (b"index ", b"old mode ", b"new mode ", b"new file mode ", b"deleted file mode ")
SPECIAL_MODES = (b" 160000", b" 120000")
C_ESCAPES = {
    ord("a"): 7, ord("b"): 8, ord("t"): 9, ord("n"): 10, ord("v"): 11, ord("f"): 12,
    ord("r"): 13, ord('"'): 34, ord("\\"): 92,
}
# Added lines serve only to recognise moved or reindented deleted lines; a file that adds
# more than this is a rewrite, and matching its first lines is enough.
MAX_ADDED_LINES_KEPT = 20_000


@dataclass(frozen=True, slots=True)
class FileDiff:
    """One file of a fix: its path in the parent, the lines deleted there and the lines added."""

    old_path: str | None
    deleted: tuple[tuple[int, bytes], ...]
    added: tuple[bytes, ...]
    deleted_count: int
    blamable: bool


@dataclass(frozen=True, slots=True)
class FixDiff:
    """A fix commit's parents and its text changes against its first parent."""

    sha: str
    parents: tuple[str, ...]
    files: tuple[FileDiff, ...]
    file_count: int


def fix_diff_args() -> list[str]:
    """Arguments for the -U0 patches of the commits named on standard input, in that order."""
    return ["log", "--no-walk=unsorted", "--stdin", "-p", "-U0", "-M", "--diff-merges=off",
            "--inter-hunk-context=0", "--no-color", "--no-ext-diff", "--no-textconv",
            "--no-relative", "--src-prefix=a/", "--dst-prefix=b/", DIFF_FORMAT]


def iter_fix_diffs(repo: GitRepo, shas: Iterable[str], *, max_files: int,
                   max_deleted_lines: int) -> Iterator[FixDiff]:
    """Stream the diffs of the given commits; lines beyond the bounds are counted, not kept."""
    stdin = "".join(f"{sha}\n" for sha in shas).encode()
    chunks = repo.stream(fix_diff_args(), input_bytes=stdin)
    return parse_fix_diffs(chunks, max_files=max_files, max_deleted_lines=max_deleted_lines)


def unquote_path(label: bytes) -> bytes:
    """The raw bytes of a path as a diff header prints it, C-quoted or not."""
    if not label.startswith(b'"'):
        return label[:-1] if label.endswith(b"\t") else label
    out = bytearray()
    body = label[1:label.rindex(b'"')]
    i = 0
    while i < len(body):
        byte = body[i]
        if byte != ord("\\"):
            out.append(byte)
            i += 1
        elif body[i + 1] in C_ESCAPES:
            out.append(C_ESCAPES[body[i + 1]])
            i += 2
        else:
            out.append(int(body[i + 1:i + 4], 8))
            i += 4
    return bytes(out)


def _marks_unblamable(header: bytes) -> bool:
    """Whether a file header says the file is binary, a submodule or a symbolic link."""
    special_mode = header.startswith(MODE_HEADERS) and header.endswith(SPECIAL_MODES)
    return special_mode or header.startswith(b"Binary files ")


@dataclass
class _FileState:
    old_path: str | None = None
    deleted: list[tuple[int, bytes]] = field(default_factory=list)
    added: list[bytes] = field(default_factory=list)
    deleted_count: int = 0
    blamable: bool = True

    def freeze(self) -> FileDiff:
        return FileDiff(self.old_path, tuple(self.deleted), tuple(self.added),
                        self.deleted_count, self.blamable)


class _FixDiffParser:
    """Line-by-line state machine over the stream; -U0 hunk counts tell content from headers."""

    def __init__(self, max_files: int, max_deleted_lines: int) -> None:
        self.max_files = max_files
        self.max_deleted_lines = max_deleted_lines
        self.header: tuple[str, tuple[str, ...]] | None = None
        self.files: list[FileDiff] = []
        self.file_count = 0
        self.current: _FileState | None = None
        self.old_line = self.old_left = self.new_left = 0

    def feed(self, line: bytes) -> FixDiff | None:
        """Take one line; return the previous commit when this line starts a new one."""
        if self.old_left or self.new_left:
            self._hunk_line(line)
            return None
        if line.startswith(COMMIT_MARK):
            done = self.finish()
            sha, *parents = line[1:].decode().split()
            self.header = (sha, tuple(parents))
            return done
        if line.startswith(b"diff --git "):
            self._start_file()
        elif self.current is not None:
            self._file_header(self.current, line)
        return None

    def finish(self) -> FixDiff | None:
        """The commit being parsed, complete; None before the first commit."""
        self._close_file()
        if self.header is None:
            return None
        sha, parents = self.header
        done = FixDiff(sha, parents, tuple(self.files), self.file_count)
        self.header, self.files, self.file_count = None, [], 0
        return done

    @property
    def _keeping(self) -> bool:
        return self.file_count <= self.max_files

    def _start_file(self) -> None:
        self._close_file()
        self.file_count += 1
        self.current = _FileState()

    def _close_file(self) -> None:
        if self.current is not None and self._keeping:
            self.files.append(self.current.freeze())
        self.current = None

    def _file_header(self, state: _FileState, line: bytes) -> None:
        if line.startswith(b"@@"):
            self._start_hunk(line)
        elif line.startswith(b"--- "):
            label = line[4:]
            if label != b"/dev/null":
                state.old_path = decode_path(unquote_path(label)[2:])
        elif _marks_unblamable(line):
            state.blamable = False

    def _start_hunk(self, line: bytes) -> None:
        match = HUNK_RE.match(line)
        if match is None:
            raise ValueError(f"unexpected hunk header in git log output: {line[:80]!r}")
        old_start, old_count, new_count = match.groups()
        self.old_line = int(old_start)
        self.old_left = 1 if old_count is None else int(old_count)
        self.new_left = 1 if new_count is None else int(new_count)

    def _hunk_line(self, line: bytes) -> None:
        state = self.current
        assert state is not None, "hunk outside a file"
        kind, text = line[:1], line[1:]
        if kind == b"-":
            self._keep_deleted(state, text)
        elif kind == b"+":
            self.new_left -= 1
            if self._keeping and len(state.added) < MAX_ADDED_LINES_KEPT:
                state.added.append(text)
        elif kind == b" ":
            self.old_line += 1
            self.old_left -= 1
            self.new_left -= 1

    def _keep_deleted(self, state: _FileState, text: bytes) -> None:
        state.deleted_count += 1
        if self._keeping and state.deleted_count <= self.max_deleted_lines:
            state.deleted.append((self.old_line, text))
        self.old_line += 1
        self.old_left -= 1


def parse_fix_diffs(chunks: Iterable[bytes], *, max_files: int,
                    max_deleted_lines: int) -> Iterator[FixDiff]:
    """Parse the byte stream of fix_diff_args() into one FixDiff per commit."""
    parser = _FixDiffParser(max_files, max_deleted_lines)
    for line in split_stream(chunks, b"\n"):
        done = parser.feed(line)
        if done is not None:
            yield done
    last = parser.finish()
    if last is not None:
        yield last
