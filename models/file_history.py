"""Per-file history features as of a time, computed in one pass over past changes.

A file is followed across renames (analyzers.changes.FileIdentities). The features of a file
touched by a change at time t use only the changes before it plus the facts of that change
itself, so a row never looks into the future. The same code builds training rows (observe, in
history order) and the rows of a new change (peek, without recording it).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from analyzers.changes import ChangeRecord, FileIdentities, FileTouch
from analyzers.filekinds import file_kind
from models.portable import FloatArray

DAY = 86_400.0
RECENT_DAYS = 30.0
WINDOW_DAYS = 90.0
NEW_FILE = -1

FILE_HISTORY_FEATURES: tuple[str, ...] = (
    "prior_changes", "changes_30d", "changes_90d", "prior_authors", "authors_90d",
    "author_prior_changes", "prior_fixes", "fixes_90d", "days_since_fix", "days_since_change",
    "file_age_days", "prior_churn", "churn_90d", "churn_now", "files_in_change",
    "change_is_fix", "is_new_file", "is_source", "is_test", "is_doc",
    "repo_changes_90d", "repo_fix_rate_90d", "change_share_90d", "fix_share_90d",
)


@dataclass(slots=True)
class FileState:
    """What is known about one file identity: its past changes and fixes."""

    first_time: int
    times: list[int] = field(default_factory=list)
    churns: list[int] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    fix_times: list[int] = field(default_factory=list)
    author_counts: dict[str, int] = field(default_factory=dict)
    churn_total: int = 0


@dataclass(frozen=True, slots=True)
class FileRow:
    """The features of one file a change touched, as of that change."""

    sha: str
    path: str
    identity: int
    time: int
    features: tuple[float, ...]


def days_between(later: float, earlier: float | None) -> float:
    """Days from earlier to later, NaN when there is no earlier event."""
    return math.nan if earlier is None else max(later - earlier, 0.0) / DAY


def window_facts(state: FileState, now: int) -> tuple[int, int, int, set[str]]:
    """Changes in the last 30 and 90 days, churn and authors of the last 90 days."""
    recent = in_window = churn = 0
    authors: set[str] = set()
    for index in range(len(state.times) - 1, -1, -1):
        age = now - state.times[index]
        if age > WINDOW_DAYS * DAY:
            break
        in_window += 1
        recent += age <= RECENT_DAYS * DAY
        churn += state.churns[index]
        authors.add(state.authors[index])
    return recent, in_window, churn, authors


def kind_flags(path: str) -> tuple[float, float, float]:
    """(is_source, is_test, is_doc) of a path."""
    kind = file_kind(path)
    return float(kind == "source"), float(kind == "test"), float(kind == "doc")


def repo_context(repo: tuple[int, int], changes_90d: float,
                 fixes_90d: float) -> tuple[float, float, float, float]:
    """Repository changes and fix rate of 90 days, and the file's share of each."""
    changes, fixes = repo
    return (float(changes), fixes / max(changes, 1), changes_90d / max(changes, 1),
            fixes_90d / max(fixes, 1))


def state_features(state: FileState | None, touch: FileTouch, change: ChangeRecord,
                   is_fix: bool, repo: tuple[int, int] = (0, 0)) -> tuple[float, ...]:
    """The FILE_HISTORY_FEATURES of one touched file from its state before the change;
    repo: the repository's changes and fixes in the 90 days before it."""
    now = change.time
    shared = (float(touch.churn), float(len(change.files)), float(is_fix))
    if state is None:
        return (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, math.nan, math.nan, 0.0, 0.0, 0.0,
                *shared, 1.0, *kind_flags(touch.path), *repo_context(repo, 0.0, 0.0))
    recent, in_window, churn, authors = window_facts(state, now)
    fixes_90d = len(state.fix_times) - bisect.bisect_left(state.fix_times,
                                                          now - WINDOW_DAYS * DAY)
    return (float(len(state.times)), float(recent), float(in_window),
            float(len(state.author_counts)), float(len(authors)),
            float(state.author_counts.get(change.author, 0)), float(len(state.fix_times)),
            float(fixes_90d),
            days_between(now, state.fix_times[-1] if state.fix_times else None),
            days_between(now, state.times[-1] if state.times else None),
            days_between(now, state.first_time), float(state.churn_total), float(churn),
            *shared, 0.0, *kind_flags(touch.path),
            *repo_context(repo, float(in_window), float(fixes_90d)))


