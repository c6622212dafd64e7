"""The tables: repositories, mined commits and file changes (the feature store), SZZ links,
the model registry, and the App's installations, deliveries and analyses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

SHA = String(64)


def utcnow() -> datetime:
    """The current time, timezone-aware, for created/updated columns."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of every table; Alembic migrations are written against it."""


class Repository(Base):
    """A repository diffrisk has mined, identified by a name (owner/name or a local path)."""

    __tablename__ = "repositories"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(400), unique=True)
    path: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    states: Mapped[list[MiningState]] = relationship(back_populates="repository",
                                                     cascade="all, delete-orphan")


class MiningState(Base):
    """How far mining got for one extractor version: the tips whose history is stored."""

    __tablename__ = "mining_states"
    repository_id: Mapped[int] = mapped_column(ForeignKey("repositories.id", ondelete="CASCADE"),
                                               primary_key=True)
    extractor_version: Mapped[int] = mapped_column(Integer, primary_key=True)
    tips: Mapped[list[Any]] = mapped_column(JSON, default=list)
    commits: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    repository: Mapped[Repository] = relationship(back_populates="states")


class Commit(Base):
    """A mined commit: facts, change-level features, one row per extractor version."""

    __tablename__ = "commits"
    __table_args__ = (
        UniqueConstraint("repository_id", "sha", "extractor_version"),
        Index("ix_commits_repo_time", "repository_id", "extractor_version", "commit_time"),
        Index("ix_commits_repo_position", "repository_id", "extractor_version", "position"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repository_id: Mapped[int] = mapped_column(ForeignKey("repositories.id", ondelete="CASCADE"))
    extractor_version: Mapped[int] = mapped_column(Integer)
    sha: Mapped[str] = mapped_column(SHA)
    position: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    parents: Mapped[str] = mapped_column(Text)
    is_merge: Mapped[bool] = mapped_column(Boolean)
    is_fix: Mapped[bool] = mapped_column(Boolean)
    author_name: Mapped[str] = mapped_column(Text)
    author_email: Mapped[str] = mapped_column(Text)
    author_time: Mapped[int] = mapped_column(BigInteger)
    author_tz_minutes: Mapped[int] = mapped_column(Integer)
    commit_time: Mapped[int] = mapped_column(BigInteger)
    message: Mapped[str] = mapped_column(Text)
    features: Mapped[dict[str, Any]] = mapped_column(JSON)


class CommitTag(Base):
    """A tag on a commit (fix, merge, bug_inducing, mechanical, issue:N) for queries."""

    __tablename__ = "commit_tags"
    commit_id: Mapped[int] = mapped_column(ForeignKey("commits.id", ondelete="CASCADE"),
                                           primary_key=True)
    tag: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)


class FileChange(Base):
    """One file a mined commit changed: facts and file-level features."""

    __tablename__ = "file_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commit_id: Mapped[int] = mapped_column(ForeignKey("commits.id", ondelete="CASCADE"),
                                           index=True)
    path: Mapped[str] = mapped_column(Text)
    old_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(1))
    binary: Mapped[bool] = mapped_column(Boolean)
    kind: Mapped[str] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(40), nullable=True)
    old_blob: Mapped[str] = mapped_column(SHA)
    new_blob: Mapped[str] = mapped_column(SHA)
    lines_after: Mapped[int] = mapped_column(Integer)
    features: Mapped[dict[str, Any]] = mapped_column(JSON)


class SzzLink(Base):
    """A fix → bug-inducing link with the blamed lines behind it and when it became known."""

    __tablename__ = "szz_links"
    __table_args__ = (
        UniqueConstraint("repository_id", "fix_sha", "inducing_sha", "path"),
        Index("ix_szz_links_inducing", "repository_id", "inducing_sha"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repository_id: Mapped[int] = mapped_column(ForeignKey("repositories.id", ondelete="CASCADE"))
    fix_sha: Mapped[str] = mapped_column(SHA)
    inducing_sha: Mapped[str] = mapped_column(SHA)
    path: Mapped[str] = mapped_column(Text)
    lines: Mapped[list[Any]] = mapped_column(JSON)
    known_at: Mapped[int] = mapped_column(BigInteger)


class ModelVersion(Base):
    """The model registry: one trained model of one kind, its lineage, metrics and artifact.

    repository_id is NULL for cross-project models. The artifact is gzip-compressed JSON that
    loads without executing code; artifact_sha256 guards it against corruption.
    """

    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("repository_id", "kind", "version"),
                      Index("ix_model_versions_lookup", "repository_id", "kind", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repository_id: Mapped[int | None] = mapped_column(
        ForeignKey("repositories.id", ondelete="CASCADE"), nullable=True)
    kind: Mapped[str] = mapped_column(String(20))
    version: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    candidate: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    hyperparameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    features: Mapped[list[Any]] = mapped_column(JSON)
    data_hash: Mapped[str] = mapped_column(String(64))
    train_start: Mapped[int] = mapped_column(BigInteger)
    train_end: Mapped[int] = mapped_column(BigInteger)
    test_start: Mapped[int] = mapped_column(BigInteger)
    test_end: Mapped[int] = mapped_column(BigInteger)
    comparison: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Deferred: listing and promoting versions never reads the (megabytes of) model itself.
    artifact: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    artifact_sha256: Mapped[str] = mapped_column(String(64))


class Installation(Base):
    """A GitHub App installation (its id is GitHub's); suspended ones get no analyses."""

    __tablename__ = "installations"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account: Mapped[str] = mapped_column(String(200))
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class InstalledRepository(Base):
    """A repository an installation gives access to; its data goes when the access goes."""

    __tablename__ = "installed_repositories"
    installation_id: Mapped[int] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), primary_key=True)
    full_name: Mapped[str] = mapped_column(String(400), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Delivery(Base):
    """A webhook delivery as received: kept until its job is queued, so none is lost.

    status: received → queued (in Redis) | pending (Redis was down; replayed later) | ignored |
    duplicate. The raw body is kept for replay; webhook payloads carry no secrets.
    """

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_status", "status", "received_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(100), unique=True)
    event: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(60), default="")
    installation_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    body: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    jobs: Mapped[list[Any]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Analysis(Base):
    """One analysis of a head commit under one gate configuration, and how it was posted."""

    __tablename__ = "analyses"
    __table_args__ = (UniqueConstraint("repository", "head_sha", "config_hash"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repository: Mapped[str] = mapped_column(String(400))
    pull_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    head_sha: Mapped[str] = mapped_column(SHA)
    base_sha: Mapped[str] = mapped_column(SHA, default="")
    config_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    conclusion: Mapped[str | None] = mapped_column(String(20), nullable=True)
    check_run_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
