"""workspace: dossier.search_key (search without diacritics, indexed for open dossiers) and saved inbox filters

Revision ID: 0003_workspace
Revises: 0005_apifix
"""
from alembic import op
import sqlalchemy as sa
import engine.db
from engine.search import dossier_key


revision = '0003_workspace'
down_revision = '0005_apifix'
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade() -> None:
    # The key is folded in Python (no database folds Vietnamese the same way); filled for existing rows here,
    # at reception afterwards. The server default lets the column be added in place (a plain ADD COLUMN, no
    # copy of the table on SQLite); it stays, unused: the engine always writes the key.
    op.add_column('dossier', sa.Column('search_key', sa.String(length=330), nullable=False, server_default=''))
    conn = op.get_bind()
    dossier = sa.table('dossier', sa.column('id', sa.Integer), sa.column('code', sa.String),
                       sa.column('applicant_name', sa.String), sa.column('search_key', sa.String))
    update = dossier.update().where(dossier.c.id == sa.bindparam('row_id')).values(search_key=sa.bindparam('key'))
    last = 0
    while True:
        rows = conn.execute(sa.select(dossier.c.id, dossier.c.code, dossier.c.applicant_name)
                            .where(dossier.c.id > last).order_by(dossier.c.id).limit(BATCH)).all()
        if not rows:
            break
        conn.execute(update, [{'row_id': r.id, 'key': dossier_key(r.code, r.applicant_name)} for r in rows])
        last = rows[-1].id
    op.create_index('ix_dossier_open_search', 'dossier', ['search_key', 'id', 'closed_at'], unique=False,
                    postgresql_where=sa.text('closed_at IS NULL'), sqlite_where=sa.text('closed_at IS NULL'))

    op.create_table('saved_filter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('query', sa.JSON(), nullable=False),
    sa.Column('created_at', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_saved_filter_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_filter')),
    sa.UniqueConstraint('user_id', 'name', name=op.f('uq_saved_filter_user_id_name'))
    )


def downgrade() -> None:
    op.drop_table('saved_filter')
    op.drop_index('ix_dossier_open_search', table_name='dossier')
    with op.batch_alter_table('dossier') as batch:
        batch.drop_column('search_key')
