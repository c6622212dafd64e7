"""Alembic environment: migrations run on the engine diffrisk passes in."""

from __future__ import annotations

from alembic import context

from app.storage.schema import Base


def run_migrations() -> None:
    """Run the pending migrations in one transaction on the configured engine."""
    engine = context.config.attributes["engine"]
    with engine.begin() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        context.run_migrations()


run_migrations()
