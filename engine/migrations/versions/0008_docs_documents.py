"""documents: the dossier's files (scanned components, electronic results) in a content-addressed store

Revision ID: docs_1
Revises: 0003_workspace
"""
from alembic import op
import sqlalchemy as sa
import engine.db


revision = 'docs_1'
down_revision = "supervise_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'document',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dossier_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('slot', sa.Integer(), nullable=True),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('media_type', sa.String(length=64), nullable=False),
        sa.Column('pages', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('origin', sa.String(length=16), nullable=False),
        sa.Column('stage', sa.String(length=16), nullable=False),
        sa.Column('reused_from_id', sa.Integer(), nullable=True),
        sa.Column('applicant_id_number', sa.String(length=40), nullable=True),
        sa.Column('signature', sa.JSON(), nullable=True),
        sa.Column('attached_by_id', sa.Integer(), nullable=True),
        sa.Column('attached_at', engine.db.UTCDateTime(), nullable=False),
        sa.Column('keep_until', engine.db.UTCDateTime(), nullable=True),
        sa.Column('removed_at', engine.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id']),
        sa.ForeignKeyConstraint(['reused_from_id'], ['document.id']),
        sa.ForeignKeyConstraint(['attached_by_id'], ['user_account.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_document_dossier', 'document', ['dossier_id', 'kind', 'slot'])
    op.create_index('ix_document_sha256', 'document', ['sha256'])
    op.create_index('ix_document_applicant', 'document', ['applicant_id_number'])


def downgrade() -> None:
    op.drop_index('ix_document_applicant', table_name='document')
    op.drop_index('ix_document_sha256', table_name='document')
    op.drop_index('ix_document_dossier', table_name='document')
    op.drop_table('document')
