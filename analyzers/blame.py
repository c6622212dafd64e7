"""Blame chosen lines of one file at one revision with a single `git blame --porcelain`."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from analyzers.git import GitRepo

LINE_HEADER_RE = re.compile(rb"([0-9a-f]{40,64}) (\d+) (\d+)(?: \d+)?")
# Merges behind merges are looked through this many times at most; lines still on an ignored
# merge after that are dropped with the other lines of ignored revisions.
MAX_MERGE_PASSES = 3


@dataclass(frozen=True, slots=True)
class BlameRecord:
    """One blamed line: where it is now, which commit wrote it, and where it was there."""

    final_line: int
    sha: str
    orig_line: int
    content: bytes
    author_time: int
    committer_time: int


def line_ranges(numbers: Iterable[int]) -> list[tuple[int, int]]:
    """Contiguous (first, last) ranges covering the given line numbers."""
    ranges: list[tuple[int, int]] = []
    for number in sorted(set(numbers)):
        if ranges and ranges[-1][1] + 1 == number:
            ranges[-1] = (ranges[-1][0], number)
        else:
            ranges.append((number, number))
    return ranges


def blame_args(revision: str, path: str, numbers: Iterable[int], *, ignore_whitespace: bool,
               ignore_revs_file: Path | None, ignore_revs: Iterable[str] = ()) -> list[str]:
    """Arguments for one porcelain blame of all the given lines of path at revision."""
    args = ["blame", "--porcelain", "--no-textconv", "--ignore-revs-file", ""]
    if ignore_whitespace:
        args.append("-w")
    if ignore_revs_file is not None:
        args += ["--ignore-revs-file", str(ignore_revs_file)]
    for sha in sorted(ignore_revs):
        args += ["--ignore-rev", sha]
    for first, last in line_ranges(numbers):
        args += ["-L", f"{first},{last}"]
    return [*args, revision, "--", path]


def blame_lines(repo: GitRepo, revision: str, path: str, numbers: Sequence[int], *,
                ignore_whitespace: bool, ignore_revs_file: Path | None,
                ignore_revs: Iterable[str] = ()) -> list[BlameRecord]:
    """The commits that last wrote the given lines of path as of revision."""
    args = blame_args(revision, path, numbers, ignore_whitespace=ignore_whitespace,
                      ignore_revs_file=ignore_revs_file, ignore_revs=ignore_revs)
    return parse_porcelain(repo.output(args))


def parse_porcelain(output: bytes) -> list[BlameRecord]:
    """Parse `git blame --porcelain` output into one record per line, in file order."""
    times: dict[str, dict[bytes, int]] = {}
    records: list[BlameRecord] = []
    lines = iter(output.split(b"\n"))
    for header in lines:
        match = LINE_HEADER_RE.fullmatch(header)
        if match is None:
            continue
        sha = match.group(1).decode()
        commit_times = times.setdefault(sha, {})
        content = _read_commit_info(lines, commit_times)
        records.append(BlameRecord(
            final_line=int(match.group(3)), sha=sha, orig_line=int(match.group(2)),
            content=content, author_time=commit_times[b"author-time"],
            committer_time=commit_times[b"committer-time"],
        ))
    return records


def _read_commit_info(lines: Iterable[bytes], commit_times: dict[bytes, int]) -> bytes:
    """Read a line's key-value headers up to its tab-prefixed content; return the content."""
    for line in lines:
        if line.startswith(b"\t"):
            return line[1:]
        key, _, value = line.partition(b" ")
        if key in (b"author-time", b"committer-time"):
            commit_times[key] = int(value)
    raise ValueError("git blame --porcelain output ended inside a line's headers")


@dataclass(frozen=True)
class Blamer:
    """Blames lines through ignored revisions; ignored merges cost extra passes, when needed.

    git reads every revision of an ignore list on every blame (about 1 us each: 6 ms per blame
    with ipython's 6,500 merges), yet a merge is only ever blamed for lines it wrote itself
    (conflict resolutions). So the first pass ignores the other revisions, and only lines that
    land on an ignored merge are blamed again, ignoring the merges they landed on.
    """

    repo: GitRepo
    ignore_whitespace: bool
    ignore_revs_file: Path | None
    ignored_merges: frozenset[str]

    def blame(self, revision: str, path: str, numbers: Sequence[int]) -> list[BlameRecord]:
        """The commits that last wrote the given lines of path, seen through ignored revisions."""
        records = self._blame(revision, path, numbers, ())
        looked_through: set[str] = set()
        for _ in range(MAX_MERGE_PASSES):
            landed = {r.sha for r in records if r.sha in self.ignored_merges} - looked_through
            if not landed:
                break
            looked_through |= landed
            again = self._blame(revision, path, [r.final_line for r in records
                                                 if r.sha in looked_through], looked_through)
            by_line = {record.final_line: record for record in again}
            records = [by_line.get(record.final_line, record) for record in records]
        return records

    def _blame(self, revision: str, path: str, numbers: Sequence[int],
               merges: Iterable[str]) -> list[BlameRecord]:
        return blame_lines(self.repo, revision, path, numbers,
                           ignore_whitespace=self.ignore_whitespace,
                           ignore_revs_file=self.ignore_revs_file, ignore_revs=merges)


@contextmanager
def open_blamer(repo: GitRepo, *, ignore_revs: frozenset[str], ignored_merges: frozenset[str],
                ignore_whitespace: bool) -> Iterator[Blamer]:
    """A Blamer whose list of ignored revisions lives in a temporary file while it is open."""
    others = ignore_revs - ignored_merges
    if not others:
        yield Blamer(repo, ignore_whitespace, None, ignored_merges)
        return
    with tempfile.TemporaryDirectory(prefix="diffrisk-blame-") as folder:
        path = Path(folder) / "ignore-revs"
        path.write_text("".join(f"{sha}\n" for sha in sorted(others)))
        yield Blamer(repo, ignore_whitespace, path, ignored_merges)
