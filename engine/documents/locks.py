"""One lock per stored object (its SHA-256), so that the retention purge, the orphan cleanup and a new upload,
reuse or result naming the same bytes never interleave: whoever deletes bytes re-checks, under the lock, that
no live row names them; whoever names bytes stores them and writes its row under the lock. One winner, nothing
lost.

PostgreSQL: a transaction-scoped advisory lock keyed by the hash. SQLite has one writer at a time: its write
lock, taken at once, is held to the end of the transaction and covers every hash.
"""
from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from engine.lease import lock_key


def hold_bytes(session: Session, sha256: str) -> None:
    """Until this session's transaction ends, no other transaction adopts, names or deletes these bytes."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(lock_key(f"document:{sha256}"))))
    else:
        # a write that changes nothing: SQLite takes its write lock (waiting up to busy_timeout)
        session.execute(text("UPDATE document SET sha256 = sha256 WHERE 1 = 0"))
