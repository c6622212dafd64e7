"""A repository's past changes as plain records, and file identities that follow renames."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FileTouch:
    """One file a past change touched: its path after the change, status and lines changed."""

    path: str
    old_path: str | None
    status: str
    churn: int


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    """A past non-merge change: when, by whom, and which files."""

    sha: str
    time: int
    author: str
    files: tuple[FileTouch, ...]


class FileIdentities:
    """Gives each file one identity for its whole life, across renames; a path deleted and
    later added again starts a new identity."""

    def __init__(self) -> None:
        self._by_path: dict[str, int] = {}
        self._paths: list[str] = []

    def touch(self, touch: FileTouch) -> int:
        """The identity of the touched file, updated for this change."""
        if touch.status == "R" and touch.old_path in self._by_path:
            identity = self._by_path.pop(touch.old_path)
        elif touch.status == "A" or touch.path not in self._by_path:
            identity = len(self._paths)
            self._paths.append(touch.path)
        else:
            identity = self._by_path[touch.path]
        self._paths[identity] = touch.path
        if touch.status == "D":
            self._by_path.pop(touch.path, None)
        else:
            self._by_path[touch.path] = identity
        return identity

    def current(self, path: str) -> int | None:
        """The identity a path has now, or None when no living file has it."""
        return self._by_path.get(path)

    def path_of(self, identity: int) -> str:
        """The latest path of an identity."""
        return self._paths[identity]


@dataclass(frozen=True)
class IdentifiedHistory:
    """A history whose file touches carry rename-following identities, computed once and
    shared by coupling and knowledge."""

    identities: FileIdentities
    changes: tuple[tuple[ChangeRecord, frozenset[int]], ...]

    def current(self, paths: Iterable[str]) -> dict[int, str]:
        """The identities of the living files among paths, with the path asked for."""
        return {identity: path for path in paths
                if (identity := self.identities.current(path)) is not None}


def identify(history: Iterable[ChangeRecord]) -> IdentifiedHistory:
    """Each change of the history with the identities of its files, in history order."""
    identities = FileIdentities()
    changes = tuple((change, frozenset(identities.touch(t) for t in change.files))
                    for change in history)
    return IdentifiedHistory(identities, changes)
