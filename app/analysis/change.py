"""The facts of one change and its feature rows for every model (git and store reads here;
the computing is done by analyzers/ and models/)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from analyzers.changes import ChangeRecord, FileTouch
from analyzers.diff import ChangeDiff
from analyzers.git import GitRepo
from analyzers.history import MinedCommit, developer_id
from app.analysis.history import MinedHistory
from models.impact_rows import before_paths

if TYPE_CHECKING:
    from analyzers.blast import BlastRadius
    from analyzers.complexity import ComplexityDelta
    from analyzers.knowledge import Reviewer
    from models.anomaly_rules import ChangeFacts
    from models.scoring import ChangeInputs, ModelSet

RECENT_DAYS = 30


@dataclass(frozen=True)
class PreparedChange:
    """A change ready to score: its record, file paths in row order, model inputs and facts."""

    record: ChangeRecord
    paths: tuple[str, ...]
    inputs: ChangeInputs
    blast: BlastRadius
    complexity: tuple[ComplexityDelta, ...]
    facts: ChangeFacts
    reviewers: tuple[Reviewer, ...]


def change_record(mined: MinedCommit, scored: set[str]) -> ChangeRecord:
    """The change as one record of history, keeping only the files that are scored."""
    commit = mined.commit
    return ChangeRecord(
        commit.sha, commit.commit_time, developer_id(commit.author_name, commit.author_email),
        tuple(FileTouch(f.path, f.old_path, f.status,
                        int(f.features.get("la", 0) + f.features.get("ld", 0)))
              for f in mined.files if f.path in scored))


def file_rows(history: MinedHistory, mined: MinedCommit,
              record: ChangeRecord) -> tuple[tuple[str, ...], Any, Any]:
    """The paths of the record's files, their bug-model rows and their file-risk rows."""
    from models.bug import bug_features  # noqa: PLC0415
    from models.file_history import file_history  # noqa: PLC0415
    from models.file_risk import file_risk_features  # noqa: PLC0415

    files = file_history(history.records, history.fixes)
    paths, bug_rows = bug_features(files, record, mined.is_fix)
    by_path = {f.path: f.features for f in mined.files}
    _, risk_rows = file_risk_features(files, record, [by_path[t.path] for t in record.files],
                                      mined.is_fix)
    return tuple(paths), bug_rows, risk_rows


def recent_changes(history: MinedHistory, paths: set[str], now: int) -> int:
    """Changes of the last RECENT_DAYS that touched one of the paths (as named then)."""
    start = now - RECENT_DAYS * 86_400
    return sum(1 for r in history.records
               if start <= r.time <= now and any(t.path in paths for t in r.files))


def impact_inputs(repo: GitRepo, diff: ChangeDiff, history: MinedHistory, record: ChangeRecord,
                  cache_dir: Any) -> tuple[BlastRadius, tuple[float, ...]]:
    """The change's blast radius (import graph of the head, co-change rules of its files)
    and the impact model's features."""
    from analyzers.blast import blast_radius  # noqa: PLC0415
    from analyzers.coupling import coupled_files  # noqa: PLC0415
    from app.graph_cache import GraphCache, graph_of_change, pagerank_at  # noqa: PLC0415
    from models.impact import impact_features  # noqa: PLC0415
    from models.impact_target import last_past_impact  # noqa: PLC0415

    cache = GraphCache(cache_dir)
    graph = graph_of_change(repo, diff.base, diff.head, cache)
    before = before_paths(record)
    rules = coupled_files(history.identified, before)
    living = [t.path for t in record.files if t.status != "D"]
    blast = blast_radius(graph.graph, living, rules,
                         pagerank=pagerank_at(repo, diff.head, graph, cache))
    past = last_past_impact([*history.records, record])
    features = impact_features(blast, rules, churn=sum(t.churn for t in record.files),
                               recent_changes=recent_changes(history, set(before), record.time),
                               past_impact=past)
    return blast, features


