"""HTTP latency of the inbox and of a task completion at 100 k open and 1 M completed tasks (a benchmark, not a test).

The database is filled with Core executemany: open dossiers with one open task each, and closed dossiers
with four completed tasks each, spread over the demo agencies (province, Tân Lập, Hòa Bình) and their
roles, some tasks claimed, some overdue. Then N real dossiers are received through the engine: their
`examine` steps are the tasks completed over HTTP, so each completion restores and advances a real
workflow. The app runs in gunicorn (1 sync worker, config/gunicorn.conf.py) on 127.0.0.1; the client is urllib, one request at a
time, logged in as tanlap.specialist (a session cookie, as the UI would).

Measured, p50/p95 over the samples: GET /api/v1/tasks (first page, and a page 100 pages deep through the
keyset cursor), POST /api/v1/tasks/<id>/complete. Also the bare engine (SpiffWorkflow in memory, bench/engine.py)
in the same run, for a ratio, and the inbox query's plan (EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on
SQLite). SQLite in a temporary file; PostgreSQL in its own database `bench_api`, created and dropped here.
Writes bench/results/api.json.

    .venv/bin/python bench/api.py [--open 100000] [--done 1000000] [--samples 300] [--no-postgres]

To iterate faster, `--reuse DIR` keeps the filled SQLite file in DIR and the PostgreSQL database between runs
and reuses them when they hold the same fill (the task indexes are brought in line with engine/models.py).
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.cookiejar
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from benchlib import engine_bench  # noqa: E402
from samples import HH_APPROVE  # noqa: E402
from sqlalchemy import event, insert, inspect, select, text  # noqa: E402
from sqlalchemy.orm import joinedload  # noqa: E402

from config import load_settings  # noqa: E402
from engine import dossiers, inbox, migrate  # noqa: E402
from engine.db import make_engine, make_sessionmaker  # noqa: E402
from engine.deploy import deploy_path  # noqa: E402
from engine.models import Agency, Dossier, Membership, ProcedureVersion, Task, User  # noqa: E402
from engine.runtime import Runtime  # noqa: E402
from engine.search import dossier_key  # noqa: E402
from engine.seed import seed_demo  # noqa: E402

PASSWORD = "bench-password"
PG_ADMIN = os.environ.get("MOTCUA_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_DATABASE = "bench_api"
AGENCIES = ("000.00.00.H26", "000.01.31.H26", "000.02.31.H26")
#: open steps by role (a specialist's group inbox is the busiest, as in practice)
ROLES = (("specialist", 0.4), ("reception", 0.2), ("leader", 0.2), ("head", 0.1), ("clerk", 0.1))
STEPS = {"specialist": ("examine", "Thẩm định hồ sơ", "P1DT4H"), "reception": ("return_result", "Trả kết quả", "PT4H"),
         "leader": ("sign", "Ký duyệt", "P1D"), "head": ("review", "Xem xét", "PT4H"),
         "clerk": ("issue", "Vào sổ, đóng dấu", "PT4H")}
DONE_STEPS = ("examine", "sign", "issue", "return_result")
BATCH = 20_000
DEEP_PAGES = 100


def bare_rate(seconds: float) -> float:
    """bench/engine.py's bare SpiffWorkflow rate (that file's name shadows the engine package: load it by path)."""
    return engine_bench().bare_rate(seconds)


# --- the data ------------------------------------------------------------------------------------------------

def runtime(url: str) -> Runtime:
    db = make_engine(url)
    return Runtime(settings=load_settings({"database": {"url": url}}), sessions=make_sessionmaker(db))


def setup(url: str) -> Runtime:
    """Migrate, seed the demo officials, deploy the library."""
    rt = runtime(url)
    migrate.upgrade(rt.db_engine)
    with rt.sessions() as s:
        seed_demo(s, password=PASSWORD, hash_method="pbkdf2:sha256:1000")
        deploy_path(rt, s, ROOT / "workflows", actor=None, now=rt.clock.now())
        s.commit()
    return rt


def fill(rt: Runtime, n_open: int, n_done: int, now: dt.datetime) -> float:
    """Write n_open open tasks (one per open dossier) and n_done completed ones (four per closed dossier)."""
    rng = random.Random(7)
    with rt.sessions() as s:
        agencies = {a.code: a.id for a in s.scalars(select(Agency).where(Agency.code.in_(AGENCIES)))}
        versions = list(s.scalars(select(ProcedureVersion.id)))
        officials = {}
        for m in s.scalars(select(Membership)):
            officials.setdefault((m.agency_id, m.role), m.user_id)
    agency_ids = [agencies[c] for c in AGENCIES]
    roles, weights = zip(*ROLES, strict=True)
    start = time.perf_counter()
    # Ids far above the sequences: the real dossiers received afterwards take the low ones.
    dossier_id = task_id = 10_000_000

    def dossier_row(i: int, agency: int, received: dt.datetime, closed: dt.datetime | None) -> dict:
        due = received + dt.timedelta(days=5)
        return dict(id=i, code=f"BENCH-{i}", search_key=dossier_key(f"BENCH-{i}", f"Người nộp {i % 9973}"),
                    lookup_secret="BENCHSEC", procedure_version_id=versions[i % len(versions)],
                    agency_id=agency, channel="counter", status="returned" if closed else "processing",
                    applicant_name=f"Người nộp {i % 9973}", applicant={"name": f"Người nộp {i % 9973}"},
                    received_at=received, clock_started_at=received, appointment_at=due, due_at=due, legal_due_at=due,
                    risk="on_track", processed_at=closed, closed_at=closed, workflow_state=b"", version=1)

    with rt.db_engine.begin() as conn:
        for lo in range(0, n_open, BATCH):
            ds, ts = [], []
            for _ in range(min(BATCH, n_open - lo)):
                dossier_id += 1
                task_id += 1
                agency, role = rng.choice(agency_ids), rng.choices(roles, weights)[0]
                bpmn_id, name, budget = STEPS[role]
                created = now - dt.timedelta(minutes=rng.randrange(1, 60 * 24 * 10))
                due = now + dt.timedelta(minutes=rng.randrange(-60 * 24, 60 * 24 * 20))  # ~5 % overdue
                claimed = rng.random() < 0.2
                ds.append(dossier_row(dossier_id, agency, created, None))
                ts.append(dict(id=task_id, dossier_id=dossier_id, spiff_task_id=f"{task_id:036d}", bpmn_id=bpmn_id,
                               name=name, role=role, agency_id=agency,
                               assignee_id=officials[(agency, role)] if claimed else None,
                               state="claimed" if claimed else "ready", budget=budget, pauses_clock=False,
                               created_at=created, claimed_at=created if claimed else None, due_at=due,
                               warn_at=due - dt.timedelta(hours=2), risk="on_track", version=1))
            conn.execute(insert(Dossier.__table__), ds)
            conn.execute(insert(Task.__table__), ts)
        for lo in range(0, n_done, BATCH):
            ds, ts = [], []
            for k in range(min(BATCH, n_done - lo)):
                if k % 4 == 0:
                    dossier_id += 1
                    agency = rng.choice(agency_ids)
                    received = now - dt.timedelta(minutes=rng.randrange(60 * 24 * 10, 60 * 24 * 400))
                    ds.append(dossier_row(dossier_id, agency, received, received + dt.timedelta(days=4)))
                task_id += 1
                step = DONE_STEPS[k % 4]
                role = {"examine": "specialist", "sign": "leader", "issue": "clerk", "return_result": "reception"}[step]
                created = received + dt.timedelta(days=k % 4)
                ts.append(dict(id=task_id, dossier_id=dossier_id, spiff_task_id=f"{task_id:036d}", bpmn_id=step,
                               name=step, role=role, agency_id=agency, assignee_id=officials[(agency, role)],
                               state="completed", budget="P1D", pauses_clock=False, created_at=created,
                               claimed_at=created, due_at=created + dt.timedelta(days=1),
                               warn_at=created + dt.timedelta(hours=18), risk="on_track",
                               completed_at=created + dt.timedelta(hours=rng.randrange(1, 30)),
                               completed_by_id=officials[(agency, role)], outcome="approve", version=1))
            if ds:
                conn.execute(insert(Dossier.__table__), ds)
            conn.execute(insert(Task.__table__), ts)
    with rt.db_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))  # what autovacuum would have done on a database this size
    return time.perf_counter() - start


def filled(rt: Runtime, n_open: int, n_done: int) -> bool:
    """Whether a kept database holds this fill (--reuse)."""
    if "task" not in inspect(rt.db_engine).get_table_names():
        return False
    with rt.db_engine.connect() as conn:
        return conn.scalar(text("SELECT count(*) FROM task WHERE id > 10000000 AND id <= :last"),
                           {"last": 10_000_000 + n_open + n_done}) == n_open + n_done


def sync_task_indexes(rt: Runtime) -> None:
    """Make a kept database's task indexes those of engine/models.py (the migration ran when it was filled)."""
    wanted = {ix.name: ix for ix in Task.__table__.indexes}
    with rt.db_engine.begin() as conn:
        present = {ix["name"] for ix in inspect(conn).get_indexes("task")}
        for name in sorted(present - set(wanted)):
            conn.execute(text(f"DROP INDEX {name}"))
        for name in sorted(set(wanted) - present):
            wanted[name].create(conn)
    with rt.db_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))


