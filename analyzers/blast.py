"""Blast radius of a change: who imports the changed files (transitively), which components
that reaches and by which dependency path, what usually changes with them, and which tests."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

import networkx as nx

from analyzers.coupling import Coupling
from analyzers.filekinds import file_kind

# How far the reverse import closure is followed; beyond it the effect is too diluted to name.
MAX_DEPTH = 6
# Co-change rules weaker than this are not counted as reach.
MIN_COUPLING_CONFIDENCE = 0.1
SOURCE_ROOTS = frozenset({"src", "lib", "packages", "apps", "libs"})


@dataclass(frozen=True)
class FileCentrality:
    """How central a changed file is in the import graph."""

    path: str
    fan_in: int
    fan_out: int
    pagerank: float


@dataclass(frozen=True)
class AffectedComponent:
    """A top-level component the change can reach, how strongly, and the evidence."""

    name: str
    reach: float
    import_depth: int | None
    dependency_path: tuple[str, ...]
    coupled_confidence: float
    affected_files: int


@dataclass(frozen=True)
class BlastRadius:
    """Everything the change may affect beyond its own files."""

    changed: tuple[FileCentrality, ...]
    affected_files: Mapping[str, int]
    components: tuple[AffectedComponent, ...]
    affected_tests: tuple[str, ...]


def component_of(path: str) -> str:
    """The top-level package or directory of a path (src/ layouts look one level deeper)."""
    parts = path.split("/")
    if len(parts) == 1:
        return "(root)"
    if parts[0] in SOURCE_ROOTS and len(parts) > 2:
        return "/".join(parts[:2])
    return parts[0]


def reverse_closure(graph: nx.DiGraph, changed: Collection[str], max_depth: int = MAX_DEPTH,
                    ) -> tuple[dict[str, int], dict[str, str]]:
    """Files that import a changed file, directly or not: their depth, and the next file on
    the way back to the change (edges go importer → imported)."""
    depth = {path: 0 for path in changed if path in graph}
    towards: dict[str, str] = {}
    frontier = list(depth)
    for level in range(1, max_depth + 1):
        reached = []
        for node in frontier:
            for importer in sorted(graph.predecessors(node)):
                if importer not in depth:
                    depth[importer], towards[importer] = level, node
                    reached.append(importer)
        frontier = reached
    return {p: d for p, d in depth.items() if d > 0}, towards


def dependency_path(node: str, towards: Mapping[str, str]) -> tuple[str, ...]:
    """From the changed file to node, following who imports whom."""
    path = [node]
    while path[-1] in towards:
        path.append(towards[path[-1]])
    return tuple(reversed(path))


def centrality(graph: nx.DiGraph, changed: Collection[str],
               pagerank: Mapping[str, float] | None = None) -> tuple[FileCentrality, ...]:
    """Fan-in, fan-out and PageRank of the changed files (pass a cached PageRank if any)."""
    ranks = pagerank if pagerank is not None else (nx.pagerank(graph) if len(graph) else {})
    return tuple(FileCentrality(path, graph.in_degree(path) if path in graph else 0,
                                graph.out_degree(path) if path in graph else 0,
                                float(ranks.get(path, 0.0)))
                 for path in sorted(changed))


def _strongest_coupling(coupling: Mapping[str, Sequence[Coupling]], changed: Collection[str],
                        component: Callable[[str], str]) -> dict[str, float]:
    strongest: dict[str, float] = {}
    for rules in coupling.values():
        for rule in rules:
            if rule.path not in changed and rule.confidence >= MIN_COUPLING_CONFIDENCE:
                name = component(rule.path)
                strongest[name] = max(strongest.get(name, 0.0), rule.confidence)
    return strongest


def _components(affected: Mapping[str, int], towards: Mapping[str, str],
                coupled: Mapping[str, float], component: Callable[[str], str],
                ) -> list[AffectedComponent]:
    nearest: dict[str, str] = {}
    counts: dict[str, int] = {}
    for path in sorted(affected, key=lambda p: (affected[p], p)):
        name = component(path)
        nearest.setdefault(name, path)
        counts[name] = counts.get(name, 0) + 1
    result = []
    for name in sorted(nearest.keys() | coupled.keys()):
        depth = affected[nearest[name]] if name in nearest else None
        by_imports = 1.0 / depth if depth else 0.0
        by_history = coupled.get(name, 0.0)
        result.append(AffectedComponent(
            name, 1 - (1 - by_imports) * (1 - by_history), depth,
            dependency_path(nearest[name], towards) if name in nearest else (),
            by_history, counts.get(name, 0)))
    return sorted(result, key=lambda c: (-c.reach, c.name))


def blast_radius(graph: nx.DiGraph, changed: Collection[str],
                 coupling: Mapping[str, Sequence[Coupling]] | None = None, *,
                 max_depth: int = MAX_DEPTH, pagerank: Mapping[str, float] | None = None,
                 component: Callable[[str], str] = component_of) -> BlastRadius:
    """The reach of a change: reverse import closure (with depths and dependency paths) and
    co-change history, combined per component as 1 − (1 − 1/depth)(1 − confidence)."""
    changed_set = set(changed)
    affected, towards = reverse_closure(graph, changed_set, max_depth)
    coupled = _strongest_coupling(coupling or {}, changed_set, component)
    tests = {path for path in affected if file_kind(path) == "test"}
    tests |= {rule.path for rules in (coupling or {}).values() for rule in rules
              if file_kind(rule.path) == "test" and rule.confidence >= MIN_COUPLING_CONFIDENCE}
    return BlastRadius(centrality(graph, changed_set, pagerank), affected,
                       tuple(_components(affected, towards, coupled, component)),
                       tuple(sorted(tests - changed_set)))
