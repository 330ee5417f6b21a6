"""The policy version each agent reports (policy distribution).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "agent_policies",
        sa.Column("agent_id", sa.String(64), nullable=False),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("policy_id", sa.String(64), nullable=False),
        sa.Column("policy_version", sa.Text(), nullable=False),
        sa.Column("reported_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("agent_id", name="pk_agent_policies"),
    )
    op.create_index("ix_agent_policies_policy_id", "agent_policies", ["policy_id"])


def downgrade() -> None:
    op.drop_index("ix_agent_policies_policy_id", table_name="agent_policies")
    op.drop_table("agent_policies")
