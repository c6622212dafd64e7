"""Reads of the feature store: commits by time and tag, features, labels, statistics."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from sqlalchemy import Engine, and_, delete, func, select

from analyzers.catalogue import EXTRACTOR_VERSION
from analyzers.changes import ChangeRecord, FileTouch
from analyzers.history import PastCommit, developer_id
from app.storage.cache import FeatureCache
from app.storage.schema import Commit, CommitTag, FileChange, MiningState, Repository, SzzLink


@dataclass(frozen=True)
class StoredCommit:
    """A mined commit as stored, with its change-level features."""

    sha: str
    commit_time: int
    author_email: str
    is_merge: bool
    is_fix: bool
    message: str
    features: dict[str, Any]


@dataclass(frozen=True)
class StoreStats:
    """Counts that describe what the store holds for one repository."""

    repository: str
    commits: int
    file_changes: int
    fixes: int
    bug_inducing: int
    links: int
    first_commit_time: int | None
    last_commit_time: int | None
    stale_rows: int


def open_feature_store(engine: Engine, redis_url: str, ttl_seconds: int) -> FeatureStore:
    """The feature store, reading through a Redis cache when a Redis URL is configured."""
    if not redis_url:
        return FeatureStore(engine)
    from redis import Redis  # noqa: PLC0415  (a tenth of a second: only when configured)

    return FeatureStore(engine, FeatureCache(Redis.from_url(redis_url), ttl_seconds))


class FeatureStore:
    """Queries over mined history of the current extractor version."""

    def __init__(self, engine: Engine, cache: FeatureCache | None = None) -> None:
        self.engine = engine
        self.cache = cache

    def repository_id(self, name: str) -> int | None:
        """The id of a repository by name, or None when it was never mined."""
        with self.engine.connect() as conn:
            found = conn.scalar(select(Repository.id).where(Repository.name == name))
        return None if found is None else int(found)

    def commits(self, repository_id: int, since: int | None = None, until: int | None = None,
                tags: Sequence[str] = (), include_merges: bool = True) -> list[StoredCommit]:
        """Commits in mining order, within [since, until) by commit time, carrying all tags."""
        query = select(Commit.sha, Commit.commit_time, Commit.author_email, Commit.is_merge,
                       Commit.is_fix, Commit.message, Commit.features).where(
            Commit.repository_id == repository_id,
            Commit.extractor_version == EXTRACTOR_VERSION)
        if since is not None:
            query = query.where(Commit.commit_time >= since)
        if until is not None:
            query = query.where(Commit.commit_time < until)
        if not include_merges:
            query = query.where(Commit.is_merge.is_(False))
        for tag in tags:
            query = query.where(Commit.id.in_(select(CommitTag.commit_id).where(
                CommitTag.tag == tag)))
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(Commit.position)).all()
        return [StoredCommit(*row) for row in rows]

    def fix_shas(self, repository_id: int) -> frozenset[str]:
        """The shas of the stored commits that are bug fixes."""
        with self.engine.connect() as conn:
            return frozenset(conn.scalars(select(Commit.sha).where(
                Commit.repository_id == repository_id,
                Commit.extractor_version == EXTRACTOR_VERSION, Commit.is_fix)))

    def commit_features(self, repository_id: int, sha: str) -> dict[str, Any] | None:
        """One commit's features, through the Redis cache when there is one."""
        if self.cache is not None:
            cached = self.cache.get(repository_id, EXTRACTOR_VERSION, sha)
            if cached is not None:
                return cached
        with self.engine.connect() as conn:
            features = conn.scalar(select(Commit.features).where(
                Commit.repository_id == repository_id,
                Commit.extractor_version == EXTRACTOR_VERSION, Commit.sha == sha))
        if features is not None and self.cache is not None:
            self.cache.put(repository_id, EXTRACTOR_VERSION, sha, features)
        return None if features is None else dict(features)

    def file_changes(self, repository_id: int, sha: str) -> list[dict[str, Any]]:
        """The files a stored commit changed, with their facts and features."""
        query = select(FileChange.path, FileChange.old_path, FileChange.status,
                       FileChange.binary, FileChange.kind, FileChange.language,
                       FileChange.lines_after, FileChange.features).join(
            Commit, Commit.id == FileChange.commit_id).where(
            Commit.repository_id == repository_id,
            Commit.extractor_version == EXTRACTOR_VERSION, Commit.sha == sha,
        ).order_by(FileChange.id)
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def links_of_fix(self, repository_id: int, fix_sha: str) -> list[dict[str, Any]]:
        """The stored SZZ links of one fix commit."""
        query = select(SzzLink.inducing_sha, SzzLink.path, SzzLink.lines, SzzLink.known_at).where(
            SzzLink.repository_id == repository_id, SzzLink.fix_sha == fix_sha,
        ).order_by(SzzLink.inducing_sha, SzzLink.path)
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def bug_inducing(self, repository_id: int, known_before: int | None = None) -> set[str]:
        """Shas that a fix marks bug-inducing, counting only fixes known before a time."""
        query = select(SzzLink.inducing_sha).where(SzzLink.repository_id == repository_id)
        if known_before is not None:
            query = query.where(SzzLink.known_at < known_before)
        with self.engine.connect() as conn:
            return set(conn.scalars(query.distinct()))

    def bug_known_at(self, repository_id: int) -> dict[str, int]:
        """For each bug-inducing sha, when its first fix landed (when the label became known)."""
        query = select(SzzLink.inducing_sha, func.min(SzzLink.known_at)).where(
            SzzLink.repository_id == repository_id).group_by(SzzLink.inducing_sha)
        with self.engine.connect() as conn:
            return {sha: int(known) for sha, known in conn.execute(query)}

    def iter_feature_rows(self, repository_id: int, include_merges: bool = False,
                          ) -> Iterator[tuple[str, int, dict[str, Any]]]:
        """(sha, commit time, features) of every stored commit in mining order, streamed."""
        query = select(Commit.sha, Commit.commit_time, Commit.features).where(
            Commit.repository_id == repository_id,
            Commit.extractor_version == EXTRACTOR_VERSION).order_by(Commit.position)
        if not include_merges:
            query = query.where(Commit.is_merge.is_(False))
        with self.engine.connect() as conn:
            yield from conn.execution_options(yield_per=2000).execute(query)

    def change_records(self, repository_id: int, until: int | None = None,
                       ) -> list[ChangeRecord]:
        """Non-merge changes in mining order (before `until`, by commit time), with their
        files: the history that coupling and knowledge are computed from."""
        query = select(Commit.id, Commit.sha, Commit.commit_time, Commit.author_name,
                       Commit.author_email, FileChange.path, FileChange.old_path,
                       FileChange.status, FileChange.features["la"].as_float().label("la"),
                       FileChange.features["ld"].as_float().label("ld")).join(
            FileChange, FileChange.commit_id == Commit.id).where(
            Commit.repository_id == repository_id,
            Commit.extractor_version == EXTRACTOR_VERSION, Commit.is_merge.is_(False))
        if until is not None:
            query = query.where(Commit.commit_time < until)
        records: list[ChangeRecord] = []
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(Commit.position, FileChange.id))
            for _, group in groupby(rows, key=lambda row: row.id):
                touches = list(group)
                first = touches[0]
                records.append(ChangeRecord(
                    first.sha, first.commit_time,
                    developer_id(first.author_name, first.author_email),
                    tuple(FileTouch(t.path, t.old_path, t.status, int(t.la + t.ld))
                          for t in touches)))
        return records

    def history_rows(self, repository_id: int) -> tuple[list[ChangeRecord], list[PastCommit]]:
        """change_records() and HistoryWriter.past_commits() from one query: the non-merge
        changes with files, and every commit as the fold's state remembers it."""
        query = select(Commit.id, Commit.sha, Commit.commit_time, Commit.author_name,
                       Commit.author_email, Commit.is_merge, FileChange.path,
                       FileChange.old_path, FileChange.status,
                       FileChange.features["la"].as_float().label("la"),
                       FileChange.features["ld"].as_float().label("ld")).outerjoin(
            FileChange, FileChange.commit_id == Commit.id).where(
            Commit.repository_id == repository_id,
            Commit.extractor_version == EXTRACTOR_VERSION)
        records: list[ChangeRecord] = []
        past: list[PastCommit] = []
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(Commit.position, FileChange.id))
            for _, group in groupby(rows, key=lambda row: row.id):
                touches = list(group)
                first = touches[0]
                author = developer_id(first.author_name, first.author_email)
                files = [t for t in touches if t.path is not None]
                past.append(PastCommit(len(past), author, int(first.commit_time),
                                       bool(first.is_merge),
                                       tuple((t.path, t.old_path, t.status) for t in files)))
                if files and not first.is_merge:
                    records.append(ChangeRecord(
                        first.sha, first.commit_time, author,
                        tuple(FileTouch(t.path, t.old_path, t.status, int(t.la + t.ld))
                              for t in files)))
        return records, past

    def szz_links(self, repository_id: int) -> list[tuple[str, str, str, int]]:
        """Every SZZ link: (fix sha, inducing sha, blamed path, when it became known)."""
        query = select(SzzLink.fix_sha, SzzLink.inducing_sha, SzzLink.path,
                       SzzLink.known_at).where(SzzLink.repository_id == repository_id)
        with self.engine.connect() as conn:
            return [(a, b, c, int(d)) for a, b, c, d in conn.execute(query)]

    def file_features(self, repository_id: int) -> dict[tuple[str, str], dict[str, Any]]:
        """(sha, path) → the mined features of that file change."""
        query = select(Commit.sha, FileChange.path, FileChange.features).join(
            FileChange, FileChange.commit_id == Commit.id).where(
            Commit.repository_id == repository_id,
            Commit.extractor_version == EXTRACTOR_VERSION)
        with self.engine.connect() as conn:
            return {(sha, path): dict(features) for sha, path, features in conn.execute(query)}

    def stats(self, repository_id: int) -> StoreStats:
        """What the store holds for a repository."""
        current = and_(Commit.repository_id == repository_id,
                       Commit.extractor_version == EXTRACTOR_VERSION)
        with self.engine.connect() as conn:
            name = conn.scalar(select(Repository.name).where(Repository.id == repository_id))
            counts = conn.execute(select(func.count(), func.min(Commit.commit_time),
                                         func.max(Commit.commit_time)).where(current)).one()
            return StoreStats(
                repository=str(name), commits=int(counts[0]),
                file_changes=int(conn.scalar(select(func.count()).select_from(FileChange).join(
                    Commit, Commit.id == FileChange.commit_id).where(current)) or 0),
                fixes=int(conn.scalar(select(func.count()).where(current, Commit.is_fix)) or 0),
                bug_inducing=len(self.bug_inducing(repository_id)),
                links=int(conn.scalar(select(func.count()).select_from(SzzLink).where(
                    SzzLink.repository_id == repository_id)) or 0),
                first_commit_time=counts[1], last_commit_time=counts[2],
                stale_rows=int(conn.scalar(select(func.count()).where(
                    Commit.repository_id == repository_id,
                    Commit.extractor_version != EXTRACTOR_VERSION)) or 0),
            )

    def delete_stale_versions(self) -> int:
        """Delete commits, files, tags and mining states of other extractor versions."""
        with self.engine.begin() as conn:
            stale = select(Commit.id).where(Commit.extractor_version != EXTRACTOR_VERSION)
            conn.execute(delete(CommitTag).where(CommitTag.commit_id.in_(stale)))
            conn.execute(delete(FileChange).where(FileChange.commit_id.in_(stale)))
            removed = conn.execute(delete(Commit).where(
                Commit.extractor_version != EXTRACTOR_VERSION)).rowcount
            conn.execute(delete(MiningState).where(
                MiningState.extractor_version != EXTRACTOR_VERSION))
        return int(removed or 0)
