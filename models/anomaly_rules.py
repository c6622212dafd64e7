"""Typed findings that say why a change is unusual for its repository.

Every threshold comes from the repository's own history (`AnomalyBaseline`, learned from past
changes and stored with the anomaly model); a small floor keeps a short history from flagging
ordinary changes. Rules:

- large_commit: lines added+deleted above the history's 99th percentile (or files above theirs);
- mass_deletion: deletion-dominated change (≥ 80 % of its lines deleted) with more deleted lines
  than the history's 99th percentile, or more deleted files than the history's 99th percentile;
- complexity_spike: a file whose complexity grows by more than the history's 99th percentile of
  per-file growth (a default of 10 when the history has none);
- late_night: a night hour (22:00–05:59) at which the author (or, with fewer than 10 past changes,
  the repository) made under 2 % of its past changes, counting the neighbouring hours;
- unusual_file_pattern: more files in rare places (a top-level directory or an extension seen in
  under 0.5 % of past changes) than the history's 99th percentile of such files per change;
- new_dependency: packages named on added lines of dependency manifests and not on removed ones.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Literal

import numpy as np

Severity = Literal["low", "medium", "high"]
Kind = Literal["large_commit", "mass_deletion", "complexity_spike", "late_night",
               "unusual_file_pattern", "new_dependency"]
PERCENTILE = 99.0
MIN_CHURN = 100.0
MIN_FILES = 10.0
MIN_DELETED = 50.0
MIN_DELETED_FILES = 5.0
DELETION_SHARE = 0.8
DEFAULT_COMPLEXITY_GROWTH = 10.0
NIGHT_HOURS = frozenset({22, 23, 0, 1, 2, 3, 4, 5})
RARE_HOUR_SHARE = 0.02
MIN_AUTHOR_CHANGES = 10
RARE_PLACE_SHARE = 0.005
MIN_RARE_FILES = 2.0
HIGH_RATIO = 3.0
MAX_PATHS = 10


@dataclass(frozen=True)
class Finding:
    """One reason a change is unusual: its kind, how severe, a message with the numbers, paths."""

    kind: Kind
    severity: Severity
    message: str
    paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileLines:
    """One changed file: its path, lines added and deleted, and git status (A, M, D, R)."""

    path: str
    added: int
    deleted: int
    status: str = "M"


@dataclass(frozen=True)
class FileComplexity:
    """One file's complexity (e.g. summed cyclomatic) before and after (None when absent)."""

    path: str
    before: float | None
    after: float | None


@dataclass(frozen=True)
class ManifestLines:
    """The lines a change added to and removed from one file (manifests are picked by name)."""

    path: str
    added: tuple[str, ...]
    removed: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChangeFacts:
    """What the rules read about one change: catalogue features (la, ld, nf, ndeleted, hour),
    its files, author, per-file complexity and manifest lines."""

    features: Mapping[str, float]
    files: tuple[FileLines, ...] = ()
    author: str | None = None
    complexity: tuple[FileComplexity, ...] = ()
    manifests: tuple[ManifestLines, ...] = ()


@dataclass(frozen=True)
class HistoryChange:
    """One past change as the baseline learns from it."""

    author: str
    hour: int
    added: float
    deleted: float
    files: int
    deleted_files: int
    paths: tuple[str, ...]


