"""The first schema: policies, agents, observations and their changes,
ingested report ids, cycles, findings and their events, quarantine.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON_DOC = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
LIVE = sa.text("state <> 'resolved'")


def upgrade() -> None:
    op.create_table(
        "policies",
        sa.Column("policy_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Text(), nullable=False),
        sa.Column("body", JSON_DOC, nullable=False),
        sa.Column("loaded_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("policy_id", name="pk_policies"),
    )
    op.create_table(
        "agents",
        sa.Column("agent_id", sa.String(64), nullable=False),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("session_id", sa.String(32), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("last_seen", TS, nullable=False),
        sa.Column("interval_s", sa.Float(), nullable=True),
        sa.Column("birth", JSON_DOC, nullable=True),
        sa.PrimaryKeyConstraint("agent_id", name="pk_agents"),
    )
    op.create_index("ix_agents_site_id", "agents", ["site_id"])
    op.create_table(
        "observations",
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("camera_id", sa.String(64), nullable=True),
        sa.Column("agent_id", sa.String(64), nullable=False),
        sa.Column("report_id", sa.String(32), nullable=False),
        sa.Column("observed_at", TS, nullable=False),
        sa.Column("reachable", sa.Boolean(), nullable=False),
        sa.Column("facts_hash", sa.String(64), nullable=False),
        sa.Column("body", JSON_DOC, nullable=False),
        sa.PrimaryKeyConstraint("site_id", "address", name="pk_observations"),
    )
    op.create_table(
        "observation_changes",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("report_id", sa.String(32), nullable=False),
        sa.Column("observed_at", TS, nullable=False),
        sa.Column("body", JSON_DOC, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_observation_changes"),
    )
    op.create_index(
        "ix_observation_changes_site_id_address_observed_at",
        "observation_changes",
        ["site_id", "address", "observed_at"],
    )
    op.create_table(
        "ingested_reports",
        sa.Column("report_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("report_id", name="pk_ingested_reports"),
    )
    op.create_table(
        "cycles",
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("cycle_id", sa.String(32), nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=False),
        sa.Column("finished_at", TS, nullable=False),
        sa.Column("addresses", JSON_DOC, nullable=False),
        sa.PrimaryKeyConstraint("site_id", name="pk_cycles"),
    )
    op.create_table(
        "findings",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("evidence", JSON_DOC, nullable=False),
        sa.Column("camera_id", sa.String(64), nullable=True),
        sa.Column("address", sa.String(300), nullable=True),
        sa.Column("agent_id", sa.String(64), nullable=True),
        sa.Column("first_seen", TS, nullable=False),
        sa.Column("last_seen", TS, nullable=False),
        sa.Column("resolved_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_findings"),
    )
    op.create_index("ix_findings_site_id_state", "findings", ["site_id", "state"])
    op.create_index(
        "uq_findings_live",
        "findings",
        ["site_id", "subject", "rule"],
        unique=True,
        postgresql_where=LIVE,
        sqlite_where=LIVE,
    )
    op.create_table(
        "finding_events",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("finding_id", ID, nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["findings.id"],
            name="fk_finding_events_finding_id_findings",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_finding_events"),
    )
    op.create_index("ix_finding_events_finding_id", "finding_events", ["finding_id"])
    op.create_table(
        "quarantine",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_quarantine"),
    )


def downgrade() -> None:
    for table in (
        "quarantine",
        "finding_events",
        "findings",
        "cycles",
        "ingested_reports",
        "observation_changes",
        "observations",
        "agents",
        "policies",
    ):
        op.drop_table(table)
