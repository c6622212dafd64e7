"""Import graphs per commit, cached as gzip JSON in the data directory (never a pickle), and
the head graph of a change made from the base graph by an incremental update."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
import zlib
from pathlib import Path

from analyzers.depgraph import ImportGraph, build_graph, update_graph
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
    """The PageRank of a commit's import graph (networkx's, over scipy): cached, else
    computed and cached; empty for an empty graph."""
    ranks = cache.load_pagerank(repo, sha)
    if ranks is None:
        import networkx as nx  # noqa: PLC0415

        ranks = dict(nx.pagerank(graph.graph)) if len(graph.graph) else {}
        cache.save_pagerank(repo, sha, ranks)
    return ranks


def graph_at(repo: GitRepo, sha: str, cache: GraphCache) -> ImportGraph:
    """The import graph of a commit: from the cache, else built from all its files."""
    graph = cache.load(repo, sha)
    if graph is None:
        graph = build_graph(read_source_files(repo, sha))
        cache.save(repo, sha, graph)
    return graph


def graph_of_change(repo: GitRepo, base: str, head: str, cache: GraphCache) -> ImportGraph:
    """The head's graph: cached, or the base's graph updated with only the changed files."""
    graph = cache.load(repo, head)
    if graph is None:
        graph = update_graph(graph_at(repo, base, cache), read_change(repo, base, head),
                             copy=False)
        cache.save(repo, head, graph)
    return graph
