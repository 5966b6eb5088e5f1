"""administration: agencies' valid-from/until dates, the password-change flag, procedures per agency

Revision ID: admin_1
Revises: 0003_workspace
"""
from alembic import op
import sqlalchemy as sa
import engine.db


revision = 'admin_1'
down_revision = "0003_workspace"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('agency', sa.Column('valid_from', sa.Date(), nullable=True))
    op.add_column('agency', sa.Column('valid_until', sa.Date(), nullable=True))
    op.add_column('user_account', sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                            server_default=sa.false()))
    op.create_table('agency_procedure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('procedure_id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('local_code', sa.String(length=40), nullable=True),
    sa.Column('contact', sa.Text(), nullable=True),
    sa.Column('updated_at', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_agency_procedure_agency_id_agency')),
    sa.ForeignKeyConstraint(['procedure_id'], ['procedure.id'], name=op.f('fk_agency_procedure_procedure_id_procedure')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_agency_procedure_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_procedure')),
    sa.UniqueConstraint('agency_id', 'procedure_id', name=op.f('uq_agency_procedure_agency_id_procedure_id'))
    )
    op.create_index(op.f('ix_agency_procedure_agency_id'), 'agency_procedure', ['agency_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_agency_procedure_agency_id'), table_name='agency_procedure')
    op.drop_table('agency_procedure')
    with op.batch_alter_table('user_account') as batch:
        batch.drop_column('must_change_password')
    with op.batch_alter_table('agency') as batch:
        batch.drop_column('valid_until')
        batch.drop_column('valid_from')
