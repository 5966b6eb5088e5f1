"""The SQL floor of a dossier, against bare SpiffWorkflow in the same run (a benchmark, not a test).

The statements the engine sends for one household-business dossier, each action its own transaction, on
the real schema in a SQLite file (WAL): reception inserts the dossier, its first task and the audit event;
then four times: load the task with its dossier and open siblings, update the dossier and the task (both
checked against their version), insert the next task and the audit event. Sent twice: through SQLAlchemy
Core with nothing else around it, and through the bare sqlite3 driver. No workflow runs and no official
is authenticated: this is what the database path alone costs, the floor under bench/engine.py's figure.

    .venv/bin/python bench/sql_floor.py [--seconds 3]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from benchlib import engine_bench  # noqa: E402
from sqlalchemy import bindparam, event, insert, or_, select, update  # noqa: E402

from engine import migrate  # noqa: E402
from engine.db import make_engine  # noqa: E402
from engine.models import OPEN_TASK_STATES, Agency, AuditEvent, Dossier, Task  # noqa: E402

bench_engine = engine_bench()

NOW = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
STATE = os.urandom(1400)  # a finished dossier's compressed state is about 1.4 KB
T, D, A = Task.__table__, Dossier.__table__, AuditEvent.__table__
DOSSIER = dict(lookup_secret="ABCDEFGH", procedure_version_id=1, agency_id=1, channel="counter",
               status="received", applicant_name="Trần Thị Bình", applicant=bench_engine.APPLICANT,
               received_at=NOW, clock_started_at=NOW, appointment_at=NOW, due_at=NOW, legal_due_at=NOW,
               risk="on_track", workflow_state=STATE, version=1)
TASK = dict(spiff_task_id="0" * 36, name="Thẩm định hồ sơ", role="specialist", agency_id=1, state="ready",
            budget="P1D", pauses_clock=False, created_at=NOW, due_at=NOW, warn_at=NOW, risk="on_track", version=1)
DETAIL = {"step": "examine", "outcome": "approve", "data": bench_engine.STEPS[0][1]}


def _database():
    url = f"sqlite:///{tempfile.mkdtemp()}/floor.db"
    db = make_engine(url)
    migrate.upgrade(db)
    with db.begin() as c:
        c.execute(insert(Agency.__table__), dict(code="000.01.31.H26", name="UBND xã", level="commune",
                                                 kind="commune"))
    # No procedure version row: the floor measures writes, not the foreign key to the spec.
    event.listen(db, "connect", lambda conn, _r: conn.execute("PRAGMA foreign_keys=OFF"))
    db.dispose()
    return db


def core(db):
    ins_d, ins_t, ins_a = insert(D).returning(D.c.id), insert(T).returning(T.c.id), insert(A)
    upd_t = update(T).where(T.c.id == bindparam("tid"), T.c.version == bindparam("v")) \
        .values(state="completed", completed_at=bindparam("at"), version=T.c.version + 1)
    upd_d = update(D).where(D.c.id == bindparam("did"), D.c.version == bindparam("v")) \
        .values(status=bindparam("st"), workflow_state=bindparam("ws"), version=D.c.version + 1)
    owner = select(T.c.dossier_id).where(T.c.id == bindparam("task_id")).scalar_subquery()
    load = select(T, D).join(D, T.c.dossier_id == D.c.id) \
        .where(T.c.dossier_id == owner, or_(T.c.id == bindparam("task_id"), T.c.state.in_(OPEN_TASK_STATES)))

    def one():
        with db.begin() as c:
            did = c.execute(ins_d, {**DOSSIER, "code": os.urandom(8).hex()}).scalar_one()
            tid = c.execute(ins_t, {**TASK, "dossier_id": did, "bpmn_id": "examine"}).scalar_one()
            c.execute(ins_a, dict(dossier_id=did, at=NOW, action="received", detail={"channel": "counter"}))
        for i in range(4):
            with db.begin() as c:
                c.execute(load, {"task_id": tid}).all()
                assert c.execute(upd_d, dict(did=did, v=i + 1, st="processing", ws=STATE)).rowcount == 1
                c.execute(upd_t, dict(tid=tid, v=1, at=NOW))
                new = c.execute(ins_t, {**TASK, "dossier_id": did, "bpmn_id": f"step{i}"}).scalar_one()
                c.execute(ins_a, dict(dossier_id=did, task_id=tid, at=NOW, action="completed", detail=DETAIL))
                tid = new

    return one


def driver(db):
    """The same statements as sqlite3 sees them, with the values already in its types."""
    def sql(stmt):
        return str(stmt.compile(dialect=db.dialect)).replace(
            "__[POSTCOMPILE_state_1]", ",".join("?" * len(OPEN_TASK_STATES)))

    cols_d, cols_t = list(DOSSIER), list(TASK)
    ins_d = f"INSERT INTO dossier (code, {', '.join(cols_d)}) VALUES ({', '.join('?' * (len(cols_d) + 1))}) RETURNING id"
    ins_t = (f"INSERT INTO task (dossier_id, bpmn_id, {', '.join(cols_t)}) "
             f"VALUES ({', '.join('?' * (len(cols_t) + 2))}) RETURNING id")
    ins_a = "INSERT INTO audit_event (dossier_id, task_id, at, action, detail) VALUES (?, ?, ?, ?, ?)"
    owner = select(T.c.dossier_id).where(T.c.id == bindparam("task_id")).scalar_subquery()
    load = sql(select(T, D).join(D, T.c.dossier_id == D.c.id)
               .where(T.c.dossier_id == owner, or_(T.c.id == bindparam("task_id"), T.c.state.in_(OPEN_TASK_STATES))))
    stamp = NOW.replace(tzinfo=None).isoformat(" ")

    def plain(row):
        return [stamp if isinstance(v, dt.datetime) else json.dumps(v, ensure_ascii=False) if isinstance(v, dict)
                else v for v in row.values()]

    d_vals, t_vals = plain(DOSSIER), plain(TASK)
    detail = json.dumps(DETAIL, ensure_ascii=False)

    def one():
        raw = db.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute(ins_d, [os.urandom(8).hex(), *d_vals])
            did = cur.fetchone()[0]
            cur.execute(ins_t, [did, "examine", *t_vals])
            tid = cur.fetchone()[0]
            cur.execute(ins_a, (did, None, stamp, "received", '{"channel":"counter"}'))
            raw.commit()
            for i in range(4):
                cur.execute(load, (tid, tid, *OPEN_TASK_STATES))
                cur.fetchall()
                cur.execute("UPDATE dossier SET status=?, workflow_state=?, version=version+1 WHERE id=? AND version=?",
                            ("processing", STATE, did, i + 1))
                assert cur.rowcount == 1
                cur.execute("UPDATE task SET state=?, completed_at=?, version=version+1 WHERE id=? AND version=?",
                            ("completed", stamp, tid, 1))
                cur.execute(ins_t, [did, f"step{i}", *t_vals])
                new = cur.fetchone()[0]
                cur.execute(ins_a, (did, tid, stamp, "completed", detail))
                raw.commit()
                tid = new
        finally:
            raw.close()

    return one


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    bare = bench_engine.bare_rate(args.seconds)
    print(f"bare SpiffWorkflow, in memory:     {bare:8.1f} instances/s = {1000 / bare:.2f} ms each")
    for name, make in (("SQLAlchemy Core", core), ("sqlite3 driver", driver)):
        db = _database()
        rate = bench_engine._rate(make(db), args.seconds)
        print(f"SQL of a dossier, {name:15}: {rate:8.1f} dossiers/s = {1000 / rate:.2f} ms each = "
              f"{bare / rate:.2f} times bare")
        db.dispose()


if __name__ == "__main__":
    main()
