"""Fixtures of the app tests: a migrated store on each database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from app.storage.database import open_store


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated empty store, once on SQLite and once on PostgreSQL, disposed after the test."""
    store = open_store(database_url)
    yield store
    store.dispose()