def receive_real(rt: Runtime, n: int) -> list[int]:
    """Receive n household-business dossiers at Tân Lập through the engine; their open `examine` task ids."""
    ids = []
    with rt.sessions() as s:
        agency = s.scalar(select(Agency.id).where(Agency.code == "000.01.31.H26"))
        reception = s.scalars(select(User).where(User.username == "tanlap.reception")
                              .options(joinedload(User.memberships))).unique().one()
        for i in range(n):
            r = dossiers.receive_dossier(rt, s, procedure="household-business", agency_id=agency, channel="counter",
                                         applicant={"name": f"Bench {i}", "phone": "0912345678"}, actor=reception,
                                         now=rt.clock.now())
            s.commit()
            ids.append(r.created[0].id)
    return ids


# --- the server and the client -----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "MOTCUA_DATABASE_URL": url, "MOTCUA_SCHEDULER_IN_PROCESS": "false"}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen([str(gunicorn), "-c", "config/gunicorn.conf.py", "-w", "1", "-b", f"127.0.0.1:{port}", "--log-level", "warning",
                                "api:create_app()"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/api/v1/openapi.json", timeout=5).read()
            return process, base
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not answer within 60 s")


class Client:
    def __init__(self, base: str, username: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.call("POST", "/api/v1/auth/login", {"username": username, "password": PASSWORD})

    def call(self, method: str, path: str, body=None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"} if data else {})
        with self.opener.open(request, timeout=60) as response:
            return json.loads(response.read())

    def timed(self, method: str, path: str, body=None) -> tuple[float, dict]:
        start = time.perf_counter()
        answer = self.call(method, path, body)
        return (time.perf_counter() - start) * 1000, answer


def summary(ms: list[float]) -> dict:
    ordered = sorted(ms)
    return {"p50_ms": round(statistics.median(ordered), 2),
            "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 2),
            "max_ms": round(ordered[-1], 2), "samples": len(ordered)}


# --- the plans -----------------------------------------------------------------------------------------------

def inbox_plans(rt: Runtime, cursor: str) -> dict[str, list[str]]:
    """The inbox statement as the API sends it (first page, deep page), explained by the database."""
    captured: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, *_rest):
        if "FROM task" in statement:
            captured.append((statement, parameters))

    with rt.sessions() as s:
        me = s.scalars(select(User).where(User.username == "tanlap.specialist")
                       .options(joinedload(User.memberships))).unique().one()
        event.listen(rt.db_engine, "before_cursor_execute", capture)
        try:
            for after in (None, inbox.decode_cursor(cursor)):
                inbox.list_tasks(rt, s, inbox.InboxFilter(), actor=me, now=rt.clock.now(), after=after, limit=50)
        finally:
            event.remove(rt.db_engine, "before_cursor_execute", capture)
    plans = {}
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if rt.db_engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    with rt.db_engine.connect() as conn:
        for name, (statement, parameters) in zip(("first_page", "deep_page"), captured, strict=True):
            rows = conn.exec_driver_sql(prefix + statement, parameters).all()
            plans[name] = [row[0] if len(row) == 1 else " | ".join(map(str, row)) for row in rows]
    return plans


# --- one database ----------------------------------------------------------------------------------------

def bench(name: str, url: str, n_open: int, n_done: int, samples: int, reuse: bool = False) -> dict:
    rt = runtime(url)
    if reuse and filled(rt, n_open, n_done):
        sync_task_indexes(rt)
        seconds = None
        print(f"{name}: reusing the kept database ({n_open:,} open and {n_done:,} completed tasks)", flush=True)
    else:
        rt.db_engine.dispose()
        rt = setup(url)
        seconds = fill(rt, n_open, n_done, rt.clock.now())
        print(f"{name}: filled {n_open:,} open and {n_done:,} completed tasks in {seconds:.0f} s", flush=True)
    real = receive_real(rt, samples + 10)
    process, base = start_server(url)
    try:
        me = Client(base, "tanlap.specialist")
        first = me.call("GET", "/api/v1/tasks")
        group = me.call("GET", "/api/v1/tasks?scope=groups&limit=200")
        cursor, depth = first["next_cursor"], 2
        while depth < DEEP_PAGES:  # to page 100 (rows 4,951-5,000), or the last page of a smaller inbox
            following = me.call("GET", f"/api/v1/tasks?cursor={cursor}")["next_cursor"]
            if following is None:
                break
            cursor, depth = following, depth + 1
        deep_path = f"/api/v1/tasks?cursor={cursor}"
        for _ in range(10):  # warm the worker: spec cache, calendar, connection pool
            me.call("GET", "/api/v1/tasks")
            me.call("GET", deep_path)
        first_ms = [me.timed("GET", "/api/v1/tasks")[0] for _ in range(samples)]
        deep_ms = [me.timed("GET", deep_path)[0] for _ in range(samples)]
        for task_id in real[:10]:
            me.call("POST", f"/api/v1/tasks/{task_id}/complete", {"data": HH_APPROVE})
        complete_ms = []
        for task_id in real[10:]:
            ms, answer = me.timed("POST", f"/api/v1/tasks/{task_id}/complete", {"data": HH_APPROVE})
            assert answer["completed"]["state"] == "completed" and answer["created"][0]["bpmn_id"] == "sign"
            complete_ms.append(ms)
    finally:
        process.terminate()
        process.wait(timeout=30)
    plans = inbox_plans(rt, cursor)
    with rt.db_engine.connect() as conn:
        counts = dict(conn.execute(text("SELECT state, count(*) FROM task GROUP BY state")).all())
        in_group = conn.scalar(text(
            "SELECT count(*) FROM task JOIN agency ON agency.id = task.agency_id WHERE agency.code = :code "
            "AND task.role = 'specialist' AND task.state IN ('ready', 'claimed')"), {"code": "000.01.31.H26"})
    rt.db_engine.dispose()
    result = {"fill_seconds": round(seconds, 1) if seconds is not None else None, "tasks_by_state": counts, "specialist_group_open_tasks": in_group,
              "first_page_rows": len(first["items"]), "group_page_rows": len(group["items"]),
              "deep_page": depth, "inbox_first_page": summary(first_ms), "inbox_deep_page": summary(deep_ms),
              "complete": summary(complete_ms), "inbox_plans": plans}
    for label, key in (("inbox, first page", "inbox_first_page"), (f"inbox, page {depth}", "inbox_deep_page"),
                       ("task completion", "complete")):
        r = result[key]
        print(f"{name:10} {label:18} p50 {r['p50_ms']:7.2f} ms  p95 {r['p95_ms']:7.2f} ms  "
              f"max {r['max_ms']:7.2f} ms  ({r['samples']} requests)", flush=True)
    print(f"{name}: inbox plan (first page):\n  " + "\n  ".join(plans["first_page"]), flush=True)
    return result


def postgres_database(reuse: bool = False) -> str | None:
    try:
        admin = make_engine(PG_ADMIN)
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": PG_DATABASE})
            if not (reuse and exists):
                conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DATABASE}"))
                conn.execute(text(f"CREATE DATABASE {PG_DATABASE}"))
        admin.dispose()
        return PG_ADMIN.rsplit("/", 1)[0] + f"/{PG_DATABASE}"
    except Exception as exc:  # noqa: BLE001 - the benchmark runs without PostgreSQL
        print(f"PostgreSQL not used: {type(exc).__name__}: {exc}".splitlines()[0])
        return None


