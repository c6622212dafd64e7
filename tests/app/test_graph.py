"""`diffrisk graph` and the per-commit graph cache."""

from __future__ import annotations

import gzip
import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzers.depgraph import build_graph
from analyzers.git import GitRepo
from analyzers.sourcetree import read_source_files
from app.cli import main
from app.graph_cache import GraphCache, graph_at, graph_of_change
from tests.gitbuild import RepoBuilder


@pytest.fixture
def project(builder: RepoBuilder) -> RepoBuilder:
    """main: pkg/core.py ← pkg/api.py ← app.py, tests/test_api.py → pkg/api.py; branch pr
    edits core.py and adds pkg/extra.py importing core."""
    builder.write("pkg/__init__.py", "")
    builder.write("pkg/core.py", "VALUE = 1\n")
    builder.write("pkg/api.py", "from pkg import core\n\n\ndef value():\n    return core.VALUE\n")
    builder.write("app.py", "import pkg.api\n")
    builder.write("tests/test_api.py", "from pkg.api import value\n")
    builder.commit("Start")
    builder.checkout("-b", "pr")
    builder.write("pkg/core.py", "VALUE = 2\n")
    builder.write("pkg/extra.py", "from .core import VALUE\n")
    builder.commit("Change core, add extra")
    return builder


def graph_cli(data_dir: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--data-dir", str(data_dir), "graph", *args], env={})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_json_subgraph_of_a_change(project: RepoBuilder, tmp_path: Path) -> None:
    out = json.loads(graph_cli(tmp_path / "data", "--repo", str(project.path)))
    assert out["head"] == project.head()
    assert {(n["path"], n["changed"]) for n in out["nodes"]} == {
        ("pkg/core.py", True), ("pkg/extra.py", True), ("pkg/api.py", False)}
    assert {(e["source"], e["target"]) for e in out["edges"]} == {
        ("pkg/api.py", "pkg/core.py"), ("pkg/extra.py", "pkg/core.py")}


def test_dot_output_to_a_file(project: RepoBuilder, tmp_path: Path) -> None:
    target = tmp_path / "change.dot"
    graph_cli(tmp_path / "data", "--repo", str(project.path), "--base", "main", "--format",
              "dot", "--output", str(target))
    dot = target.read_text()
    assert dot.startswith("digraph imports {")
    assert '"pkg/extra.py" -> "pkg/core.py";' in dot


def test_head_graph_is_the_base_graph_updated_and_both_are_cached(project: RepoBuilder,
                                                                  tmp_path: Path) -> None:
    repo = GitRepo(project.path)
    cache = GraphCache(tmp_path)
    base, head = repo.resolve("main"), repo.resolve("pr")
    updated = graph_of_change(repo, base, head, cache)
    rebuilt = build_graph(read_source_files(repo, head))
    assert set(updated.graph.edges) == set(rebuilt.graph.edges)
    assert cache.file_for(repo, base).exists() and cache.file_for(repo, head).exists()
    assert set(graph_of_change(repo, base, head, cache).graph.edges) == set(
        rebuilt.graph.edges)


def test_a_corrupt_cache_entry_is_rebuilt(project: RepoBuilder, tmp_path: Path) -> None:
    repo = GitRepo(project.path)
    cache = GraphCache(tmp_path)
    head = repo.resolve("pr")
    expected = set(graph_at(repo, head, cache).graph.edges)
    cache.file_for(repo, head).write_bytes(b"not gzip")
    assert cache.load(repo, head) is None
    assert set(graph_at(repo, head, cache).graph.edges) == expected
    with gzip.open(cache.file_for(repo, head), "wt") as handle:
        json.dump({"format": 999}, handle)
    assert cache.load(repo, head) is None


def test_default_branch_and_its_absence(project: RepoBuilder, tmp_path: Path) -> None:
    assert GitRepo(project.path).default_branch() == "main"
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(project.path), str(clone)], check=True)
    assert GitRepo(clone).default_branch() == "origin/pr"  # the source's HEAD is on pr
    project.git("branch", "-m", "main", "trunk")
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "d"), "graph", "--repo",
                                       str(project.path)], env={})
    assert result.exit_code == 2 and "pass --base" in result.stderr


def test_unknown_base_is_one_line(project: RepoBuilder, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path), "graph", "--repo",
                                       str(project.path), "--base", "nope"], env={})
    assert result.exit_code == 2 and "ref 'nope' not found" in result.stderr
