"""Constants and dossier steps shared by the test folders (a plain module: conftest files share one name)."""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
from pathlib import Path

from sqlalchemy import delete, or_, select, text, update
from werkzeug.serving import make_server

from engine import dossiers, escalation
from engine.models import Agency, Procedure, ProcedureVersion, Task

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / "workflows"
PASSWORD = "demo-pass-123"
POSTGRES_URL = os.environ.get("MOTCUA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
#: rows that tests create, children first; the organisation and the deployed procedures stay
DYNAMIC_TABLES = ("agency_handover", "boundary_reception", "portal_rejected", "portal_dossier", "payment", "document", "oversight_official_year", "oversight_refresh",
                  "outbox", "escalation", "apology_letter", "extension", "rating", "desk_record", "audit_event",
                  "pause", "task", "dossier", "day_sequence", "calendar_override", "api_token", "lease", "saved_filter",
                  "agency_procedure", "procedure_draft")
VN = dt.timezone(dt.timedelta(hours=7))
#: a Monday, 09:00 in Hà Nội
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=VN)
TANLAP = "000.01.31.H26"
APPLICANT = {"name": "Trần Thị Bình", "id_number": "031190001234", "phone": "0912345678",
             "email": "binh@example.vn"}


def agency_id(session, code=TANLAP) -> int:
    return session.scalars(select(Agency.id).where(Agency.code == code)).one()


def receive(rt, session, users, procedure="household-business", **kw):
    """Receive a dossier at Tân Lập's desk now, committed."""
    kw.setdefault("channel", "counter")
    kw.setdefault("applicant", APPLICANT)
    result = dossiers.receive_dossier(rt, session, procedure=procedure, agency_id=agency_id(session),
                                      actor=users["tanlap.reception"], now=rt.clock.now(), **kw)
    session.commit()
    return result


def open_task(session, dossier_id) -> Task:
    """The dossier's only open task."""
    rows = session.scalars(select(Task).where(Task.dossier_id == dossier_id, Task.state.in_(("ready", "claimed")))).all()
    assert len(rows) == 1, [r.bpmn_id for r in rows]
    return rows[0]


def act(rt, session, users, dossier_id, expected_step, data, role=None):
    """Complete the dossier's open task, which must be `expected_step`, as Tân Lập's official of its role."""
    task = open_task(session, dossier_id)
    assert task.bpmn_id == expected_step
    actor = users[f"tanlap.{role or task.role}"]
    result = dossiers.complete_task(rt, session, task.id, data, actor=actor, now=rt.clock.now())
    session.commit()
    return result


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """An instant in March 2026, Hà Nội time."""
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=VN)


def scan(rt, session, now):
    """One deadline scan at `now`, committed."""
    result = escalation.scan(rt, session, now)
    session.commit()
    session.expire_all()
    return result


@contextlib.contextmanager
def serving(app):
    """Serve the app on a free port of 127.0.0.1 in a thread; shut it down on exit."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="motcua-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


#: the procedures the suite deploys once; tests that deploy others put the library back after them
LIBRARY = tuple(sorted(p.parent.name for p in WORKFLOWS.glob("*/procedure.toml")))


def restore_library(rt) -> None:
    """Delete the dynamic rows, every procedure but the library's and later versions of the library's."""
    with rt.db_engine.begin() as conn:
        for table in DYNAMIC_TABLES:
            conn.execute(text(f"DELETE FROM {table}"))
        extra = select(Procedure.id).where(Procedure.slug.not_in(LIBRARY))
        conn.execute(delete(ProcedureVersion).where(or_(ProcedureVersion.procedure_id.in_(extra),
                                                        ProcedureVersion.version > 1)))
        conn.execute(delete(Procedure).where(Procedure.slug.not_in(LIBRARY)))
        conn.execute(update(Procedure).values(current_version=1))
    rt.specs.clear()


@contextlib.contextmanager
def keep_organisation(rt):
    """Put the seeded agencies, officials and roles back as they were after a test that administers them.

    The dynamic rows go first (they may name a new official or agency); then new officials and agencies are
    deleted and the seeded ones get back their roles, flags and passwords.
    """
    from engine.models import Membership, User

    with rt.db_engine.begin() as conn:
        users = conn.execute(select(User.id, User.password_hash, User.is_admin, User.is_active,
                                    User.must_change_password, User.full_name, User.email)).all()
        roles = conn.execute(select(Membership.user_id, Membership.agency_id, Membership.role)).all()
        agencies = conn.execute(select(Agency.id, Agency.name, Agency.name_en, Agency.level, Agency.kind,
                                       Agency.parent_id, Agency.valid_from, Agency.valid_until)).all()
    try:
        yield
    finally:
        rt.calendars.invalidate()
        with rt.db_engine.begin() as conn:
            for table in DYNAMIC_TABLES:
                conn.execute(text(f"DELETE FROM {table}"))
            conn.execute(delete(Membership))
            conn.execute(delete(User).where(User.id.not_in([u.id for u in users])))
            for u in users:
                conn.execute(update(User).where(User.id == u.id).values(
                    password_hash=u.password_hash, is_admin=u.is_admin, is_active=u.is_active,
                    must_change_password=u.must_change_password, full_name=u.full_name, email=u.email))
            if roles:
                conn.execute(Membership.__table__.insert(), [dict(r._mapping) for r in roles])
            new = conn.execute(select(Agency.id).where(Agency.id.not_in([a.id for a in agencies]))
                               .order_by(Agency.id.desc())).scalars().all()
            conn.execute(update(Agency).where(Agency.id.in_(new)).values(parent_id=None))
            conn.execute(delete(Agency).where(Agency.id.in_(new)))
            for a in agencies:
                conn.execute(update(Agency).where(Agency.id == a.id).values(**{k: v for k, v in a._mapping.items()
                                                                              if k != "id"}))
