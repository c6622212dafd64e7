"""The anomaly score on real histories: recall of injected anomalies, false positives on real
held-out commits, and AUC against SZZ labels (reported, not optimised).

Run: .venv/bin/python -m benchmarks.bench_anomaly --csv /work/scratch/mined/flask.csv [...]

Per repository (one CSV written by diffrisk's miner, one row per non-merge commit): rows sorted
by date, the older 80 % fit the isolation forest and learn the rule baseline, the newer 20 % are
held out. Authors and changed paths come from the SQLite store next to the CSV (<name>.db) when
present; a file's added/deleted lines are its churn split in the change's la:ld ratio.

Injected anomalies are copies of held-out real commits with one thing changed:
- churn: la and ld × U(20, 100), lt unchanged, on commits with at least the history's median
  churn (la + ld);
- mass_deletion: ld × U(20, 100) (at least 200 lines) and 5–30 more deleted files;
- late_night: the hour set to 03:00, for commits whose author made under 2 % of their past
  changes between 02:00 and 04:59 (a daytime author);
- unusual_files: 10–30 added files under a top-level directory and with an extension never seen
  in the history (nf, nd, ns, nadded, la, entropy updated to match).
An injected change is caught by the model when its score is above the history's top-5 % score,
by the rules when the rule of its kind fires. The false-positive rate is the share of real
held-out commits above that threshold (by construction about 5 % if nothing drifted) and the
share on which any rule fires. The late_night pool is picked by the rule's own criterion, so its
rule recall is 100 % by construction: the rule's firing rate on real commits is the figure that
matters. complexity_spike and new_dependency cannot fire here (the CSV has neither per-file
complexity nor manifest lines); tests/models/test_anomaly.py covers them.
"""

from __future__ import annotations

import argparse
import csv
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from models.anomaly import DEFAULT_FEATURES, AnomalyModel, fit_anomaly_model
from models.anomaly_rules import (
    AnomalyBaseline,
    ChangeFacts,
    FileLines,
    evaluate_rules,
    history_change,
    learn_baseline,
    share_near,
)
from models.metrics import roc_auc

FloatArray = NDArray[np.float64]
TRAIN_SHARE = 0.8
TOP_PERCENT = 5.0
INJECTION_KINDS = ("churn", "mass_deletion", "late_night", "unusual_files")
RULE_KINDS = ("large_commit", "mass_deletion", "complexity_spike", "late_night",
              "unusual_file_pattern", "new_dependency")
RULE_OF_KIND = {"churn": "large_commit", "mass_deletion": "mass_deletion",
                "late_night": "late_night", "unusual_files": "unusual_file_pattern"}


@dataclass(frozen=True)
class Commit:
    """One mined commit: its features, SZZ label, author and files (when the store has them)."""

    sha: str
    date: int
    features: dict[str, float]
    bug: int
    author: str
    files: tuple[FileLines, ...]


def read_csv(path: Path) -> list[dict[str, str]]:
    """The CSV's rows sorted by date (stable, so mining order breaks ties)."""
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return sorted(rows, key=lambda r: int(r["date"]))


def store_records(db: Path) -> dict[str, tuple[str, tuple[tuple[str, str, int], ...]]]:
    """Per sha: the author and (path, status, churn) of each file, from the mined store."""
    if not db.exists():
        return {}
    from app.storage.database import open_store  # noqa: PLC0415
    from app.storage.feature_store import FeatureStore  # noqa: PLC0415

    store = FeatureStore(open_store(f"sqlite:///{db}"))
    rid = store.repository_id(db.stem)
    if rid is None:
        return {}
    return {r.sha: (r.author, tuple((f.path, f.status, f.churn) for f in r.files))
            for r in store.change_records(rid)}


def file_lines(features: dict[str, float],
               touches: Sequence[tuple[str, str, int]]) -> tuple[FileLines, ...]:
    """Files with their churn split into added and deleted in the change's la:ld ratio."""
    total = features["la"] + features["ld"]
    share = features["la"] / total if total else 1.0
    return tuple(FileLines(path, round(churn * share), churn - round(churn * share), status[:1])
                 for path, status, churn in touches)


def load_commits(csv_path: Path) -> list[Commit]:
    """The repository's commits in date order, joined with the store's authors and files."""
    records = store_records(csv_path.with_suffix(".db"))
    commits = []
    for row in read_csv(csv_path):
        features = {n: float(row[n]) for n in row if n not in ("id", "date", "bug",
                                                                "bug_known_at") and row[n] != ""}
        author, touches = records.get(row["id"], ("?", ()))
        commits.append(Commit(row["id"], int(row["date"]), features, int(row["bug"] or 0),
                              author, file_lines(features, touches)))
    return commits


def matrix(commits: Sequence[Commit]) -> FloatArray:
    """The model's feature rows."""
    return np.array([[c.features.get(n, 0.0) for n in DEFAULT_FEATURES] for c in commits])


