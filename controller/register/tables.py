"""The register's tables (SQLAlchemy Core), on the controller's one
``metadata`` so that the schema test holds them equal to the migration
``0003_register``.

``register_entries`` is append-only: the store never updates or deletes a
row; ``body`` is the exact text that was hashed (Text, not JSON: a JSONB
column would re-serialise it and break the hash). ``register_heads`` keeps
each organisation's last number and hash, written in the same transaction
as the entry, so that cutting entries off the end shows.
"""

from __future__ import annotations

from sqlalchemy import Column, Date, Index, Integer, String, Table, Text

from controller.store.tables import Id, metadata
from controller.store.types import UtcDateTime

register_entries = Table(
    "register_entries",
    metadata,
    Column("policy_id", String(64), primary_key=True),
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("site_id", String(64), nullable=True),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("body", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index(None, "policy_id", "kind", "occurred_at"),
)

register_heads = Table(
    "register_heads",
    metadata,
    Column("policy_id", String(64), primary_key=True),
    Column("number", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

register_footage = Table(
    "register_footage",
    metadata,
    Column("site_id", String(64), primary_key=True),
    Column("camera_id", String(64), primary_key=True),
    Column("data_from", UtcDateTime, nullable=False),
    Column("observed_at", UtcDateTime, nullable=False),
)
"""The DataFrom last turned into destruction entries, per camera."""

register_monthly_checks = Table(
    "register_monthly_checks",
    metadata,
    Column("site_id", String(64), primary_key=True),
    Column("month", Date, primary_key=True),
    Column("number", Integer, nullable=False),
)

access_requests = Table(
    "access_requests",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("policy_id", String(64), nullable=False),
    Column("site_id", String(64), nullable=True),
    Column("state", String(16), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("deadline", UtcDateTime, nullable=False),
    Column("body", Text, nullable=False),
    Index(None, "policy_id", "state"),
)
"""``body``: the ``AccessRequest`` JSON (state and answer included)."""

checklists = Table(
    "checklists",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("policy_id", String(64), nullable=False),
    Column("period_from", Date, nullable=False),
    Column("period_until", Date, nullable=False),
    Column("completed_at", UtcDateTime, nullable=False),
    Column("body", Text, nullable=False),
    Index(None, "policy_id", "completed_at"),
)
"""Completed self-inspections (a person signed off the filled checklist)."""
