"""A mined repository's history as the analysis reads it: changes, fixes and change rows."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from analyzers.changes import ChangeRecord, IdentifiedHistory, identify
from analyzers.history import PastCommit
from app.storage.feature_store import FeatureStore
from app.training_run import TrainingRunError


@dataclass(frozen=True)
class MinedHistory:
    """The non-merge changes of a mined repository (mining order) and its fix commits."""

    name: str
    repository_id: int
    records: tuple[ChangeRecord, ...]
    fixes: frozenset[str]
    past: tuple[PastCommit, ...] | None = None  # every commit, for the fold's state

    @cached_property
    def identified(self) -> IdentifiedHistory:
        """The changes with their files' identities across renames (computed once)."""
        return identify(self.records)

    @property
    def commit_count(self) -> int:
        """How many changes the history holds."""
        return len(self.records)


def load_history(store: FeatureStore, name: str) -> MinedHistory:
    """The mined history of a repository; a one-line error when it was never mined."""
    repository_id = store.repository_id(name)
    if repository_id is None:
        raise TrainingRunError(f"{name} has not been mined: run `diffrisk mine --name {name}`")
    records, past = store.history_rows(repository_id)
    return MinedHistory(name, repository_id, tuple(records), store.fix_shas(repository_id),
                        tuple(past))
