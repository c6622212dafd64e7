"""Co-change ranking from graph proximity and history."""

from __future__ import annotations

import networkx as nx
import pytest

from analyzers.changes import ChangeRecord, FileTouch
from analyzers.cochange import graph_hit_rates, graph_scores, precision_recall_at, rank_cochanges
from analyzers.coupling import Coupling

GRAPH = nx.DiGraph([("a.py", "b.py"), ("b.py", "c.py"), ("c.py", "d.py"), ("t.py", "a.py")])
RULES = {"b.py": [Coupling("docs.md", 3, 0.6), Coupling("c.py", 2, 0.4)]}


def test_graph_scores_look_both_ways_two_steps() -> None:
    assert graph_scores(GRAPH, "b.py") == {"a.py": 1.0, "c.py": 1.0, "t.py": 0.5, "d.py": 0.5}
    assert graph_scores(GRAPH, "nowhere.py") == {}


def test_rankings_by_evidence() -> None:
    assert rank_cochanges(GRAPH, RULES, "b.py", "coupling") == ["docs.md", "c.py"]
    assert rank_cochanges(GRAPH, RULES, "b.py", "graph") == ["a.py", "c.py", "d.py", "t.py"]
    both = rank_cochanges(GRAPH, RULES, "b.py", "both", limit=3)
    assert both == ["a.py", "c.py", "docs.md"]  # 1.0, 1.0, 0.6; c's 1 − 0·0.6 ties a at 1.0


def test_precision_and_recall_at_k() -> None:
    assert precision_recall_at(["a", "b", "c"], {"b", "z"}, 2) == (0.5, 0.5)
    assert precision_recall_at([], {"b"}, 5) == (0.0, 0.0)
    assert precision_recall_at(["a"], set(), 5) == pytest.approx((0.0, 0.0))


def test_graph_hit_rates_turn_distance_into_a_probability() -> None:
    history = [
        ChangeRecord("c1", 1, "ann", (FileTouch("a.py", None, "M", 1),
                                      FileTouch("b.py", None, "M", 1))),
        ChangeRecord("c2", 2, "ann", (FileTouch("a.py", None, "M", 1),
                                      FileTouch("d.py", None, "M", 1))),
        ChangeRecord("c3", 3, "ann", (FileTouch("c.py", None, "M", 1),)),  # one file: ignored
    ]
    # c1: a sees b(1) t(1) c(2) → b hits; b sees a(1) c(1) t(2) d(2) → a hits.
    # c2: a sees b(1) t(1) c(2); d sees c(1) b(2); no hits.
    assert graph_hit_rates(GRAPH, history) == {1: 2 / 7, 2: 0 / 5}
    rates = {1: 0.3, 2: 0.1}
    assert graph_scores(GRAPH, "b.py", rates) == {"a.py": 0.3, "c.py": 0.3, "t.py": 0.1,
                                                  "d.py": 0.1}
    assert rank_cochanges(GRAPH, RULES, "b.py", "both", hit_rates=rates)[:2] == [
        "docs.md", "c.py"]  # 0.6, then 1 − 0.7·0.6 = 0.58
