"""SZZ: find the commits that induced the bugs later fixed, by blaming what each fix changed."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TypeVar

from analyzers.batching import batched
from analyzers.blame import Blamer, BlameRecord, open_blamer
from analyzers.errors import MissingRefError
from analyzers.fixdiff import FileDiff, FixDiff, iter_fix_diffs
from analyzers.git import GitRepo
from analyzers.szzlines import (
    comment_markers,
    cosmetic_lines,
    is_blank,
    is_comment_only,
    is_generated,
)

T = TypeVar("T")
R = TypeVar("R")
# Blame jobs queued ahead of the one being consumed, per worker: keeps both workers busy
# while the fix diffs stream in, without holding the whole history in memory.
QUEUED_JOBS_PER_WORKER = 4
# The file where projects list their formatting commits for `git blame` (full shas only).
BLAME_IGNORE_FILE = ".git-blame-ignore-revs"
FULL_SHA_RE = re.compile(rb"[0-9a-f]{40}|[0-9a-f]{64}")
# Blamed files whose candidates are checked for merges with one git process.
MERGE_CHECK_BATCH = 32


@dataclass(frozen=True)
class FixCommit:
    """A bug-fix commit (sha full or abbreviated), its commit time and its bug's report time."""

    sha: str
    commit_time: int
    report_time: int | None = None


@dataclass(frozen=True)
class BlamedLine:
    """A line a fix deleted or changed, and where the inducing commit wrote it."""

    fix_line: int
    inducing_line: int
    content: str


@dataclass(frozen=True)
class SzzLink:
    """A fix → bug-inducing commit link for one file, with the lines behind it."""

    fix_sha: str
    inducing_sha: str
    path: str
    lines: tuple[BlamedLine, ...]
    known_at: int


