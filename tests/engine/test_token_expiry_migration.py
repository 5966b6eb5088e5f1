"""Migration 0002_token_expiry: tokens made before expiry existed get one; downgrading drops the column."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import inspect, text

from engine import migrate
from engine.db import make_engine


def test_existing_tokens_expire_a_year_after_their_creation(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate.upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO user_account (id, username, full_name, email, is_admin, is_active) "
                          "VALUES (1, 'a', 'A', 'a@x', 0, 1)"))
        for token_id, kind in ((1, "token"), (2, "session")):
            conn.execute(text("INSERT INTO api_token (id, user_id, name, kind, token_hash, created_at) "
                              "VALUES (:id, 1, 'n', :kind, :hash, '2026-03-02 02:00:00.000000')"),
                         {"id": token_id, "kind": kind, "hash": f"{token_id:064d}"})
    migrate.upgrade(engine)
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT kind, expires_at FROM api_token")).all())
    assert rows["session"] is None
    assert dt.datetime.fromisoformat(str(rows["token"])).replace(tzinfo=None) == dt.datetime(2027, 3, 2, 2, 0)
    migrate.downgrade(engine, "0001")
    assert "expires_at" not in {c["name"] for c in inspect(engine).get_columns("api_token")}
    engine.dispose()
