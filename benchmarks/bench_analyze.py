"""`diffrisk analyze` on a real repository: the first run (mine, label, train, analyse) and warm
runs (everything stored), as whole commands with their wall time, for a change of about 50 files.

The change is base..head where head is the tip of the mirror's default branch and base the
newest first-parent ancestor whose diff with head touches at least FILES files; the store
mines the base's history, so the change is new to it.

    python -m benchmarks.bench_analyze --repo MIRROR [--files 50] [--warm 5] [--store DIR]

With --store DIR the store lives in DIR and is kept: a store that already holds the repository
makes every run warm, so warm runs can be repeated without mining and training again. The
commands run as an installed command does, writing and reusing Python's bytecode cache
(PYTHONDONTWRITEBYTECODE is dropped from their environment).
"""

from __future__ import annotations

import argparse
import json
import os
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


def main() -> None:
    """First run on an empty store, then warm runs; medians."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", required=True)
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--warm", type=int, default=5)
    parser.add_argument("--store", type=Path, default=None,
                        help="data directory to use and keep (default: a temporary one)")
    args = parser.parse_args()
    head = git(args.repo, "rev-parse", "HEAD").strip()
    base, changed = base_for(args.repo, head, args.files)
    with tempfile.TemporaryDirectory() as folder:
        data = args.store or Path(folder)
        data.mkdir(parents=True, exist_ok=True)
        first, report, stderr = timed_analyze(args.repo, data, base, head)
        warm = [timed_analyze(args.repo, data, base, head) for _ in range(args.warm)]
    scored = sum(1 for f in report["files"] if f["skipped"] is None)
    print(json.dumps({
        "repository": args.repo, "commits": int(git(args.repo, "rev-list", "--count", base)),
        "base": base, "head": head, "changed_files": changed, "scored_files": scored,
        "first_run_seconds": round(first, 2), "first_run_steps": report["timings"],
        "training": [line for line in stderr.splitlines() if line.startswith("trained")],
        "warm_seconds": [round(w, 2) for w, _, _ in warm],
        "warm_median_seconds": round(statistics.median(w for w, _, _ in warm), 2),
        "warm_steps_median": {k: round(statistics.median(r["timings"][k] for _, r, _ in warm), 3)
                              for k in warm[0][1]["timings"]},
        "model": report["model"], "gate": report["gate"]["conclusion"]}, indent=2))


if __name__ == "__main__":
    main()
