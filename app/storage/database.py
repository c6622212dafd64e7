"""Open the store: an engine for the configured URL, migrated to the newest schema.

Alembic (half a second to import) is loaded only when a migration has to run: a store whose
alembic_version already names the newest migrations, read from the migration files' text, is
opened without it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from app.storage.locks import store_file_lock

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# A migration file's `revision = "0002"` and `down_revision = "0001"` lines (annotated or not).
REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$",
                           re.MULTILINE)


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
    from alembic.config import Config  # noqa: PLC0415  (only migrating needs Alembic)

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def _revision_ids(value: str) -> tuple[str, ...] | None:
    """The ids a revision line's value names (none for None); None when not literal ids."""
    try:
        parsed = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return None
    ids = () if parsed is None else parsed if isinstance(parsed, tuple | list) else (parsed,)
    return tuple(ids) if all(isinstance(i, str) for i in ids) else None


def head_revisions(folder: Path = MIGRATIONS / "versions") -> frozenset[str] | None:
    """The newest migrations' ids, read from the files' text without Alembic (None when a
    file does not state its revision and down revision as plain literals)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in folder.glob("*.py"):
        lines = {match[1]: match[2] for match in REVISION_LINE.finditer(path.read_text())}
        own = _revision_ids(lines.get("revision", "None"))
        down = _revision_ids(lines.get("down_revision", "()"))
        if own is None or len(own) != 1 or down is None:
            return None
        revisions.update(own)
        parents.update(down)
    return frozenset(revisions - parents) or None


def schema_is_current(engine: Engine) -> bool:
    """Whether the database's alembic_version names exactly the newest migrations."""
    heads = head_revisions()
    if heads is None:
        return False
    try:
        with engine.connect() as conn:
            stored = {str(row[0]) for row in conn.execute(
                text("SELECT version_num FROM alembic_version"))}
    except SQLAlchemyError:
        return False
    return stored == heads


MIGRATION_LOCK_KEY = 0x64696666  # "diff": one PostgreSQL advisory lock for every diffrisk


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Hold PostgreSQL's advisory lock, or on SQLite a lock file beside the database, while
    migrating, so processes starting together (the web server's workers, RQ workers) migrate one
    after the other (Alembic's SQLite DDL is not transactional: the second would find tables)."""
    if engine.dialect.name != "postgresql":
        with store_file_lock(engine, "migration"):
            yield
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
            conn.commit()


def upgrade_schema(engine: Engine) -> None:
    """Migrate the database to the newest schema (a no-op when it is current)."""
    try:
        if schema_is_current(engine):
            return
        with migration_lock(engine):
            if not schema_is_current(engine):
                from alembic import command  # noqa: PLC0415  (half a second: only when migrating)

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
