"""Site stamps (moved by the ingest) and the reconciler's settled verdicts,
so that a pass leaves alone the sites nothing was written for.

Revision ID: 0005_settled_sites
Revises: 0004_judged_sites
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_settled_sites"
down_revision = "0004_judged_sites"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "site_stamps",
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("facts", sa.BigInteger(), nullable=False),
        sa.Column("seen", sa.BigInteger(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("site_id", name="pk_site_stamps"),
    )
    op.create_table(
        "settled_sites",
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("settled_key", sa.String(64), nullable=False),
        sa.Column("facts", sa.BigInteger(), nullable=False),
        sa.Column("seen", sa.BigInteger(), nullable=False),
        sa.Column("holds_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("agent", sa.Text(), nullable=True),
        sa.Column("heartbeats_safe", sa.Boolean(), nullable=False),
        sa.Column("cycle_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("view", sa.Text(), nullable=False),
        sa.Column("view_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stale_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("movable", sa.Boolean(), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("site_id", name="pk_settled_sites"),
    )


def downgrade() -> None:
    op.drop_table("settled_sites")
    op.drop_table("site_stamps")
