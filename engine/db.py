"""SQLAlchemy engine, sessions and the declarative base. Plain SQLAlchemy: no Flask here."""
from __future__ import annotations

import datetime as dt
import json
import re
import weakref
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Date, DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out, on SQLite (which stores no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class local_date(FunctionElement):  # noqa: N801 - an SQL function's name
    """local_date(timestamp, zone name): the date of a UTC timestamp column in a time zone, in SQL.

    PostgreSQL: `CAST(timezone(zone, ts) AS DATE)`; SQLite: the Python function `motcua_local_date` that
    every SQLite connection of make_engine registers (an ISO date as text; compare only with another).
    """

    type = Date()
    name = "local_date"
    inherit_cache = True


@compiles(local_date, "postgresql")
def _local_date_postgresql(element, compiler, **kw):
    ts, zone = list(element.clauses)
    return f"CAST(timezone({compiler.process(zone, **kw)}, {compiler.process(ts, **kw)}) AS DATE)"


@compiles(local_date)
def _local_date_other(element, compiler, **kw):
    return f"motcua_local_date({compiler.process(element.clauses, **kw)})"


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _sqlite_local_date(value: str | None, zone: str) -> str | None:
    """SQLite's motcua_local_date: a stored naive-UTC timestamp's local date (ISO text) in a zone."""
    if value is None:
        return None
    return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC).astimezone(_zone(zone)).date().isoformat()


def _sqlite_pragmas(dbapi_connection, _record):
    dbapi_connection.create_function("motcua_local_date", 2, _sqlite_local_date, deterministic=True)
    cur = dbapi_connection.cursor()
    # WAL: readers do not block the writer; NORMAL is durable at checkpoints and safe with WAL.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def _json_dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def make_engine(url: str, echo: bool = False) -> Engine:
    """Create the SQLAlchemy engine for a database URL (SQLite file directories are created)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, json_serializer=_json_dumps,
                               connect_args={"timeout": 10, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(url, echo=echo, json_serializer=_json_dumps, pool_pre_ping=True, pool_size=10,
                           max_overflow=20)
    if engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg":
        _end_reads_with_commit(engine)
    return engine


#: statements that change nothing a ROLLBACK would have to undo (anything else counts as a write)
_READ = re.compile(r"\s*(SELECT|SHOW)\b", re.IGNORECASE)


def _end_reads_with_commit(engine: Engine) -> None:
    """End a transaction that only read with COMMIT, not ROLLBACK.

    psycopg prepares a statement the fifth time a connection runs it, and forgets every prepared statement
    on ROLLBACK (it cannot tell what a rolled-back transaction dropped). A read-only request ends with a
    ROLLBACK (the Session closing, the pool's reset), so on a busy page's connection nothing was ever
    prepared and every statement was planned afresh: 2 to 4 ms for an inbox page's larger statements. A
    transaction that wrote nothing ends the same either way (its locks released, nothing to undo), so it
    ends with COMMIT, which keeps them. One that wrote, or failed, still rolls back.
    """
    from psycopg.pq import TransactionStatus

    writing: weakref.WeakSet = weakref.WeakSet()  # the psycopg connections whose transaction holds a write

    @event.listens_for(engine, "before_cursor_execute")
    def _note_write(conn, _cursor, statement, _parameters, _context, _executemany):
        if not _READ.match(statement):
            writing.add(conn.connection.dbapi_connection)

    dialect = engine.dialect
    rollback, commit = dialect.do_rollback, dialect.do_commit

    def do_rollback(connection) -> None:
        raw = getattr(connection, "dbapi_connection", connection)
        wrote = raw in writing
        writing.discard(raw)
        if wrote or raw.info.transaction_status != TransactionStatus.INTRANS:
            rollback(connection)
        else:
            commit(connection)

    def do_commit(connection) -> None:
        writing.discard(getattr(connection, "dbapi_connection", connection))
        commit(connection)

    dialect.do_rollback, dialect.do_commit = do_rollback, do_commit


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (results are returned after it)."""
    return sessionmaker(engine, expire_on_commit=False)
