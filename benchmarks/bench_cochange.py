"""Co-change prediction on held-out commits: give one changed file, predict the others from the
import graph, from co-change history, and from both; precision and recall at 5 and 10.

Run: .venv/bin/python -m benchmarks.bench_cochange --repo PATH [--test-share 0.1]

The history is mined with our miner; the last test-share of non-merge commits (topological
order) is held out. Coupling is learned only from the commits before the split, and the import
graph is built at the last commit before it, so nothing looks into the held-out future.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass

from analyzers.changes import ChangeRecord, FileTouch, identify
from analyzers.cochange import Evidence, graph_hit_rates, precision_recall_at, rank_cochanges
from analyzers.coupling import coupled_files
from analyzers.depgraph import build_graph
from analyzers.git import GitRepo
from analyzers.history import HistoryState, developer_id
from analyzers.miner import mine_history
from analyzers.sourcetree import read_source_files

EVIDENCE: tuple[Evidence, ...] = ("coupling", "graph", "both")
# The graph's distance → co-change rate is calibrated on the newest training commits.
CALIBRATION_COMMITS = 2000
KS = (5, 10)
MAX_FILES = 30


@dataclass(frozen=True)
class Split:
    """The training history, the held-out commits and the commit the graph is built at."""

    train: list[ChangeRecord]
    test: list[ChangeRecord]
    graph_commit: str


def mined_records(repo: GitRepo) -> list[ChangeRecord]:
    """Non-merge commits of HEAD's history as change records, oldest first."""
    return [ChangeRecord(m.commit.sha, m.commit.commit_time,
                         developer_id(m.commit.author_name, m.commit.author_email),
                         tuple(FileTouch(f.path, f.old_path, f.status,
                                         int(f.features["la"] + f.features["ld"]))
                               for f in m.files))
            for m in mine_history(repo, HistoryState()) if not m.commit.is_merge]


def split(records: Sequence[ChangeRecord], test_share: float) -> Split:
    """Time-ordered split; held-out commits change 2 to MAX_FILES files that exist after them."""
    cut = int(len(records) * (1 - test_share))
    test = [r for r in records[cut:]
            if 2 <= len([f for f in r.files if f.status != "D"]) <= MAX_FILES]
    return Split(list(records[:cut]), test, records[cut - 1].sha)


def evaluate(data: Split, repo: GitRepo) -> tuple[dict[str, dict[str, float]], dict[int, float]]:
    """Mean precision and recall at each k for each kind of evidence, and the graph's
    calibrated co-change rate by distance."""
    graph = build_graph(read_source_files(repo, data.graph_commit)).graph
    pairs = [(r, f.path) for r in data.test for f in r.files if f.status != "D"]
    rules = coupled_files(identify(data.train), {given for _, given in pairs}, min_support=1)
    rates = graph_hit_rates(graph, data.train[-CALIBRATION_COMMITS:])
    scores: dict[str, dict[str, list[float]]] = {e: {} for e in EVIDENCE}
    for record, given in pairs:
        actual = {f.path for f in record.files if f.status != "D"} - {given}
        for evidence in EVIDENCE:
            ranked = rank_cochanges(graph, rules, given, evidence, limit=max(KS),
                                    hit_rates=rates)
            for k in KS:
                precision, recall = precision_recall_at(ranked, actual, k)
                scores[evidence].setdefault(f"P@{k}", []).append(precision)
                scores[evidence].setdefault(f"R@{k}", []).append(recall)
    return {e: {m: statistics.fmean(v) for m, v in s.items()} for e, s in scores.items()}, rates


def main() -> None:
    """Parse arguments, run the evaluation, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", required=True, help="a git clone or bare mirror")
    parser.add_argument("--test-share", type=float, default=0.1, help="held-out share")
    args = parser.parse_args()
    repo = GitRepo(args.repo)
    started = time.perf_counter()
    data = split(mined_records(repo), args.test_share)
    table, rates = evaluate(data, repo)
    pairs = sum(len([f for f in r.files if f.status != "D"]) for r in data.test)
    print(f"{args.repo}: {len(data.train)} training commits, {len(data.test)} held-out commits "
          f"with 2-{MAX_FILES} files, {pairs} (commit, given file) pairs; graph at "
          f"{data.graph_commit[:12]}; {time.perf_counter() - started:.1f}s")
    print("graph co-change rate by import distance (calibration): " + ", ".join(
        f"d={d}: {rate:.3f}" for d, rate in sorted(rates.items())))
    print(f"{'evidence':10}" + "".join(f"{m:>8}" for m in ("P@5", "R@5", "P@10", "R@10")))
    for evidence, metrics in table.items():
        print(f"{evidence:10}" + "".join(f"{metrics[m]:8.3f}"
                                         for m in ("P@5", "R@5", "P@10", "R@10")))


if __name__ == "__main__":
    main()
