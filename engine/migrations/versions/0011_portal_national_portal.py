"""The national portal adapter: dossiers taken in (idempotent on the portal's id) and refused messages;
dossiers received regardless of administrative boundary (receiving point, timed forwarding)

Revision ID: portal_1
Revises: 0003_workspace
"""
import sqlalchemy as sa
from alembic import op

from engine.db import UTCDateTime

revision = "portal_1"
down_revision = "library_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_dossier",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("portal_code", sa.String(64), nullable=False, unique=True),
        sa.Column("dossier_id", sa.Integer(), sa.ForeignKey("dossier.id"), nullable=False, unique=True),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_table(
        "portal_rejected",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("portal_code", sa.String(64), nullable=True),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=True),
        sa.Column("body", sa.JSON(), nullable=False),
    )
    op.create_index("ix_portal_rejected_portal_code", "portal_rejected", ["portal_code"])
    op.create_table(
        "boundary_reception",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dossier_id", sa.Integer(), sa.ForeignKey("dossier.id"), nullable=False, unique=True),
        sa.Column("receiving_agency_id", sa.Integer(), sa.ForeignKey("agency.id"), nullable=False),
        sa.Column("received_by_id", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=True),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("forward_due_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("forwarded_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("forwarded_by_id", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=True),
        sa.Column("accepted_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("accepted_by_id", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=True),
    )
    op.create_index("ix_boundary_reception_receiving_agency_id", "boundary_reception", ["receiving_agency_id"])


def downgrade() -> None:
    op.drop_index("ix_boundary_reception_receiving_agency_id", "boundary_reception")
    op.drop_table("boundary_reception")
    op.drop_index("ix_portal_rejected_portal_code", "portal_rejected")
    op.drop_table("portal_rejected")
    op.drop_table("portal_dossier")
