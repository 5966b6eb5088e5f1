"""Inter-agency bundles (liên thông): the hand-over of a dossier between agencies, its confirmation by the
receiving agency, and each agency's share of the legal time

Revision ID: interagency_1
Revises: speed_1
"""
import sqlalchemy as sa
from alembic import op

from engine.db import UTCDateTime

revision = "interagency_1"
down_revision = "speed_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agency_handover",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dossier_id", sa.Integer(), sa.ForeignKey("dossier.id"), nullable=False),
        sa.Column("from_agency_id", sa.Integer(), sa.ForeignKey("agency.id"), nullable=True),
        sa.Column("to_agency_id", sa.Integer(), sa.ForeignKey("agency.id"), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_by_id", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=True),
        sa.Column("confirmed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by_id", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=True),
        sa.Column("share_budget", sa.String(32), nullable=True),
        sa.Column("share_due_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("share_ended_at", UTCDateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_agency_handover_dossier_id", "agency_handover", ["dossier_id"])
    op.create_index("ix_agency_handover_to_agency_id", "agency_handover", ["to_agency_id"])


def downgrade() -> None:
    op.drop_index("ix_agency_handover_to_agency_id", "agency_handover")
    op.drop_index("ix_agency_handover_dossier_id", "agency_handover")
    op.drop_table("agency_handover")
