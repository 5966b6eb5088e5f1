"""One runner at a time for a periodic job, across processes and machines.

PostgreSQL: a transaction-scoped advisory lock (`pg_try_advisory_xact_lock`) taken in a session of its own
that stays open while the job runs; it is released when that transaction ends, or when the connection
dies with its process. SQLite: a `lease` row naming its holder until `expires_at`; a holder that crashed
is taken over once the lease has expired. Lease expiry is measured on the wall clock, not on the engine's
clock: it is about processes being alive, not about business time (a `motcua escalate --now` in the past
must not leave a lease that blocks the real scheduler).

The lease only avoids doing the same work twice at the same time; correctness does not depend on it:
the unique constraints make a repeated scan harmless.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.models import Lease


def lock_key(name: str) -> int:
    """Return a stable signed 64-bit key for an advisory lock name."""
    return int.from_bytes(hashlib.sha256(f"motcua:{name}".encode()).digest()[:8], "big", signed=True)


def holder_id() -> str:
    """Name this process and thread as a lease holder (readable in the lease table)."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"


def take_row(session: Session, name: str, holder: str, at: dt.datetime, ttl: dt.timedelta) -> bool:
    """Take or renew the lease row `name` for `holder` until at + ttl; False while someone else holds it.

    Flushes; the caller commits at once so that other processes see the lease.
    """
    expires, table = at + ttl, Lease.__table__
    taken = session.execute(update(table).where(table.c.name == name, or_(table.c.holder == holder,
                                                                           table.c.holder == "",
                                                                           table.c.expires_at <= at))
                            .values(holder=holder, expires_at=expires).returning(table.c.name)).first()
    if taken:
        return True
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).values(name=name, holder=holder, expires_at=expires).on_conflict_do_nothing()
    return session.execute(stmt.returning(table.c.name)).first() is not None


def release_row(session: Session, name: str, holder: str) -> None:
    """Give the lease row back (only if still ours); keep the row, it may carry a watermark."""
    table = Lease.__table__
    session.execute(update(table).where(table.c.name == name, table.c.holder == holder)
                    .values(holder="", expires_at=dt.datetime(1970, 1, 1, tzinfo=dt.UTC)))


def drop_rows(session: Session, name: str) -> None:
    """Forget a lease row entirely (tests, and an admin clearing a stuck lease)."""
    session.execute(delete(Lease).where(Lease.name == name))


@contextmanager
def held(rt, name: str, ttl: dt.timedelta | None = None) -> Iterator[bool]:
    """Hold the lease `name` for the block; yield False (and hold nothing) when another runner has it."""
    ttl = ttl or dt.timedelta(seconds=rt.settings.lease_seconds)
    if rt.db_engine.dialect.name == "postgresql":
        with rt.sessions() as lock_session:
            got = bool(lock_session.scalar(select(func.pg_try_advisory_xact_lock(lock_key(name)))))
            try:
                yield got
            finally:
                lock_session.rollback()  # ends the transaction: the lock goes with it
        return
    holder = holder_id()
    with rt.sessions() as lease_session:
        got = take_row(lease_session, f"lease:{name}", holder, dt.datetime.now(dt.UTC), ttl)
        lease_session.commit()
    try:
        yield got
    finally:
        if got:
            with rt.sessions() as lease_session:
                release_row(lease_session, f"lease:{name}", holder)
                lease_session.commit()
