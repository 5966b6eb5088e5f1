"""Oversight at scale: the risk board, the 766 indicators, the annual evaluation (a benchmark, not a test).

Fills a PostgreSQL database (`bench_oversight`, created if missing, its schema dropped and migrated) with a
province of 40 communes and 6 officials each, N completed dossiers (default 1 000 000) received over two
years (2025-2026), one commune holding a fifth of them, each with its four completed steps (4 N task
rows), 5 % paused once for a supplement, and 20 000 open dossiers with one open step each (a quarter at risk
or overdue, some paused, half of the steps taken by an official) and their escalations. The rows are written
by the database itself (INSERT .. SELECT over generate_series): no workflows, the oversight reads rows.

Then times, in the same run (median and worst of --runs):
- the risk board (engine.oversight.board.risk_board) for an admin, by agency, procedure and official, and
  its page (GET /giam-sat/rui-ro through the app's test client: server time, rendering included) — goal
  < 200 ms;
- the 766 indicators (engine.oversight.indicators.indicators) of the largest commune for 2026 and its
  page — goal < 1 s;
- the annual evaluation of the province for 2026 as the page reads it (pre-aggregated: evaluation()) and
  its page — goal < 2 s; and what the pre-aggregation costs (refresh(): all agencies, one year), with the
  live count (compute()) it stores;
- form II.06a of the largest commune for 2026 (engine.supervision.period_report), for comparison.
Writes bench/results/oversight.json.

    .venv/bin/python bench/oversight.py [--dossiers 1000000] [--runs 5]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from sqlalchemy import select, text  # noqa: E402

from config import load_settings  # noqa: E402
from engine import migrate, supervision  # noqa: E402
from engine.clock import FrozenClock  # noqa: E402
from engine.db import make_engine, make_sessionmaker  # noqa: E402
from engine.deploy import deploy_path  # noqa: E402
from engine.models import Agency, User  # noqa: E402
from engine.oversight import board, evaluation, indicators  # noqa: E402
from engine.runtime import Runtime  # noqa: E402
from engine.seed import seed_demo  # noqa: E402

PG_ADMIN = os.environ.get("MOTCUA_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
DB = "bench_oversight"
NOW = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)  # Tuesday 10:00 in Hà Nội
COMMUNES = 40
OPEN = 20_000
ROLES = ("reception", "specialist", "head", "leader", "clerk", "supervisor")
PASSWORD = "bench-pass-123"
GOALS = {"risk board": 200.0, "766 indicators": 1000.0, "annual evaluation": 2000.0}


def database_url() -> str:
    admin = make_engine(PG_ADMIN)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": DB}).scalar():
            conn.execute(text(f"CREATE DATABASE {DB}"))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + DB


def fill(url: str, n: int) -> Runtime:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(engine)
    settings = load_settings({"database": {"url": url}})
    rt = Runtime(settings=settings, sessions=make_sessionmaker(engine), clock=FrozenClock(NOW))
    with rt.sessions() as s:
        seed_demo(s, password=PASSWORD, hash_method="pbkdf2:sha256:1000")
        deploy_path(rt, s, ROOT / "workflows", actor=None, now=NOW)
        s.commit()
    started = time.perf_counter()
    with engine.begin() as conn:
        run = conn.execute
        province = run(text("SELECT id FROM agency WHERE code = '000.00.00.H26'")).scalar()
        run(text("INSERT INTO agency (code, name, level, kind, parent_id) SELECT 'B.' || lpad(g::text, 2, '0'), "
                 "'Xã thử ' || g, 'commune', 'commune', :p FROM generate_series(1, :c) g"), {"p": province, "c": COMMUNES})
        run(text("INSERT INTO user_account (username, full_name, email, is_admin, is_active) "
                 "SELECT 'b' || g || '.' || r, 'Cán bộ ' || g || ' ' || r, NULL, false, true "
                 "FROM generate_series(1, :c) g, unnest(CAST(:roles AS text[])) r"), {"c": COMMUNES, "roles": list(ROLES)})
        run(text("INSERT INTO membership (user_id, agency_id, role) SELECT u.id, a.id, split_part(u.username, '.', 2) "
                 "FROM user_account u JOIN agency a ON a.code = 'B.' || lpad(substr(split_part(u.username, '.', 1), 2), 2, '0') "
                 "WHERE u.username LIKE 'b%.%'"))
        version = run(text("SELECT pv.id FROM procedure_version pv JOIN procedure p ON p.id = pv.procedure_id "
                           "WHERE p.slug = 'household-business'")).scalar()
        run(text("CREATE TEMP TABLE bench_agency AS SELECT row_number() OVER (ORDER BY id) - 1 AS k, id FROM agency "
                 "WHERE code LIKE 'B.%'"))
        # completed dossiers: received over 2025-2026; a fifth in the first commune; 1 to 5 days to process
        # (appointment at 3 days: some late), 5 % with one supplement pause of a day
        run(text("""
            INSERT INTO dossier (code, lookup_secret, procedure_version_id, agency_id, channel, status, applicant_name,
                                 search_key, applicant, received_at, clock_started_at, appointment_at, due_at,
                                 legal_due_at, risk, processed_at, closed_at, workflow_state, version)
            SELECT 'B-' || g, 'x', :v, ba.id, CASE WHEN g % 3 = 0 THEN 'online' ELSE 'counter' END, 'returned',
                   'Công dân ' || g, '', '{}'::json, r, r, r + interval '3 days', r + interval '3 days',
                   r + interval '3 days' + CASE WHEN g % 20 = 0 THEN interval '1 day' ELSE interval '0' END,
                   'on_track', r + (1 + g % 5) * interval '1 day', r + (1 + g % 5) * interval '1 day' + interval '1 hour',
                   ''::bytea, 1
            FROM generate_series(1, :n) g
            CROSS JOIN LATERAL (SELECT timestamptz '2025-01-01 01:00+00'
                                       + ((g::bigint * 7919) % 59000000) * interval '1 second' AS r) t
            JOIN bench_agency ba ON ba.k = CASE WHEN g % 5 = 0 THEN 0 ELSE g % :c END
        """), {"v": version, "n": n, "c": COMMUNES})
        run(text("""
            INSERT INTO pause (dossier_id, paused_at, resumed_at, reason)
            SELECT d.id, d.received_at + interval '1 day', d.received_at + interval '2 days', 'bench'
            FROM dossier d WHERE d.code LIKE 'B-%' AND substr(d.code, 3)::int % 20 = 0
        """))
        # four completed steps a dossier, each by the commune's official of its role, one a day
        run(text("""
            INSERT INTO task (dossier_id, spiff_task_id, bpmn_id, name, role, agency_id, assignee_id, state, budget,
                              pauses_clock, created_at, claimed_at, due_at, warn_at, risk, completed_at,
                              completed_by_id, outcome, version)
            SELECT d.id, '00000000-0000-0000-0000-000000000000', s.step, s.step, s.role, d.agency_id, m.user_id,
                   'completed', 'P1D', false, d.received_at + s.k * interval '6 hours', NULL,
                   d.received_at + (s.k + 1) * interval '6 hours', NULL, 'on_track',
                   d.received_at + s.k * interval '6 hours' + (CASE WHEN d.id % 7 = 0 THEN 8 ELSE 2 END) * interval '1 hour',
                   m.user_id, NULL, 1
            FROM dossier d
            CROSS JOIN (VALUES (0, 'examine', 'specialist'), (1, 'sign', 'leader'), (2, 'issue', 'clerk'),
                               (3, 'return', 'reception')) s(k, step, role)
            JOIN membership m ON m.agency_id = d.agency_id AND m.role = s.role
            WHERE d.code LIKE 'B-%'
        """))
        # open dossiers received in the last days: a quarter at risk or overdue, one in ten paused
        run(text("""
            INSERT INTO dossier (code, lookup_secret, procedure_version_id, agency_id, channel, status, applicant_name,
                                 search_key, applicant, received_at, clock_started_at, appointment_at, due_at,
                                 legal_due_at, risk, paused_at, workflow_state, version)
            SELECT 'O-' || g, 'x', :v, ba.id, 'counter', 'processing', 'Công dân mở ' || g, '', '{}'::json,
                   :now - (g % 96) * interval '1 hour', :now - (g % 96) * interval '1 hour',
                   :now + (48 - g % 96) * interval '1 hour', :now + (48 - g % 96) * interval '1 hour',
                   :now + (48 - g % 96) * interval '1 hour',
                   CASE WHEN g % 8 = 0 THEN 'overdue' WHEN g % 8 = 1 THEN 'at_risk' ELSE 'on_track' END,
                   CASE WHEN g % 10 = 5 THEN :now - interval '1 hour' END, ''::bytea, 1
            FROM generate_series(1, :o) g JOIN bench_agency ba ON ba.k = g % :c
        """), {"v": version, "o": OPEN, "c": COMMUNES, "now": NOW})
        run(text("""
            INSERT INTO task (dossier_id, spiff_task_id, bpmn_id, name, role, agency_id, assignee_id, state, budget,
                              pauses_clock, created_at, due_at, risk, version)
            SELECT d.id, '00000000-0000-0000-0000-000000000000', 'examine', 'Thẩm định', 'specialist', d.agency_id,
                   CASE WHEN d.id % 2 = 0 THEN m.user_id END, CASE WHEN d.id % 2 = 0 THEN 'claimed' ELSE 'ready' END,
                   'P1D', false, d.received_at, d.due_at, d.risk, 1
            FROM dossier d JOIN membership m ON m.agency_id = d.agency_id AND m.role = 'specialist'
            WHERE d.code LIKE 'O-%'
        """))
        run(text("""
            INSERT INTO escalation (rung, subject, dossier_id, task_id, agency_id, recipient_role, recipient_id,
                                    created_at, message, late)
            SELECT 2, 'task:' || t.id, t.dossier_id, t.id, t.agency_id, 'supervisor', NULL, :now - interval '1 hour',
                   'bench', false
            FROM task t JOIN dossier d ON d.id = t.dossier_id WHERE d.code LIKE 'O-%' AND d.risk = 'overdue'
        """), {"now": NOW})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    print(f"filled {n:,} completed dossiers (+{OPEN:,} open) in {time.perf_counter() - started:.1f} s", flush=True)
    return rt


def timed(runs: int, call) -> dict:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1),
            "min_ms": round(min(times), 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-fill", action="store_true", help="reuse the rows of the previous run")
    args = parser.parse_args()
    url = database_url()
    if args.no_fill:
        engine = make_engine(url)
        rt = Runtime(settings=load_settings({"database": {"url": url}}), sessions=make_sessionmaker(engine),
                     clock=FrozenClock(NOW))
    else:
        rt = fill(url, args.dossiers)
    from web_support import sign_in

    from api import create_app

    app = create_app(runtime=rt)
    app.config["TESTING"] = True
    results: dict[str, dict] = {}
    with rt.sessions() as s:
        admin = s.scalars(select(User).where(User.username == "admin")).one()
        big = s.scalars(select(Agency).where(Agency.code == "B.01")).one()
        counts = dict(s.execute(text("SELECT 'completed', count(*) FROM dossier WHERE closed_at IS NOT NULL UNION ALL "
                                     "SELECT 'open', count(*) FROM dossier WHERE closed_at IS NULL UNION ALL "
                                     "SELECT 'tasks', count(*) FROM task")).all())
        in_big = s.execute(text("SELECT count(*) FROM dossier WHERE agency_id = :a AND received_at >= '2025-12-31 17:00+00'"
                                " AND received_at < '2026-12-31 17:00+00'"), {"a": big.id}).scalar()
        print(f"rows: {counts}; the largest commune received {in_big:,} dossiers in 2026", flush=True)
        for by in board.GROUPS:
            results[f"risk board by {by} (engine)"] = timed(args.runs, lambda by=by: board.risk_board(
                s, actor=admin, now=NOW, by=by))
        results["766 indicators, largest commune, 2026 (engine)"] = timed(args.runs, lambda: indicators.indicators(
            rt, s, actor=admin, agency_id=big.id, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31), now=NOW))
        started = time.perf_counter()
        stored = evaluation.refresh(rt, s, year=2026, now=NOW)
        s.commit()
        refresh_ms = (time.perf_counter() - started) * 1000
        results["annual evaluation 2026: refresh (pre-aggregation, all agencies)"] = {
            "median_ms": round(refresh_ms, 1), "max_ms": round(refresh_ms, 1), "min_ms": round(refresh_ms, 1),
            "rows": stored}
        province = s.scalars(select(Agency.id).where(Agency.code == "000.00.00.H26")).one()
        results["annual evaluation 2026, province (engine, stored figures)"] = timed(
            args.runs, lambda: evaluation.evaluation(s, actor=admin, year=2026, agency_id=province))
        results["annual evaluation 2026: live count (compute, all agencies)"] = timed(
            1, lambda: evaluation.compute(rt, s, 2026))
        results["II.06a largest commune 2026 by procedure (engine, for comparison)"] = timed(
            1, lambda: supervision.period_report(
                rt, s, actor=admin, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31), by="procedure",
                agency_id=big.id, now=NOW))
    client = sign_in(app.test_client(), "admin", PASSWORD)
    pages = {
        "risk board page by agency": "/giam-sat/rui-ro?by=agency",
        "risk board page by official": "/giam-sat/rui-ro?by=official",
        "766 indicators page, largest commune, 2026": f"/giam-sat/chi-so-766?agency_id={big.id}&from=2026-01-01&to=2026-12-31",
        "annual evaluation page, province, 2026": f"/giam-sat/danh-gia?year=2026&agency_id={province}",
    }
    for name, path in pages.items():
        def get(path=path):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
        get()  # templates compiled once
        results[name] = timed(args.runs, get)
    width = max(len(k) for k in results)
    print(f"{'measure':<{width}}  median ms   max ms")
    for name, r in results.items():
        goal = next((g for key, g in GOALS.items() if name.startswith(key) and "refresh" not in name
                     and "live" not in name), None)
        verdict = "" if goal is None else (" ok" if r["max_ms"] < goal else f" over the goal of {goal:.0f} ms")
        print(f"{name:<{width}}  {r['median_ms']:9.1f} {r['max_ms']:8.1f}{verdict}")
    out = ROOT / "bench" / "results" / "oversight.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"dossiers": args.dossiers, "open": OPEN, "counts": counts, "largest_commune_2026": in_big,
                               "runs": args.runs, "results": results}, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
