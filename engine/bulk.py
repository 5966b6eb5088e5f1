"""Set-based writes for the deadline scan: one statement for many rows, whatever their number.

The rows travel as one JSON parameter that the statement reads as records (`json_to_recordset` on
PostgreSQL, `json_each` on SQLite): `INSERT .. SELECT .. ON CONFLICT DO NOTHING RETURNING` and
`UPDATE .. FROM`. One round trip and a short statement text that the driver and the server cache, instead
of thousands of bound parameters to render, convert, parse and plan again per batch (executemany with
insertmanyvalues) or arrays of text that the driver escapes element by element. Reads by id take the
ids as one array on PostgreSQL (`= ANY(:ids)`), as IN lists chunked under the bound-parameter limit on
SQLite.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import Table, any_, bindparam, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from sqlalchemy.types import JSON, DateTime, TypeDecorator

CHUNK = 2000  # ids per IN (...) list on SQLite: under its bound-parameter limit


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def chunks(ids: Iterable[int], size: int = CHUNK) -> Iterable[list[int]]:
    """Sorted ids (the same lock order in every writer), in lists of at most `size`."""
    ids = sorted(ids)
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def batches(session: Session, ids: Iterable[int]) -> Iterable[list[int]]:
    """The ids as few lists as the dialect takes in one statement: one on PostgreSQL (an array)."""
    ids = sorted(ids)
    if not ids:
        return []
    return [ids] if is_postgresql(session) else list(chunks(ids))


def any_of(session: Session, column, ids: list[int]):
    """`column IN ids`: `= ANY(:array)` on PostgreSQL (one parameter), an expanding IN list on SQLite."""
    if is_postgresql(session):
        return column == any_(bindparam(None, ids, type_=postgresql.ARRAY(column.type)))
    return column.in_(ids)


def _json_rows(session: Session, table: Table, names: Sequence[str], rows: Iterable[Mapping]) -> str:
    """The rows as one JSON array of objects, each value as the column's type binds it for the dialect.

    Datetimes become ISO text (PostgreSQL casts them back) or the text SQLite stores; a JSON column's
    objects and arrays are nested as they are (`json_extract` gives back their text on SQLite). A value
    met again (the scan's instant, a recipient) is converted once.
    """
    dialect = session.get_bind().dialect
    pg = dialect.name == "postgresql"
    convert: dict[str, object] = {}
    nested = set()
    for name in names:
        kind = table.c[name].type
        base = kind.impl if isinstance(kind, TypeDecorator) else kind
        if isinstance(base, JSON):
            nested.add(name)
        if pg:
            if isinstance(base, DateTime):
                bind = kind.process_bind_param if isinstance(kind, TypeDecorator) else (lambda v, _d: v)
                convert[name] = lambda v, bind=bind: bind(v, dialect).isoformat()
        else:  # SQLite: the stored form (datetime text, JSON text, 0/1)
            processor = kind.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                convert[name] = processor
    seen: dict[tuple[str, object], object] = {}

    def value(name, v):
        if v is None or name not in convert or (name in nested and (pg or isinstance(v, dict | list))):
            return v
        if name in nested:  # a JSON scalar on SQLite: its JSON text, as the column stores it
            return convert[name](v)
        key = (name, v)
        if key not in seen:
            seen[key] = convert[name](v)
        return seen[key]

    return json.dumps([{n: value(n, r[n]) for n in names} for r in rows], ensure_ascii=False,
                      separators=(",", ":"), default=str)


def _source(session: Session, table: Table, names: Sequence[str]) -> tuple[str, dict[str, str]]:
    """The FROM item reading the JSON parameter :rows as records `v`, and each column's expression in it."""
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        record = ", ".join(f"{n} {_pg_type(table.c[n], dialect)}" for n in names)
        return f"json_to_recordset(CAST(:rows AS JSON)) AS v({record})", {n: f"v.{n}" for n in names}
    return "json_each(:rows) AS v", {n: f"json_extract(v.value, '$.{n}')" for n in names}


def _pg_type(column, dialect) -> str:
    kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
    return kind.compile(dialect=dialect)


def insert_new(session: Session, table: Table, rows: Sequence[Mapping], conflict: Sequence[str],
               returning: Sequence[str] = ("id",)) -> list:
    """Insert the rows, skipping those that collide on the unique key `conflict`; return the inserted ones.

    One `INSERT .. SELECT .. FROM <the rows as one JSON parameter> ON CONFLICT (..) DO NOTHING RETURNING`,
    whatever the number of rows (every row has the same keys). Only the rows actually inserted come back,
    so a repeated or concurrent call is harmless and tells what it added.
    """
    if not rows:
        return []
    names = list(rows[0])
    if any(r.keys() != rows[0].keys() for r in rows):  # a key missing or extra in one row would be lost
        raise ValueError(f"insert_new into {table.name}: every row needs the keys {names}")
    source, expr = _source(session, table, names)
    # WHERE true: SQLite's parser needs it before ON CONFLICT in an INSERT .. SELECT
    stmt = text(f"INSERT INTO {table.name} ({', '.join(names)}) SELECT {', '.join(expr[n] for n in names)} "
                f"FROM {source} WHERE true ON CONFLICT ({', '.join(conflict)}) DO NOTHING "
                f"RETURNING {', '.join(returning)}").columns(*[table.c[n] for n in returning])
    return session.connection().execute(stmt, {"rows": _json_rows(session, table, names, rows)}).all()


def set_column(session: Session, table: Table, column: str, values: Mapping[int, object], *, where: str,
               changed_only: bool = False) -> list[int]:
    """Set `column` of each row id -> value (rows matching the literal SQL `where`); return the ids written.

    One `UPDATE .. FROM <the pairs as one JSON parameter>`, looked up by primary key, in ascending id
    order. With `changed_only`, rows already holding the value are left alone (and not returned).
    """
    if not values:
        return []
    t = table.name
    source, expr = _source(session, table, ["id", column])
    differs = "IS DISTINCT FROM" if is_postgresql(session) else "IS NOT"  # SQLite before 3.39: IS NOT
    change = f" AND {t}.{column} {differs} {expr[column]}" if changed_only else ""
    stmt = text(f"UPDATE {t} SET {column} = {expr[column]} FROM {source} "
                f"WHERE {t}.id = {expr['id']} AND {where}{change} RETURNING {t}.id").columns(table.c.id)
    rows = [{"id": i, column: v} for i, v in sorted(values.items())]
    return session.connection().execute(stmt, {"rows": _json_rows(session, table, ["id", column], rows)}
                                        ).scalars().all()
