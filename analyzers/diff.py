"""A pull request's diff (merge-base..head) per file, with hunks and the files not to score."""

from __future__ import annotations

import itertools
import re
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field

from analyzers.errors import CorruptRepositoryError, MissingRefError
from analyzers.filekinds import language_of
from analyzers.git import GitRepo, decode_path, split_stream
from analyzers.gitlog import GITLINK_MODE, NULL_SHA
from analyzers.noise import (
    SYMLINK_MODE,
    GitAttributes,
    load_gitattributes,
    noise_reason,
    read_heads,
)

STATUSES = {"A": "added", "M": "modified", "D": "deleted", "R": "renamed", "C": "copied",
            "T": "modified"}
HUNK_RE = re.compile(rb"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
# Hunk line kinds that take a line of each side; an empty line is context that
# diff.suppressBlankEmpty printed without its space.
OLD_SIDE = (b"-", b" ", b"")
NEW_SIDE = (b"+", b" ", b"")


@dataclass(frozen=True)
class Hunk:
    """One hunk: its ranges on both sides and the line numbers it adds and deletes."""

    old_start: int
    old_count: int
    new_start: int
    new_count: int
    added: tuple[int, ...]
    deleted: tuple[int, ...]


@dataclass(frozen=True)
class ChangedFile:
    """One file of the change, and why it is not scored when it is not."""

    path: str
    old_path: str | None
    status: str
    additions: int
    deletions: int
    binary: bool
    language: str | None
    hunks: tuple[Hunk, ...]
    skipped: str | None

    def changed_new_lines(self) -> frozenset[int]:
        """The new-side lines inside the diff's hunks, where a review comment may anchor."""
        return frozenset(line for hunk in self.hunks
                         for line in range(hunk.new_start, hunk.new_start + hunk.new_count))


@dataclass(frozen=True)
class DiffLimits:
    """Bounds on the work one diff may cost; files over them are skipped as too large."""

    max_files: int = 3000
    max_patch_bytes_per_file: int = 1_000_000
    max_hunks_per_file: int = 2000
    max_file_bytes: int = 5_000_000  # git treats bigger blobs as binary and does not diff them


@dataclass(frozen=True)
class ChangeDiff:
    """The files a pull request changes, from the merge-base of base and head to head."""

    base: str
    head: str
    files: tuple[ChangedFile, ...]
    truncated: bool

    def scored(self) -> tuple[ChangedFile, ...]:
        """The files to score."""
        return tuple(changed for changed in self.files if changed.skipped is None)

    def skipped(self) -> tuple[ChangedFile, ...]:
        """The files not scored, each with its reason."""
        return tuple(changed for changed in self.files if changed.skipped is not None)


@dataclass(frozen=True)
class _RawEntry:
    """One `--raw` line: modes, blobs, status letter and paths."""

    old_mode: str
    new_mode: str
    old_blob: str
    new_blob: str
    status: str
    path: str
    old_path: str | None

    @property
    def mode(self) -> str:
        """The mode of the side that exists at head (the old one for a deletion)."""
        return self.old_mode if self.status == "D" else self.new_mode


@dataclass
class _Patch:
    """The parsed patch text of one file, bounded by the limits."""

    limits: DiffLimits
    additions: int = 0
    deletions: int = 0
    binary: bool = False
    too_large: bool = False
    size: int = 0
    hunks: list[Hunk] = field(default_factory=list)
    ranges: tuple[int, int, int, int] = (0, 0, 0, 0)
    added: list[int] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)
    old_line: int = 0
    new_line: int = 0
    old_left: int = 0
    new_left: int = 0

    @property
    def in_hunk(self) -> bool:
        """Whether lines of a hunk are still to come."""
        return self.old_left > 0 or self.new_left > 0

    def feed(self, line: bytes) -> None:
        """Take one line of the file's patch, after its `diff --git` line."""
        self.size += len(line) + 1
        if self.size > self.limits.max_patch_bytes_per_file:
            self._give_up()
        if self.in_hunk:
            self._hunk_line(line)
        elif line.startswith(b"@@ "):
            self._start_hunk(line)
        elif line.startswith(b"Binary files "):
            self.binary = True

    def _give_up(self) -> None:
        self.too_large = True
        self.hunks.clear()

    def _start_hunk(self, line: bytes) -> None:
        match = HUNK_RE.match(line)
        if match is None:
            raise ValueError(f"unexpected hunk header in git diff output: {line[:80]!r}")
        old_start, old_count, new_start, new_count = match.groups()
        self.ranges = (int(old_start), 1 if old_count is None else int(old_count),
                       int(new_start), 1 if new_count is None else int(new_count))
        self.old_line, self.old_left, self.new_line, self.new_left = self.ranges
        self.added, self.deleted = [], []

    def _hunk_line(self, line: bytes) -> None:
        kind = line[:1]
        if kind == b"-":
            self.deletions += 1
            if not self.too_large:
                self.deleted.append(self.old_line)
        elif kind == b"+":
            self.additions += 1
            if not self.too_large:
                self.added.append(self.new_line)
        if kind in OLD_SIDE:
            self.old_line += 1
            self.old_left -= 1
        if kind in NEW_SIDE:
            self.new_line += 1
            self.new_left -= 1
        if not self.in_hunk:
            self._end_hunk()

    def _end_hunk(self) -> None:
        if len(self.hunks) >= self.limits.max_hunks_per_file:
            self._give_up()
        if not self.too_large:
            self.hunks.append(Hunk(*self.ranges, tuple(self.added), tuple(self.deleted)))


