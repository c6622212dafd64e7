"""Predict which files change together with a given one: import-graph proximity, co-change
history, or both (the impact model's evidence, validated on held-out commits)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import networkx as nx

from analyzers.changes import ChangeRecord
from analyzers.coupling import MAX_TRANSACTION_FILES, Coupling

Evidence = Literal["graph", "coupling", "both"]
# Files farther apart than this in the undirected import graph get no graph score.
MAX_GRAPH_DISTANCE = 2


def graph_distances(graph: nx.DiGraph, given: str) -> dict[str, int]:
    """Files within MAX_GRAPH_DISTANCE imports of the given file, either direction."""
    if given not in graph:
        return {}
    distances = nx.single_source_shortest_path_length(graph.to_undirected(as_view=True), given,
                                                      cutoff=MAX_GRAPH_DISTANCE)
    return {path: d for path, d in distances.items() if d > 0}


def graph_scores(graph: nx.DiGraph, given: str,
                 hit_rates: Mapping[int, float] | None = None) -> dict[str, float]:
    """A score per nearby file: the calibrated chance that a file that far away changes too
    (hit_rates by distance), or 1/d without calibration."""
    return {path: hit_rates.get(d, 0.0) if hit_rates is not None else 1.0 / d
            for path, d in graph_distances(graph, given).items()}


def graph_hit_rates(graph: nx.DiGraph, history: Iterable[ChangeRecord],
                    max_files: int = MAX_TRANSACTION_FILES) -> dict[int, float]:
    """For each import distance, how often a file that far from a changed file changed in the
    same commit, over past commits: turns graph proximity into a probability."""
    seen: Counter[int] = Counter()
    hits: Counter[int] = Counter()
    for change in history:
        paths = {touch.path for touch in change.files if touch.status != "D"}
        if not 2 <= len(paths) <= max_files:
            continue
        for given in paths:
            for path, distance in graph_distances(graph, given).items():
                seen[distance] += 1
                hits[distance] += path in paths
    return {distance: hits[distance] / seen[distance] for distance in seen}


def coupling_scores(rules: Sequence[Coupling]) -> dict[str, float]:
    """The confidence of each co-change rule from the given file."""
    return {rule.path: rule.confidence for rule in rules}


def rank_cochanges(graph: nx.DiGraph, rules: Mapping[str, Sequence[Coupling]], given: str,
                   evidence: Evidence = "both", limit: int = 10,
                   hit_rates: Mapping[int, float] | None = None) -> list[str]:
    """The files most likely to change with `given`, best first: graph and coupling scores
    combined as 1 − (1 − g)(1 − c) when evidence is both (calibrate g with hit_rates)."""
    by_graph = graph_scores(graph, given, hit_rates) if evidence != "coupling" else {}
    by_history = coupling_scores(rules.get(given, ())) if evidence != "graph" else {}
    combined = {path: 1 - (1 - by_graph.get(path, 0.0)) * (1 - by_history.get(path, 0.0))
                for path in by_graph.keys() | by_history.keys()}
    return sorted(combined, key=lambda path: (-combined[path], path))[:limit]


def precision_recall_at(predicted: Sequence[str], actual: set[str], k: int,
                        ) -> tuple[float, float]:
    """Precision and recall of the first k predictions against the files that did change."""
    hits = len(set(predicted[:k]) & actual)
    return hits / k, (hits / len(actual) if actual else 0.0)
