"""Engine throughput against bare SpiffWorkflow, measured in the same run (a benchmark, not a test).

Bare: the household-business diagram parsed once, each instance created and walked through its happy path
in memory. Engine: the same path through engine.dossiers (receive + 4 completions), each action its own
session and commit, as an HTTP request would do it, on SQLite (file, WAL) and on PostgreSQL when reachable.
Each action authenticates its official by a Bearer token, as the API does.
Prints dossiers/s, the ratio to bare, SQL statements and commits per dossier, and stored state bytes; the
SQLite walk also with every expression evaluated in-process (as before the script sandbox), and what the
sandbox adds per evaluated script, per expression it must bound, and per trivially bounded condition.

    .venv/bin/python bench/engine.py [--seconds 5] [--postgres URL]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from samples import HH_APPROVE, HH_ISSUE, RETURN_COUNTER, SIGN_APPROVE  # noqa: E402
from SpiffWorkflow.bpmn import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402
from sqlalchemy import event, select, text  # noqa: E402

from bpmn import sandbox  # noqa: E402
from bpmn.package import load_package  # noqa: E402
from bpmn.parser import parse_package  # noqa: E402
from bpmn.scripts import make_script_engine  # noqa: E402
from config import load_settings  # noqa: E402
from engine import accounts, dossiers, migrate, timers  # noqa: E402
from engine.clock import FrozenClock  # noqa: E402
from engine.db import make_engine, make_sessionmaker  # noqa: E402
from engine.deploy import deploy_path  # noqa: E402
from engine.models import Agency, Dossier, User  # noqa: E402
from engine.runtime import Runtime  # noqa: E402
from engine.seed import seed_demo  # noqa: E402

STEPS = [("examine", HH_APPROVE), ("sign", SIGN_APPROVE), ("issue", HH_ISSUE), ("return_result", RETURN_COUNTER)]
APPLICANT = {"name": "Trần Thị Bình", "id_number": "031190001234", "phone": "0912345678"}
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))


def bare_rate(seconds: float) -> float:
    parsed = parse_package(load_package(ROOT / "workflows" / "household-business"))
    spec, subs = parsed.spec, parsed.subprocess_specs

    def one():
        wf = BpmnWorkflow(spec, subs)
        wf.do_engine_steps()
        for _step, data in STEPS:
            task = wf.get_next_task(state=TaskState.READY, manual=True)
            task.set_data(**data)
            task.run()
            wf.do_engine_steps()
        assert wf.completed

    return _rate(one, seconds)


def _rate(fn, seconds: float, rounds: int = 3) -> float:
    """Median rate over rounds of about a second each (at least `rounds`)."""
    rates, deadline = [], time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(rates) < rounds:
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < min(1.0, seconds / 3):
            fn()
            n += 1
        rates.append(n / (time.perf_counter() - t0))
    return statistics.median(rates)


class Counter:
    def __init__(self, engine):
        self.statements = self.commits = 0
        event.listen(engine, "before_cursor_execute", self._stmt)
        event.listen(engine, "commit", self._commit)

    def _stmt(self, *_a, **_k):
        self.statements += 1

    def _commit(self, *_a, **_k):
        self.commits += 1


def engine_rate(url: str, seconds: float, compare_in_process: bool = False) -> dict:
    """The engine walk. With `compare_in_process`, rounds alternate with a runtime that evaluates every
    expression in-process (no sandbox, as before it), and `in_process_rate` is that walk's rate."""
    db = make_engine(url)
    migrate.upgrade(db)
    clock = FrozenClock(START)
    rt = Runtime(settings=load_settings({"database": {"url": url}}), sessions=make_sessionmaker(db), clock=clock)
    engines = {True: rt.script_engine,
               False: make_script_engine(functions=timers.script_functions(rt.calendar), sandbox=None)}
    with rt.sessions() as s:
        seed_demo(s, password="bench-password", hash_method="pbkdf2:sha256:1000")
        deploy_path(rt, s, ROOT / "workflows" / "household-business", actor=None, now=clock.now())
        s.commit()
        agency_id = s.scalars(select(Agency.id).where(Agency.code == "000.01.31.H26")).one()
        tokens = {u.username: accounts.create_token(s, u, "bench", clock.now())[1] for u in s.scalars(select(User))}
        s.commit()

    def actor(s, role):
        # as the API authenticates every request: the Bearer token's owner and memberships
        return accounts.user_for_token(s, tokens[f"tanlap.{role}"], clock.now())

    last = {}

    def one():
        with rt.sessions() as s:
            r = dossiers.receive_dossier(rt, s, procedure="household-business", agency_id=agency_id,
                                         channel="counter", applicant=APPLICANT, actor=actor(s, "reception"),
                                         now=clock.now())
            s.commit()
            dossier_id, task_id, role = r.dossier.id, r.created[0].id, r.created[0].role
        for _step, data in STEPS:
            # The caller knows whose turn it is from the last answer, as an inbox does: no extra query.
            with rt.sessions() as s:
                r = dossiers.complete_task(rt, s, task_id, data, actor=actor(s, role), now=clock.now())
                s.commit()
                task_id, role = (r.created[0].id, r.created[0].role) if r.created else (None, None)
        last["id"] = dossier_id

    one()  # warm the spec cache and the calendar
    counter = Counter(db)
    one()
    per_dossier = {"statements": counter.statements, "commits": counter.commits}
    if compare_in_process:  # alternating rounds: the machine's load changes the two alike
        rates = {True: [], False: []}
        deadline = time.perf_counter() + 2 * seconds
        while time.perf_counter() < deadline or len(rates[False]) < 3:
            for sandboxed in (True, False):
                rt.script_engine = engines[sandboxed]
                rates[sandboxed].append(_rate(one, 0.3, rounds=1))
        rt.script_engine = engines[True]
        rate = statistics.median(rates[True])
        per_dossier["in_process_rate"] = statistics.median(rates[False])
    else:
        rate = _rate(one, seconds)
    with rt.sessions() as s:
        d = s.get(Dossier, last["id"])
        assert d.status == "returned", d.status
        per_dossier["state_bytes"] = len(d.workflow_state)
        per_dossier["state_bytes_uncompressed"] = len(zlib.decompress(d.workflow_state))
    db.dispose()
    return {"rate": rate, **per_dossier}


