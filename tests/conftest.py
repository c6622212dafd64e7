"""Shared fixtures: built git repositories, real PostgreSQL, SQLite and Redis."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis
from psycopg import sql
from psycopg.rows import TupleRow
from sqlalchemy.engine import URL, make_url

from tests.gitbuild import RepoBuilder

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
REDIS_TEST_DB = 15  # flushed before and after every test that uses redis_url
DATABASE_FIXTURES = {"sqlite": "sqlite_url", "postgresql": "postgres_url"}
HOW_TO_GET_SERVERS = "run scripts/test, which starts one, or set {} to a running server"


@pytest.fixture
def builder(tmp_path: Path) -> RepoBuilder:
    """An empty repository with a fixed clock, to be filled by the test."""
    return RepoBuilder(tmp_path / "repo")


def _server_url() -> URL:
    """The PostgreSQL server of DATABASE_URL (postgresql:// or postgresql+psycopg://)."""
    return make_url(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)


def _libpq(url: URL) -> str:
    """The URL as psycopg takes it."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _unreachable(what: str, variable: str, url: str, error: Exception) -> str:
    """A one-line failure message for a server the tests cannot reach."""
    lines = str(error).strip().splitlines()
    reason = lines[0].rstrip(".") if lines else type(error).__name__
    return f"{what} of {variable} ({url}) is unreachable: {reason}; " + HOW_TO_GET_SERVERS.format(
        variable
    )


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[psycopg.Connection[TupleRow]]:
    """An autocommit connection to the DATABASE_URL server that creates and drops test databases."""
    url = _server_url()
    try:
        conn = psycopg.connect(_libpq(url), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        message = _unreachable("PostgreSQL", "DATABASE_URL", url.render_as_string(), error)
    else:
        with conn:
            yield conn
        return
    pytest.fail(message, pytrace=False)  # outside the except: no chained traceback


@pytest.fixture
def postgres_url(postgres_admin: psycopg.Connection[TupleRow]) -> Iterator[str]:
    """A postgresql+psycopg:// URL of a fresh, empty database, dropped after the test."""
    name = f"diffrisk_test_{uuid.uuid4().hex[:16]}"
    postgres_admin.execute(
        sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name))
    )
    try:
        url = _server_url().set(drivername="postgresql+psycopg", database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        postgres_admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        postgres_admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A sqlite:/// URL of a new database file in the test's temporary directory."""
    return f"sqlite:///{tmp_path / 'diffrisk.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """The URL of an empty database, once on SQLite and once on PostgreSQL."""
    url: str = request.getfixturevalue(DATABASE_FIXTURES[request.param])
    return url


@pytest.fixture(scope="session")
def redis_server_url() -> str:
    """The REDIS_URL server, pointed at the test db number, checked to be reachable."""
    parts = urlsplit(os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL)
    url = urlunsplit(parts._replace(path=f"/{REDIS_TEST_DB}"))
    try:
        with redis.Redis.from_url(url, socket_connect_timeout=5) as client:
            client.ping()
    except redis.RedisError as error:
        shown = urlunsplit(parts._replace(netloc=f"{parts.hostname}:{parts.port or 6379}"))
        message = _unreachable("Redis", "REDIS_URL", shown, error)
    else:
        return url
    pytest.fail(message, pytrace=False)  # outside the except: no chained traceback


@pytest.fixture
def redis_url(redis_server_url: str) -> Iterator[str]:
    """A redis:// URL of a db number of its own, flushed before and after the test."""
    with redis.Redis.from_url(redis_server_url) as client:
        client.flushdb()
        yield redis_server_url
        client.flushdb()