def baseline_of(commits: Sequence[Commit]) -> AnomalyBaseline:
    """The rule baseline learned from past commits."""
    return learn_baseline([history_change(c.features, c.author, [f.path for f in c.files])
                           for c in commits])


def inject_churn(commit: Commit, rng: np.random.Generator) -> Commit:
    """La and ld × U(20, 100)."""
    factor = rng.uniform(20, 100)
    features = dict(commit.features, la=math.ceil(commit.features["la"] * factor) + 20,
                    ld=math.ceil(commit.features["ld"] * factor))
    files = tuple(replace(f, added=math.ceil(f.added * factor) + 20 // max(len(commit.files), 1),
                          deleted=math.ceil(f.deleted * factor)) for f in commit.files)
    return replace(commit, features=features, files=files)


def inject_mass_deletion(commit: Commit, rng: np.random.Generator) -> Commit:
    """Ld × U(20, 100) (at least 200) and 5–30 more deleted files."""
    extra = int(rng.integers(5, 31))
    deleted = max(math.ceil(commit.features["ld"] * rng.uniform(20, 100)), 200)
    gone = tuple(FileLines(f"{d}/removed_{i}.py", 0, deleted // (2 * extra), "D")
                 for i, d in enumerate(_known_dirs(commit, extra)))
    features = dict(commit.features, ld=float(deleted), nf=commit.features["nf"] + extra,
                    ndeleted=commit.features["ndeleted"] + extra,
                    nsource=commit.features["nsource"] + extra)
    return replace(commit, features=features, files=commit.files + gone)


def _known_dirs(commit: Commit, count: int) -> list[str]:
    dirs = sorted({f.path.rsplit("/", 1)[0] for f in commit.files if "/" in f.path}) or ["src"]
    return [dirs[i % len(dirs)] for i in range(count)]


def inject_late_night(commit: Commit, rng: np.random.Generator) -> Commit:
    """The same change at 03:00."""
    return replace(commit, features=dict(commit.features, hour=3.0))


def inject_unusual_files(commit: Commit, rng: np.random.Generator) -> Commit:
    """10–30 added files under a never-seen top-level directory with a never-seen extension."""
    extra = int(rng.integers(10, 31))
    lines = [int(rng.integers(20, 200)) for _ in range(extra)]
    added = tuple(FileLines(f"zz_unseen_{int(rng.integers(1_000_000))}/part{i // 5}/blob_{i}.xyzq",
                            n, 0, "A") for i, n in enumerate(lines))
    nf = commit.features["nf"] + extra
    features = dict(commit.features, nf=nf, nadded=commit.features["nadded"] + extra,
                    nd=commit.features["nd"] + extra // 5 + 1, ns=commit.features["ns"] + 1,
                    la=commit.features["la"] + sum(lines), nlang=commit.features["nlang"] + 1,
                    entropy=math.log2(nf) * 0.9)
    return replace(commit, features=features, files=commit.files + added)


INJECTORS: dict[str, Callable[[Commit, np.random.Generator], Commit]] = {
    "churn": inject_churn, "mass_deletion": inject_mass_deletion,
    "late_night": inject_late_night, "unusual_files": inject_unusual_files}


def daytime_author(commit: Commit, baseline: AnomalyBaseline) -> bool:
    """Whether the author has enough history and rarely works around 03:00."""
    hours = baseline.author_hours.get(commit.author)
    if hours is None or sum(hours) < 10:
        hours = baseline.repository_hours
    return share_near(hours, 3) < 0.02 and commit.features["hour"] not in (2, 3, 4)


def eligible(kind: str, commit: Commit, baseline: AnomalyBaseline, median_churn: float) -> bool:
    """Whether a held-out commit can carry an injection of this kind: churn needs at least
    the history's median churn (20× a one-line fix is not unusual), late_night a daytime
    author."""
    if kind == "churn":
        return commit.features["la"] + commit.features["ld"] >= median_churn
    return kind != "late_night" or daytime_author(commit, baseline)


def kinds_fired(commit: Commit, baseline: AnomalyBaseline) -> set[str]:
    """The kinds of the rules that fire on a commit."""
    facts = ChangeFacts(commit.features, commit.files, commit.author)
    return {f.kind for f in evaluate_rules(facts, baseline)}


@dataclass(frozen=True)
class RepositoryResult:
    """One repository's figures."""

    name: str
    n_train: int
    n_test: int
    threshold: float
    fpr_model: float
    fpr_rules: float
    auc_bug: float
    positives: int
    recall_model: dict[str, tuple[float, int]]
    recall_rules: dict[str, float]
    recall_either: dict[str, float]
    fpr_either: float
    rule_rates: dict[str, float]
    fit_seconds: float
    score_us: float
    rules_us: float
    json_kb: float


def timed_scores(model: AnomalyModel, rows: FloatArray) -> tuple[FloatArray, float]:
    """Each row scored one at a time, and the median microseconds per score."""
    scores, times = [], []
    for row in rows:
        start = time.perf_counter()
        scores.append(model.score(row)[0])
        times.append(time.perf_counter() - start)
    return np.array(scores), float(np.median(times) * 1e6)


def evaluate(csv_path: Path, seed: int, injections: int) -> RepositoryResult:
    """Fit on the older 80 %, evaluate on the newer 20 % and on injected copies of it."""
    commits = load_commits(csv_path)
    split = int(TRAIN_SHARE * len(commits))
    train, test = commits[:split], commits[split:]
    started = time.perf_counter()
    baseline = baseline_of(train)
    fitted = fit_anomaly_model(matrix(train), DEFAULT_FEATURES, seed, baseline)
    fit_seconds = time.perf_counter() - started
    text = fitted.to_json()
    model = AnomalyModel.from_json(text)
    threshold = model.threshold(TOP_PERCENT)
    real, score_us = timed_scores(model, matrix(test))
    started = time.perf_counter()
    real_fired = [kinds_fired(c, baseline) for c in test]
    rules_us = (time.perf_counter() - started) / len(test) * 1e6
    labels = np.array([c.bug for c in test], dtype=np.int64)
    median_churn = float(np.median([c.features["la"] + c.features["ld"] for c in train]))
    rng = np.random.default_rng(seed)
    recall_model: dict[str, tuple[float, int]] = {}
    recall_rules: dict[str, float] = {}
    recall_either: dict[str, float] = {}
    for kind, inject in INJECTORS.items():
        pool = [c for c in test if eligible(kind, c, baseline, median_churn)]
        chosen = rng.choice(len(pool), size=min(injections, len(pool)), replace=False)
        injected = [inject(pool[i], rng) for i in chosen]
        scores = model.scores(matrix(injected))
        by_rule = np.array([RULE_OF_KIND[kind] in kinds_fired(c, baseline) for c in injected])
        recall_model[kind] = (float(np.mean(scores > threshold)), len(injected))
        recall_rules[kind] = float(np.mean(by_rule))
        recall_either[kind] = float(np.mean(by_rule | (scores > threshold)))
    return RepositoryResult(
        csv_path.stem, len(train), len(test), threshold, float(np.mean(real > threshold)),
        float(np.mean([bool(f) for f in real_fired])), roc_auc(labels, real), int(labels.sum()),
        recall_model, recall_rules, recall_either,
        float(np.mean([bool(f) or s > threshold for f, s in zip(real_fired, real, strict=True)])),
        {kind: float(np.mean([kind in f for f in real_fired])) for kind in RULE_KINDS},
        fit_seconds, score_us, rules_us, len(text) / 1024)


def summary_table(results: Sequence[RepositoryResult]) -> str:
    """The markdown summary: one row per repository."""
    lines = ["| repo | train | test | top-5% threshold | FPR model | FPR any rule | FPR either | "
             "AUC vs SZZ (bugs) | fit s | score µs | rules µs | model KB |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r.name} | {r.n_train} | {r.n_test} | {r.threshold:.3f} | "
                     f"{r.fpr_model:.1%} | {r.fpr_rules:.1%} | {r.fpr_either:.1%} | "
                     f"{r.auc_bug:.3f} ({r.positives}) | "
                     f"{r.fit_seconds:.1f} | {r.score_us:.0f} | {r.rules_us:.0f} | "
                     f"{r.json_kb:.0f} |")
    return "\n".join(lines)


def recall_table(results: Sequence[RepositoryResult]) -> str:
    """The markdown recall of injected anomalies: model / rule of the same kind / either."""
    header = " | ".join(f"{k} model / rule / either (n)" for k in INJECTION_KINDS)
    lines = [f"| repo | {header} |", "|---|" + "---|" * len(INJECTION_KINDS)]
    for r in results:
        cells = " | ".join(f"{r.recall_model[k][0]:.0%} / {r.recall_rules[k]:.0%} / "
                           f"{r.recall_either[k]:.0%} ({r.recall_model[k][1]})"
                           for k in INJECTION_KINDS)
        lines.append(f"| {r.name} | {cells} |")
    return "\n".join(lines)


def rule_table(results: Sequence[RepositoryResult]) -> str:
    """The markdown share of real held-out commits on which each rule fires."""
    lines = [f"| repo | {' | '.join(RULE_KINDS)} |", "|---|" + "---|" * len(RULE_KINDS)]
    for r in results:
        lines.append(f"| {r.name} | " + " | ".join(f"{r.rule_rates[k]:.1%}" for k in RULE_KINDS)
                     + " |")
    return "\n".join(lines)


def main() -> None:
    """Evaluate every CSV given and print the two markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--csv", type=Path, action="append", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--injections", type=int, default=200,
                        help="injected copies per kind (held-out commits sampled)")
    args = parser.parse_args()
    started = time.perf_counter()
    results = [evaluate(path, args.seed, args.injections) for path in args.csv]
    print(summary_table(results))
    print()
    print(recall_table(results))
    print()
    print(rule_table(results))
    print(f"\n{time.perf_counter() - started:.1f} s in all")


if __name__ == "__main__":
    main()
