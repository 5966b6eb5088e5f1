"""escalation.late: a rung recorded after its moment had passed (a scan that ran late)

Revision ID: 0005_apifix
Revises: 0002_token_expiry
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_apifix"
down_revision = "0002_token_expiry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("escalation", sa.Column("late", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("escalation") as batch:
        batch.drop_column("late")
