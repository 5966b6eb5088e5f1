"""oversight: the annual evaluation pre-aggregated per official and year; an index for one agency's period

Revision ID: supervise_1
Revises: 0003_workspace
"""
import sqlalchemy as sa
from alembic import op

import engine.db

revision = "supervise_1"
down_revision = "admin_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_dossier_agency_received", "dossier", ["agency_id", "received_at"])
    op.create_table(
        "oversight_official_year",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("handled", sa.Integer(), nullable=False),
        sa.Column("on_time", sa.Integer(), nullable=False),
        sa.Column("late", sa.Integer(), nullable=False),
        sa.Column("sent_back", sa.Integer(), nullable=False),
        sa.Column("supplements", sa.Integer(), nullable=False),
        sa.Column("escalations", sa.Integer(), nullable=False),
        sa.Column("computed_at", engine.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("year", "agency_id", "user_id"),
    )
    op.create_table(
        "oversight_refresh",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("computed_at", engine.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year"),
    )


def downgrade() -> None:
    op.drop_table("oversight_refresh")
    op.drop_table("oversight_official_year")
    op.drop_index("ix_dossier_agency_received", table_name="dossier")
