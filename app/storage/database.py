"""Open the store: an engine for the configured URL, migrated to the newest schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


class StoreError(RuntimeError):
    """The database cannot be opened or migrated; the message says what to do."""


def _enable_sqlite_foreign_keys(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: object, _record: object) -> None:
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


def create_store_engine(url: str) -> Engine:
    """An engine for a SQLite or PostgreSQL URL (SQLite folders are created)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"database URL {url!r} is not valid: use postgresql://user@host/db "
                         "or sqlite:///path/to/file.db") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed)
        _enable_sqlite_foreign_keys(engine)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise StoreError(f"database {parsed.get_backend_name()!r} is not supported: use "
                         "PostgreSQL or SQLite")
    return create_engine(parsed, pool_pre_ping=True)


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration bound to the engine, for migrations from code."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade_schema(engine: Engine) -> None:
    """Migrate the database to the newest schema (a no-op when it is current)."""
    try:
        command.upgrade(alembic_config(engine), "head")
    except Exception as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreError(f"cannot open or migrate the store at "
                         f"{engine.url.render_as_string(hide_password=True)} ({message}): "
                         "check DATABASE_URL and that the server runs") from exc


def open_store(url: str) -> Engine:
    """An engine on a migrated database."""
    engine = create_store_engine(url)
    upgrade_schema(engine)
    return engine
