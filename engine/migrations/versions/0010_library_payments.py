"""payments: fees and financial obligations paid for a dossier (counter receipt or online reference)

Revision ID: library_1
Revises: 0003_workspace
"""
from alembic import op
import sqlalchemy as sa
import engine.db


revision = 'library_1'
down_revision = "studioweb_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('payment',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('dossier_id', sa.Integer(), nullable=False),
                    sa.Column('method', sa.String(length=16), nullable=False),
                    sa.Column('amount', sa.Integer(), nullable=False),
                    sa.Column('receipt_number', sa.String(length=64), nullable=False),
                    sa.Column('reference', sa.String(length=128), nullable=True),
                    sa.Column('paid_at', engine.db.UTCDateTime(), nullable=False),
                    sa.Column('recorded_at', engine.db.UTCDateTime(), nullable=False),
                    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
                    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id']),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('reference'))
    op.create_index('ix_payment_dossier_id', 'payment', ['dossier_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_payment_dossier_id', table_name='payment')
    op.drop_table('payment')
