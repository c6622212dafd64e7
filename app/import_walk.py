"""The import graph of a repository at one commit, moved forward change by change (git I/O)."""

from __future__ import annotations

import networkx as nx

from analyzers.depgraph import ImportGraph, build_graph, update_graph
from analyzers.git import GitRepo
from analyzers.sourcetree import read_change, read_source_files


class GraphWalk:
    """The import graph at a training cut, then moved forward change by change."""

    def __init__(self, repo: GitRepo, sha: str) -> None:
        self.repo = repo
        self.sha = sha
        self.graph: ImportGraph = build_graph(read_source_files(repo, sha))
        self.pagerank = nx.pagerank(self.graph.graph) if len(self.graph.graph) else {}

    def move_to(self, sha: str) -> None:
        """The graph at another commit, updated from the diff of the two trees."""
        changed = read_change(self.repo, self.sha, sha)
        if changed:
            self.graph = update_graph(self.graph, changed, copy=False)
            self.pagerank = nx.pagerank(self.graph.graph) if len(self.graph.graph) else {}
        self.sha = sha
