"""Time our SZZ per fix against PyDriller's, label a whole history, and score both on known truth.

Run: .venv/bin/python -m benchmarks.bench_szz --repo PATH [--sample 200] [--seeds 4]

Fixes are the commits of HEAD whose message FixMatcher accepts; the miner's facts of the same
single `git log` pass select the revisions blame looks through (merges, huge commits) together
with the project's own .git-blame-ignore-revs. Per fix, on the same seeded sample and in the same
run, interleaved so that a noisy machine slows all alike: our labelling of that one fix (its own
`git log -p` and blames, with one and with two blame workers) and PyDriller's
`Git(path).get_commits_last_modified_lines(get_commit(sha))`. Both read a shared clone of the
repository, because PyDriller writes to the configuration of the repository it opens. The whole
history is then labelled in one call. Last, precision and recall of ours and of plain SZZ
against generated histories whose bug-inducing commits are known (tests/szz_truth.py).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from pydriller import Git

from analyzers.fixes import FixMatcher
from analyzers.git import GitRepo
from analyzers.gitlog import iter_log
from analyzers.szz import (
    FixCommit,
    SzzOptions,
    declared_ignored_revisions,
    find_bug_inducing,
    select_ignored_revisions,
)
from benchmarks.pydriller_reference import pydriller_readable
from tests.gitbuild import RepoBuilder
from tests.szz_truth import WITHOUT_REFINEMENT, generate_history, measure_pooled, ours, plain

# The targets: 2x faster per fix than PyDriller, a whole history in 3 minutes.
MIN_SPEEDUP_OVER_PYDRILLER = 2.0
MAX_HISTORY_SECONDS = 180.0


@dataclass(frozen=True)
class History:
    """What one pass of the miner gives SZZ: the fixes and the revisions to look through."""

    fixes: list[FixCommit]
    ignored: frozenset[str]
    merges: frozenset[str]
    commits: int
    seconds: float


def read_history(repo: GitRepo, matcher: FixMatcher) -> History:
    """Fixes and looked-through revisions of HEAD from one streamed log, as mining has them."""
    started = time.perf_counter()
    fixes, facts, merges = [], [], set()
    for commit in iter_log(repo, ["HEAD"]):
        if commit.is_merge:
            merges.add(commit.sha)
        lines = sum(change.added + change.deleted for change in commit.files)
        facts.append((commit.sha, len(commit.files), lines, commit.is_merge))
        if matcher.is_fix(commit.message):
            fixes.append(FixCommit(commit.sha, commit.commit_time))
    ignored = select_ignored_revisions(facts) | declared_ignored_revisions(repo)
    return History(fixes, ignored, frozenset(merges), len(facts), time.perf_counter() - started)


def milliseconds(action: Callable[[], object]) -> float:
    """Wall time of one call, in milliseconds."""
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def time_per_fix(path: str, history: History, fixes: list[FixCommit],
                 options: SzzOptions) -> dict[str, list[float]]:
    """Per-fix milliseconds of ours (1 and 2 workers) and PyDriller, interleaved fix by fix."""
    repo, pydriller, merges = GitRepo(path), Git(path), history.merges
    one_worker = replace(options, workers=1)
    runs: dict[str, Callable[[FixCommit], object]] = {
        "ours, 2 workers": lambda fix: list(
            find_bug_inducing(repo, [fix], options, merges=merges)),
        "ours, 1 worker": lambda fix: list(
            find_bug_inducing(repo, [fix], one_worker, merges=merges)),
        "PyDriller": lambda fix: pydriller.get_commits_last_modified_lines(
            pydriller.get_commit(fix.sha)),
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    for i, fix in enumerate(fixes):
        order = list(runs) if i % 2 == 0 else list(reversed(runs))
        for name in order:
            times[name].append(milliseconds(partial(runs[name], fix)))
    return times


def percentile(values: list[float], share: float) -> float:
    """The value below which a share of the values lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def time_sample_at_once(repo: GitRepo, history: History, fixes: list[FixCommit],
                        options: SzzOptions) -> float:
    """Mean milliseconds per fix when the whole sample is labelled in one call (as mining does)."""
    total = milliseconds(lambda: list(
        find_bug_inducing(repo, fixes, options, merges=history.merges)))
    return total / len(fixes)


