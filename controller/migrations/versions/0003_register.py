"""The register (개인영상정보 관리대장) with its hash chain and head, the
automatic-deletion watermark and monthly checks, access requests and
completed self-inspection checklists. A branch of its own off 0001: it
touches no table of the others.

Revision ID: 0003_register
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_register"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "register_entries",
        sa.Column("policy_id", sa.String(64), nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("site_id", sa.String(64), nullable=True),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("policy_id", "number", name="pk_register_entries"),
    )
    op.create_index(
        "ix_register_entries_policy_id_kind_occurred_at",
        "register_entries",
        ["policy_id", "kind", "occurred_at"],
    )
    op.create_table(
        "register_heads",
        sa.Column("policy_id", sa.String(64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("policy_id", name="pk_register_heads"),
    )
    op.create_table(
        "register_footage",
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("data_from", TS, nullable=False),
        sa.Column("observed_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("site_id", "camera_id", name="pk_register_footage"),
    )
    op.create_table(
        "register_monthly_checks",
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("site_id", "month", name="pk_register_monthly_checks"),
    )
    op.create_table(
        "access_requests",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("policy_id", sa.String(64), nullable=False),
        sa.Column("site_id", sa.String(64), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("deadline", TS, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_access_requests"),
    )
    op.create_index("ix_access_requests_policy_id_state", "access_requests", ["policy_id", "state"])
    op.create_table(
        "checklists",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("policy_id", sa.String(64), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_until", sa.Date(), nullable=False),
        sa.Column("completed_at", TS, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_checklists"),
    )
    op.create_index(
        "ix_checklists_policy_id_completed_at", "checklists", ["policy_id", "completed_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_checklists_policy_id_completed_at", table_name="checklists")
    op.drop_table("checklists")
    op.drop_index("ix_access_requests_policy_id_state", table_name="access_requests")
    op.drop_table("access_requests")
    op.drop_table("register_monthly_checks")
    op.drop_table("register_footage")
    op.drop_table("register_heads")
    op.drop_index("ix_register_entries_policy_id_kind_occurred_at", table_name="register_entries")
    op.drop_table("register_entries")
