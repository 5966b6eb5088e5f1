"""Inbox speed: the paused dossiers (the risk sort reads their tasks apart, engine.inbox), and on PostgreSQL a
trigram (pg_trgm) GIN index on the open dossiers' search keys, so `search_key LIKE '%...%'` reads the few
matching keys instead of every open dossier's

Revision ID: speed_1
Revises: portal_1
"""
import sqlalchemy as sa
from alembic import op

revision = "speed_1"
down_revision = "portal_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_dossier_paused", "dossier", ["id"], postgresql_where=sa.text("paused_at IS NOT NULL"),
                    sqlite_where=sa.text("paused_at IS NOT NULL"))
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite reads its partial index of the keys (ix_dossier_open_search)
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE INDEX ix_dossier_open_search_trgm ON dossier USING gin (search_key gin_trgm_ops) "
               "WHERE closed_at IS NULL")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_dossier_open_search_trgm")
    op.drop_index("ix_dossier_paused", table_name="dossier")
