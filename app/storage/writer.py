"""Writes of the feature store, each joining the caller's transaction (all or nothing)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from analyzers.batching import batched
from analyzers.catalogue import EXTRACTOR_VERSION
from analyzers.gitlog import GITLINK_MODE, RawCommit, RawFileChange
from analyzers.history import MinedCommit, PastCommit, developer_id
from app.storage.schema import (
    Commit,
    CommitTag,
    FileChange,
    MiningState,
    Repository,
    SzzLink,
)


@dataclass(frozen=True)
class StoredLink:
    """A fix → bug-inducing link as stored: the fix, the candidate, the path and its lines."""

    fix_sha: str
    inducing_sha: str
    path: str
    lines: list[Any]
    known_at: int


def content_hash(mined: MinedCommit) -> str:
    """A hash of everything mined for a commit, to tell two extractions apart."""
    payload = [mined.commit.sha, mined.features,
               [(f.path, f.status, f.new_blob, f.features) for f in mined.files]]
    return hashlib.blake2b(json.dumps(payload, sort_keys=True).encode(), digest_size=16).hexdigest()


def _commit_row(repository_id: int, position: int, mined: MinedCommit) -> dict[str, Any]:
    c = mined.commit
    return {
        "repository_id": repository_id, "extractor_version": EXTRACTOR_VERSION, "sha": c.sha,
        "position": position, "content_hash": content_hash(mined), "parents": " ".join(c.parents),
        "is_merge": c.is_merge, "is_fix": mined.is_fix, "author_name": c.author_name,
        "author_email": c.author_email, "author_time": c.author_time,
        "author_tz_minutes": c.author_tz_minutes, "commit_time": c.commit_time,
        "message": c.message, "features": mined.features,
    }


def _tags(mined: MinedCommit) -> list[str]:
    tags = [f"issue:{issue}"[:200] for issue in mined.issues]
    if mined.is_fix:
        tags.append("fix")
    if mined.commit.is_merge:
        tags.append("merge")
    return tags


def _printable(path: str) -> str:
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


class HistoryWriter:
    """Writes mined history of one extractor version inside a transaction it is given."""

    def repository_id(self, conn: Connection, name: str, path: str) -> int:
        """The id of the named repository, created when new (its path updated when moved)."""
        found = conn.execute(select(Repository.id, Repository.path).where(
            Repository.name == name)).first()
        if found is not None:
            if found.path != path:  # no write (nor a commit to wait for) when unchanged
                conn.execute(update(Repository).where(Repository.id == found.id).values(
                    path=path))
            return int(found.id)
        created = conn.execute(insert(Repository).values(name=name, path=path).returning(
            Repository.id))
        return int(created.scalar_one())

    def mining_state(self, conn: Connection, repository_id: int) -> tuple[list[str], int]:
        """The stored tips and number of commits mined with the current extractor."""
        row = conn.execute(select(MiningState.tips, MiningState.commits).where(
            MiningState.repository_id == repository_id,
            MiningState.extractor_version == EXTRACTOR_VERSION)).first()
        return (list(row.tips), int(row.commits)) if row else ([], 0)

    def save_mining_state(self, conn: Connection, repository_id: int, tips: Sequence[str],
                          commits: int) -> None:
        """Record the tips whose whole history is now stored."""
        conn.execute(delete(MiningState).where(
            MiningState.repository_id == repository_id,
            MiningState.extractor_version == EXTRACTOR_VERSION))
        conn.execute(insert(MiningState).values(
            repository_id=repository_id, extractor_version=EXTRACTOR_VERSION, tips=list(tips),
            commits=commits))

    def add_commits(self, conn: Connection, repository_id: int, first_position: int,
                    batch: Sequence[MinedCommit]) -> None:
        """Insert a batch of mined commits with their files and tags."""
        if not batch:
            return
        rows = [_commit_row(repository_id, first_position + i, m) for i, m in enumerate(batch)]
        ids = conn.execute(insert(Commit).returning(Commit.id, sort_by_parameter_order=True),
                           rows).scalars().all()
        files = [{"commit_id": cid, "path": _printable(f.path),
                  "old_path": None if f.old_path is None else _printable(f.old_path),
                  "status": f.status, "binary": f.binary, "kind": f.kind,
                  "language": f.language, "old_blob": f.old_blob, "new_blob": f.new_blob,
                  "lines_after": f.lines_after, "features": f.features}
                 for cid, mined in zip(ids, batch, strict=True) for f in mined.files]
        if files:
            conn.execute(insert(FileChange), files)
        tags = [{"commit_id": cid, "tag": tag}
                for cid, mined in zip(ids, batch, strict=True) for tag in set(_tags(mined))]
        if tags:
            conn.execute(insert(CommitTag), tags)

    def replay_history(self, conn: Connection, repository_id: int) -> Iterator[RawCommit]:
        """The stored commits, in mining order, as the raw commits the fold consumes."""
        commits = conn.execute(select(
            Commit.id, Commit.sha, Commit.parents, Commit.author_name, Commit.author_email,
            Commit.author_time, Commit.author_tz_minutes, Commit.commit_time,
        ).where(Commit.repository_id == repository_id,
                Commit.extractor_version == EXTRACTOR_VERSION).order_by(Commit.position))
        files = conn.execute(select(
            FileChange.commit_id, FileChange.path, FileChange.old_path, FileChange.status,
            FileChange.binary, FileChange.kind, FileChange.old_blob, FileChange.new_blob,
            FileChange.features,
        ).join(Commit, Commit.id == FileChange.commit_id).where(
            Commit.repository_id == repository_id,
            Commit.extractor_version == EXTRACTOR_VERSION,
        ).order_by(Commit.position, FileChange.id))
        pending = next(files, None)
        for c in commits:
            changes = []
            while pending is not None and pending.commit_id == c.id:
                mode = GITLINK_MODE if pending.kind == "submodule" else "100644"
                changes.append(RawFileChange(
                    pending.path, pending.old_path, pending.status,
                    int(pending.features["la"]), int(pending.features["ld"]), pending.binary,
                    pending.old_blob, pending.new_blob, mode, mode))
                pending = next(files, None)
            yield RawCommit(c.sha, tuple(c.parents.split()), c.author_name, c.author_email,
                            c.author_time, c.author_tz_minutes, c.commit_time, "", tuple(changes))

    def past_commits(self, conn: Connection, repository_id: int) -> list[PastCommit]:
        """Every stored commit in mining order with only what the fold's state remembers
        (no features: a fraction of replay_history's cost)."""
        rows = conn.execute(select(
            Commit.id, Commit.author_name, Commit.author_email, Commit.commit_time,
            Commit.is_merge, FileChange.path, FileChange.old_path, FileChange.status,
        ).outerjoin(FileChange, FileChange.commit_id == Commit.id).where(
            Commit.repository_id == repository_id,
            Commit.extractor_version == EXTRACTOR_VERSION,
        ).order_by(Commit.position, FileChange.id))
        found: list[PastCommit] = []
        for _, group in groupby(rows, key=lambda row: row.id):
            touches = list(group)
            first = touches[0]
            found.append(PastCommit(
                len(found), developer_id(first.author_name, first.author_email),
                int(first.commit_time), bool(first.is_merge),
                tuple((t.path, t.old_path, t.status) for t in touches if t.path is not None)))
        return found

    def stored_lines(self, conn: Connection, repository_id: int,
                     blobs: Iterable[str]) -> dict[str, int]:
        """Lines of the blobs as the fold's state holds them after a replay: from the last
        stored text change that wrote each (blobs no change wrote are left out)."""
        found: dict[str, int] = {}
        for chunk in batched(sorted(set(blobs)), 500):
            rows = conn.execute(select(FileChange.new_blob, FileChange.lines_after).join(
                Commit, Commit.id == FileChange.commit_id).where(
                Commit.repository_id == repository_id,
                Commit.extractor_version == EXTRACTOR_VERSION, FileChange.new_blob.in_(chunk),
                FileChange.binary.is_(False), FileChange.kind != "submodule",
            ).order_by(Commit.position, FileChange.id))
            found.update((blob, int(lines)) for blob, lines in rows)
        return found

    def commit_sizes(self, conn: Connection, repository_id: int,
                     ) -> list[tuple[str, int, int, bool]]:
        """(sha, files changed, lines changed, is merge) of every stored commit."""
        rows = conn.execute(select(Commit.sha, Commit.features, Commit.is_merge).where(
            Commit.repository_id == repository_id,
            Commit.extractor_version == EXTRACTOR_VERSION))
        return [(r.sha, int(r.features["nf"]), int(r.features["la"] + r.features["ld"]),
                 bool(r.is_merge)) for r in rows]

    def count_fixes(self, conn: Connection, repository_id: int) -> int:
        """How many stored commits (current extractor) are bug fixes."""
        return int(conn.scalar(select(func.count()).where(
            Commit.repository_id == repository_id,
            Commit.extractor_version == EXTRACTOR_VERSION, Commit.is_fix)) or 0)

    def stored_shas(self, conn: Connection, repository_id: int) -> set[str]:
        """The shas mined for the repository with the current extractor."""
        return set(conn.scalars(select(Commit.sha).where(
            Commit.repository_id == repository_id,
            Commit.extractor_version == EXTRACTOR_VERSION)))

    def add_links(self, conn: Connection, repository_id: int, links: Iterable[StoredLink]) -> int:
        """Store SZZ links (new ones only) and tag their inducing commits; return how many."""
        existing = {(r.fix_sha, r.inducing_sha, r.path) for r in conn.execute(select(
            SzzLink.fix_sha, SzzLink.inducing_sha, SzzLink.path).where(
            SzzLink.repository_id == repository_id))}
        rows: list[dict[str, Any]] = [{"repository_id": repository_id, "fix_sha": link.fix_sha,
                 "inducing_sha": link.inducing_sha, "path": _printable(link.path),
                 "lines": link.lines, "known_at": link.known_at}
                for link in links
                if (link.fix_sha, link.inducing_sha, _printable(link.path)) not in existing]
        if rows:
            conn.execute(insert(SzzLink), rows)
            self.tag_commits(conn, repository_id, {r["inducing_sha"] for r in rows},
                             "bug_inducing")
        return len(rows)

    def tag_commits(self, conn: Connection, repository_id: int, shas: Iterable[str],
                    tag: str) -> None:
        """Add a tag to stored commits (current extractor) that do not have it yet."""
        wanted = set(shas)
        if not wanted:
            return
        tagged = select(CommitTag.commit_id).where(CommitTag.tag == tag)
        for chunk in batched(sorted(wanted), 500):
            ids = conn.scalars(select(Commit.id).where(
                Commit.repository_id == repository_id,
                Commit.extractor_version == EXTRACTOR_VERSION,
                Commit.sha.in_(chunk), ~Commit.id.in_(tagged))).all()
            if ids:
                conn.execute(insert(CommitTag), [{"commit_id": i, "tag": tag} for i in ids])
