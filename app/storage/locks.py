"""One process at a time learns a repository (mines it, decides on training, trains), across
every worker that shares the store: a PostgreSQL advisory lock per repository, or on SQLite a
lock file beside the database (SQLite serialises its writers anyway, so one lock serves every
repository there)."""

from __future__ import annotations

import fcntl
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

# The advisory lock's first key ("lear"); the second is the repository name's CRC-32.
LEARNING_LOCK_CLASS = 0x6C656172


def repository_key(name: str) -> int:
    """The repository name's CRC-32 as PostgreSQL's signed 32-bit integer."""
    value = zlib.crc32(name.encode("utf-8"))
    return value - (1 << 32) if value >= 1 << 31 else value


@contextmanager
def learning_lock(engine: Engine, repository: str) -> Iterator[None]:
    """Hold the repository's learning lock (waiting for another holder to finish)."""
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, repository_key(repository)):
            yield
        return
    with store_file_lock(engine, "learning"):
        yield


@contextmanager
def store_file_lock(engine: Engine, purpose: str) -> Iterator[None]:
    """Hold the lock file `<database>.<purpose>.lock` beside a SQLite store's file (nothing to
    hold for an in-memory store, which no other process can reach)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with file_lock(Path(f"{database}.{purpose}.lock")):
        yield


@contextmanager
def _advisory_lock(engine: Engine, key: int) -> Iterator[None]:
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:class, :key)"),
                     {"class": LEARNING_LOCK_CLASS, "key": key})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:class, :key)"),
                         {"class": LEARNING_LOCK_CLASS, "key": key})
            conn.commit()


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the file (created if missing), waiting for another holder."""
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
