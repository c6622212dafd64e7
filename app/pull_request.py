"""A pull request's change-level features, as the miner would give its squashed commit.

The fold's features of one commit read only the history of the files it touches (followed back
through renames and copies), its author's experience and the line counts of the blobs it
changes. So the state is rebuilt from the stored commits that shape those (needed_commits, on a
light query without features) and the stored line counts of those blobs, not by replaying the
whole history: the same features (replayed_state is the whole replay, kept as the reference the
tests compare with).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.engine import Engine

from analyzers.git import GitRepo
from analyzers.gitlog import NULL_SHA, RawCommit, range_as_commit
from analyzers.history import (
    HistoryFold,
    HistoryState,
    MinedCommit,
    PastCommit,
    developer_id,
    needed_commits,
    remember,
)
from analyzers.miner import BlobLineCounter, replay_history, unseen_blobs
from app.mining import fix_matcher
from app.settings import Settings
from app.storage.feature_store import FeatureStore
from app.storage.writer import HistoryWriter


class NotMinedError(ValueError):
    """The repository must be mined before a pull request of it can be scored."""


def stored_repository(engine: Engine, name: str) -> int:
    """The stored id of a mined repository; NotMinedError when it was never mined."""
    repository_id = FeatureStore(engine).repository_id(name)
    if repository_id is None:
        raise NotMinedError(f"{name} has not been mined: run `diffrisk mine --name {name}` first")
    return repository_id


def pull_request_features(engine: Engine, settings: Settings, repo: GitRepo, name: str,
                          base: str, head: str,
                          past: Sequence[PastCommit] | None = None) -> MinedCommit:
    """Features of base..head as one commit, from the whole mined history of the repository
    (everything known now; `past`: its stored commits when the caller has them, see
    MinedHistory.past); the store is only read."""
    repository_id = stored_repository(engine, name)
    change = range_as_commit(repo, repo.resolve(base), repo.resolve(head))
    state = change_state(engine, repository_id, change, past)
    return mine_change(state, settings, repo, change)


def change_state(engine: Engine, repository_id: int, change: RawCommit,
                 past: Sequence[PastCommit] | None = None) -> HistoryState:
    """The fold's state after the stored history, as far as the change's features read it."""
    author = developer_id(change.author_name, change.author_email)
    paths = {f.old_path or f.path for f in change.files if f.status != "A"}
    old_blobs = {f.old_blob for f in change.files
                 if f.status != "A" and f.old_blob != NULL_SHA and not f.binary
                 and not f.is_submodule}
    writer = HistoryWriter()
    with engine.connect() as conn:
        past = writer.past_commits(conn, repository_id) if past is None else past
        state = HistoryState(commits_seen=len(past))
        for commit in needed_commits(past, paths, author):
            remember(state, commit.author, commit.time, commit.files, commit.index)
        state.blob_lines.update(writer.stored_lines(conn, repository_id, old_blobs))
    return state


def replayed_state(engine: Engine, repository_id: int, repo: GitRepo) -> HistoryState:
    """The fold's whole state after replaying every stored commit (the reference)."""
    state = HistoryState()
    with engine.connect() as conn:
        replay_history(state, HistoryWriter().replay_history(conn, repository_id), repo)
    return state


def mine_change(state: HistoryState, settings: Settings, repo: GitRepo,
                change: RawCommit) -> MinedCommit:
    """The change's features from a state (blobs the state lacks are counted with git)."""
    with BlobLineCounter(repo) as counter:
        fold = HistoryFold(state, fix_matcher(settings, {}), counter)
        state.blob_lines.update(counter.count_many(unseen_blobs([change], state.blob_lines)))
        return fold.mine(change)
