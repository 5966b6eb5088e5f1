"""The action write path (engine.writes): Core statements, the session left exact, the ORM as fallback."""
from __future__ import annotations

import datetime as dt

import pytest
from samples import HH_APPROVE
from sqlalchemy import event, inspect, select
from support import open_task, receive

from engine import accounts, dossiers, writes
from engine.errors import Conflict
from engine.models import AuditEvent, CalendarOverride, Dossier, Task


class Statements:
    """The SQL a block sends."""

    def __init__(self, session):
        self.engine, self.sql = session.get_bind(), []

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self.sql

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._record)

    def _record(self, _conn, _cursor, statement, *_args):
        self.sql.append(" ".join(statement.split()[:3]).upper())


def test_a_completion_sends_one_statement_per_row_and_leaves_nothing_to_flush(rt, session, users):
    d = receive(rt, session, users).dossier
    session.commit()
    task_id, version = open_task(session, d.id).id, d.version
    with Statements(session) as sql:
        result = dossiers.complete_task(rt, session, task_id, HH_APPROVE, actor=users["tanlap.specialist"],
                                        now=rt.clock.now())
    # load; the dossier checked against its version first; close the task; open the next; the audit event
    assert [s.split(",")[0] for s in sql] == ["SELECT TASK.ID", "UPDATE DOSSIER SET", "UPDATE TASK SET",
                                              "INSERT INTO TASK", "INSERT INTO AUDIT_EVENT"], sql
    assert not session.new and not session.dirty
    new = result.created[0]
    assert inspect(new).persistent and new.id is not None and new.version == 1
    assert result.dossier.version == version + 1
    session.commit()
    session.expire_all()
    stored = session.get(Dossier, d.id)
    assert (stored.version, stored.status) == (version + 1, result.dossier.status)
    assert session.get(Task, task_id).state == "completed" and session.get(Task, new.id).state == "ready"


def test_values_read_back_as_written_without_another_query(rt, session, users):
    d = receive(rt, session, users).dossier
    task = open_task(session, d.id)
    with Statements(session) as sql:
        assert (task.risk, task.pauses_clock, task.assignee_id, task.outcome) == ("on_track", False, None, None)
        assert d.closed_at is None and d.code
    assert sql == []


def test_a_row_changed_meanwhile_is_a_conflict_and_nothing_is_written(rt, session, users):
    d = receive(rt, session, users).dossier
    session.commit()
    task_id = open_task(session, d.id).id
    with rt.sessions() as other:  # someone else moves the dossier first
        other.get(Dossier, d.id).risk = "at_risk"
        other.commit()
    with pytest.raises(Conflict):
        dossiers.complete_task(rt, session, task_id, HH_APPROVE, actor=users["tanlap.specialist"],
                               now=rt.clock.now())
    session.commit()  # the failed write already rolled the transaction back: committing now writes nothing
    session.expire_all()
    assert open_task(session, d.id).id == task_id
    assert session.scalars(select(AuditEvent.action).where(AuditEvent.dossier_id == d.id)).all() == ["received"]


def test_rows_of_other_tables_go_through_the_orm_flush(rt, session, users):
    d = receive(rt, session, users).dossier
    session.commit()
    d.risk = "at_risk"
    session.add(CalendarOverride(day=dt.date(2026, 9, 5), is_working=True, name="make-up day",
                                 created_at=rt.clock.now()))
    writes.flush(session)
    assert not session.new and not session.dirty
    session.commit()
    session.expire_all()
    assert session.get(Dossier, d.id).risk == "at_risk"
    assert session.get(CalendarOverride, dt.date(2026, 9, 5)).name == "make-up day"


def test_authentication_finds_the_tokens_owner_and_roles_in_one_statement(rt, session, users):
    official = users["tanlap.specialist"]
    _row, token = accounts.create_token(session, official, "laptop", rt.clock.now())
    session.commit()
    with Statements(session) as sql:
        actor = accounts.user_for_token(session, token, rt.clock.now())
    assert [s.split()[0] for s in sql] == ["SELECT", "UPDATE"]  # the first use records last_used_at
    assert (actor.id, actor.username, actor.is_admin) == (official.id, "tanlap.specialist", False)
    assert {(m.agency_id, m.role) for m in actor.memberships} == {(m.agency_id, m.role) for m in official.memberships}
    session.commit()
    with Statements(session) as sql:
        assert accounts.user_for_token(session, token, rt.clock.now()).id == official.id
    assert [s.split()[0] for s in sql] == ["SELECT"]  # used a moment ago: no write


def test_a_conflict_after_some_rows_were_written_leaves_none_of_them(rt, session, users):
    d = receive(rt, session, users).dossier
    session.commit()
    task = open_task(session, d.id)
    version = d.version
    with rt.sessions() as other:  # someone moves only the task: the dossier's own update goes through first
        other.get(Task, task.id).due_at = rt.clock.now() + dt.timedelta(days=1)
        other.commit()
    with pytest.raises(Conflict):
        dossiers.complete_task(rt, session, task.id, HH_APPROVE, actor=users["tanlap.specialist"],
                               now=rt.clock.now())
    session.commit()
    session.expire_all()
    assert session.get(Dossier, d.id).version == version
    assert session.get(Task, task.id).state == "ready"
    assert session.scalars(select(AuditEvent.action).where(AuditEvent.dossier_id == d.id)).all() == ["received"]
