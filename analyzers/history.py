"""Fold commits, oldest first, into Kamei change features using only the history before each."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from analyzers.filekinds import file_kind, language_of
from analyzers.fixes import FixMatcher
from analyzers.gitlog import NULL_SHA, RawCommit, RawFileChange

DAY = 86_400.0
YEAR = 365.25 * DAY


@dataclass(frozen=True, slots=True)
class MinedFile:
    """A file change with its facts and file-level features."""

    path: str
    old_path: str | None
    status: str
    binary: bool
    kind: str
    language: str | None
    old_blob: str
    new_blob: str
    lines_after: int
    features: dict[str, float]


@dataclass(frozen=True, slots=True)
class MinedCommit:
    """A commit with its facts, whether it is a fix, and its change-level features."""

    commit: RawCommit
    is_fix: bool
    issues: tuple[str, ...]
    features: dict[str, float]
    files: tuple[MinedFile, ...]


@dataclass
class FileHistory:
    """What is known of one path before the current commit."""

    developers: set[str] = field(default_factory=set)
    changes: set[int] = field(default_factory=set)
    last_time: int = 0
    author_changes: dict[str, int] = field(default_factory=dict)

    def copy(self) -> FileHistory:
        """An independent copy, for a file copied to a new path."""
        return FileHistory(set(self.developers), set(self.changes), self.last_time,
                           dict(self.author_changes))


@dataclass
class AuthorHistory:
    """What is known of one developer before the current commit."""

    changes: int = 0
    changes_by_year: dict[int, int] = field(default_factory=dict)
    subsystem_changes: dict[str, set[int]] = field(default_factory=dict)


Touch = tuple[str, str | None, str]  # a file a commit touched: path, old path, status


@dataclass(frozen=True, slots=True)
class PastCommit:
    """A stored commit as the state needs it: its index in mining order, developer, commit
    time, whether it is a merge, and the files it touched."""

    index: int
    author: str
    time: int
    is_merge: bool
    files: tuple[Touch, ...]


@dataclass
class HistoryState:
    """Everything the fold remembers; rebuilt from the store for an incremental run."""

    files: dict[str, FileHistory] = field(default_factory=dict)
    authors: dict[str, AuthorHistory] = field(default_factory=dict)
    blob_lines: dict[str, int] = field(default_factory=dict)
    commits_seen: int = 0


def developer_id(name: str, email: str) -> str:
    """The identity a developer's experience is counted under (mailmapped email, else name)."""
    return email.strip().lower() or name.strip()


def subsystem_of(path: str) -> str:
    """The top-level directory of a path; '' for files at the root."""
    head, sep, _ = path.partition("/")
    return head if sep else ""


def directory_of(path: str) -> str:
    """The directory of a path; '' for the root."""
    return path.rpartition("/")[0]


def year_of(timestamp: int) -> int:
    """Calendar year (UTC) of a unix time."""
    return time.gmtime(timestamp).tm_year


def entropy(modified_lines: list[int]) -> float:
    """Shannon entropy in bits of how modified lines spread over files."""
    total = sum(modified_lines)
    if total == 0:
        return 0.0
    return -sum(n / total * math.log2(n / total) for n in modified_lines if n)


def recent_experience(changes_by_year: dict[int, int], year: int) -> float:
    """Earlier changes weighted 1/(1+n), n = whole years before `year`."""
    return sum(count / (1 + max(0, year - y)) for y, count in changes_by_year.items())


def union_size(sets: list[set[int]] | list[set[str]]) -> int:
    """Size of the union of sets, without copying when there is only one."""
    if len(sets) == 1:
        return len(sets[0])
    merged: set[object] = set()
    for item in sets:
        merged |= item
    return len(merged)


