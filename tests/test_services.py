"""The service fixtures are real servers: PostgreSQL, Redis and SQLite, each fresh per test."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
import redis
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.conftest import REDIS_TEST_DB

# Databases handed out by postgres_url in this module: each later test checks that they are gone.
_seen_databases: list[str] = []


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.mark.postgres
@pytest.mark.parametrize("run", [1, 2])
def test_postgres_url_is_a_fresh_empty_database(postgres_url: str, run: int) -> None:
    assert postgres_url.startswith("postgresql+psycopg://")
    with psycopg.connect(_libpq(postgres_url)) as conn:
        name = conn.execute("SELECT current_database()").fetchone()
        assert name is not None
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
        assert tables == (0,)
        left = conn.execute(
            "SELECT datname FROM pg_database WHERE datname = ANY(%s)", (_seen_databases,)
        ).fetchall()
        assert left == []
        assert name[0] not in _seen_databases
        _seen_databases.append(name[0])

        conn.execute("CREATE TABLE marker (run integer NOT NULL)")
        conn.execute("INSERT INTO marker VALUES (%s)", (run,))
        assert conn.execute("SELECT run FROM marker").fetchall() == [(run,)]


@pytest.mark.parametrize("run", [1, 2])
def test_redis_url_is_an_empty_db_with_working_ttls(redis_url: str, run: int) -> None:
    assert redis_url.endswith(f"/{REDIS_TEST_DB}")
    with redis.Redis.from_url(redis_url) as client:
        assert client.dbsize() == 0
        client.set("diffrisk:test", f"run {run}", ex=60)
        assert client.get("diffrisk:test") == f"run {run}".encode()
        assert 0 < client.ttl("diffrisk:test") <= 60


def test_sqlite_url_is_writable(sqlite_url: str, tmp_path: Path) -> None:
    engine = sa.create_engine(sqlite_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE marker (value TEXT NOT NULL)"))
            conn.execute(sa.text("INSERT INTO marker VALUES ('written')"))
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT value FROM marker")).scalar_one() == "written"
    finally:
        engine.dispose()
    assert (tmp_path / "diffrisk.db").is_file()


def test_database_url_round_trips_rows_with_sqlalchemy(database_url: str) -> None:
    metadata = sa.MetaData()
    marker = sa.Table("marker", metadata, sa.Column("value", sa.String(20), nullable=False))
    engine = sa.create_engine(database_url)
    try:
        metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(marker.insert(), [{"value": "a"}, {"value": "b"}])
        with engine.connect() as conn:
            values = conn.execute(sa.select(marker.c.value).order_by(marker.c.value)).scalars()
            assert list(values) == ["a", "b"]
    finally:
        engine.dispose()
