"""A pull request's change-level features, as the miner would give its squashed commit."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from analyzers.git import GitRepo
from analyzers.gitlog import range_as_commit
from analyzers.history import HistoryFold, HistoryState, MinedCommit
from analyzers.miner import BlobLineCounter, replay_history, unseen_blobs
from app.mining import fix_matcher
from app.settings import Settings
from app.storage.feature_store import FeatureStore
from app.storage.writer import HistoryWriter


class NotMinedError(ValueError):
    """The repository must be mined before a pull request of it can be scored."""


def pull_request_features(engine: Engine, settings: Settings, repo: GitRepo, name: str,
                          base: str, head: str) -> MinedCommit:
    """Features of base..head as one commit, from the whole mined history of the repository
    (everything known now); the store is only read."""
    repository_id = FeatureStore(engine).repository_id(name)
    if repository_id is None:
        raise NotMinedError(f"{name} has not been mined: run `diffrisk mine --name {name}` first")
    state = HistoryState()
    with engine.connect() as conn:
        replay_history(state, HistoryWriter().replay_history(conn, repository_id), repo)
    change = range_as_commit(repo, repo.resolve(base), repo.resolve(head))
    with BlobLineCounter(repo) as counter:
        fold = HistoryFold(state, fix_matcher(settings, {}), counter)
        state.blob_lines.update(counter.count_many(unseen_blobs([change], state.blob_lines)))
        return fold.mine(change)
