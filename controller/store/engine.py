"""Opening the database and bringing its schema up to date.

SQLite runs in WAL mode with ``synchronous=NORMAL`` (durable across a
process crash, fast) and a busy timeout, set on every new connection.
JSON columns carry JSON text both ways (see ``store.types``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiosqlite
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, make_url
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


async def _connect_sqlite(*args: Any, **kwargs: Any) -> aiosqlite.Connection:
    """``aiosqlite.connect(*args, **kwargs)``, whose worker thread has ended
    when it raises.

    When SQLite cannot open the file (its folder missing, no permission),
    aiosqlite (0.22.1) queues its worker's stop and raises without waiting
    for it; the worker then posts the stop's result to the event loop. A
    command's ``asyncio.run`` has often closed that loop by then, and the
    worker dies of "Event loop is closed" (an unhandled thread exception).
    Joining it here blocks the loop only for what the worker has left to do,
    which is to stop; the worker's reply lands on the loop, still open.
    The worker is a daemon, as SQLAlchemy's own aiosqlite connect makes it,
    so that a connection never closed cannot hold up the interpreter's exit.
    Not needed once aiosqlite skips replies to closed loops itself
    (omnilib/aiosqlite#389, open)."""
    connection = aiosqlite.connect(*args, **kwargs)
    worker = getattr(connection, "_thread", None)  # private: a release without it is not joined
    if worker is not None:
        worker.daemon = True
    try:
        return await connection
    except BaseException:
        if worker is not None:
            worker.join()
        raise


def _sqlite_connector(url: str) -> Callable[[], Awaitable[aiosqlite.Connection]]:
    """SQLAlchemy's async creator for a SQLite ``url``: the dialect's own
    reading of the URL (file, ``uri``, ``check_same_thread``...), passed to
    ``_connect_sqlite``."""
    parsed = make_url(url)
    args, kwargs = parsed.get_dialect()().create_connect_args(parsed)

    def connect() -> Awaitable[aiosqlite.Connection]:
        return _connect_sqlite(*args, **kwargs)

    return connect


def open_engine(url: str) -> AsyncEngine:
    """An async engine for ``url`` (sqlite+aiosqlite or postgresql+asyncpg)."""
    sqlite = url.startswith("sqlite")
    engine = create_async_engine(
        url,
        json_serializer=_json_text,
        json_deserializer=_keep_text,
        pool_pre_ping=not sqlite,
        async_creator=_sqlite_connector(url) if sqlite else None,
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
