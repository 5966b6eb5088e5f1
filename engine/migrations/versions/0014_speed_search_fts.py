"""Search speed on SQLite: an FTS5 table of the open dossiers' search keys, tokenized in trigrams, so a search
of 3 or more characters reads the few matching keys instead of every open dossier's (engine.inbox). Triggers
keep it in step with `dossier` whoever writes it: a dossier enters it when received open, changes with its
key, and leaves it when it closes or is deleted.
On PostgreSQL the trigram index (speed_1) is written at once (fastupdate off): with GIN's default, new keys
wait in a pending list (up to 4 MB) that every search reads through, in the benchmark 462 pages, two thirds
of a search's index reads (16 ms -> 4 ms for one name); a received dossier now writes its ~30 trigrams then.

Revision ID: speed_3
Revises: interagency_1
"""
from alembic import op

revision = "speed_3"
down_revision = "interagency_1"
branch_labels = None
depends_on = None

#: a dossier's key is indexed under its id while it is open; the keys themselves stay in `dossier` (external
#: content, no copy), so a key leaves the index by the FTS5 'delete' command given the very key it entered with
STATEMENTS = (
    "CREATE VIRTUAL TABLE dossier_search USING fts5(search_key, tokenize='trigram', content='dossier', "
    "content_rowid='id', columnsize=0)",
    "INSERT INTO dossier_search (rowid, search_key) SELECT id, search_key FROM dossier WHERE closed_at IS NULL",
    "CREATE TRIGGER dossier_search_insert AFTER INSERT ON dossier WHEN new.closed_at IS NULL BEGIN "
    "INSERT INTO dossier_search (rowid, search_key) VALUES (new.id, new.search_key); END",
    "CREATE TRIGGER dossier_search_update AFTER UPDATE OF id, search_key, closed_at ON dossier "
    "WHEN old.id IS NOT new.id OR old.search_key IS NOT new.search_key "
    "OR (old.closed_at IS NULL) <> (new.closed_at IS NULL) BEGIN "
    "INSERT INTO dossier_search (dossier_search, rowid, search_key) "
    "SELECT 'delete', old.id, old.search_key WHERE old.closed_at IS NULL; "
    "INSERT INTO dossier_search (rowid, search_key) SELECT new.id, new.search_key WHERE new.closed_at IS NULL; END",
    "CREATE TRIGGER dossier_search_delete AFTER DELETE ON dossier WHEN old.closed_at IS NULL BEGIN "
    "INSERT INTO dossier_search (dossier_search, rowid, search_key) VALUES ('delete', old.id, old.search_key); END",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER INDEX ix_dossier_open_search_trgm SET (fastupdate = off)")
        op.execute("SELECT gin_clean_pending_list('ix_dossier_open_search_trgm')")  # what waits there now
        return
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER INDEX ix_dossier_open_search_trgm RESET (fastupdate)")
        return
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in ("dossier_search_delete", "dossier_search_update", "dossier_search_insert"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS dossier_search")
