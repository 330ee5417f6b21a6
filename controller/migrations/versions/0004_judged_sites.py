"""The reconciler's judged observations per site (a cache for restarts).
A branch of its own off 0001: it touches no table of the others.

Revision ID: 0004_judged_sites
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_judged_sites"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "judged_sites",
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("judge_key", sa.String(64), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("site_id", name="pk_judged_sites"),
    )


def downgrade() -> None:
    op.drop_table("judged_sites")