class FileHistory:
    """Per-file state built by observing changes in history order."""

    def __init__(self) -> None:
        self.identities = FileIdentities()
        self.states: dict[int, FileState] = {}
        self.change_times: list[int] = []
        self.fix_change_times: list[int] = []

    def repo_window(self, now: int) -> tuple[int, int]:
        """The repository's changes and fix changes in the 90 days before now."""
        start = now - WINDOW_DAYS * DAY
        return (len(self.change_times) - bisect.bisect_left(self.change_times, start),
                len(self.fix_change_times) - bisect.bisect_left(self.fix_change_times, start))

    def identity_of(self, touch: FileTouch) -> int:
        """The identity a touch would get, without recording it (NEW_FILE for a new file)."""
        if touch.status == "R" and touch.old_path is not None:
            found = self.identities.current(touch.old_path)
            if found is not None:
                return found
        if touch.status == "A":
            return NEW_FILE
        found = self.identities.current(touch.path)
        return NEW_FILE if found is None else found

    def peek(self, change: ChangeRecord, is_fix: bool) -> list[FileRow]:
        """The rows of a change's files as of the change, leaving the history unchanged."""
        rows = []
        repo = self.repo_window(change.time)
        for touch in change.files:
            identity = self.identity_of(touch)
            features = state_features(self.states.get(identity), touch, change, is_fix, repo)
            rows.append(FileRow(change.sha, touch.path, identity, change.time, features))
        return rows

    def observe(self, change: ChangeRecord, is_fix: bool) -> list[FileRow]:
        """The rows of a change's files as of the change, then the change recorded."""
        peeked = self.peek(change, is_fix)
        return [FileRow(row.sha, row.path, identity, row.time, row.features)
                for row, identity in zip(peeked, self.record(change, is_fix), strict=True)]

    def record(self, change: ChangeRecord, is_fix: bool) -> list[int]:
        """Record a change (observe without the rows); the identities of its files."""
        identities = []
        for touch in change.files:
            identity = self.identities.touch(touch)
            state = self.states.setdefault(identity, FileState(change.time))
            state.times.append(change.time)
            state.churns.append(touch.churn)
            state.authors.append(change.author)
            state.author_counts[change.author] = state.author_counts.get(change.author, 0) + 1
            state.churn_total += touch.churn
            if is_fix:
                state.fix_times.append(change.time)
            identities.append(identity)
        bisect.insort(self.change_times, change.time)
        if is_fix:
            bisect.insort(self.fix_change_times, change.time)
        return identities

    def fix_times(self, identity: int) -> list[int]:
        """When fix commits touched a file identity (all that were observed)."""
        state = self.states.get(identity)
        return [] if state is None else state.fix_times


def replay(history: Iterable[ChangeRecord], fixes: set[str]) -> tuple[FileHistory,
                                                                          list[FileRow]]:
    """The file history after every change, and every change's file rows, in history order."""
    files = FileHistory()
    rows: list[FileRow] = []
    for change in history:
        rows.extend(files.observe(change, change.sha in fixes))
    return files, rows


def file_history(history: Iterable[ChangeRecord], fixes: set[str] | frozenset[str],
                 ) -> FileHistory:
    """The file history after every change (replay's first half, without computing rows)."""
    files = FileHistory()
    for change in history:
        files.record(change, change.sha in fixes)
    return files


def history_as_of(history: Iterable[ChangeRecord], fixes: set[str], now: int) -> FileHistory:
    """The file history of the changes before `now`."""
    files = FileHistory()
    for change in history:
        if change.time < now:
            files.observe(change, change.sha in fixes)
    return files


def feature_matrix(rows: list[FileRow]) -> FloatArray:
    """The rows' features as one float matrix (FILE_HISTORY_FEATURES columns)."""
    if not rows:
        return np.empty((0, len(FILE_HISTORY_FEATURES)))
    return np.array([row.features for row in rows], dtype=np.float64)
