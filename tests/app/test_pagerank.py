"""app.graph_cache's PageRank is networkx's, bit for bit, without importing SciPy; the
complexity files are written as dataclasses.asdict would write them."""

from __future__ import annotations

import dataclasses
import json
import random
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

from analyzers.complexity import measure_source
from app.complexity_cache import plain
from app.graph_cache import pagerank

ROOT = Path(__file__).parents[2]


def random_graph(seed: int) -> nx.DiGraph:
    """A random import-like graph with path names, dangling and isolated nodes, self-loops."""
    rng = random.Random(seed)
    size = rng.randint(1, 120)
    numbered = nx.gnp_random_graph(size, rng.choice([0.0, 0.01, 0.05, 0.3]), seed=seed,
                                   directed=True)
    graph = nx.relabel_nodes(numbered, {n: f"pkg/m{rng.randrange(10**6)}_{n}.py"
                                        for n in numbered})
    if seed % 3 == 0:
        graph.add_edges_from((node, node) for node in list(graph)[:3])
    return graph


@pytest.mark.parametrize("seed", range(60))
def test_pagerank_is_networkx_pagerank_bit_for_bit(seed: int) -> None:
    graph = random_graph(seed)
    expected = nx.pagerank(graph)
    ranks = pagerank(graph)
    assert list(ranks.items()) == list(expected.items())  # same floats, same order
    assert all(type(rank) is float for rank in ranks.values())


def test_pagerank_of_nothing_and_of_an_unconverged_iteration() -> None:
    assert pagerank(nx.DiGraph()) == {}
    graph = nx.DiGraph([("a.py", "b.py"), ("b.py", "c.py"), ("c.py", "a.py"), ("d.py", "a.py")])
    with pytest.raises(nx.PowerIterationFailedConvergence):
        nx.pagerank(graph, max_iter=2)
    with pytest.raises(nx.PowerIterationFailedConvergence):
        pagerank(graph, max_iter=2)


PROBE = """
import sys
from pathlib import Path
import networkx as nx
from analyzers.depgraph import ImportGraph
from analyzers.git import GitRepo
from app.graph_cache import GraphCache, pagerank_at
graph = ImportGraph(nx.DiGraph([("a.py", "b.py"), ("c.py", "b.py")]), {}, {})
ranks = pagerank_at(GitRepo(sys.argv[1]), "0" * 40, graph, GraphCache(Path(sys.argv[2])))
scipy_imported = "scipy" in sys.modules
print(ranks == nx.pagerank(graph.graph), scipy_imported)
"""


def test_pagerank_at_imports_no_scipy(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", PROBE, str(ROOT), str(tmp_path)],
                          capture_output=True, text=True, check=False, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "False"]
    assert list(tmp_path.glob("graphs/*/*.pagerank.json.gz"))


@pytest.mark.parametrize("path", ["analyzers/cyclomatic.py", "app/graph_cache.py", "nope.rs"])
def test_complexity_files_hold_what_asdict_gives(path: str) -> None:
    content = (ROOT / path).read_bytes() if (ROOT / path).exists() else b"fn main() {}\n"
    measured = measure_source(path, content, measures="functions")
    assert json.dumps(plain(measured)) == json.dumps(dataclasses.asdict(measured))
