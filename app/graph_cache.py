"""Import graphs per commit, cached as gzip JSON in the data directory (never a pickle), and
the head graph of a change made from the base graph by an incremental update; their PageRank,
computed with numpy exactly as networkx computes it over SciPy (importing SciPy's sparse
matrices alone takes longer than the whole computation)."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
import zlib
from pathlib import Path
from typing import Any

from analyzers.depgraph import ImportGraph, build_graph, update_graph
from analyzers.gc_pause import paused_gc
from analyzers.git import GitRepo
from analyzers.sourcetree import read_change, read_source_files


class GraphCache:
    """One file per (repository, commit): graphs/<repository key>/<sha>.json.gz."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def file_for(self, repo: GitRepo, sha: str) -> Path:
        """Where the graph of a commit of a repository is kept."""
        key = hashlib.sha256(str(repo.git_dir).encode()).hexdigest()[:16]
        return self.directory / "graphs" / key / f"{sha}.json.gz"

    def load(self, repo: GitRepo, sha: str) -> ImportGraph | None:
        """The cached graph, or None when absent or unreadable (then it is rebuilt)."""
        try:
            with gzip.open(self.file_for(repo, sha), "rt", encoding="utf-8") as handle:
                return ImportGraph.from_dict(json.load(handle))
        except (OSError, EOFError, ValueError, KeyError, TypeError, zlib.error):
            return None

    def save(self, repo: GitRepo, sha: str, graph: ImportGraph) -> None:
        """Write the graph atomically: a reader never sees half a file."""
        self._write(self.file_for(repo, sha), graph.to_dict())

    def pagerank_file(self, repo: GitRepo, sha: str) -> Path:
        """Where the PageRank of a commit's graph is kept (next to the graph)."""
        return self.file_for(repo, sha).with_name(f"{sha}.pagerank.json.gz")

    def load_pagerank(self, repo: GitRepo, sha: str) -> dict[str, float] | None:
        """The cached PageRank of a commit's graph, or None when absent or unreadable."""
        try:
            with gzip.open(self.pagerank_file(repo, sha), "rt", encoding="utf-8") as handle:
                return {str(path): float(rank) for path, rank in json.load(handle).items()}
        except (OSError, EOFError, ValueError, AttributeError, TypeError, zlib.error):
            return None

    def save_pagerank(self, repo: GitRepo, sha: str, ranks: dict[str, float]) -> None:
        """Write the PageRank atomically (JSON floats round-trip exactly)."""
        self._write(self.pagerank_file(repo, sha), ranks)

    @staticmethod
    def _write(target: Path, value: object) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as raw, gzip.open(raw, "wt", encoding="utf-8") as handle:
                json.dump(value, handle)
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise


def pagerank_at(repo: GitRepo, sha: str, graph: ImportGraph,
                cache: GraphCache) -> dict[str, float]:
    """The PageRank of a commit's import graph (networkx's, see pagerank): cached, else
    computed and cached; empty for an empty graph."""
    ranks = cache.load_pagerank(repo, sha)
    if ranks is None:
        ranks = pagerank(graph.graph)
        cache.save_pagerank(repo, sha, ranks)
    return ranks


def pagerank(graph: Any, alpha: float = 0.85, max_iter: int = 100,
             tol: float = 1.0e-6) -> dict[Any, float]:
    """networkx.pagerank of a directed graph, bit for bit: the same power iteration with the
    same operations in the same order (each node's incoming sum adds its sources in node
    order, as SciPy's sparse product does); raises networkx's PowerIterationFailedConvergence
    like it."""
    import numpy as np  # noqa: PLC0415

    nodes = list(graph)
    size = len(nodes)
    if size == 0:
        return {}
    index = {node: position for position, node in enumerate(nodes)}
    edges = [(index[u], index[v], weight) for u, v, weight in
             graph.edges(data="weight", default=1)]
    edges.sort(key=lambda edge: (edge[0], edge[1]))  # SciPy's CSR order: row, then column
    rows = np.array([edge[0] for edge in edges], dtype=np.intp)
    columns = np.array([edge[1] for edge in edges], dtype=np.intp)
    weights = np.array([edge[2] for edge in edges], dtype=float)
    out = np.zeros(size)
    np.add.at(out, rows, weights)
    scale = np.zeros(size)
    scale[out != 0] = 1.0 / out[out != 0]
    weights = scale[rows] * weights  # the row-stochastic matrix
    uniform = np.repeat(1.0 / size, size)
    dangling = np.where(out == 0)[0]
    x = uniform
    for _ in range(max_iter):
        last = x
        incoming = np.zeros(size)
        np.add.at(incoming, columns, x[rows] * weights)
        x = alpha * (incoming + sum(x[dangling]) * uniform) + (1 - alpha) * uniform
        if np.absolute(x - last).sum() < size * tol:
            return dict(zip(nodes, map(float, x), strict=True))
    import networkx as nx  # noqa: PLC0415

    raise nx.PowerIterationFailedConvergence(max_iter)


def graph_at(repo: GitRepo, sha: str, cache: GraphCache) -> ImportGraph:
    """The import graph of a commit: from the cache, else built from all its files."""
    graph = cache.load(repo, sha)
    if graph is None:
        with paused_gc():  # parsing the imports: many objects, no cycles
            graph = build_graph(read_source_files(repo, sha))
        cache.save(repo, sha, graph)
    return graph


def graph_of_change(repo: GitRepo, base: str, head: str, cache: GraphCache) -> ImportGraph:
    """The head's graph: cached, or the base's graph updated with only the changed files."""
    graph = cache.load(repo, head)
    if graph is None:
        base_graph = graph_at(repo, base, cache)
        with paused_gc():  # parsing the changed files' imports: many objects, no cycles
            graph = update_graph(base_graph, read_change(repo, base, head), copy=False)
        cache.save(repo, head, graph)
    return graph