def diff_args(base: str, head: str, limits: DiffLimits) -> list[str]:
    """Arguments for one `git diff` of base..head: raw entries, then every file's patch."""
    return ["-c", f"core.bigFileThreshold={limits.max_file_bytes}",
            "diff", "-z", "--raw", "-p", "--no-abbrev", "-M", "-C", "-U3",
            "--inter-hunk-context=0", "--diff-algorithm=myers", "--no-color", "--no-ext-diff",
            "--no-textconv", "--no-relative", "--submodule=short", "--ignore-submodules=none",
            "--src-prefix=a/", "--dst-prefix=b/", base, head, "--"]


def _split_raw(chunks: Iterator[bytes]) -> tuple[list[bytes], Iterator[bytes]]:
    """The NUL-separated `--raw` tokens, and the chunks of patch text after them."""
    tokens: list[bytes] = []
    rest = b""
    for chunk in chunks:
        buffer, start = rest + chunk, 0
        while (end := buffer.find(b"\0", start)) >= 0:
            token, start = buffer[start:end], end + 1
            if not token:  # an empty token ends the raw part
                return tokens, itertools.chain([buffer[start:]], chunks)
            tokens.append(token)
        rest = buffer[start:]
    return tokens, iter(())


def _raw_entries(tokens: list[bytes]) -> list[_RawEntry]:
    """Parse `:old_mode new_mode old_blob new_blob status` tokens and their paths."""
    entries = []
    stream = iter(tokens)
    for meta in stream:
        old_mode, new_mode, old_blob, new_blob, status = meta[1:].decode().split(" ")
        paths = [decode_path(next(stream)) for _ in range(2 if status[0] in "RC" else 1)]
        entries.append(_RawEntry(old_mode, new_mode, old_blob, new_blob, status[0], paths[-1],
                                 paths[0] if len(paths) == 2 else None))
    return entries


def _patches(lines: Iterator[bytes], limits: DiffLimits) -> Iterator[_Patch]:
    """One _Patch per `diff --git` section, in git's order (the order of the raw entries)."""
    current: _Patch | None = None
    for line in lines:
        if line.startswith(b"diff --git "):  # hunk lines start with " ", "+" or "-"
            if current is not None:
                yield current
            current = _Patch(limits)
        elif current is not None:
            current.feed(line)
    if current is not None:
        yield current


def _merge(first: _Patch, second: _Patch) -> _Patch:
    """One patch of a type change, which git prints as a deletion and an addition."""
    first.additions += second.additions
    first.deletions += second.deletions
    first.binary |= second.binary
    first.too_large |= second.too_large
    first.hunks = [] if first.too_large else first.hunks + second.hunks
    return first