class HistoryFold:
    """Turns raw commits, oldest first, into mined commits while updating the state."""

    def __init__(self, state: HistoryState, fixes: FixMatcher,
                 count_blob_lines: Callable[[str], int]) -> None:
        self.state = state
        self.fixes = fixes
        self.count_blob_lines = count_blob_lines

    def lines_of(self, blob: str) -> int:
        """Lines in a blob: from the state when seen, else counted by git."""
        if blob == NULL_SHA:
            return 0
        known = self.state.blob_lines.get(blob)
        if known is None:
            known = self.state.blob_lines[blob] = self.count_blob_lines(blob)
        return known

    def mine(self, commit: RawCommit) -> MinedCommit:
        """Features of one commit from the state, then the commit added to the state."""
        index = self.state.commits_seen
        self.state.commits_seen += 1
        author = developer_id(commit.author_name, commit.author_email)
        files = tuple(self._mine_file(change, author, commit.commit_time)
                      for change in commit.files)
        features = self._change_features(commit, author, files)
        if not commit.is_merge:
            self._remember(commit, author, index)
        issues = tuple(self.fixes.issues(commit.message))
        is_fix = not commit.is_merge and self.fixes.is_fix(commit.message)
        features["fix"] = float(is_fix)
        features["nissues"] = float(len(issues))
        return MinedCommit(commit, is_fix, issues, features, files)

    def _history_before(self, change: RawFileChange | MinedFile) -> FileHistory | None:
        if change.status == "A":
            return None
        return self.state.files.get(change.old_path or change.path)

    def _mine_file(self, change: RawFileChange, author: str, when: int) -> MinedFile:
        countable = not (change.binary or change.is_submodule)
        added = change.added if countable else 0
        deleted = change.deleted if countable else 0
        before = self.lines_of(change.old_blob) if countable and change.status != "A" else 0
        after = max(0, before + added - deleted) if countable else 0
        if countable and change.new_blob != NULL_SHA:
            self.state.blob_lines[change.new_blob] = after
        past = self._history_before(change)
        features = {
            "la": float(added), "ld": float(deleted), "lt": float(before),
            "ndev": float(len(past.developers)) if past else 0.0,
            "age": max(0.0, (when - past.last_time) / DAY) if past and past.last_time else 0.0,
            "nuc": float(len(past.changes)) if past else 0.0,
            "aexp": float(past.author_changes.get(author, 0)) if past else 0.0,
        }
        kind = "submodule" if change.is_submodule else file_kind(change.path)
        return MinedFile(change.path, change.old_path, change.status, change.binary, kind,
                         language_of(change.path), change.old_blob, change.new_blob, after,
                         features)

    def _change_features(self, commit: RawCommit, author: str,
                         files: tuple[MinedFile, ...]) -> dict[str, float]:
        aligned = [self._history_before(f) for f in files]
        pasts = [p for p in aligned if p is not None]
        ages = [f.features["age"] for f, p in zip(files, aligned, strict=True)
                if p is not None and p.last_time]
        me = self.state.authors.get(author, AuthorHistory())
        subsystems = {subsystem_of(f.path) for f in files}
        kinds = [f.kind for f in files]
        local = commit.author_time + commit.author_tz_minutes * 60
        subsystem_sets = [me.subsystem_changes[s] for s in subsystems if s in me.subsystem_changes]
        return {
            "ns": float(len(subsystems)),
            "nd": float(len({directory_of(f.path) for f in files})),
            "nf": float(len(files)),
            "entropy": entropy([int(f.features["la"] + f.features["ld"]) for f in files]),
            "la": sum(f.features["la"] for f in files),
            "ld": sum(f.features["ld"] for f in files),
            "lt": sum(f.features["lt"] for f in files),
            "ndev": float(union_size([p.developers for p in pasts])) if pasts else 0.0,
            "age": sum(ages) / len(ages) if ages else 0.0,
            "nuc": float(union_size([p.changes for p in pasts])) if pasts else 0.0,
            "exp": float(me.changes),
            "rexp": recent_experience(me.changes_by_year, year_of(commit.commit_time)),
            "sexp": float(union_size(subsystem_sets)) if subsystem_sets else 0.0,
            "nrename": float(sum(f.status in "RC" for f in files)),
            "nadded": float(sum(f.status == "A" for f in files)),
            "ndeleted": float(sum(f.status == "D" for f in files)),
            "nbinary": float(sum(f.binary or f.kind == "submodule" for f in files)),
            "nsource": float(kinds.count("source")),
            "ntest": float(kinds.count("test")),
            "ndoc": float(kinds.count("doc")),
            "nconfig": float(kinds.count("config")),
            "nlang": float(len({f.language for f in files if f.language})),
            "hour": float(local // 3600 % 24),
            "weekday": float((local // 86400 + 3) % 7),
            "msg_len": float(len(commit.message.rstrip())),
        }

    def _remember(self, commit: RawCommit, author: str, index: int) -> None:
        remember(self.state, author, commit.commit_time,
                 [(c.path, c.old_path, c.status) for c in commit.files], index)


def remember(state: HistoryState, author: str, when: int, touches: Sequence[Touch],
             index: int) -> None:
    """Add a non-merge commit (the index-th mined) to the files' and the author's history."""
    files = state.files
    for path, old_path, status in touches:
        if status == "R" and old_path is not None and old_path in files:
            history = files.pop(old_path)
            files[path] = history
        elif status == "C" and old_path is not None and old_path in files:
            history = files[path] = files[old_path].copy()
        else:
            history = files.setdefault(path, FileHistory())
        history.developers.add(author)
        history.changes.add(index)
        history.last_time = when
        history.author_changes[author] = history.author_changes.get(author, 0) + 1
    me = state.authors.setdefault(author, AuthorHistory())
    me.changes += 1
    year = year_of(when)
    me.changes_by_year[year] = me.changes_by_year.get(year, 0) + 1
    for subsystem in {subsystem_of(path) for path, _, _ in touches}:
        me.subsystem_changes.setdefault(subsystem, set()).add(index)


def needed_commits(commits: Sequence[PastCommit], paths: Iterable[str],
                   author: str) -> list[PastCommit]:
    """The non-merge commits, oldest first, that shape the history of `paths` (followed back
    through renames and copies) or the experience of `author`: remembering only these gives
    those paths and that author the state remembering every commit gives them."""
    wanted = set(paths)
    needed = []
    for commit in reversed(commits):
        if commit.is_merge:
            continue
        touched = commit.author == author
        grown = True
        while grown:  # a commit can chain renames (a → b, b → c): follow them all
            grown = False
            for path, old_path, status in commit.files:
                if path in wanted or old_path in wanted:
                    touched = True
                    if status in ("R", "C") and old_path is not None and path in wanted \
                            and old_path not in wanted:
                        wanted.add(old_path)
                        grown = True
        if touched:
            needed.append(commit)
    needed.reverse()
    return needed
