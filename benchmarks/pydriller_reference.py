"""LA, LD, NF, NDEV and AGE recomputed from PyDriller's view of a history, and how far our miner
agrees with them.

Run: .venv/bin/python -m benchmarks.pydriller_reference --repo PATH [--show 20] [--json]

The reference shares no code with the miner except the developer identity rule: the commits, their
order, authors (mailmapped by `git check-mailmap`), committer times and per-file line counts all
come from PyDriller (GitPython running `git diff-tree -M -p` per commit), and the path histories are
folded here. The definitions are the catalogue's: a file that "existed before" is any file the
commit does not add, found under its old path; renames carry a path's history to the new path; a
path keeps its history when deleted; negative intervals (committer clocks going backwards along
the topological order) count as 0 days; submodules count 0 lines. Merge commits are not compared
(PyDriller gives them no files) and, as in the miner, add nothing to the histories.

One PyDriller defect is worked around: GitPython 3.2.1 never reads a commit's `encoding` header
(it compares a 10-byte slice with the 9-byte b"encoding "), so it decodes e.g. a cp1252 author
name as UTF-8 with replacement characters, which `git check-mailmap` then fails to map; for those
commits the reference takes the author from git itself (reencoded_authors).

Documented difference, left out of the second comparison (documented_exclusions):
- Type changes (a file becoming a symlink or back). Git's patch output, which PyDriller parses,
  shows them as a deletion and an addition, two files for one path; the miner counts one file.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydriller import ModifiedFile, Repository

from analyzers.git import GitRepo
from analyzers.history import HistoryState, developer_id
from analyzers.miner import mine_history

COMPARED = ("la", "ld", "nf", "ndev", "age")
AGE_TOLERANCE_DAYS = 1e-6
DAY = 86_400.0
GITLINK_MODE = 0o160000


@dataclass(frozen=True, slots=True)
class ReferenceFile:
    """One file of a commit as PyDriller reports it."""

    old_path: str | None
    new_path: str | None
    change_type: str
    added: int
    deleted: int


@dataclass(frozen=True, slots=True)
class ReferenceCommit:
    """One commit as PyDriller reports it."""

    sha: str
    is_merge: bool
    developer: str
    commit_time: int
    files: tuple[ReferenceFile, ...]


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A feature of a commit on which the miner and the reference disagree."""

    sha: str
    feature: str
    ours: float
    reference: float


@dataclass
class Agreement:
    """How often the miner's features equal the reference's, over non-merge commits."""

    commits: int = 0
    matches: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COMPARED, 0))
    excluded: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COMPARED, 0))
    mismatches: list[Mismatch] = field(default_factory=list)
    only_ours: list[str] = field(default_factory=list)
    only_reference: list[str] = field(default_factory=list)

    def compared(self, feature: str) -> int:
        """Commits whose feature was compared (not excluded)."""
        return self.commits - self.excluded[feature]

    def share(self, feature: str) -> float:
        """The share of compared commits whose feature agrees (1.0 when none were compared)."""
        compared = self.compared(feature)
        return self.matches[feature] / compared if compared else 1.0

    def summary(self) -> dict[str, Any]:
        """The figures as plain data, for printing or JSON."""
        return {
            "commits": self.commits,
            "share": {name: self.share(name) for name in COMPARED},
            "excluded": dict(self.excluded),
            "mismatched": {name: self.compared(name) - self.matches[name] for name in COMPARED},
            "only_ours": len(self.only_ours),
            "only_reference": len(self.only_reference),
        }


def _is_gitlink(modified: ModifiedFile) -> bool:
    """Whether PyDriller's file is a submodule (its diff is a "Subproject commit" line)."""
    diff = modified._c_diff
    return GITLINK_MODE in (diff.a_mode, diff.b_mode)


def reference_file(modified: ModifiedFile) -> ReferenceFile:
    """A PyDriller modified file reduced to what the reference needs."""
    counted = not _is_gitlink(modified)
    return ReferenceFile(
        old_path=modified.old_path,
        new_path=modified.new_path,
        change_type=modified.change_type.name,
        added=modified.added_lines if counted else 0,
        deleted=modified.deleted_lines if counted else 0,
    )


