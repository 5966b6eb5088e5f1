"""studio: procedure drafts (a designer's working copy; approving one deploys a new version)

Revision ID: studioweb_1
Revises: 0003_workspace
"""
from alembic import op
import sqlalchemy as sa
import engine.db


revision = 'studioweb_1'
down_revision = "docs_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'procedure_draft',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=80), nullable=False),
        sa.Column('open_slug', sa.String(length=80), nullable=True),
        sa.Column('base_version', sa.Integer(), nullable=True),
        sa.Column('toml_text', sa.Text(), nullable=False),
        sa.Column('bpmn_filename', sa.String(length=200), nullable=False),
        sa.Column('bpmn_text', sa.Text(), nullable=False),
        sa.Column('forms', sa.JSON(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), sa.ForeignKey('user_account.id'), nullable=True),
        sa.Column('updated_by_id', sa.Integer(), sa.ForeignKey('user_account.id'), nullable=True),
        sa.Column('updated_at', engine.db.UTCDateTime(), nullable=False),
        sa.Column('approved_by_id', sa.Integer(), sa.ForeignKey('user_account.id'), nullable=True),
        sa.Column('approved_at', engine.db.UTCDateTime(), nullable=True),
        sa.Column('approved_version', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('open_slug'),
    )
    op.create_index('ix_procedure_draft_slug', 'procedure_draft', ['slug'])


def downgrade() -> None:
    op.drop_index('ix_procedure_draft_slug', table_name='procedure_draft')
    op.drop_table('procedure_draft')
