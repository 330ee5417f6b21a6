"""Findings lifecycle and alerts: acknowledgement and escalation columns on
findings, who/note/severity on finding events, the alert outbox and the
per-target delivery state (so an alert is never delivered twice to one
target, across restarts).

Revision ID: 0002_lifecycle
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002_lifecycle"
down_revision = "0001"
branch_labels = None
depends_on = None

JSON_DOC = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("opened_at", TS, nullable=True))
        batch.add_column(sa.Column("acknowledged_by", sa.String(100), nullable=True))
        batch.add_column(sa.Column("acknowledged_at", TS, nullable=True))
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch.add_column(sa.Column("escalated_at", TS, nullable=True))
    with op.batch_alter_table("finding_events") as batch:
        batch.add_column(sa.Column("by", sa.String(100), nullable=True))
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch.add_column(sa.Column("severity", sa.String(16), nullable=True))
    op.create_table(
        "alerts",
        sa.Column("seq", ID, autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.String(32), nullable=False),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("camera_key", sa.String(300), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("body", JSON_DOC, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_alerts"),
        sa.UniqueConstraint("alert_id", name="uq_alerts_alert_id"),
    )
    op.create_table(
        "alert_deliveries",
        sa.Column("alert_id", sa.String(32), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.PrimaryKeyConstraint("alert_id", "target", name="pk_alert_deliveries"),
    )


def downgrade() -> None:
    op.drop_table("alert_deliveries")
    op.drop_table("alerts")
    with op.batch_alter_table("finding_events") as batch:
        for name in ("severity", "note", "by"):
            batch.drop_column(name)
    with op.batch_alter_table("findings") as batch:
        for name in ("escalated_at", "note", "acknowledged_at", "acknowledged_by", "opened_at"):
            batch.drop_column(name)