SCRIPT = "fee = 50000\nlines = []\nfor doc in documents:\n    lines.append(doc.upper())"
EXPRESSION = 'len(str(documents)) > 0'  # not trivially bounded (a call of str): evaluated in the sandbox
CONDITION = 'outcome == "approve"'  # trivially bounded: in-process


def script_costs(rounds: int = 2000) -> dict:
    """Microseconds per evaluation in-process (no bound) and in the sandbox, for a script task's script, an
    expression that needs the sandbox, and a trivially bounded gateway condition."""
    box = sandbox.Sandbox(sandbox.Limits())
    inside = make_script_engine(sandbox=None).environment
    bounded = make_script_engine(sandbox=box).environment
    data = {"documents": ["đơn đề nghị", "giấy tờ tùy thân"], "outcome": "approve"}
    out = {}
    try:
        for name, mode, source in (("script", "exec", SCRIPT), ("expression", "eval", EXPRESSION),
                                   ("condition", "eval", CONDITION)):
            times = {}
            for label, env in (("in_process", inside), ("sandboxed", bounded)):
                run = (lambda e=env: e.execute(SCRIPT, dict(data))) if mode == "exec" else (
                    lambda e=env, s=source: e.evaluate(s, data))
                run()  # the helper starts, the code compiles
                t0 = time.perf_counter()
                for _ in range(rounds):
                    run()
                times[label] = (time.perf_counter() - t0) / rounds * 1e6
            out[name] = {**times, "added_us": times["sandboxed"] - times["in_process"]}
    finally:
        box.shutdown()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench")
    args = parser.parse_args()
    results = {"bare": {"rate": bare_rate(args.seconds)}}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = engine_rate(f"sqlite:///{tmp}/bench.db", args.seconds, compare_in_process=True)
    results["script_costs_us"] = script_costs()
    try:
        admin = make_engine(args.postgres.rsplit("/", 1)[0] + "/postgres", echo=False)
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("DROP DATABASE IF EXISTS bench"))
            conn.execute(text("CREATE DATABASE bench"))
        admin.dispose()
        results["postgresql"] = engine_rate(args.postgres, args.seconds)
    except Exception as exc:  # PostgreSQL is optional for the benchmark
        print(f"postgresql: skipped ({type(exc).__name__}: {str(exc).splitlines()[0]})")
    bare = results["bare"]["rate"]
    print(f"bare SpiffWorkflow, in memory: {bare:8.1f} instances/s")
    for name in ("sqlite", "postgresql"):
        if name in results:
            r = results[name]
            print(f"engine on {name:10}: {r['rate']:8.1f} dossiers/s = 1/{bare / r['rate']:.2f} of bare; "
                  f"{r['statements']} SQL statements and {r['commits']} commits per dossier (5 actions); "
                  f"state {r['state_bytes']} bytes stored ({r['state_bytes_uncompressed']} uncompressed)")
    in_process = results["sqlite"]["in_process_rate"]
    print(f"the same SQLite walk with every expression in-process (no sandbox, as before it), rounds "
          f"alternating: {in_process:8.1f} dossiers/s; sandboxed / in-process = "
          f"{results['sqlite']['rate'] / in_process:.3f}")
    for name, c in results["script_costs_us"].items():
        print(f"one {name:10}: {c['in_process']:7.1f} µs in-process, {c['sandboxed']:7.1f} µs with the bound: "
              f"{c['added_us']:+7.1f} µs added per evaluation")
    out = ROOT / "bench" / "results" / "engine.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