def complexity_of(repo: GitRepo, diff: ChangeDiff, scored: set[str],
                  cache_dir: Any) -> tuple[ComplexityDelta, ...]:
    """Complexity at base and head of the scored files: their functions only, all the
    analysis reads (summed cyclomatic complexity); measured blobs kept in the cache folder."""
    from analyzers.complexity import change_complexity  # noqa: PLC0415
    from app.complexity_cache import ComplexityFiles  # noqa: PLC0415

    pairs = [(None if f.status == "added" else (f.old_path or f.path),
              None if f.status == "deleted" else f.path)
             for f in diff.files if f.path in scored]
    return tuple(change_complexity(repo, diff.base, diff.head, pairs, measures="functions",
                                   cache=ComplexityFiles(cache_dir / "complexity")))


def summed_cyclomatic(version: Any) -> float | None:
    """A file version's summed cyclomatic complexity (None when absent or not measured)."""
    if version is None or version.skipped is not None:
        return None
    return float(sum(f.cyclomatic for f in version.functions))


def manifest_lines(repo: GitRepo, diff: ChangeDiff, scored: set[str]) -> list[Any]:
    """Lines added to and removed from the dependency manifests among the scored files."""
    from models.anomaly_rules import ManifestLines, is_manifest  # noqa: PLC0415

    found = []
    for changed in diff.files:
        if changed.path not in scored or not is_manifest(changed.path):
            continue
        old = set(file_lines(repo, diff.base, changed.old_path or changed.path))
        new = file_lines(repo, diff.head, changed.path)
        found.append(ManifestLines(changed.path, tuple(line for line in new if line not in old),
                                   tuple(sorted(old - set(new)))))
    return found


def file_lines(repo: GitRepo, sha: str, path: str, limit: int = 1_000_000) -> list[str]:
    """The lines of a file at a commit (none when absent or larger than limit bytes)."""
    from analyzers.git import read_blobs  # noqa: PLC0415

    blob = read_blobs(repo, [f"{sha}:{path}"], limit + 1).get(f"{sha}:{path}")
    if blob is None or len(blob.content) > limit:
        return []
    return blob.content.decode("utf-8", "replace").splitlines()


def anomaly_facts(mined: MinedCommit, record: ChangeRecord, complexity: tuple[Any, ...],
                  manifests: list[Any]) -> ChangeFacts:
    """What the typed anomaly rules read about the change."""
    from models.anomaly_rules import ChangeFacts, FileComplexity, FileLines  # noqa: PLC0415

    return ChangeFacts(
        mined.features,
        tuple(FileLines(f.path, int(f.features.get("la", 0)), int(f.features.get("ld", 0)),
                        f.status) for f in mined.files),
        record.author,
        tuple(FileComplexity(d.path, summed_cyclomatic(d.before), summed_cyclomatic(d.after))
              for d in complexity),
        tuple(manifests))


def reviewers_of(history: MinedHistory, record: ChangeRecord) -> tuple[Reviewer, ...]:
    """Who knows the changed files best (never the author, never a bot)."""
    from analyzers.knowledge import file_experts, suggest_reviewers  # noqa: PLC0415

    experts = file_experts(history.identified, before_paths(record), record.time)
    return tuple(suggest_reviewers(experts, record.author))


def row_of(features: dict[str, float], names: tuple[str, ...]) -> Any:
    """One feature row in a model's column order (NaN for a feature the miner lacks)."""
    return np.array([float(features.get(n, np.nan)) for n in names], dtype=np.float64)


def prepare_change(repo: GitRepo, diff: ChangeDiff, mined: MinedCommit, history: MinedHistory,
                   models: ModelSet, scored: set[str], cache_dir: Any) -> PreparedChange:
    """Every fact and feature row of the change that the models and the report need."""
    from models.scoring import ChangeInputs  # noqa: PLC0415

    record = change_record(mined, scored)
    paths, bug_rows, risk_rows = file_rows(history, mined, record)
    blast, impact = impact_inputs(repo, diff, history, record, cache_dir)
    complexity = complexity_of(repo, diff, scored, cache_dir)
    facts = anomaly_facts(mined, record, complexity, manifest_lines(repo, diff, scored))
    anomaly_names = tuple(getattr(models.anomaly, "feature_names", ()))
    inputs = ChangeInputs(row_of(mined.features, models.risk.inputs), risk_rows, bug_rows,
                          row_of(mined.features, tuple(anomaly_names)), impact)
    return PreparedChange(record, paths, inputs, blast, complexity, facts,
                          reviewers_of(history, record))
