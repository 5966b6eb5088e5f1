"""personal API tokens expire

Revision ID: 0002_token_expiry
Revises: 0001
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

import engine.db

revision = '0002_token_expiry'
down_revision = '0001'
branch_labels = None
depends_on = None

#: tokens made before expiry existed get the longest lifetime the default settings allow
EXISTING_TOKENS_LIFETIME = dt.timedelta(days=365)


def upgrade() -> None:
    with op.batch_alter_table('api_token') as batch:
        batch.add_column(sa.Column('expires_at', engine.db.UTCDateTime(timezone=True), nullable=True))
    token = sa.table('api_token', sa.column('id', sa.Integer), sa.column('kind', sa.String),
                     sa.column('created_at', engine.db.UTCDateTime(timezone=True)),
                     sa.column('expires_at', engine.db.UTCDateTime(timezone=True)))
    connection = op.get_bind()
    rows = connection.execute(sa.select(token.c.id, token.c.created_at).where(token.c.kind == 'token')).all()
    for row in rows:
        connection.execute(token.update().where(token.c.id == row.id)
                           .values(expires_at=row.created_at + EXISTING_TOKENS_LIFETIME))


def downgrade() -> None:
    with op.batch_alter_table('api_token') as batch:
        batch.drop_column('expires_at')
