"""`diffrisk analyze` on a real repository: the first run (mine, label, train, analyse) and warm
runs (everything stored), as whole commands with their wall time, for a change of about 50 files.

The change is base..head where head is the tip of the mirror's default branch and base the
newest first-parent ancestor whose diff with head touches at least FILES files; the store
mines the base's history, so the change is new to it.

    python -m benchmarks.bench_analyze --repo MIRROR [--files 50] [--warm 5] [--store DIR]
        [--new-facts]

With --store DIR the store lives in DIR and is kept: a store that already holds the repository
makes every run warm, so warm runs can be repeated without mining and training again. The
commands run as an installed command does, writing and reusing Python's bytecode cache
(PYTHONDONTWRITEBYTECODE is dropped from their environment).

With --new-facts every warm round is two runs: first a never-measured one, for which the data
directory's per-blob facts of the change are deleted (complexity/, every measured blob; the
head's import graph and its PageRank; the base's graph stays, as the analysis of an earlier
change against the same base left it), as for a new head pushed to a store that has mined the
base; then a warm repeat of the same change. Both are reported, with per-step medians, and
whether every run's report equals the first run's apart from its timings (run with
PYTHONHASHSEED=0: the order of equally near files in a dependency path follows string hashing).
--report-out FILE keeps the first run's report, to compare with another version of diffrisk.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def git(repo: str, *args: str) -> str:
    """git's stdout."""
    return subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True,
                          text=True).stdout


def base_for(repo: str, head: str, files: int) -> tuple[str, int]:
    """The newest first-parent ancestor of head whose diff touches at least `files` files."""
    ancestors = git(repo, "rev-list", "--first-parent", "--max-count=2000", head).split()
    for sha in ancestors[1:]:
        changed = len(git(repo, "diff", "--name-only", sha, head).split())
        if changed >= files:
            return sha, changed
    raise SystemExit(f"no ancestor within 2000 commits changes {files} files")


def timed_analyze(repo: str, data: Path, base: str, head: str) -> tuple[float, dict[str, Any],
                                                                       str]:
    """One `diffrisk analyze --format json` as a subprocess: wall seconds, report, stderr."""
    command = [str(Path(sys.executable).parent / "diffrisk"), "--data-dir", str(data),
               "analyze", "--repo", repo, "--name", "bench", "--base", base, "--head", head,
               "--format", "json"]
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    wall = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"analyze failed ({proc.returncode}): {proc.stderr}")
    return wall, json.loads(proc.stdout), proc.stderr


def forget_facts(repo: str, data: Path, head: str) -> None:
    """Delete what an analysis keeps per measured blob and per head: complexity/ and the head's
    import graph and PageRank (graphs/<repository>/<head>.*)."""
    from analyzers.git import GitRepo  # noqa: PLC0415
    from app.graph_cache import GraphCache  # noqa: PLC0415

    shutil.rmtree(data / "complexity", ignore_errors=True)
    graphs, git_repo = GraphCache(data), GitRepo(repo)
    for kept in (graphs.file_for(git_repo, head), graphs.pagerank_file(git_repo, head)):
        kept.unlink(missing_ok=True)


Run = tuple[float, dict[str, Any], str]


def untimed(report: dict[str, Any]) -> dict[str, Any]:
    """A report without its timings, which are all that may differ between runs."""
    return {key: value for key, value in report.items() if key != "timings"}


def summary(label: str, runs: list[Run]) -> dict[str, Any]:
    """Wall seconds of the runs, their median and the median of every step."""
    if not runs:
        return {}
    return {f"{label}_seconds": [round(w, 2) for w, _, _ in runs],
            f"{label}_median_seconds": round(statistics.median(w for w, _, _ in runs), 2),
            f"{label}_steps_median": {
                k: round(statistics.median(r["timings"][k] for _, r, _ in runs), 3)
                for k in runs[0][1]["timings"]}}


def warm_rounds(repo: str, data: Path, base: str, head: str, rounds: int,
                new_facts: bool) -> tuple[list[Run], list[Run]]:
    """The warm repeats and (with new_facts, each before a repeat) the never-measured runs."""
    warm: list[Run] = []
    new: list[Run] = []
    for _ in range(rounds):
        if new_facts:
            forget_facts(repo, data, head)
            new.append(timed_analyze(repo, data, base, head))
        warm.append(timed_analyze(repo, data, base, head))
    return warm, new


def main() -> None:
    """First run on an empty store, then warm runs; medians."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", required=True)
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--warm", type=int, default=5)
    parser.add_argument("--store", type=Path, default=None,
                        help="data directory to use and keep (default: a temporary one)")
    parser.add_argument("--new-facts", action="store_true",
                        help="before every warm run, one run with the change's facts deleted")
    parser.add_argument("--report-out", type=Path, default=None,
                        help="write the first run's JSON report (without timings) here")
    args = parser.parse_args()
    head = git(args.repo, "rev-parse", "HEAD").strip()
    base, changed = base_for(args.repo, head, args.files)
    with tempfile.TemporaryDirectory() as folder:
        data = args.store or Path(folder)
        data.mkdir(parents=True, exist_ok=True)
        first, report, stderr = timed_analyze(args.repo, data, base, head)
        warm, new = warm_rounds(args.repo, data, base, head, args.warm, args.new_facts)
    scored = sum(1 for f in report["files"] if f["skipped"] is None)
    if args.report_out is not None:
        args.report_out.write_text(json.dumps(untimed(report), indent=1, sort_keys=True) + "\n")
    print(json.dumps({
        "repository": args.repo, "commits": int(git(args.repo, "rev-list", "--count", base)),
        "base": base, "head": head, "changed_files": changed, "scored_files": scored,
        "first_run_seconds": round(first, 2), "first_run_steps": report["timings"],
        "training": [line for line in stderr.splitlines() if line.startswith("trained")],
        **summary("warm", warm), **summary("new_facts", new),
        "reports_equal_first": all(untimed(r) == untimed(report) for _, r, _ in warm + new),
        "model": report["model"], "gate": report["gate"]["conclusion"]}, indent=2))


if __name__ == "__main__":
    main()
