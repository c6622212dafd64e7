"""All code facts of one pull request with warm caches: the diff, complexity before and after,
the head import graph, blast radius, coupling, knowledge and reviewers.

Run: .venv/bin/python -m benchmarks.bench_code_facts [--repo PATH] [--merge SHA] [--runs 5]

The pull request is a merge commit's second parent against its first (default: ipython PR
#13206, 49 files). Warm means what an analysis of a later push finds: the graphs of base and
head cached on disk, complexity of already-seen blobs in memory, and the repository's history
already identified (loaded from the store once per worker)."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from analyzers.blast import blast_radius
from analyzers.changes import ChangeRecord, FileTouch, IdentifiedHistory, identify
from analyzers.complexity import ComplexityCache, change_complexity
from analyzers.coupling import coupled_files
from analyzers.diff import pull_request_diff
from analyzers.git import GitRepo
from analyzers.history import HistoryState, developer_id
from analyzers.knowledge import bus_factor, file_experts, suggest_reviewers
from analyzers.miner import mine_history
from app.graph_cache import GraphCache, graph_of_change

DEFAULT_REPO = "/work/.mirror/ipython+ipython/repo"
DEFAULT_MERGE = "24290cb17dbda67c895ba6347a878c60ce09354b"  # ipython PR #13206, 49 files


def history_until(repo: GitRepo, sha: str, commits: int | None) -> IdentifiedHistory:
    """The identified non-merge history of a commit (its last `commits` only, when given), as
    the store would give it."""
    window = [f"{sha}~{commits}"] if commits else []
    return identify(
        ChangeRecord(m.commit.sha, m.commit.commit_time,
                     developer_id(m.commit.author_name, m.commit.author_email),
                     tuple(FileTouch(f.path, f.old_path, f.status,
                                     int(f.features["la"] + f.features["ld"])) for f in m.files))
        for m in mine_history(repo, HistoryState(), [sha], window) if not m.commit.is_merge)


def code_facts(repo: GitRepo, base: str, head: str, history: IdentifiedHistory,
               graphs: GraphCache, complexity: ComplexityCache) -> dict[str, Any]:
    """Every code fact of the change, as the analysis pipeline will compute them."""
    change = pull_request_diff(repo, base, head)
    scored = change.scored()
    deltas = change_complexity(repo, change.base, change.head,
                               [(f.old_path or f.path if f.status != "added" else None,
                                 f.path if f.status != "deleted" else None) for f in scored],
                               cache=complexity)
    graph = graph_of_change(repo, change.base, change.head, graphs).graph
    paths = [f.path for f in scored if f.status != "deleted"]
    coupling = coupled_files(history, paths)
    radius = blast_radius(graph, paths, coupling)
    experts = file_experts(history, paths, now=history.changes[-1][0].time)
    return {"files": len(change.files), "deltas": deltas, "radius": radius,
            "bus_factor": bus_factor(experts),
            "reviewers": suggest_reviewers(experts, author="")}


def main() -> None:
    """Warm the caches once, then time the code facts."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", default=DEFAULT_REPO)
    parser.add_argument("--merge", default=DEFAULT_MERGE)
    parser.add_argument("--base", help="instead of --merge: the change's base")
    parser.add_argument("--head", help="instead of --merge: the change's head")
    parser.add_argument("--history-commits", type=int,
                        help="learn coupling and knowledge from only the base's last N commits")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    repo = GitRepo(args.repo)
    base = repo.resolve(args.base or f"{args.merge}^1")
    head = repo.resolve(args.head or f"{args.merge}^2")
    history = history_until(repo, base, args.history_commits)
    complexity: ComplexityCache = {}
    with tempfile.TemporaryDirectory() as folder:
        graphs = GraphCache(Path(folder))
        started = time.perf_counter()
        facts = code_facts(repo, base, head, history, graphs, complexity)
        cold = time.perf_counter() - started
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            code_facts(repo, base, head, history, graphs, complexity)
            times.append(time.perf_counter() - started)
    print(f"{args.repo} {base[:12]}..{head[:12]}: {facts['files']} files, "
          f"{len(facts['radius'].affected_files)} affected files, "
          f"{len(facts['radius'].components)} components, bus factor {facts['bus_factor']}")
    print(f"cold caches: {cold:.3f}s; warm: median {statistics.median(times):.3f}s of "
          f"{args.runs} (runs: {' '.join(f'{t:.3f}' for t in times)})")


if __name__ == "__main__":
    main()
