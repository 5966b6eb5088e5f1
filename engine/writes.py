"""An action's rows written with Core statements: the ORM's unit of work costs more than the SQL it sends.

An action on a dossier adds and changes a handful of rows of four plain tables (dossier, task, pause,
audit event). `flush` writes those itself: one INSERT … RETURNING per new row, one UPDATE per changed row
that names only the changed columns and is checked against the row's version. It then marks the values
committed on the objects, so the session stays exact and the ORM has nothing left to flush. Anything else
in the session (another table, a deletion, a changed collection) goes through the ORM's flush as before.
"""
from __future__ import annotations

from sqlalchemy import Connection, bindparam, insert, inspect, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.exc import StaleDataError

from engine.errors import Conflict
from engine.models import AuditEvent, Dossier, Pause, Task

CONFLICT = "the dossier was changed by someone else at the same time; reload and try again"


class _Writer:
    """The statements of one mapped class, built once per set of columns."""

    def __init__(self, cls, attach: bool = True):
        mapper = inspect(cls)
        self.attach = attach
        self.table = mapper.local_table
        (self.pk,) = (mapper.get_property_by_column(c).key for c in mapper.primary_key)
        self.columns = {p.key: p.columns[0] for p in mapper.column_attrs}
        self.version = mapper.get_property_by_column(mapper.version_id_col).key if mapper.version_id_col is not None \
            else None
        # many-to-one links set as objects (task.dossier = d): their key column is filled from the parent
        self.parents = {r.key: (mapper.get_property_by_column(local).key, remote.key)
                        for r in mapper.relationships if r.direction.name == "MANYTOONE"
                        for local, remote in r.local_remote_pairs}
        for key, col in self.columns.items():
            # Values are written and kept on the object as they are: nothing the database or a function fills in
            if col.server_default is not None or col.onupdate is not None or \
                    (col.default is not None and not col.default.is_scalar):
                raise TypeError(f"{cls.__name__}.{key}: engine.writes takes plain values and constant defaults only")
        self.defaults = {key: col.default.arg for key, col in self.columns.items() if col.default is not None}
        self.names = {key: col.key for key, col in self.columns.items()}  # insert() takes column keys
        self._inserts: dict[tuple[str, ...], object] = {}
        self._updates: dict[tuple[str, ...], object] = {}

    def insert(self, session: Session, connection: Connection, obj) -> None:
        state = inspect(obj)
        values = state.dict
        for rel, (fk, remote) in self.parents.items():
            parent = values.get(rel)
            if parent is not None and values.get(fk) is None:
                values[fk] = getattr(parent, remote)
        row = {}
        for key in self.columns:
            if key == self.pk and values.get(key) is None:
                continue
            value = values.get(key)
            if value is None and key not in values:
                value = 1 if key == self.version else self.defaults.get(key)
            row[self.names[key]] = values[key] = value
        keys = tuple(row)
        stmt = self._inserts.get(keys)
        if stmt is None:
            stmt = self._inserts[keys] = insert(self.table).returning(self.columns[self.pk])
        new_id = connection.execute(stmt, row).scalar_one()
        session.expunge(obj)
        values[self.pk] = new_id
        if self.attach:
            make_transient_to_detached(obj)  # every column now loaded: no lazy load, nothing pending
            session.add(obj)

    def update(self, session: Session, connection: Connection, obj) -> None:
        state = inspect(obj)
        now, before = state.dict, state.committed_state
        keys = tuple(k for k in before if k != self.version and before[k] is not now[k] and before[k] != now[k])
        if keys:
            values = {f"v_{k}": now[k] for k in keys}
            values["pk"] = state.identity[0]
            stmt = self._updates.get(keys)
            if stmt is None:
                where = self.columns[self.pk] == bindparam("pk")
                sets = {self.columns[k]: bindparam(f"v_{k}") for k in keys}
                if self.version:
                    where = where & (self.columns[self.version] == bindparam("old_version"))
                    sets[self.columns[self.version]] = bindparam("new_version")
                stmt = self._updates[keys] = update(self.table).where(where).values(sets)
            if self.version:
                values["old_version"] = before.get(self.version, now[self.version])
                values["new_version"] = now[self.version] = values["old_version"] + 1
            if connection.execute(stmt, values).rowcount != 1:
                raise Conflict(CONFLICT)
        # As the ORM's own flush ends: every value committed, the object clean (SQLAlchemy 2.0/2.1 API).
        state._commit_all(now, session.identity_map)


#: parents before children; an audit event is written and let go (nothing reads it back in the action)
_WRITERS = {Dossier: _Writer(Dossier), Task: _Writer(Task), Pause: _Writer(Pause),
            AuditEvent: _Writer(AuditEvent, attach=False)}


def _plain(session: Session) -> bool:
    """Only new and changed rows of the four tables, changed in their columns only."""
    if session.deleted:
        return False
    for obj in session.new:
        if type(obj) not in _WRITERS:
            return False
    for obj in session.dirty:
        writer = _WRITERS.get(type(obj))
        if writer is None or not writer.columns.keys() >= inspect(obj).committed_state.keys():
            return False
    return True


def flush(session: Session) -> None:
    """Write the session's pending rows; a row whose version moved meanwhile (a concurrent writer) is a Conflict."""
    try:
        # before_flush listeners (engine.portal.sync queues status messages there) see this write too
        session.dispatch.before_flush(session, None, None)
        if not _plain(session):
            session.flush()
            return
        new, dirty, connection = list(session.new), list(session.dirty), session.connection()
        try:
            for cls, writer in _WRITERS.items():
                for obj in dirty:
                    if type(obj) is cls:
                        writer.update(session, connection, obj)
                for obj in new:
                    if type(obj) is cls:
                        writer.insert(session, connection, obj)
        except BaseException:
            session.rollback()  # as a failed ORM flush does: no half-written action stays in the transaction
            raise
    except StaleDataError:
        raise Conflict(CONFLICT) from None
