"""Alembic environment: runs on the connection the controller hands over in
``config.attributes["connection"]`` (a sync view of its async engine), so the
migration shares the start-up transaction and the engine's settings."""

from __future__ import annotations

from alembic import context

from controller.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "camwarden migrations run through controller.store.engine.migrate(), "
        "which passes the connection; offline SQL generation is not supported"
    )
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
