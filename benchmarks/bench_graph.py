"""Time the import graph: a full build at head against an incremental update from base.

Run: .venv/bin/python -m benchmarks.bench_graph --repo PATH [--head HEAD] [--base REV]
     [--changed 20] [--repeat 5]

Without --base, base is the first first-parent ancestor of head that differs from it in at
least --changed graph files (Python, JavaScript, TypeScript). Each repetition runs, one after
the other: read every file at head + build (the full rebuild); read the change + update the
base graph held in memory (update_graph copies it); the same starting from the JSON cache
(loads, from_dict, read the change, update in place); and the base graph's JSON round trip.
The table shows medians; the updated graph is checked to equal the full rebuild.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from analyzers.depgraph import ImportGraph, build_graph, graph_language, update_graph
from analyzers.git import GitRepo
from analyzers.sourcetree import read_change, read_source_files


def timed(task: Callable[[], Any]) -> tuple[float, Any]:
    """Wall time of one call and its result."""
    start = time.perf_counter()
    result = task()
    return time.perf_counter() - start, result


def changed_graph_files(repo: GitRepo, base: str, head: str) -> list[str]:
    """Graph files that differ between two commits."""
    names = repo.output(["diff", "--name-only", "-z", "--no-renames", base, head]).split(b"\0")
    return [name.decode() for name in names if name and graph_language(name.decode())]


def pick_base(repo: GitRepo, head: str, wanted: int) -> str:
    """The nearest first-parent ancestor with at least `wanted` changed graph files."""
    ancestors = repo.output(["rev-list", "--first-parent", "-n", "2000", head]).split()
    for ancestor in (sha.decode() for sha in ancestors[1:]):
        if len(changed_graph_files(repo, ancestor, head)) >= wanted:
            return ancestor
    raise SystemExit(f"no ancestor of {head} within 2000 commits changes {wanted} graph files")


def full_rebuild(repo: GitRepo, head: str) -> ImportGraph:
    """Read every graph file at head and build."""
    return build_graph(read_source_files(repo, head))


def json_round_trip(graph: ImportGraph) -> ImportGraph:
    """What a cache hit costs: serialise to JSON text and load it back."""
    return ImportGraph.from_dict(json.loads(json.dumps(graph.to_dict())))


def update_from_cache(cached: str, repo: GitRepo, base: str, head: str) -> ImportGraph:
    """The pull-request path from a cache hit: load the base graph, update it in place."""
    graph = ImportGraph.from_dict(json.loads(cached))
    return update_graph(graph, read_change(repo, base, head), copy=False)


def main() -> None:
    """Parse arguments, run the measurements and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", required=True)
    parser.add_argument("--head", default="HEAD")
    parser.add_argument("--base")
    parser.add_argument("--changed", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    repo = GitRepo(args.repo)
    head = repo.resolve(args.head)
    base = repo.resolve(args.base) if args.base else pick_base(repo, head, args.changed)
    base_graph = full_rebuild(repo, base)
    times: dict[str, list[float]] = {"read files at head": [], "build graph": [],
                                     "full rebuild (read + build)": [],
                                     "read change": [], "update graph": [],
                                     "incremental (read change + update)": [],
                                     "from JSON cache (load + read + update)": [],
                                     "JSON cache round trip": []}
    cached = json.dumps(base_graph.to_dict())
    for _ in range(args.repeat):
        read_time, files = timed(partial(read_source_files, repo, head))
        build_time, full = timed(partial(build_graph, files))
        change_time, change = timed(partial(read_change, repo, base, head))
        update_time, updated = timed(partial(update_graph, base_graph, change))
        cached_time, _ = timed(partial(update_from_cache, cached, repo, base, head))
        cache_time, _ = timed(partial(json_round_trip, base_graph))
        if updated.to_dict() != full.to_dict():
            raise SystemExit("the updated graph differs from the full rebuild")
        for name, seconds in (("read files at head", read_time), ("build graph", build_time),
                              ("full rebuild (read + build)", read_time + build_time),
                              ("read change", change_time), ("update graph", update_time),
                              ("incremental (read change + update)", change_time + update_time),
                              ("from JSON cache (load + read + update)", cached_time),
                              ("JSON cache round trip", cache_time)):
            times[name].append(seconds)
    print(f"repo {args.repo}: head {head[:12]}, base {base[:12]}; {len(files)} graph files, "
          f"{full.graph.number_of_edges()} edges; {len(change)} changed graph files; "
          f"medians of {args.repeat}")
    for name, samples in times.items():
        print(f"  {name:<40} {statistics.median(samples) * 1000:9.1f} ms")
    speedup = (statistics.median(times["full rebuild (read + build)"])
               / statistics.median(times["incremental (read change + update)"]))
    print(f"  incremental is {speedup:.1f}x faster than a full rebuild")


if __name__ == "__main__":
    main()