def drop_postgres_database() -> None:
    admin = make_engine(PG_ADMIN)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DATABASE}"))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=100_000, help="open tasks (one per open dossier)")
    parser.add_argument("--done", type=int, default=1_000_000, help="completed tasks (four per closed dossier)")
    parser.add_argument("--samples", type=int, default=300, help="timed requests of each kind")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--reuse", metavar="DIR", type=Path,
                        help="keep the filled databases (SQLite in DIR, PostgreSQL's bench_api) and reuse them")
    args = parser.parse_args()
    bare = bare_rate(3.0)
    bare_step_ms = 1000 / bare / 4  # a walk is 4 completed steps (and the start)
    print(f"bare SpiffWorkflow, in memory: {bare:,.0f} household-business walks/s = {bare_step_ms:.2f} ms a step")
    results: dict = {"open_tasks": args.open, "completed_tasks": args.done, "cpus": os.cpu_count(),
                     "server": "gunicorn, 1 sync worker, 127.0.0.1", "bare_walks_per_s": round(bare, 1),
                     "bare_step_ms": round(bare_step_ms, 3), "goals": {"inbox_p95_ms": 20, "complete_p95_ms": 30}}
    reuse = args.reuse is not None
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            folder = args.reuse or Path(tmp)
            folder.mkdir(parents=True, exist_ok=True)
            results["sqlite"] = bench("sqlite", f"sqlite:///{folder}/bench_api.db", args.open, args.done,
                                      args.samples, reuse)
    url = None if args.no_postgres else postgres_database(reuse)
    if url:
        try:
            results["postgresql"] = bench("postgresql", url, args.open, args.done, args.samples, reuse)
        finally:
            if not reuse:
                drop_postgres_database()
    for name in ("sqlite", "postgresql"):
        if name in results:
            p50 = results[name]["complete"]["p50_ms"]
            results[name]["complete"]["bare_steps"] = round(p50 / bare_step_ms, 1)
            print(f"{name:10} a completion over HTTP (p50) costs {p50 / bare_step_ms:.1f} bare in-memory steps")
    out = ROOT / "bench" / "results" / "api.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
