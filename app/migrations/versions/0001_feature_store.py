"""feature store: repositories, commits, file changes, szz links

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply the change."""
    op.create_table(
        "repositories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=400), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "commits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repository_id", sa.Integer(), nullable=False),
        sa.Column("extractor_version", sa.Integer(), nullable=False),
        sa.Column("sha", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("parents", sa.Text(), nullable=False),
        sa.Column("is_merge", sa.Boolean(), nullable=False),
        sa.Column("is_fix", sa.Boolean(), nullable=False),
        sa.Column("author_name", sa.Text(), nullable=False),
        sa.Column("author_email", sa.Text(), nullable=False),
        sa.Column("author_time", sa.BigInteger(), nullable=False),
        sa.Column("author_tz_minutes", sa.Integer(), nullable=False),
        sa.Column("commit_time", sa.BigInteger(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["repository_id"], ["repositories.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("repository_id", "sha", "extractor_version"),
    )
    with op.batch_alter_table("commits", schema=None) as batch_op:
        batch_op.create_index(
            "ix_commits_repo_position",
            ["repository_id", "extractor_version", "position"],
            unique=False,
        )
        batch_op.create_index(
            "ix_commits_repo_time",
            ["repository_id", "extractor_version", "commit_time"],
            unique=False,
        )

    op.create_table(
        "mining_states",
        sa.Column("repository_id", sa.Integer(), nullable=False),
        sa.Column("extractor_version", sa.Integer(), nullable=False),
        sa.Column("tips", sa.JSON(), nullable=False),
        sa.Column("commits", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["repository_id"], ["repositories.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("repository_id", "extractor_version"),
    )
    op.create_table(
        "szz_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repository_id", sa.Integer(), nullable=False),
        sa.Column("fix_sha", sa.String(length=64), nullable=False),
        sa.Column("inducing_sha", sa.String(length=64), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("known_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["repository_id"], ["repositories.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("repository_id", "fix_sha", "inducing_sha", "path"),
    )
    with op.batch_alter_table("szz_links", schema=None) as batch_op:
        batch_op.create_index(
            "ix_szz_links_inducing", ["repository_id", "inducing_sha"], unique=False
        )

    op.create_table(
        "commit_tags",
        sa.Column("commit_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["commit_id"], ["commits.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("commit_id", "tag"),
    )
    with op.batch_alter_table("commit_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_commit_tags_tag"), ["tag"], unique=False)

    op.create_table(
        "file_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commit_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("old_path", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=1), nullable=False),
        sa.Column("binary", sa.Boolean(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=40), nullable=True),
        sa.Column("old_blob", sa.String(length=64), nullable=False),
        sa.Column("new_blob", sa.String(length=64), nullable=False),
        sa.Column("lines_after", sa.Integer(), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["commit_id"], ["commits.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("file_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_file_changes_commit_id"), ["commit_id"], unique=False)


def downgrade() -> None:
    """Revert the change."""
    with op.batch_alter_table("file_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_file_changes_commit_id"))

    op.drop_table("file_changes")
    with op.batch_alter_table("commit_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commit_tags_tag"))

    op.drop_table("commit_tags")
    with op.batch_alter_table("szz_links", schema=None) as batch_op:
        batch_op.drop_index("ix_szz_links_inducing")

    op.drop_table("szz_links")
    op.drop_table("mining_states")
    with op.batch_alter_table("commits", schema=None) as batch_op:
        batch_op.drop_index("ix_commits_repo_time")
        batch_op.drop_index("ix_commits_repo_position")

    op.drop_table("commits")
    op.drop_table("repositories")