def reencoded_authors(path: str, revision: str = "HEAD") -> dict[str, str]:
    """Developer ids, as git decodes and mailmaps them, of commits not encoded in UTF-8."""
    out = _git(path, "log", "-z", "--format=%H%x1f%e%x1f%aN%x1f%aE", revision, "--")
    authors = {}
    for record in filter(None, out.split("\0")):
        sha, encoding, name, email = record.split("\x1f")
        if encoding and encoding.lower().replace("-", "") != "utf8":
            authors[sha] = developer_id(name, email)
    return authors


def pydriller_commits(path: str, revision: str = "HEAD") -> Iterator[ReferenceCommit]:
    """The history of revision, oldest first in topological order, as PyDriller reads it."""
    reencoded = reencoded_authors(path, revision)
    repository = Repository(path, to_commit=revision, order="topo-order", use_mailmap=True)
    for commit in repository.traverse_commits():
        yield ReferenceCommit(
            sha=commit.hash,
            is_merge=commit.merge,
            developer=reencoded.get(commit.hash) or developer_id(commit.author.name or "",
                                                                 commit.author.email or ""),
            commit_time=int(commit.committer_date.timestamp()),
            files=tuple(reference_file(m) for m in commit.modified_files),
        )


class ReferenceFold:
    """Developers and last change time per path, folded from PyDriller's commits."""

    def __init__(self) -> None:
        self.developers: dict[str, set[str]] = {}
        self.last_time: dict[str, int] = {}

    def features(self, commit: ReferenceCommit) -> dict[str, float]:
        """LA, LD, NF, NDEV and AGE of a commit from the history before it."""
        existed = [f.old_path for f in commit.files
                   if f.change_type != "ADD" and f.old_path is not None]
        developers: set[str] = set()
        for path in existed:
            developers |= self.developers.get(path, set())
        ages = [max(0.0, (commit.commit_time - self.last_time[path]) / DAY)
                for path in existed if path in self.last_time]
        return {
            "la": float(sum(f.added for f in commit.files)),
            "ld": float(sum(f.deleted for f in commit.files)),
            "nf": float(len(commit.files)),
            "ndev": float(len(developers)),
            "age": sum(ages) / len(ages) if ages else 0.0,
        }

    def remember(self, commit: ReferenceCommit) -> None:
        """Add a non-merge commit's author and time to the histories of the paths it changed."""
        if commit.is_merge:
            return
        for change in commit.files:
            path = change.new_path or change.old_path
            assert path is not None, "a file change without a path"
            if change.change_type == "RENAME" and change.old_path in self.developers:
                self.developers[path] = self.developers.pop(change.old_path)
                self.last_time[path] = self.last_time.pop(change.old_path)
            self.developers.setdefault(path, set()).add(commit.developer)
            self.last_time[path] = commit.commit_time


def reference_features(commits: Iterable[ReferenceCommit]) -> Iterator[
    tuple[ReferenceCommit, dict[str, float]]
]:
    """Each commit with its reference features, folding the history as it goes."""
    fold = ReferenceFold()
    for commit in commits:
        yield commit, fold.features(commit)
        fold.remember(commit)


@dataclass(frozen=True, slots=True)
class MinedRecord:
    """What the comparison keeps of one mined commit."""

    sha: str
    is_merge: bool
    features: dict[str, float]
    files: tuple[tuple[str, str, str | None], ...]  # (status, path, old_path)


def mined_records(path: str, revision: str = "HEAD") -> dict[str, MinedRecord]:
    """Our miner's compared features and file statuses per sha, oldest first."""
    records: dict[str, MinedRecord] = {}
    for mined in mine_history(GitRepo(path), HistoryState(), (revision,)):
        records[mined.commit.sha] = MinedRecord(
            sha=mined.commit.sha,
            is_merge=mined.commit.is_merge,
            features={name: mined.features[name] for name in COMPARED},
            files=tuple((f.status, f.path, f.old_path) for f in mined.files),
        )
    return records


def documented_exclusions(records: Iterable[MinedRecord]) -> dict[str, frozenset[str]]:
    """Features to leave out per sha: the documented differences (see the module's docstring)."""
    return {record.sha: frozenset({"nf"}) for record in records
            if not record.is_merge and any(status == "T" for status, _, _ in record.files)}


def agree(feature: str, ours: float, reference: float) -> bool:
    """Whether two values of a feature agree: exactly, or within the AGE tolerance."""
    if feature == "age":
        return abs(ours - reference) <= AGE_TOLERANCE_DAYS
    return ours == reference