@dataclass(frozen=True)
class AnomalyBaseline:
    """The repository's own thresholds and frequencies, learned from its past changes."""

    n_changes: int
    churn_p99: float
    deleted_p99: float
    files_p99: float
    deleted_files_p99: float
    complexity_growth_p99: float
    rare_files_p99: float
    repository_hours: tuple[int, ...]
    author_hours: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    top_directories: Mapping[str, int] = field(default_factory=dict)
    extensions: Mapping[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The baseline as JSON-safe values."""
        return {"n_changes": self.n_changes, "churn_p99": self.churn_p99,
                "deleted_p99": self.deleted_p99, "files_p99": self.files_p99,
                "deleted_files_p99": self.deleted_files_p99,
                "complexity_growth_p99": self.complexity_growth_p99,
                "rare_files_p99": self.rare_files_p99,
                "repository_hours": list(self.repository_hours),
                "author_hours": {k: list(v) for k, v in self.author_hours.items()},
                "top_directories": dict(self.top_directories),
                "extensions": dict(self.extensions)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AnomalyBaseline:
        """A baseline read back from `to_dict`."""
        return cls(int(data["n_changes"]), float(data["churn_p99"]), float(data["deleted_p99"]),
                   float(data["files_p99"]), float(data["deleted_files_p99"]),
                   float(data["complexity_growth_p99"]), float(data["rare_files_p99"]),
                   tuple(int(v) for v in data["repository_hours"]),
                   {str(k): tuple(int(x) for x in v) for k, v in data["author_hours"].items()},
                   {str(k): int(v) for k, v in data["top_directories"].items()},
                   {str(k): int(v) for k, v in data["extensions"].items()})


def history_change(features: Mapping[str, float], author: str,
                   paths: Sequence[str]) -> HistoryChange:
    """A past change from its catalogue features, author and changed paths."""
    return HistoryChange(author, int(features.get("hour", 0)) % 24, float(features.get("la", 0)),
                         float(features.get("ld", 0)), int(features.get("nf", len(paths))),
                         int(features.get("ndeleted", 0)), tuple(paths))


def top_directory(path: str) -> str:
    """The first directory of a path ("" for a file at the root)."""
    parts = PurePosixPath(path).parts
    return parts[0] if len(parts) > 1 else ""


def extension(path: str) -> str:
    """A path's lower-case suffix, or its file name when it has none (Makefile, LICENSE)."""
    name = PurePosixPath(path).name
    suffix = PurePosixPath(name).suffix.lower()
    return suffix if suffix else name


def percentile_or(values: Sequence[float], default: float) -> float:
    """The 99th percentile of the values, or the default when there are none."""
    return float(np.percentile(values, PERCENTILE)) if len(values) else default


def hour_counts(hours: Iterable[int]) -> tuple[int, ...]:
    """How many changes fell in each hour of the day."""
    counts = Counter(h % 24 for h in hours)
    return tuple(counts.get(hour, 0) for hour in range(24))


def place_counts(changes: Sequence[HistoryChange]) -> tuple[Counter[str], Counter[str]]:
    """Per top-level directory and per extension: how many past changes touched one."""
    directories: Counter[str] = Counter()
    extensions: Counter[str] = Counter()
    for change in changes:
        directories.update({top_directory(p) for p in change.paths})
        extensions.update({extension(p) for p in change.paths})
    return directories, extensions


def rare_paths(paths: Iterable[str], n_changes: int, directories: Mapping[str, int],
               extensions: Mapping[str, int]) -> list[str]:
    """The paths in a rarely touched top-level directory or with a rarely seen extension."""
    limit = RARE_PLACE_SHARE * max(n_changes, 1)
    return [p for p in paths if directories.get(top_directory(p), 0) < limit
            or extensions.get(extension(p), 0) < limit]


def learn_baseline(changes: Sequence[HistoryChange],
                   complexity_growth: Sequence[float] = ()) -> AnomalyBaseline:
    """The repository's thresholds from its past changes (and past per-file complexity
    growth, when known)."""
    directories, extensions = place_counts(changes)
    by_author: dict[str, list[int]] = {}
    for change in changes:
        by_author.setdefault(change.author, []).append(change.hour)
    rare = [len(rare_paths(c.paths, len(changes), directories, extensions)) for c in changes]
    growth = [g for g in complexity_growth if g > 0]
    return AnomalyBaseline(
        len(changes), percentile_or([c.added + c.deleted for c in changes], MIN_CHURN),
        percentile_or([c.deleted for c in changes], MIN_DELETED),
        percentile_or([c.files for c in changes], MIN_FILES),
        percentile_or([c.deleted_files for c in changes], MIN_DELETED_FILES),
        percentile_or(growth, DEFAULT_COMPLEXITY_GROWTH), percentile_or(rare, MIN_RARE_FILES),
        hour_counts(c.hour for c in changes),
        {a: hour_counts(h) for a, h in by_author.items()}, dict(directories), dict(extensions))


def severity_of(value: float, threshold: float) -> Severity:
    """High at HIGH_RATIO times the threshold or more, else medium."""
    return "high" if value >= HIGH_RATIO * threshold else "medium"


def largest(files: Sequence[FileLines], key: str) -> tuple[str, ...]:
    """The paths of the files with the most lines of `key` (added+deleted or deleted)."""
    def size(f: FileLines) -> int:
        return f.deleted if key == "deleted" else f.added + f.deleted
    return tuple(f.path for f in sorted(files, key=size, reverse=True)[:MAX_PATHS] if size(f))


def large_commit(change: ChangeFacts, baseline: AnomalyBaseline) -> Finding | None:
    """More lines or files changed than the repository's 99th percentile."""
    added, deleted = change.features.get("la", 0.0), change.features.get("ld", 0.0)
    churn, files = added + deleted, change.features.get("nf", float(len(change.files)))
    churn_limit = max(baseline.churn_p99, MIN_CHURN)
    files_limit = max(baseline.files_p99, MIN_FILES)
    if churn <= churn_limit and files <= files_limit:
        return None
    ratio = max(churn / churn_limit, files / files_limit)
    return Finding("large_commit", severity_of(ratio, 1.0),
                   f"{churn:,.0f} lines changed (+{added:,.0f} −{deleted:,.0f}) in {files:,.0f} "
                   f"files; this repository's 99th percentile is {baseline.churn_p99:,.0f} lines "
                   f"and {baseline.files_p99:,.0f} files", largest(change.files, "churn"))


def mass_deletion(change: ChangeFacts, baseline: AnomalyBaseline) -> Finding | None:
    """A deletion-dominated change deleting more lines or files than the 99th percentile."""
    added, deleted = change.features.get("la", 0.0), change.features.get("ld", 0.0)
    deleted_files = change.features.get(
        "ndeleted", float(sum(f.status == "D" for f in change.files)))
    lines_limit = max(baseline.deleted_p99, MIN_DELETED)
    files_limit = max(baseline.deleted_files_p99, MIN_DELETED_FILES)
    many_lines = deleted > lines_limit and deleted >= DELETION_SHARE * (added + deleted)
    if not many_lines and deleted_files <= files_limit:
        return None
    ratio = max(deleted / lines_limit if many_lines else 0.0, deleted_files / files_limit)
    gone = tuple(f.path for f in change.files if f.status == "D")[:MAX_PATHS]
    return Finding("mass_deletion", severity_of(ratio, 1.0),
                   f"{deleted:,.0f} lines deleted against {added:,.0f} added, {deleted_files:,.0f}"
                   f" files removed; this repository's 99th percentile is "
                   f"{baseline.deleted_p99:,.0f} deleted lines and "
                   f"{baseline.deleted_files_p99:,.0f} removed files",
                   gone or largest(change.files, "deleted"))


def complexity_spike(change: ChangeFacts, baseline: AnomalyBaseline) -> Finding | None:
    """Files whose complexity grows by more than the repository's 99th percentile."""
    limit = baseline.complexity_growth_p99
    spikes = [(c.path, c.before or 0.0, c.after or 0.0) for c in change.complexity
              if (c.after or 0.0) - (c.before or 0.0) > limit]
    if not spikes:
        return None
    spikes.sort(key=lambda s: s[2] - s[1], reverse=True)
    worst = spikes[0][2] - spikes[0][1]
    detail = "; ".join(f"{p}: {b:g} → {a:g} (+{a - b:g})" for p, b, a in spikes[:MAX_PATHS])
    return Finding("complexity_spike", severity_of(worst, limit),
                   f"complexity grows by more than {limit:g} (this repository's 99th percentile "
                   f"per file) in {len(spikes)} file(s): {detail}",
                   tuple(p for p, _, _ in spikes[:MAX_PATHS]))


def share_near(hours: Sequence[int], hour: int) -> float:
    """Share of past changes in this hour or the one on either side."""
    total = sum(hours)
    near = sum(hours[(hour + step) % 24] for step in (-1, 0, 1))
    return near / total if total else 1.0


def late_night(change: ChangeFacts, baseline: AnomalyBaseline) -> Finding | None:
    """A night-time change at an hour the author (or the repository) almost never works."""
    hour = int(change.features.get("hour", 12)) % 24
    if hour not in NIGHT_HOURS:
        return None
    own = baseline.author_hours.get(change.author or "")
    whose = "the author's" if own is not None and sum(own) >= MIN_AUTHOR_CHANGES else \
        "this repository's"
    hours = own if own is not None and sum(own) >= MIN_AUTHOR_CHANGES else \
        baseline.repository_hours
    share = share_near(hours, hour)
    if share >= RARE_HOUR_SHARE:
        return None
    return Finding("late_night", "low" if share > 0 else "medium",
                   f"committed at {hour:02d}:00; {share:.1%} of {whose} {sum(hours):,} past "
                   f"changes fell between {(hour - 1) % 24:02d}:00 and {(hour + 2) % 24:02d}:00")


def unusual_file_pattern(change: ChangeFacts, baseline: AnomalyBaseline) -> Finding | None:
    """More files in rarely touched places than the repository's 99th percentile per change."""
    rare = rare_paths((f.path for f in change.files), baseline.n_changes,
                      baseline.top_directories, baseline.extensions)
    limit = max(baseline.rare_files_p99, MIN_RARE_FILES)
    if len(rare) <= limit:
        return None
    return Finding("unusual_file_pattern", severity_of(len(rare), limit),
                   f"{len(rare)} of {len(change.files)} files are in top-level directories or "
                   f"have extensions seen in under {RARE_PLACE_SHARE:.1%} of "
                   f"{baseline.n_changes:,} past changes; the 99th percentile is "
                   f"{baseline.rare_files_p99:g} such files", tuple(rare[:MAX_PATHS]))


MANIFESTS = (re.compile(r"(^|/)requirements[^/]*\.(txt|in)$"), re.compile(r"(^|/)pyproject\.toml$"),
             re.compile(r"(^|/)setup\.(py|cfg)$"), re.compile(r"(^|/)package\.json$"),
             re.compile(r"(^|/)go\.mod$"), re.compile(r"(^|/)Cargo\.toml$"),
             re.compile(r"(^|/)Gemfile$"), re.compile(r"(^|/)pom\.xml$"),
             re.compile(r"(^|/)Pipfile$"), re.compile(r"(^|/)environment\.ya?ml$"))
PEP508 = re.compile(r"^\s*[\"']?([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*"
                    r"(==|>=|<=|~=|!=|>|<|===|;|@|[\"']\s*,?\s*$|$)")
QUOTED = re.compile(r"[\"']([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(==|>=|<=|~=|!=|>|<)"
                    r"[^\"']*[\"']")
TOML_KEY = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*=\s*(\"[^\"]*\d[^\"]*\"|\{.*version)")
JSON_DEP = re.compile(r"^\s*\"(@?[A-Za-z0-9][\w./@-]*)\"\s*:\s*\"[~^<>=*\dvnlw]")
GO_REQUIRE = re.compile(r"^\s*(?:require\s+)?([\w.-]+\.[a-z]{2,}/[\w./-]+)\s+v\d")
GEM = re.compile(r"^\s*gem\s+[\"']([\w.-]+)[\"']")
ARTIFACT = re.compile(r"<artifactId>\s*([\w.-]+)\s*</artifactId>")
NOT_PACKAGES = frozenset({"name", "version", "description", "python", "requires-python",
                          "license", "main", "module", "go", "edition", "authors", "readme"})


def is_manifest(path: str) -> bool:
    """Whether a path names a dependency manifest."""
    return any(pattern.search(path) for pattern in MANIFESTS)


def line_packages(path: str, line: str) -> set[str]:
    """The package names one manifest line declares (empty for comments and other lines)."""
    text = line.split("#", 1)[0] if not path.endswith(("package.json", "pom.xml")) else line
    name = PurePosixPath(path).name
    if not text.strip() or text.strip().startswith(("-", "[", "//")):
        return set()
    if name.startswith("requirements") or name in ("setup.cfg",):
        found = {m.group(1)} if (m := PEP508.match(text)) else set()
    elif name == "package.json":
        found = {m.group(1)} if (m := JSON_DEP.match(text)) else set()
    elif name == "go.mod":
        found = {m.group(1)} if (m := GO_REQUIRE.match(text)) else set()
    elif name == "Gemfile":
        found = {m.group(1)} if (m := GEM.match(text)) else set()
    elif name == "pom.xml":
        found = set(ARTIFACT.findall(text))
    else:  # pyproject.toml, Cargo.toml, Pipfile, setup.py, environment.yml
        found = {m.group(1) for m in QUOTED.finditer(text)}
        if (m := TOML_KEY.match(text)) is not None:
            found.add(m.group(1))
    return {p.lower().replace("_", "-") for p in found if p.lower() not in NOT_PACKAGES}


def manifest_packages(path: str, lines: Iterable[str]) -> set[str]:
    """Every package named on the lines of one manifest."""
    return set().union(*(line_packages(path, line) for line in lines))


def new_dependency(change: ChangeFacts, baseline: AnomalyBaseline) -> Finding | None:
    """Packages on added manifest lines that were not on removed ones (not just re-pinned)."""
    added: dict[str, list[str]] = {}
    for manifest in change.manifests:
        if not is_manifest(manifest.path):
            continue
        new = manifest_packages(manifest.path, manifest.added) - manifest_packages(
            manifest.path, manifest.removed)
        for package in sorted(new):
            added.setdefault(package, []).append(manifest.path)
    if not added:
        return None
    paths = tuple(dict.fromkeys(p for ps in added.values() for p in ps))
    return Finding("new_dependency", "medium",
                   f"adds {len(added)} dependenc{'y' if len(added) == 1 else 'ies'}: "
                   f"{', '.join(sorted(added))} ({', '.join(paths)})", paths)


RULES = (large_commit, mass_deletion, complexity_spike, late_night, unusual_file_pattern,
         new_dependency)


def evaluate_rules(change: ChangeFacts, baseline: AnomalyBaseline) -> tuple[Finding, ...]:
    """Every finding the rules make about one change, in rule order."""
    return tuple(f for rule in RULES if (f := rule(change, baseline)) is not None)

