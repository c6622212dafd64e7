"""The file-change risk: probability that one file's change in a commit is bug-inducing.

Rows are the file changes of non-merge commits: the mined file features (la, ld, lt, ndev,
age, nuc, aexp) and the file's history as of the change (models.file_history). A row is
positive when an SZZ link names its commit as inducing for that file; the link's path (the
file's path at the fix's parent) is followed back across renames to the file identity. Training
labels are those known at the split (links with known_at before it), and the newest training rows
whose bugs may not be found yet are held back (models.latency).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analyzers.changes import ChangeRecord
from models.dataset import Dataset
from models.file_history import FILE_HISTORY_FEATURES, FileHistory, FileRow
from models.file_scorers import BoostOptions, EnsembleScorer, fit_ensemble, holdout_metrics
from models.latency import DEFAULT_QUANTILE, labels_as_of
from models.metrics import IntArray
from models.portable import FloatArray

CHANGE_FEATURES: tuple[str, ...] = ("la", "ld", "lt")
# Counts that only grow with a file's life drift across a time split; on five mined projects
# dropping them (and the mined ndev/age/nuc/aexp) raised test AUC and PR-AUC.
CUMULATIVE = frozenset({"prior_changes", "prior_authors", "author_prior_changes", "prior_fixes",
                        "prior_churn", "file_age_days"})
HISTORY_COLUMNS: tuple[int, ...] = tuple(i for i, name in enumerate(FILE_HISTORY_FEATURES)
                                         if name not in CUMULATIVE)
FILE_RISK_FEATURES: tuple[str, ...] = (*CHANGE_FEATURES,
                                       *(FILE_HISTORY_FEATURES[i] for i in HISTORY_COLUMNS))
INCREASING = frozenset({"la", "ld", "churn_now"})
FILE_RISK_OPTIONS = BoostOptions(max_depth=3, min_child_weight=20.0, learning_rate=0.03,
                                 monotone=tuple(int(name in INCREASING)
                                                for name in FILE_RISK_FEATURES))
FILE_RISK_FORMAT = "diffrisk.file_risk/1"


@dataclass(frozen=True)
class LinkFact:
    """An SZZ link: the fix, the change it blames, the blamed path, when it became known."""

    fix_sha: str
    inducing_sha: str
    path: str
    known_at: int


@dataclass(frozen=True)
class FileRiskData:
    """File-change rows sorted by time: features, labels, and when each positive was known."""

    features: FloatArray
    labels: IntArray
    times: FloatArray
    known_at: FloatArray
    paths: tuple[str, ...] = field(default=(), repr=False)


def named_values(features: Mapping[str, Any] | None,
                 names: tuple[str, ...]) -> tuple[float, ...]:
    """The named values of a feature mapping (NaN where missing)."""
    found = features or {}
    return tuple(float(found.get(name, math.nan)) for name in names)


def row_values(row: FileRow, features: Mapping[str, Any] | None) -> tuple[float, ...]:
    """One FILE_RISK_FEATURES row: the file change's mined features, then its history's."""
    return (*named_values(features, CHANGE_FEATURES), *(row.features[i] for i in HISTORY_COLUMNS))


def link_identities(files: FileHistory, links: Sequence[LinkFact],
                    known: dict[tuple[str, int], int]) -> None:
    """Record, for a fix about to be observed, the (inducing sha, file identity) it blames."""
    for link in links:
        identity = files.identities.current(link.path)
        if identity is not None:
            key = (link.inducing_sha, identity)
            known[key] = min(known.get(key, link.known_at), link.known_at)


def earliest_by_path(links: Iterable[LinkFact]) -> dict[tuple[str, str], int]:
    """When each (inducing sha, path) was first blamed."""
    found: dict[tuple[str, str], int] = {}
    for link in links:
        key = (link.inducing_sha, link.path)
        found[key] = min(found.get(key, link.known_at), link.known_at)
    return found


def row_known_at(row: FileRow, by_identity: dict[tuple[str, int], int],
                 by_path: dict[tuple[str, str], int]) -> float:
    """When the row's change was first blamed for its file, NaN when never."""
    times = [t for t in (by_identity.get((row.sha, row.identity)),
                         by_path.get((row.sha, row.path))) if t is not None]
    return float(min(times)) if times else math.nan


def build_file_risk_data(history: Iterable[ChangeRecord], fixes: set[str],
                         file_features: Mapping[tuple[str, str], Mapping[str, Any]],
                         links: Sequence[LinkFact]) -> FileRiskData:
    """Every file change of the history with its label, sorted by time; file_features is
    keyed by (sha, path)."""
    by_fix: dict[str, list[LinkFact]] = {}
    for link in links:
        by_fix.setdefault(link.fix_sha, []).append(link)
    files = FileHistory()
    by_identity: dict[tuple[str, int], int] = {}
    rows: list[FileRow] = []
    for change in history:
        link_identities(files, by_fix.get(change.sha, []), by_identity)
        rows.extend(files.observe(change, change.sha in fixes))
    by_path = earliest_by_path(links)
    rows.sort(key=lambda row: row.time)
    known_at = np.array([row_known_at(row, by_identity, by_path) for row in rows])
    features = np.array([row_values(row, file_features.get((row.sha, row.path)))
                         for row in rows], dtype=np.float64).reshape(-1, len(FILE_RISK_FEATURES))
    return FileRiskData(features, (~np.isnan(known_at)).astype(np.int64),
                        np.array([row.time for row in rows], dtype=np.float64), known_at,
                        tuple(row.path for row in rows))