def compare(mined: dict[str, MinedRecord],
            reference: Iterable[tuple[ReferenceCommit, dict[str, float]]],
            excluded: dict[str, frozenset[str]] | None = None) -> Agreement:
    """Match the miner's features against the reference's, leaving out excluded features."""
    result = Agreement()
    seen: set[str] = set()
    for commit, expected in reference:
        seen.add(commit.sha)
        ours = mined.get(commit.sha)
        if ours is None:
            result.only_reference.append(commit.sha)
        elif not (commit.is_merge or ours.is_merge):
            skipped = (excluded or {}).get(commit.sha, frozenset())
            _tally(result, commit.sha, ours.features, expected, skipped)
    result.only_ours = [sha for sha in mined if sha not in seen]
    return result


def _tally(result: Agreement, sha: str, ours: dict[str, float], expected: dict[str, float],
           skipped: frozenset[str]) -> None:
    """Count one commit's agreements into result."""
    result.commits += 1
    for name in COMPARED:
        if name in skipped:
            result.excluded[name] += 1
        elif agree(name, ours[name], expected[name]):
            result.matches[name] += 1
        else:
            result.mismatches.append(Mismatch(sha, name, ours[name], expected[name]))


def compare_with_miner(path: str, revision: str = "HEAD") -> tuple[Agreement, Agreement]:
    """The miner's agreement with the reference: on all features, then without documented ones."""
    with pydriller_readable(path) as readable:
        mined = mined_records(readable, revision)
        reference = list(reference_features(pydriller_commits(readable, revision)))
    excluded = documented_exclusions(mined.values())
    return compare(mined, reference), compare(mined, reference, excluded)


def _git(path: str, *args: str) -> str:
    """Output of a git command run in path."""
    proc = subprocess.run(["git", "-C", path, *args], capture_output=True, text=True, check=True)
    return proc.stdout.strip()


@contextmanager
def pydriller_readable(path: str) -> Iterator[str]:
    """The repository itself when it has a work tree, else a temporary shared clone of it."""
    # GitPython cannot open a bare mirror. The clone reads its mailmap from HEAD:.mailmap, as git
    # does in a bare repository, and both sides run in the clone, so they map authors alike.
    if _git(path, "rev-parse", "--is-inside-work-tree") == "true":
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="diffrisk-pydriller-") as scratch:
        clone = str(Path(scratch) / "clone")
        subprocess.run(["git", "clone", "--quiet", "--shared", "--no-checkout", path, clone],
                       check=True)
        _git(clone, "config", "mailmap.blob", "HEAD:.mailmap")
        yield clone


def _print_report(title: str, agreement: Agreement, show: int) -> None:
    """A table of agreement shares, then the first mismatches."""
    print(f"{title}: {agreement.commits} non-merge commits")
    print(f"  {'feature':8} {'agree':>8} {'mismatched':>10} {'excluded':>8}")
    for name in COMPARED:
        missed = agreement.compared(name) - agreement.matches[name]
        print(f"  {name:8} {agreement.share(name):8.2%} {missed:10d} {agreement.excluded[name]:8d}")
    for mismatch in agreement.mismatches[:show]:
        print(f"  {mismatch.sha[:12]} {mismatch.feature}: ours {mismatch.ours:g}, "
              f"reference {mismatch.reference:g}")


def main(argv: list[str] | None = None) -> None:
    """Compare the miner with the PyDriller reference on one repository and print the result."""
    parser = argparse.ArgumentParser(description="Agreement of the miner with PyDriller on "
                                     "LA, LD, NF, NDEV and AGE.")
    parser.add_argument("--repo", required=True, help="a git clone or bare mirror")
    parser.add_argument("--revision", default="HEAD")
    parser.add_argument("--show", type=int, default=20, help="mismatches to list")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    titles = ("all", "documented differences excluded")
    results = dict(zip(titles, compare_with_miner(args.repo, args.revision), strict=True))
    if args.json:
        print(json.dumps({title: {**agreement.summary(),
                                  "mismatches": [asdict(m) for m in agreement.mismatches]}
                          for title, agreement in results.items()}, indent=2))
        return
    for title, agreement in results.items():
        _print_report(title, agreement, args.show)


if __name__ == "__main__":
    main()