def print_per_fix(times: dict[str, list[float]], at_once: float) -> None:
    """A table of median and p90 milliseconds per fix, and the speed-up over PyDriller."""
    reference = statistics.median(times["PyDriller"])
    print(f"  {'labeller':16} {'median ms':>10} {'p90 ms':>8} {'PyDriller/this':>15}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:16} {median:10.1f} {percentile(values, 0.9):8.1f} "
              f"{reference / median:14.2f}x")
    pydriller_mean = statistics.mean(times["PyDriller"])
    print(f"  mean ms per fix: PyDriller {pydriller_mean:.1f}, ours one call per fix "
          f"{statistics.mean(times['ours, 2 workers']):.1f}, ours whole sample in one call "
          f"{at_once:.1f} ({pydriller_mean / at_once:.2f}x)")
    speedup = reference / statistics.median(times["ours, 2 workers"])
    verdict = "meets" if speedup >= MIN_SPEEDUP_OVER_PYDRILLER else "MISSES"
    print(f"  target ≥{MIN_SPEEDUP_OVER_PYDRILLER:g}x faster per fix: {verdict}")


def label_whole_history(repo: GitRepo, history: History, options: SzzOptions) -> None:
    """Label every fix of the history in one call and print the times."""
    started = time.perf_counter()
    links = list(find_bug_inducing(repo, history.fixes, options, merges=history.merges))
    labelled = time.perf_counter() - started
    total = history.seconds + labelled
    fixes_linked = len({link.fix_sha for link in links})
    print(f"  log pass (fixes + facts): {history.seconds:.1f} s for {history.commits} commits")
    print(f"  labelling: {labelled:.1f} s for {len(history.fixes)} fixes "
          f"({labelled / max(1, len(history.fixes)) * 1000:.1f} ms per fix), "
          f"{len(links)} links, {fixes_linked} fixes linked")
    verdict = "meets" if total <= MAX_HISTORY_SECONDS else "MISSES"
    print(f"  whole history: {total:.1f} s; target ≤{MAX_HISTORY_SECONDS:g} s: {verdict}")


def truth_table(seeds: int) -> None:
    """Precision and recall of ours, plain and ours minus each refinement, over seeded truths."""
    with tempfile.TemporaryDirectory(prefix="diffrisk-szz-truth-") as scratch:
        histories = [generate_history(RepoBuilder(Path(scratch) / f"repo{seed}"), seed=seed)
                     for seed in range(1, seeds + 1)]
        commits = sum(h.commit_count for h in histories)
        fixes = sum(len(h.fixes) for h in histories)
        print(f"  {seeds} generated histories, {commits} commits, {fixes} fixes with known truth")
        print(f"  {'labeller':36} {'precision':>9} {'recall':>7} {'links':>6}")
        variants = {"ours": ours, "plain SZZ": plain, **{
            f"ours without {name}": options_for
            for name, options_for in WITHOUT_REFINEMENT.items()}}
        for name, options_for in variants.items():
            accuracy = measure_pooled(histories, options_for)
            print(f"  {name:36} {accuracy.precision:9.3f} {accuracy.recall:7.3f} "
                  f"{accuracy.predicted:6d}")
        print(f"  {'published plain SZZ':36} {0.39:9.2f} {0.69:7.2f}")
        print(f"  {'best published variant':36} {'0.66-0.73':>9} {0.57:7.2f}")


def main(argv: list[str] | None = None) -> None:
    """Run the SZZ benchmark on one repository and print the results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repo", required=True, help="path of a git clone or bare mirror")
    parser.add_argument("--sample", type=int, default=200, help="fixes timed one by one")
    parser.add_argument("--seeds", type=int, default=4, help="generated truth histories")
    parser.add_argument("--seed", type=int, default=1, help="seed of the fix sample")
    args = parser.parse_args(argv)
    with pydriller_readable(args.repo) as path:
        repo = GitRepo(path)
        history = read_history(repo, FixMatcher())
        options = SzzOptions(ignore_revs=history.ignored)
        sample = random.Random(args.seed).sample(history.fixes,
                                                 min(args.sample, len(history.fixes)))
        print(f"{args.repo}: {history.commits} commits, {len(history.fixes)} fixes, "
              f"{len(history.ignored)} revisions looked through")
        print(f"Per fix, {len(sample)} sampled fixes:")
        per_fix = time_per_fix(path, history, sample, options)
        print_per_fix(per_fix, time_sample_at_once(repo, history, sample, options))
        print("Whole history:")
        label_whole_history(repo, history, options)
    print("Accuracy against known truth:")
    truth_table(args.seeds)


if __name__ == "__main__":
    main()
