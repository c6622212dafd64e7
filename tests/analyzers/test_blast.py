"""Blast radius on small import graphs with known answers."""

from __future__ import annotations

import networkx as nx
import pytest

from analyzers.blast import blast_radius, component_of, dependency_path, reverse_closure
from analyzers.coupling import Coupling

# app/cli.py → core/engine.py → core/parse.py ← tests/test_parse.py; web/views.py → app/cli.py
EDGES = [("app/cli.py", "core/engine.py"), ("core/engine.py", "core/parse.py"),
         ("tests/test_parse.py", "core/parse.py"), ("web/views.py", "app/cli.py"),
         ("docs/conf.py", "setup.py")]


@pytest.fixture
def graph() -> nx.DiGraph:
    return nx.DiGraph(EDGES)


def test_reverse_closure_depths_and_paths(graph: nx.DiGraph) -> None:
    depth, towards = reverse_closure(graph, {"core/parse.py"})
    assert depth == {"core/engine.py": 1, "tests/test_parse.py": 1, "app/cli.py": 2,
                     "web/views.py": 3}
    assert dependency_path("web/views.py", towards) == (
        "core/parse.py", "core/engine.py", "app/cli.py", "web/views.py")
    assert reverse_closure(graph, {"core/parse.py"}, max_depth=1)[0] == {
        "core/engine.py": 1, "tests/test_parse.py": 1}


def test_cycles_terminate(graph: nx.DiGraph) -> None:
    graph.add_edge("core/parse.py", "web/views.py")
    depth, _ = reverse_closure(graph, {"core/parse.py"})
    assert depth["web/views.py"] == 3 and "core/parse.py" not in depth


def test_components_combine_imports_and_history(graph: nx.DiGraph) -> None:
    coupling = {"core/parse.py": [Coupling("docs/grammar.md", 4, 0.5),
                                  Coupling("web/views.py", 2, 0.2),
                                  Coupling("setup.py", 2, 0.05)]}
    radius = blast_radius(graph, ["core/parse.py"], coupling)
    by_name = {c.name: c for c in radius.components}
    assert by_name["core"].reach == 1.0 and by_name["core"].import_depth == 1
    assert by_name["app"].reach == 0.5 and by_name["app"].dependency_path == (
        "core/parse.py", "core/engine.py", "app/cli.py")
    assert by_name["web"].reach == pytest.approx(1 - (1 - 1 / 3) * (1 - 0.2))
    assert by_name["docs"].reach == 0.5 and by_name["docs"].import_depth is None
    assert "(root)" not in by_name  # setup.py's rule is below the confidence floor
    assert [c.name for c in radius.components][:2] == ["core", "tests"]
    assert radius.affected_tests == ("tests/test_parse.py",)


def test_centrality_of_changed_files(graph: nx.DiGraph) -> None:
    [parse] = blast_radius(graph, ["core/parse.py"]).changed
    assert (parse.fan_in, parse.fan_out) == (2, 0)
    assert parse.pagerank == max(nx.pagerank(graph).values())


def test_files_outside_the_graph_and_empty_graphs() -> None:
    radius = blast_radius(nx.DiGraph(), ["new.py"])
    assert radius.affected_files == {} and radius.components == ()
    assert radius.changed[0].fan_in == 0


@pytest.mark.parametrize(("path", "component"), [
    ("setup.py", "(root)"), ("IPython/core/x.py", "IPython"), ("src/pkg/a.py", "src/pkg"),
    ("src/a.py", "src"), ("packages/ui/index.ts", "packages/ui")])
def test_component_of(path: str, component: str) -> None:
    assert component_of(path) == component
