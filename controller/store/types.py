"""Column types that behave the same on SQLite and PostgreSQL.

``UtcDateTime``: aware UTC datetimes in, aware UTC datetimes out (SQLite
keeps no zone, so it would hand back naive values). ``JSON_DOC``: a JSON
column (JSONB on PostgreSQL) whose Python value is the JSON *text*: the
engine is opened with a pass-through serializer (see ``engine.open_engine``)
so that pydantic's fast ``model_dump_json``/``model_validate_json`` do the
work and nothing is parsed twice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

JSON_DOC = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


def naive_time(value: datetime) -> ValueError:
    """The error for a time without a zone given to the store (every
    stored time is UTC-aware; a naive one would be read as whatever the
    database's session zone is)."""
    return ValueError(f"naive datetime {value!r} given to the store; times are UTC-aware")


class UtcDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise naive_time(value)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def sqlite_time(value: datetime) -> str:
    """``value`` as the text ``UtcDateTime`` stores on SQLite (UTC, no zone,
    microseconds always: "2026-11-24 09:00:00.000000"), for statements that
    bypass the type (``store.report_rows``). Stored times compare as text,
    so it must be exactly that form; a test holds it to SQLAlchemy's."""
    offset = value.utcoffset()
    if offset is None:
        raise naive_time(value)
    if offset:
        value -= offset
    return value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
