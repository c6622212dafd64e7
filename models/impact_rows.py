"""Training rows of the impact model from a history: each change's blast-radius features,
the co-change rules it saw and the files that followed it.

Nothing looks into the future of a row's features: co-change rules and the recent activity of a
change come from the changes before it only (kept up to date commit by commit), its past impact
from earlier changes whose follow-up windows were already over. The import graph comes from a
`GraphSource` (app/import_walk.py walks one over git); training changes all use the graph at the
cut, held-out ones the graph just before each of them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from analyzers.blast import BlastRadius, blast_radius
from analyzers.changes import ChangeRecord, FileIdentities
from analyzers.coupling import MAX_TRANSACTION_FILES, Coupling
from models.impact import impact_features
from models.impact_target import DAY, WINDOW_DAYS, followup_files, past_impacts


class GraphSource(Protocol):
    """An import graph that can be moved to another commit of the history."""

    graph: Any
    pagerank: Mapping[str, float]

    def move_to(self, sha: str) -> None:
        """The graph at another commit."""


class RunningCoupling:
    """Co-change rules and recent activity of the history so far, one change at a time
    (the same rules as analyzers.coupling.coupled_files over the changes added)."""

    def __init__(self, min_support: int = 2) -> None:
        self.identities = FileIdentities()
        self.min_support = min_support
        self.changes_of: Counter[int] = Counter()
        self.together: dict[int, Counter[int]] = {}
        self.times_of: dict[int, list[tuple[int, int]]] = {}
        self.added = 0

    def _living(self, paths: Collection[str]) -> dict[int, str]:
        return {identity: path for path in paths
                if (identity := self.identities.current(path)) is not None}

    def rules(self, paths: Collection[str]) -> dict[str, list[Coupling]]:
        """The co-change rules of each path (its name now), strongest first."""
        result: dict[str, list[Coupling]] = {path: [] for path in paths}
        for identity, path in self._living(paths).items():
            total = self.changes_of[identity]
            rules = [Coupling(self.identities.path_of(other), support, support / total)
                     for other, support in self.together.get(identity, Counter()).items()
                     if support >= self.min_support
                     and self.identities.current(self.identities.path_of(other)) == other]
            result[path] = sorted(rules, key=lambda c: (-c.confidence, -c.support, c.path))
        return result

    def recent_changes(self, paths: Collection[str], now: int, window_days: int) -> int:
        """Changes in the window before now that touched one of the paths."""
        commits = {index for identity in self._living(paths)
                   for when, index in self.times_of.get(identity, ())
                   if now - window_days * DAY <= when <= now}
        return len(commits)

    def add(self, record: ChangeRecord) -> None:
        """Take one more change into the history."""
        files = frozenset(self.identities.touch(touch) for touch in record.files)
        for identity in files:
            self.changes_of[identity] += 1
            self.times_of.setdefault(identity, []).append((record.time, self.added))
            if len(files) <= MAX_TRANSACTION_FILES:
                self.together.setdefault(identity, Counter()).update(files - {identity})
        self.added += 1


@dataclass(frozen=True)
class Row:
    """One labelled change: its features, its blast, the rules it saw and what followed."""

    index: int
    features: tuple[float, ...]
    blast: BlastRadius
    rules: dict[str, list[Coupling]]
    followups: frozenset[str]
    cases: tuple[Case, ...] = ()


@dataclass(frozen=True)
class Case:
    """One file of a held-out change given alone: its blast, rules, and the change's others."""

    blast: BlastRadius
    rules: dict[str, list[Coupling]]
    actual: frozenset[str]


def living_paths(record: ChangeRecord) -> list[str]:
    """The files a change leaves in place."""
    return [touch.path for touch in record.files if touch.status != "D"]


def before_paths(record: ChangeRecord) -> list[str]:
    """The names the change's files had before it (for looking up their history)."""
    return [touch.old_path if touch.status == "R" and touch.old_path else touch.path
            for touch in record.files if touch.status != "A"]


def given_one(walk: GraphSource, record: ChangeRecord, rules: Mapping[str, list[Coupling]],
              ) -> tuple[Case, ...]:
    """Each surviving file of a change of 2 to MAX_TRANSACTION_FILES files, given alone."""
    files = [(t.path, t.old_path if t.status == "R" and t.old_path else t.path)
             for t in record.files if t.status != "D"]
    if not 2 <= len(files) <= MAX_TRANSACTION_FILES:
        return ()
    cases = []
    for path, before in files:
        own = {before: rules.get(before, [])}
        cases.append(Case(blast_radius(walk.graph.graph, [path], own, pagerank=walk.pagerank),
                          own, frozenset(p for p, _ in files) - {path}))
    return tuple(cases)


def build_rows(records: Sequence[ChangeRecord], cut: int, walk: GraphSource,
               ) -> tuple[list[Row], list[Row]]:
    """Training rows (graph at the cut, labels known at the cut) and held-out rows (graph
    just before each change, labels from the whole history)."""
    train_labels = followup_files(records[:cut], as_of=records[cut - 1].time)
    test_labels = followup_files(records, as_of=max(r.time for r in records))
    past = past_impacts(records)
    history = RunningCoupling()
    train: list[Row] = []
    test: list[Row] = []
    for index, record in enumerate(records):
        followups = train_labels[index] if index < cut else test_labels[index]
        if index >= cut:
            walk.move_to(records[index - 1].sha)
        if followups is not None and 1 <= len(record.files) <= MAX_TRANSACTION_FILES:
            rules = history.rules(before_paths(record))
            blast = blast_radius(walk.graph.graph, living_paths(record), rules,
                                 pagerank=walk.pagerank)
            features = impact_features(
                blast, rules, churn=sum(t.churn for t in record.files),
                recent_changes=history.recent_changes(before_paths(record), record.time,
                                                      WINDOW_DAYS), past_impact=past[index])
            cases = given_one(walk, record, rules) if index >= cut else ()
            row = Row(index, features, blast, rules, followups, cases)
            (train if index < cut else test).append(row)
        history.add(record)
    return train, test