@dataclass(frozen=True)
class FileRiskModel:
    """A scorer (boosted + linear) over FILE_RISK_FEATURES rows."""

    scorer: EnsembleScorer
    feature_names: tuple[str, ...] = FILE_RISK_FEATURES
    latency_window_days: float = 0.0

    @property
    def threshold(self) -> float:
        """The decision threshold that maximised F1 on the calibration rows."""
        return self.scorer.threshold

    def score(self, features: FloatArray) -> FloatArray:
        """Calibrated probabilities that each file change is bug-inducing."""
        return self.scorer.probabilities(features)

    def contributions(self, features: FloatArray) -> FloatArray:
        """Per-feature TreeSHAP contributions to the margin."""
        return self.scorer.contributions(features)

    def to_json(self) -> dict[str, Any]:
        """The model as JSON-safe values."""
        return {"format": FILE_RISK_FORMAT, "feature_names": list(self.feature_names),
                "latency_window_days": self.latency_window_days,
                "scorer": self.scorer.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileRiskModel:
        """A model from to_json's values."""
        if data.get("format") != FILE_RISK_FORMAT:
            raise ValueError(f"not a file-risk model: format {data.get('format')!r}")
        return cls(EnsembleScorer.from_json(data["scorer"]),
                   tuple(str(n) for n in data["feature_names"]),
                   float(data["latency_window_days"]))


@dataclass(frozen=True)
class FileRiskSplit:
    """Row indices of the time-ordered split and the training labels known at the split."""

    fit: IntArray
    check: IntArray
    test: IntArray
    train_labels: IntArray
    window_days: float
    held_back: int
    not_yet_known: int


def file_risk_split(data: FileRiskData, options: BoostOptions,
                    quantile: float = DEFAULT_QUANTILE) -> FileRiskSplit:
    """Newest rows test; older rows train on labels known at the split, the latest window
    held back; the newest kept training rows calibrate."""
    first_test = int(len(data.labels) * (1 - options.test_size))
    train = np.arange(first_test)
    as_of = labels_as_of(Dataset(data.features[train], data.labels[train], data.times[train],
                                 FILE_RISK_FEATURES, data.known_at[train]),
                         float(data.times[first_test]), quantile)
    kept = train[as_of.keep]
    cut = int(len(kept) * (1 - options.calibration_size))
    labels = np.zeros(len(data.labels), dtype=np.int64)
    labels[train] = as_of.labels
    return FileRiskSplit(kept[:cut], kept[cut:], np.arange(first_test, len(data.labels)),
                         labels, as_of.window_days or 0.0, as_of.held_back,
                         as_of.not_yet_known)


def train_file_risk_on(data: FileRiskData, options: BoostOptions | None = None,
                       quantile: float = DEFAULT_QUANTILE,
                       ) -> tuple[FileRiskModel, dict[str, float]]:
    """A file-risk model and its metrics on the newest rows."""
    options = options or FILE_RISK_OPTIONS
    split = file_risk_split(data, options, quantile)
    scorer = fit_ensemble((data.features[split.fit], split.train_labels[split.fit]),
                          (data.features[split.check], split.train_labels[split.check]),
                          options, FILE_RISK_FEATURES.index("days_since_fix"))
    model = FileRiskModel(scorer, FILE_RISK_FEATURES, split.window_days)
    metrics = holdout_metrics(data.labels[split.test], model.score(data.features[split.test]),
                              scorer.threshold, len(split.fit) + len(split.check))
    return model, {**metrics, "latency_window_days": split.window_days,
                   "held_back": float(split.held_back),
                   "labels_not_yet_known": float(split.not_yet_known)}


def train_file_risk_model(history: Iterable[ChangeRecord], fixes: set[str],
                          file_features: Mapping[tuple[str, str], Mapping[str, Any]],
                          links: Sequence[LinkFact], options: BoostOptions | None = None,
                          ) -> tuple[FileRiskModel, dict[str, float]]:
    """Build the file-change rows of a history and train and validate the model on them."""
    return train_file_risk_on(build_file_risk_data(history, fixes, file_features, links),
                              options)


def file_risk_features(files: FileHistory, change: ChangeRecord,
                       file_features: Sequence[Mapping[str, Any]],
                       is_fix: bool = False) -> tuple[list[str], FloatArray]:
    """The paths of a new change's files and their rows; file_features (la, ld, lt of each
    file) follow change.files."""
    rows = files.peek(change, is_fix)
    matrix = np.array([row_values(row, features)
                       for row, features in zip(rows, file_features, strict=True)],
                      dtype=np.float64).reshape(-1, len(FILE_RISK_FEATURES))
    return [row.path for row in rows], matrix
