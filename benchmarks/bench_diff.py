"""Time pull_request_diff on a real pull request against the bare `git diff` it is built on.

Run: .venv/bin/python -m benchmarks.bench_diff [--repo PATH] [--merge SHA] [--runs 5]

The pull request is a merge commit's second parent against its first parent, so the diff is
merge-base..head as GitHub shows it. Defaults: ipython's PR #13206 (49 files, +1466 -1395) in
the bare mirror. The floor is one `git diff -p -M -C` of the same range, read and discarded.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time
from collections.abc import Callable

from analyzers.diff import pull_request_diff
from analyzers.git import GitRepo

DEFAULT_REPO = "/work/.mirror/ipython+ipython/repo"
DEFAULT_MERGE = "24290cb17dbda67c895ba6347a878c60ce09354b"  # ipython PR #13206, 49 files


def median_seconds(task: Callable[[], object], runs: int) -> float:
    """Median wall time of runs calls, after one warm-up call."""
    task()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        task()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def raw_git_diff(path: str, base: str, head: str) -> None:
    """The floor: git's own patch of merge-base..head, read to its end."""
    subprocess.run(["git", "-C", path, "diff", "-p", "-M", "-C", "--no-ext-diff",
                    "--no-textconv", f"{base}...{head}", "--"],
                   capture_output=True, check=True)


def main() -> None:
    """Print the median times of ours and of the floor, and what the diff holds."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repo", default=DEFAULT_REPO)
    parser.add_argument("--merge", default=DEFAULT_MERGE)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    repo = GitRepo(options.repo)
    base, head = f"{options.merge}^1", f"{options.merge}^2"
    change = pull_request_diff(repo, base, head)
    ours = median_seconds(lambda: pull_request_diff(repo, base, head), options.runs)
    floor = median_seconds(lambda: raw_git_diff(options.repo, base, head), options.runs)
    lines = sum(changed.additions + changed.deletions for changed in change.files)
    print(f"{len(change.files)} files ({len(change.skipped())} skipped), {lines} lines changed")
    print(f"pull_request_diff: median {ours * 1000:.1f} ms of {options.runs} runs")
    print(f"git diff -p alone: median {floor * 1000:.1f} ms ({ours / floor:.2f}x)")


if __name__ == "__main__":
    main()
