"""model registry: model_versions

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply the change."""
    op.create_table(
        "model_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repository_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("candidate", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("hyperparameters", sa.JSON(), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("data_hash", sa.String(length=64), nullable=False),
        sa.Column("train_start", sa.BigInteger(), nullable=False),
        sa.Column("train_end", sa.BigInteger(), nullable=False),
        sa.Column("test_start", sa.BigInteger(), nullable=False),
        sa.Column("test_end", sa.BigInteger(), nullable=False),
        sa.Column("comparison", sa.JSON(), nullable=False),
        sa.Column("artifact", sa.LargeBinary(), nullable=False),
        sa.Column("artifact_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["repository_id"], ["repositories.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("repository_id", "kind", "version"),
    )
    op.create_index("ix_model_versions_lookup", "model_versions",
                    ["repository_id", "kind", "status"])


def downgrade() -> None:
    """Revert the change."""
    op.drop_index("ix_model_versions_lookup", table_name="model_versions")
    op.drop_table("model_versions")
