"""Parse one streamed `git log -z --raw --numstat` into commits with their file changes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from analyzers.git import GitRepo, decode_path, split_stream

COMMIT_MARK = b"\x1e"
# Header fields, each NUL-terminated: sha, parents, author name, author email (mailmap),
# author date as "<unix> <tz>", committer unix time, raw message.
LOG_FORMAT = "--format=%x1e%H%x00%P%x00%aN%x00%aE%x00%ad%x00%ct%x00%B%x00"
NULL_SHA = "0" * 40
GITLINK_MODE = "160000"
MAX_MESSAGE_CHARS = 8192


@dataclass(frozen=True, slots=True)
class RawFileChange:
    """One file of a commit as git reports it, before any history is applied."""

    path: str
    old_path: str | None
    status: str
    added: int
    deleted: int
    binary: bool
    old_blob: str
    new_blob: str
    old_mode: str
    new_mode: str

    @property
    def is_submodule(self) -> bool:
        """Whether the entry is a submodule (gitlink) rather than a file."""
        return GITLINK_MODE in (self.old_mode, self.new_mode)


@dataclass(frozen=True, slots=True)
class RawCommit:
    """One commit of the log with its diff against its first parent (none for merges)."""

    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    author_time: int
    author_tz_minutes: int
    commit_time: int
    message: str
    files: tuple[RawFileChange, ...]

    @property
    def is_merge(self) -> bool:
        """Whether the commit has more than one parent."""
        return len(self.parents) > 1


def log_args(revisions: Iterable[str], exclude: Iterable[str] = ()) -> list[str]:
    """Arguments for the oldest-first log of revisions, minus what exclude reaches."""
    args = ["log", "-z", "--raw", "--no-abbrev", "--numstat", "-M", "--reverse",
            "--topo-order", "--date=raw", "--no-color", "--no-ext-diff", "--no-textconv",
            LOG_FORMAT, *revisions]
    excluded = list(exclude)
    if excluded:
        args += ["--not", *excluded]
    return [*args, "--"]


def iter_log(repo: GitRepo, revisions: Iterable[str], exclude: Iterable[str] = ()) -> Iterator[
    RawCommit
]:
    """Stream the commits reachable from revisions (not from exclude), oldest first."""
    return parse_log(repo.stream(log_args(revisions, exclude)))


def _timezone_minutes(tz: str) -> int:
    sign = -1 if tz.startswith("-") else 1
    digits = tz.lstrip("+-").rjust(4, "0")
    return sign * (int(digits[:2]) * 60 + int(digits[2:4]))


RawEntry = tuple[list[str], str, str | None]  # raw fields, path, old path


def _raw_entries(pending: bytes | None, tokens: Iterator[bytes],
                 ) -> tuple[list[RawEntry], bytes | None]:
    """The `--raw` entries of one commit, and the token after them."""
    entries: list[RawEntry] = []
    while pending is not None and not pending.startswith(COMMIT_MARK) and (
            pending.lstrip(b"\n").startswith(b":")):
        fields = pending.lstrip(b"\n")[1:].decode().split(" ")
        first = decode_path(next(tokens))
        if fields[4][0] in "RC":
            entries.append((fields, decode_path(next(tokens)), first))
        else:
            entries.append((fields, first, None))
        pending = next(tokens, None)
    return entries, pending


def _file_changes(entries: list[RawEntry], pending: bytes | None, tokens: Iterator[bytes],
                  ) -> tuple[list[RawFileChange], bytes | None]:
    """Pair each raw entry with its `--numstat` entry (same order, one each)."""
    files = []
    for fields, path, old_path in entries:
        if pending is None:
            raise ValueError(f"git log output ended before the line counts of {path!r}")
        added, deleted, tail = pending.lstrip(b"\n").split(b"\t", 2)
        if not tail:  # a rename: its two paths follow as tokens of their own
            next(tokens)
            next(tokens)
        binary = added == b"-"
        files.append(RawFileChange(
            path=path, old_path=old_path, status=fields[4][0],
            added=0 if binary else int(added), deleted=0 if binary else int(deleted),
            binary=binary, old_blob=fields[2], new_blob=fields[3],
            old_mode=fields[0], new_mode=fields[1]))
        pending = next(tokens, None)
    return files, pending


def _commit(header: list[bytes], files: list[RawFileChange]) -> RawCommit:
    sha, parents, name, email, date, ctime, message = header
    when, tz = date.decode().split(" ")
    return RawCommit(
        sha=sha[1:].decode(),
        parents=tuple(parents.decode().split()),
        author_name=name.decode("utf-8", "replace"),
        author_email=email.decode("utf-8", "replace"),
        author_time=int(when),
        author_tz_minutes=_timezone_minutes(tz),
        commit_time=int(ctime),
        message=message.decode("utf-8", "replace")[:MAX_MESSAGE_CHARS],
        files=tuple(files),
    )


def parse_log(chunks: Iterable[bytes]) -> Iterator[RawCommit]:
    """Parse the byte stream of log_args() into RawCommit records."""
    tokens = split_stream(chunks, b"\0")
    pending: bytes | None = next(tokens, None)
    while pending is not None:
        if not pending.startswith(COMMIT_MARK):
            raise ValueError(f"unexpected git log output near {pending[:60]!r}")
        header = [pending, *(next(tokens) for _ in range(6))]
        pending = next(tokens, None)  # the -z commit terminator, then the diff
        if pending == b"":
            pending = next(tokens, None)
        entries, pending = _raw_entries(pending, tokens)
        files, pending = _file_changes(entries, pending, tokens)
        yield _commit(header, files)
        while pending in {b"", b"\n"}:
            pending = next(tokens, None)


def range_as_commit(repo: GitRepo, base: str, head: str) -> RawCommit:
    """The change base..head as one commit: head's author, times and message, base as its only
    parent, and the diff of the two trees; how a pull request is scored (as if squashed)."""
    header = split_stream(repo.stream(["log", "-1", "-z", "--no-color", "--date=raw",
                                       LOG_FORMAT, head, "--"]), b"\0")
    fields = [next(header) for _ in range(7)]
    tokens = split_stream(repo.stream(["diff", "-z", "--raw", "--no-abbrev", "--numstat", "-M",
                                       "--no-color", "--no-ext-diff", "--no-textconv", base,
                                       head, "--"]), b"\0")
    entries, pending = _raw_entries(next(tokens, None), tokens)
    files, _ = _file_changes(entries, pending, tokens)
    return replace(_commit(fields, files), parents=(base,))
