"""Mine a repository's history: stream the log, fold it into features, oldest first."""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from types import TracebackType

from analyzers.batching import batched
from analyzers.fixes import FixMatcher
from analyzers.git import BlobReader, GitRepo, missing_blob
from analyzers.gitlog import NULL_SHA, RawCommit, iter_log
from analyzers.history import HistoryFold, HistoryState, MinedCommit

# Commits read ahead of the fold, so that the blobs it has never seen (made by merges) are
# counted with one batched `git cat-file` request instead of one round trip each.
LOOKAHEAD = 256


def count_lines(content: bytes) -> int:
    """Lines as git's numstat counts them (a last line without newline counts); 0 if binary."""
    if b"\0" in content[:8000]:
        return 0
    return content.count(b"\n") + (1 if content and not content.endswith(b"\n") else 0)


class BlobLineCounter:
    """Counts the lines of blobs with one long-lived BlobReader."""

    def __init__(self, repo: GitRepo) -> None:
        self.repo = repo
        self.reader = BlobReader(repo)

    def __call__(self, blob: str) -> int:
        """Lines in one blob."""
        return self.count_many([blob])[blob]

    def count_many(self, blobs: Sequence[str]) -> dict[str, int]:
        """Lines in each blob, asked for in batches."""
        counts = {}
        for sha, found in self.reader.read(blobs).items():
            if found is None:
                raise missing_blob(self.repo, sha)
            counts[sha] = count_lines(found.content)
        return counts

    def close(self) -> None:
        """Stop the git process, if one was started."""
        self.reader.close()

    def __enter__(self) -> BlobLineCounter:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


def unseen_blobs(commits: Sequence[RawCommit], known: Container[str]) -> list[str]:
    """Text blobs the commits modify that neither known nor an earlier commit here created."""
    created: set[str] = set()
    unseen: dict[str, None] = {}
    for commit in commits:
        for change in commit.files:
            old = change.old_blob
            if (change.status != "A" and old != NULL_SHA and not change.binary
                    and not change.is_submodule and old not in known and old not in created):
                unseen[old] = None
            created.add(change.new_blob)
    return list(unseen)


def mine_history(repo: GitRepo, state: HistoryState, revisions: Iterable[str] = ("HEAD",),
                 exclude: Iterable[str] = (), *, fixes: FixMatcher | None = None,
                 skip: AbstractSet[str] = frozenset()) -> Iterator[MinedCommit]:
    """Yield every commit reachable from revisions and not from exclude (nor in skip), oldest
    first, with its features; state holds earlier runs' history and grows as commits pass."""
    repo.require_full_history()
    with BlobLineCounter(repo) as counter:
        fold = HistoryFold(state, fixes or FixMatcher(), counter)
        for window in batched(iter_log(repo, revisions, exclude), LOOKAHEAD):
            commits = [c for c in window if c.sha not in skip]
            state.blob_lines.update(counter.count_many(unseen_blobs(commits, state.blob_lines)))
            for commit in commits:
                yield fold.mine(commit)


def replay_history(state: HistoryState, commits: Iterable[RawCommit], repo: GitRepo) -> None:
    """Rebuild the fold's state from commits mined before, without running git log."""
    with BlobLineCounter(repo) as counter:
        fold = HistoryFold(state, FixMatcher(), counter)
        for window in batched(commits, LOOKAHEAD):
            state.blob_lines.update(counter.count_many(unseen_blobs(window, state.blob_lines)))
            for commit in window:
                fold.mine(commit)


def count_commits(repo: GitRepo, revisions: Iterable[str], exclude: Iterable[str] = ()) -> int:
    """How many commits mine_history will visit (cheap: no diffs)."""
    excluded = list(exclude)
    args = ["rev-list", "--count", *revisions, *(["--not", *excluded] if excluded else []), "--"]
    return int(repo.output(args).strip() or 0)
