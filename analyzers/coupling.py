"""Logical coupling from co-change history (Zimmermann et al., ICSE 2004): files that changed
together before are likely to change together again."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass

from analyzers.changes import IdentifiedHistory

# Transactions larger than this are mechanical (reformatting, licence headers, mass renames)
# and say nothing about coupling; Zimmermann et al. leave out those over 30 files.
MAX_TRANSACTION_FILES = 30


@dataclass(frozen=True)
class Coupling:
    """A rule target ⇒ path: how often they changed together and how reliably."""

    path: str
    support: int
    confidence: float


def coupled_files(history: IdentifiedHistory, targets: Collection[str], *,
                  min_support: int = 2, min_confidence: float = 0.0,
                  max_transaction_files: int = MAX_TRANSACTION_FILES,
                  ) -> dict[str, list[Coupling]]:
    """For each target (named by its current path), the files it changed together with,
    strongest first: support = changes with both, confidence = support / changes with target."""
    identities = history.identities
    wanted = history.current(targets)
    changes_of: Counter[int] = Counter()
    together: dict[int, Counter[int]] = {identity: Counter() for identity in wanted}
    for _, files in history.changes:
        for identity in files & wanted.keys():
            changes_of[identity] += 1
            if len(files) <= max_transaction_files:
                together[identity].update(files - {identity})
    result: dict[str, list[Coupling]] = {target: [] for target in targets}
    for identity, target in wanted.items():
        total = changes_of[identity]
        rules = [Coupling(identities.path_of(other), support, support / total)
                 for other, support in together[identity].items()
                 if support >= min_support and support / total >= min_confidence
                 and identities.current(identities.path_of(other)) == other]
        result[target] = sorted(rules, key=lambda c: (-c.confidence, -c.support, c.path))
    return result
