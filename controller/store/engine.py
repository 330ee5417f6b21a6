"""Opening the database and bringing its schema up to date.

SQLite runs in WAL mode with ``synchronous=NORMAL`` (durable across a
process crash, fast) and a busy timeout, set on every new connection.
JSON columns carry JSON text both ways (see ``store.types``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 10_000


def _json_text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(
            f"JSON columns take JSON text (model_dump_json), not {type(value).__name__}"
        )
    return value


def _keep_text(value: str) -> str:
    return value


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def open_engine(url: str) -> AsyncEngine:
    """An async engine for ``url`` (sqlite+aiosqlite or postgresql+asyncpg)."""
    engine = create_async_engine(
        url,
        json_serializer=_json_text,
        json_deserializer=_keep_text,
        pool_pre_ping=not url.startswith("sqlite"),
    )
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def alembic_config() -> Config:
    """The packaged Alembic configuration (controller/alembic.ini). Found next
    to this file rather than through importlib.resources, which a test folder
    named ``controller`` on sys.path would shadow."""
    package = Path(__file__).resolve().parents[1]
    config = Config(str(package / "alembic.ini"))
    config.set_main_option("script_location", str(package / "migrations"))
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def migrate(engine: AsyncEngine, revision: str = "heads") -> None:
    """Bring the schema to ``revision`` (creating it in an empty database);
    by default every head, so that independent branches (lifecycle, register,
    ...) all apply.
    Safe to run at every start and from several replicas on PostgreSQL
    (Alembic's version table serialises them inside one transaction)."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, revision)
