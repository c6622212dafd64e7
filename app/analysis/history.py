"""A mined repository's history as the analysis reads it: changes, fixes and change rows."""

from __future__ import annotations

from dataclasses import dataclass

from analyzers.changes import ChangeRecord
from app.storage.feature_store import FeatureStore
from app.training_run import TrainingRunError


@dataclass(frozen=True)
class MinedHistory:
    """The non-merge changes of a mined repository (mining order) and its fix commits."""

    name: str
    repository_id: int
    records: tuple[ChangeRecord, ...]
    fixes: frozenset[str]

    @property
    def commit_count(self) -> int:
        """How many changes the history holds."""
        return len(self.records)


def load_history(store: FeatureStore, name: str) -> MinedHistory:
    """The mined history of a repository; a one-line error when it was never mined."""
    repository_id = store.repository_id(name)
    if repository_id is None:
        raise TrainingRunError(f"{name} has not been mined: run `diffrisk mine --name {name}`")
    records = tuple(store.change_records(repository_id))
    fixes = frozenset(c.sha for c in store.commits(repository_id) if c.is_fix)
    return MinedHistory(name, repository_id, records, fixes)