def _read_patches(repo: GitRepo, base: str, head: str, limits: DiffLimits,
                  ) -> tuple[list[tuple[_RawEntry, _Patch]], bool]:
    """Stream the diff; pair each kept raw entry with its patch; say if files were cut."""
    chunks = repo.stream(diff_args(base, head, limits))
    try:
        tokens, rest = _split_raw(chunks)
        entries = _raw_entries(tokens)
        patches = _patches(split_stream(rest, b"\n"), limits)
        pairs = []
        for entry in entries[:limits.max_files]:
            patch = next(patches, None)
            if patch is not None and entry.status == "T":
                patch = _merge(patch, next(patches, _Patch(limits)))
            if patch is None:
                raise ValueError(f"git diff output ended before the patch of {entry.path!r}")
            pairs.append((entry, patch))
    finally:
        if isinstance(chunks, Generator):  # stop git when files were cut
            chunks.close()
    return pairs, len(entries) > limits.max_files


def blob_sizes(repo: GitRepo, blobs: Sequence[str]) -> dict[str, int]:
    """The size in bytes of each blob, from one `git cat-file --batch-check`."""
    if not blobs:
        return {}
    answer = repo.output(["cat-file", "--batch-check=%(objectname) %(objectsize)"],
                         input_bytes="".join(f"{blob}\n" for blob in blobs).encode())
    return {name: int(size) for name, size in (line.split() for line in answer.decode()
                                               .splitlines())}


def _mark_big_blobs(repo: GitRepo, pairs: list[tuple[_RawEntry, _Patch]],
                    limits: DiffLimits) -> None:
    """Call too large the files git showed as binary because a side exceeds max_file_bytes."""
    binary = [(entry, patch) for entry, patch in pairs if patch.binary]
    sides = {blob for entry, _ in binary for blob in (entry.old_blob, entry.new_blob)
             if blob != NULL_SHA}
    sizes = blob_sizes(repo, sorted(sides))
    for entry, patch in binary:
        if max(sizes.get(entry.old_blob, 0), sizes.get(entry.new_blob, 0)) > (
                limits.max_file_bytes):
            patch.too_large = True


def _skip_reason(entry: _RawEntry, patch: _Patch, attributes: GitAttributes,
                 head: bytes | None) -> str | None:
    """Why a file is not scored, or None: submodules and links first, then noise, then size."""
    if entry.mode == GITLINK_MODE:
        return "submodule"
    if entry.mode == SYMLINK_MODE:
        return "symlink"
    noise = noise_reason(entry.path, attributes.linguist(entry.path), head)
    if noise is not None:
        return noise
    if patch.too_large:
        return "too large"
    return "binary" if patch.binary else None


def _reads_head(entry: _RawEntry, patch: _Patch) -> bool:
    """Whether the file's new content is text worth sniffing for generated headers."""
    return (entry.status != "D" and not patch.binary
            and entry.new_mode not in (GITLINK_MODE, SYMLINK_MODE))


def merge_base(repo: GitRepo, base: str, head: str) -> str:
    """The commit head branched from base at (git's best common ancestor)."""
    try:
        return repo.output(["merge-base", base, head]).decode().strip()
    except CorruptRepositoryError as error:
        raise MissingRefError(
            f"{base} and {head} share no history: pass a base branch that the head branched "
            "from") from error


def pull_request_diff(repo: GitRepo, base: str, head: str,
                      limits: DiffLimits = DiffLimits()) -> ChangeDiff:
    """The files changed from the merge-base of base and head to head, noise marked skipped."""
    head_sha = repo.resolve(head)
    base_sha = merge_base(repo, repo.resolve(base), head_sha)
    pairs, truncated = _read_patches(repo, base_sha, head_sha, limits)
    _mark_big_blobs(repo, pairs, limits)
    # Attributes come from the base, as all configuration does: a pull request must not be
    # able to mark its own code as generated or vendored to keep it from being scored.
    attributes = load_gitattributes(repo, base_sha, (entry.path for entry, _ in pairs))
    heads = read_heads(repo, [entry.new_blob for entry, patch in pairs
                              if _reads_head(entry, patch)])
    files = tuple(
        ChangedFile(
            path=entry.path, old_path=entry.old_path, status=STATUSES[entry.status],
            additions=patch.additions, deletions=patch.deletions, binary=patch.binary,
            language=language_of(entry.path), hunks=tuple(patch.hunks),
            skipped=_skip_reason(entry, patch, attributes, heads.get(entry.new_blob)))
        for entry, patch in pairs)
    return ChangeDiff(base_sha, head_sha, files, truncated)
