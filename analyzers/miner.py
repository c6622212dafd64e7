"""Mine a repository's history: stream the log, fold it into features, oldest first."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet
from types import TracebackType

from analyzers.errors import CorruptRepositoryError
from analyzers.fixes import FixMatcher
from analyzers.git import GIT_CONFIG, GitRepo, _git_env
from analyzers.gitlog import RawCommit, iter_log
from analyzers.history import HistoryFold, HistoryState, MinedCommit


class BlobLineCounter:
    """Counts the lines of blobs the fold has not seen (e.g. made by a merge) with one
    long-lived `git cat-file --batch`."""

    def __init__(self, repo: GitRepo) -> None:
        self.repo = repo
        self._proc: subprocess.Popen[bytes] | None = None

    def __call__(self, blob: str) -> int:
        """Lines in the blob, counted as git's numstat counts them."""
        proc = self._process()
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(blob.encode() + b"\n")
        proc.stdin.flush()
        header = proc.stdout.readline().split()
        if len(header) != 3:
            raise CorruptRepositoryError(
                f"blob {blob} is missing from {self.repo.path}: the repository may be corrupt; "
                "run `git fsck` there"
            )
        content = proc.stdout.read(int(header[2]) + 1)[:-1]
        if b"\0" in content[:8000]:
            return 0
        return content.count(b"\n") + (1 if content and not content.endswith(b"\n") else 0)

    def _process(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            self._proc = subprocess.Popen(
                ["git", *GIT_CONFIG, "-C", str(self.repo.path), "cat-file", "--batch"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                env=_git_env(),
            )
        return self._proc

    def close(self) -> None:
        """Stop the git process, if one was started."""
        if self._proc is not None:
            assert self._proc.stdin is not None and self._proc.stdout is not None
            self._proc.stdin.close()
            self._proc.wait()
            self._proc.stdout.close()
            self._proc = None

    def __enter__(self) -> BlobLineCounter:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


def mine_history(repo: GitRepo, state: HistoryState, revisions: Iterable[str] = ("HEAD",),
                 exclude: Iterable[str] = (), *, fixes: FixMatcher | None = None,
                 skip: AbstractSet[str] = frozenset()) -> Iterator[MinedCommit]:
    """Yield every commit reachable from revisions and not from exclude (nor in skip), oldest
    first, with its features; state holds earlier runs' history and grows as commits pass."""
    repo.require_full_history()
    with BlobLineCounter(repo) as counter:
        fold = HistoryFold(state, fixes or FixMatcher(), counter)
        for commit in iter_log(repo, revisions, exclude):
            if commit.sha not in skip:
                yield fold.mine(commit)


def replay_history(state: HistoryState, commits: Iterable[RawCommit], repo: GitRepo) -> None:
    """Rebuild the fold's state from commits mined before, without running git log."""
    with BlobLineCounter(repo) as counter:
        fold = HistoryFold(state, FixMatcher(), counter)
        for commit in commits:
            fold.mine(commit)


def count_commits(repo: GitRepo, revisions: Iterable[str], exclude: Iterable[str] = ()) -> int:
    """How many commits mine_history will visit (cheap: no diffs)."""
    excluded = list(exclude)
    args = ["rev-list", "--count", *revisions, *(["--not", *excluded] if excluded else []), "--"]
    return int(repo.output(args).strip() or 0)