@dataclass(frozen=True)
class SzzOptions:
    """Which refinements of plain SZZ apply, which revisions blame looks through, and bounds."""

    # Refinements: lines and files not blamed, blame -w, candidates after the bug report.
    skip_blank_lines: bool = True
    skip_comment_lines: bool = True
    skip_cosmetic_changes: bool = True
    skip_generated_files: bool = True
    ignore_whitespace: bool = True
    respect_report_time: bool = True
    # Revisions blame looks through (select_ignored_revisions, declared_ignored_revisions).
    ignore_revs: frozenset[str] = field(default_factory=frozenset)
    workers: int = 2
    # Bounds: fixes touching more files and files with more deleted lines are not blamed,
    # nor lines longer than max_line_bytes (minified or generated text).
    max_fix_files: int = 100
    max_deleted_lines: int = 500
    max_line_bytes: int = 1000

    def __post_init__(self) -> None:
        for name in ("workers", "max_fix_files", "max_deleted_lines", "max_line_bytes"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise TypeError(f"SzzOptions.{name} must be a positive integer, got {value!r}")
        if isinstance(self.ignore_revs, str):
            raise TypeError("SzzOptions.ignore_revs must be a set of shas, not one string")

    @classmethod
    def plain(cls, workers: int = 2, max_fix_files: int = 100, max_deleted_lines: int = 500,
              max_line_bytes: int = 1000) -> SzzOptions:
        """Plain SZZ (the baseline): every refinement off, only the input bounds kept."""
        return cls(skip_blank_lines=False, skip_comment_lines=False,
                   skip_cosmetic_changes=False, skip_generated_files=False,
                   ignore_whitespace=False, respect_report_time=False, workers=workers,
                   max_fix_files=max_fix_files, max_deleted_lines=max_deleted_lines,
                   max_line_bytes=max_line_bytes)


@dataclass(frozen=True)
class _BlameJob:
    fix: FixCommit
    parent: str
    path: str
    lines: tuple[int, ...]


DEFAULT_OPTIONS = SzzOptions()


def select_ignored_revisions(commits: Iterable[tuple[str, int, int, bool]],
                             max_files: int = 100, max_lines: int = 5000,
                             include_merges: bool = True) -> frozenset[str]:
    """Revisions blame must look through: merges and huge (mechanical) commits."""
    return frozenset(
        sha for sha, files, lines, is_merge in commits
        if (is_merge and include_merges) or files > max_files or lines > max_lines
    )


def declared_ignored_revisions(repo: GitRepo, revision: str = "HEAD") -> frozenset[str]:
    """The formatting commits a project lists in its .git-blame-ignore-revs at revision."""
    listed = repo.output(["ls-tree", "--name-only", revision, "--", BLAME_IGNORE_FILE])
    if not listed.strip():
        return frozenset()
    text = repo.output(["cat-file", "blob", f"{revision}:{BLAME_IGNORE_FILE}"])
    words = (line.split(b"#", 1)[0].strip() for line in text.splitlines())
    return frozenset(word.decode() for word in words if FULL_SHA_RE.fullmatch(word))


# merges: every merge commit of the history, when the caller knows them (the miner does);
# without them, git is asked which candidates are merges.
def find_bug_inducing(repo: GitRepo, fixes: Sequence[FixCommit],
                      options: SzzOptions = DEFAULT_OPTIONS, *,
                      merges: frozenset[str] | None = None) -> Iterator[SzzLink]:
    """Link each fix to the commits that last wrote the lines it deleted or changed."""
    by_sha = {fix.sha: fix for fix in fixes}
    if not by_sha:
        return
    merge_cache = _MergeCache(repo, merges)
    ignored_merges = merge_cache.among(set(options.ignore_revs))
    with open_blamer(repo, ignore_revs=options.ignore_revs, ignored_merges=ignored_merges,
                     ignore_whitespace=options.ignore_whitespace) as blamer:
        diffs = iter_fix_diffs(repo, by_sha, max_files=options.max_fix_files,
                               max_deleted_lines=options.max_deleted_lines)
        jobs = (job for diff in diffs
                for job in _blame_jobs(diff, _fix_of(by_sha, diff.sha), options))
        blamed = _map_in_order(partial(_blame_job, blamer), jobs, options.workers)
        for batch in batched(blamed, MERGE_CHECK_BATCH):
            found = merge_cache.among({record.sha for _, records in batch for record in records})
            for job, records in batch:
                kept = [r for r in records if _is_candidate(r, job.fix, found, options)]
                yield from _links(job, kept)


class _MergeCache:
    """Which commits are merges: known from the start, or asked of git in batches."""

    def __init__(self, repo: GitRepo, known: frozenset[str] | None = None) -> None:
        self.repo = repo
        self.complete = known is not None
        self.checked: set[str] = set()
        self.merges: set[str] = set(known or ())

    def among(self, shas: set[str]) -> frozenset[str]:
        """The merge commits among shas."""
        unknown = set() if self.complete else shas - self.checked
        if unknown:
            stdin = "".join(f"{sha}\n" for sha in sorted(unknown)).encode()
            listed = self.repo.output(["rev-list", "--no-walk", "--merges", "--stdin"], stdin)
            self.merges.update(listed.decode().split())
            self.checked |= unknown
        return frozenset(shas & self.merges)


def _fix_of(by_sha: dict[str, FixCommit], sha: str) -> FixCommit:
    """The fix git printed as sha, which the caller may have named by an abbreviation."""
    if sha in by_sha:
        return by_sha[sha]
    given = next((fix for name, fix in by_sha.items() if sha.startswith(name)), None)
    if given is None:
        raise MissingRefError(f"a fix was named by a ref that resolves to {sha}: name fixes "
                              "by their commit sha (full or abbreviated)")
    return replace(given, sha=sha)


def _blame_jobs(diff: FixDiff, fix: FixCommit, options: SzzOptions) -> Iterator[_BlameJob]:
    """One job per file of a fix whose changed lines are worth blaming, within the bounds."""
    if len(diff.parents) != 1 or diff.file_count > options.max_fix_files:
        return
    for file in diff.files:
        if file.old_path is None or not _worth_blaming(file, file.old_path, options):
            continue
        lines = changed_lines(file, file.old_path, options)
        if lines:
            yield _BlameJob(fix, diff.parents[0], file.old_path, lines)


def _worth_blaming(file: FileDiff, path: str, options: SzzOptions) -> bool:
    """A text file within the bounds, and not one a tool wrote when the options skip those."""
    generated = options.skip_generated_files and is_generated(path)
    return file.blamable and not generated and file.deleted_count <= options.max_deleted_lines


def changed_lines(file: FileDiff, path: str, options: SzzOptions) -> tuple[int, ...]:
    """Numbers (in the parent) of the deleted lines the options count as real changes."""
    markers = comment_markers(path) if options.skip_comment_lines else ()
    cosmetic = (cosmetic_lines(file.deleted, file.added, markers)
                if options.skip_cosmetic_changes else set())
    return tuple(
        number for number, text in file.deleted
        if number not in cosmetic
        and len(text) <= options.max_line_bytes
        and not (options.skip_blank_lines and is_blank(text))
        and not (markers and is_comment_only(text, markers))
    )


def _blame_job(blamer: Blamer, job: _BlameJob) -> list[BlameRecord]:
    return blamer.blame(job.parent, job.path, job.lines)


def _is_candidate(record: BlameRecord, fix: FixCommit, merges: frozenset[str],
                  options: SzzOptions) -> bool:
    """Never the fix, a merge, an ignored revision, or newer than the fix (or its report)."""
    written = max(record.author_time, record.committer_time)
    if record.sha == fix.sha or record.sha in merges or record.sha in options.ignore_revs:
        return False
    if written > fix.commit_time:
        return False
    report = fix.report_time if options.respect_report_time else None
    return report is None or written <= report


def _links(job: _BlameJob, records: Sequence[BlameRecord]) -> Iterator[SzzLink]:
    """Group a file's blamed lines by inducing commit, in order of first line."""
    by_commit: dict[str, list[BlamedLine]] = {}
    for record in records:
        line = BlamedLine(record.final_line, record.orig_line,
                          record.content.decode("utf-8", "replace"))
        by_commit.setdefault(record.sha, []).append(line)
    for sha, lines in by_commit.items():
        yield SzzLink(job.fix.sha, sha, job.path, tuple(lines), job.fix.commit_time)


def _map_in_order(fn: Callable[[T], R], items: Iterable[T],
                  workers: int) -> Iterator[tuple[T, R]]:
    """Apply fn on worker threads, yielding (item, result) in input order, few items ahead."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: deque[tuple[T, Future[R]]] = deque()
        for item in items:
            pending.append((item, pool.submit(fn, item)))
            if len(pending) >= workers * QUEUED_JOBS_PER_WORKER:
                done, future = pending.popleft()
                yield done, future.result()
        while pending:
            done, future = pending.popleft()
            yield done, future.result()
