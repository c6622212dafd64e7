"""Who knows the files a change touches: recency-weighted authorship, the bus factor of the
touched files, and suggested reviewers (never the change's author)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from analyzers.changes import IdentifiedHistory

DAY = 86_400
# A change counts fully today, half after HALF_LIFE_DAYS, a quarter after twice that.
HALF_LIFE_DAYS = 180.0
# A developer "knows" a file when they hold at least this share of its weighted authorship.
KNOWS_SHARE = 0.2
BOT_PATTERN = re.compile(r"\[bot\]|(^|[-_.+@])bot([-_.+@]|$)|^(dependabot|renovate|greenkeeper|"
                         r"pre-commit-ci|github-actions)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Expert:
    """A developer's recency-weighted authorship of one file."""

    author: str
    weight: float
    share: float
    changes: int
    last_change: int


@dataclass(frozen=True)
class Reviewer:
    """A suggested reviewer and the touched files they know."""

    author: str
    score: float
    files: tuple[str, ...]


def file_experts(history: IdentifiedHistory, paths: Collection[str], now: int,
                 half_life_days: float = HALF_LIFE_DAYS) -> dict[str, list[Expert]]:
    """For each path (current name), its authors by recency-weighted changes, largest first."""
    wanted = history.current(paths)
    weights: dict[int, dict[str, list[float]]] = defaultdict(dict)
    for change, files in history.changes:
        touched = files & wanted.keys()
        if not touched:
            continue
        weight = 0.5 ** (max(0, now - change.time) / DAY / half_life_days)
        for file in touched:
            entry = weights[file].setdefault(change.author, [0.0, 0.0, 0.0])
            entry[0] += weight
            entry[1] += 1
            entry[2] = max(entry[2], change.time)
    experts: dict[str, list[Expert]] = {}
    for path in paths:
        identity = history.identities.current(path)
        authors = weights.get(identity, {}) if identity is not None else {}
        total = sum(w for w, _, _ in authors.values())
        ranked = [Expert(author, w, w / total, int(n), int(last))
                  for author, (w, n, last) in authors.items()]
        experts[path] = sorted(ranked, key=lambda e: (-e.weight, e.author))
    return experts


def who_knows(experts: dict[str, list[Expert]]) -> dict[str, set[str]]:
    """For each file, the developers holding at least KNOWS_SHARE of its authorship."""
    return {path: {e.author for e in ranked if e.share >= KNOWS_SHARE}
            for path, ranked in experts.items()}


def bus_factor(experts: dict[str, list[Expert]]) -> int:
    """How many developers would have to leave before more than half of the files have
    nobody who knows them (greedy, as in Avelino et al.'s truck factor); 0 when no file has
    a known author."""
    knowers = {path: names for path, names in who_knows(experts).items() if names}
    if not knowers:
        return 0
    files, departed = len(experts), 0
    while sum(1 for names in knowers.values() if names) * 2 >= files:
        counts: dict[str, int] = defaultdict(int)
        for names in knowers.values():
            for name in names:
                counts[name] += 1
        leaving = min(counts, key=lambda name: (-counts[name], name))
        for names in knowers.values():
            names.discard(leaving)
        departed += 1
    return departed


def is_bot(author: str) -> bool:
    """Whether an identity belongs to an automation account (dependabot[bot], renovate-bot…)."""
    return bool(BOT_PATTERN.search(author))


def suggest_reviewers(experts: dict[str, list[Expert]], author: str,
                      limit: int = 3) -> list[Reviewer]:
    """The people who know the touched files best: never the change's author, never a bot."""
    scores: dict[str, float] = defaultdict(float)
    known: dict[str, list[str]] = defaultdict(list)
    for path, ranked in sorted(experts.items()):
        for expert in ranked:
            if expert.author == author or is_bot(expert.author):
                continue
            scores[expert.author] += expert.share
            if expert.share >= KNOWS_SHARE:
                known[expert.author].append(path)
    best = sorted(scores, key=lambda name: (-scores[name], name))[:limit]
    return [Reviewer(name, round(scores[name], 4), tuple(known[name])) for name in best]
