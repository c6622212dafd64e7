"""Predict which files change together with a given one: import-graph proximity, co-change
history, or both (the impact model's evidence, validated on held-out commits)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import networkx as nx

from analyzers.coupling import Coupling

Evidence = Literal["graph", "coupling", "both"]
# Files farther apart than this in the undirected import graph get no graph score.
MAX_GRAPH_DISTANCE = 2


def graph_scores(graph: nx.DiGraph, given: str) -> dict[str, float]:
    """1/d for files within MAX_GRAPH_DISTANCE imports of the given file, either direction."""
    if given not in graph:
        return {}
    distances = nx.single_source_shortest_path_length(graph.to_undirected(as_view=True), given,
                                                      cutoff=MAX_GRAPH_DISTANCE)
    return {path: 1.0 / d for path, d in distances.items() if d > 0}


def coupling_scores(rules: Sequence[Coupling]) -> dict[str, float]:
    """The confidence of each co-change rule from the given file."""
    return {rule.path: rule.confidence for rule in rules}


def rank_cochanges(graph: nx.DiGraph, rules: Mapping[str, Sequence[Coupling]], given: str,
                   evidence: Evidence = "both", limit: int = 10) -> list[str]:
    """The files most likely to change with `given`, best first: graph and coupling scores
    combined as 1 − (1 − g)(1 − c) when evidence is both."""
    by_graph = graph_scores(graph, given) if evidence != "coupling" else {}
    by_history = coupling_scores(rules.get(given, ())) if evidence != "graph" else {}
    combined = {path: 1 - (1 - by_graph.get(path, 0.0)) * (1 - by_history.get(path, 0.0))
                for path in by_graph.keys() | by_history.keys()}
    return sorted(combined, key=lambda path: (-combined[path], path))[:limit]


def precision_recall_at(predicted: Sequence[str], actual: set[str], k: int,
                        ) -> tuple[float, float]:
    """Precision and recall of the first k predictions against the files that did change."""
    hits = len(set(predicted[:k]) & actual)
    return hits / k, (hits / len(actual) if actual else 0.0)
