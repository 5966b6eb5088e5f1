"""The national portal adapter under load (a benchmark, not a test).

1. Intake: 10,000 dossiers wait on a stand-in portal (tests/portal_standin.py, a real HTTP server);
   `motcua portal pull` runs as a subprocess on a SQLite file, is killed with SIGKILL half-way, and is
   started again until the portal has nothing left. Then a recount: every portal dossier exactly once
   (dossiers, links and distinct portal ids), none left on the portal. Prints dossiers/s per run.
2. Outbox: the status changes the intake queued (received and processing per dossier, plus each record)
   are pushed to the stand-in; prints status changes sent per second, then the same with the stand-in
   failing one request in ten (retried after back-off, nothing lost or sent out of order).

    .venv/bin/python bench/portal.py [--dossiers 10000]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from portal_standin import Standin, dossier_message  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from config import load_settings  # noqa: E402
from engine import migrate  # noqa: E402
from engine.db import make_engine, make_sessionmaker  # noqa: E402
from engine.deploy import deploy_path  # noqa: E402
from engine.models import Agency, Dossier, Membership, Outbox, PortalDossier, User  # noqa: E402
from engine.portal import sync  # noqa: E402
from engine.runtime import Runtime  # noqa: E402
from engine.seed import seed_demo  # noqa: E402

UNITS = ("000.01.31.H26", "000.02.31.H26")


def prepare(url: str) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    rt = Runtime(settings=load_settings({"database": {"url": url}}), sessions=make_sessionmaker(engine))
    with rt.sessions() as session:
        seed_demo(session, password="bench-pass-123", hash_method="pbkdf2:sha256:1000")
        deploy_path(rt, session, ROOT / "workflows", actor=None, now=dt.datetime.now(dt.UTC))
        user = User(username="portal", full_name="Cổng DVC quốc gia")
        session.add(user)
        session.flush()
        for agency_id in session.scalars(select(Agency.id).where(Agency.code.in_(UNITS))):
            session.add(Membership(user_id=user.id, agency_id=agency_id, role="reception"))
        session.commit()
    engine.dispose()


def counts(url: str) -> dict:
    engine = make_engine(url)
    with engine.connect() as conn:
        out = {
            "dossiers": conn.scalar(select(func.count(Dossier.id))),
            "links": conn.scalar(select(func.count(PortalDossier.id))),
            "distinct_portal_ids": conn.scalar(select(func.count(func.distinct(PortalDossier.portal_code)))),
            "dossiers_without_link": conn.scalar(text(
                "SELECT count(*) FROM dossier WHERE id NOT IN (SELECT dossier_id FROM portal_dossier)")),
        }
    engine.dispose()
    return out


def pull(env: dict, kill_after: int | None, url: str) -> tuple[int, float, bool, float]:
    """Run `motcua portal pull`; SIGKILL it once `kill_after` dossiers exist.

    Return (taken, wall seconds, killed, CPU seconds of the pulling process).
    """
    before = counts(url)["dossiers"]
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "motcua"), "portal", "pull", "--batch", "200"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    killed = False
    while proc.poll() is None:
        time.sleep(0.2)
        if kill_after is not None and counts(url)["dossiers"] >= kill_after:
            os.kill(proc.pid, signal.SIGKILL)
            killed = True
            break
    proc.wait()
    seconds = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    if not killed and proc.returncode not in (0, 1):
        sys.exit(f"pull failed: {proc.stderr.read().decode()[-2000:]}")
    return counts(url)["dossiers"] - before, seconds, killed, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dossiers", type=int, default=10_000)
    args = parser.parse_args()
    n = args.dossiers
    with tempfile.TemporaryDirectory() as tmp, Standin() as standin:
        url = f"sqlite:///{Path(tmp) / 'portal.db'}"
        prepare(url)
        filed = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).astimezone(dt.timezone(dt.timedelta(hours=7)))
        for i in range(n):
            code = f"G22.BENCH-{i:06d}"
            standin.inbox[code] = dossier_message(code, unit=UNITS[i % 2], filed=filed.strftime("%Y%m%d%H%M%S"))
        config = Path(tmp) / "motcua.toml"
        config.write_text(f'[database]\nurl = "{url}"\n[portal]\nurl = "{standin.url}"\n'
                          '[scheduler]\nin_process = false\n', encoding="utf-8")
        env = {**os.environ, "MOTCUA_CONFIG": str(config)}

        load = os.getloadavg()[0]
        taken1, s1, killed, cpu1 = pull(env, n // 2, url)
        taken2, s2, _, cpu2 = pull(env, None, url)
        while standin.inbox:  # a last round for what the killed run left unacknowledged
            more, s, _, c = pull(env, None, url)
            taken2, s2, cpu2 = taken2 + more, s2 + s, cpu2 + c
        final = counts(url)
        ok = (final["dossiers"] == final["links"] == final["distinct_portal_ids"] == n
              and final["dossiers_without_link"] == 0 and not standin.inbox)
        print(f"intake: {n:,} portal dossiers on SQLite (load average {load:.1f} at the start, "
              f"{os.cpu_count()} CPUs)")
        print(f"  run 1: {taken1:,} taken in {s1:.1f} s = {taken1 / s1:.0f}/s wall, {taken1 / cpu1:.0f} per CPU-second "
              "of the pulling process, then SIGKILL" if killed
              else f"  run 1: {taken1:,} in {s1:.1f} s (finished before the kill)")
        print(f"  run 2: {taken2:,} taken in {s2:.1f} s = {taken2 / s2:.0f}/s wall, {taken2 / cpu2:.0f} per CPU-second "
              "(process start included)")
        print(f"  recount: {final}; portal left with {len(standin.inbox)}; "
              f"acknowledgements {len(standin.acks):,} (a re-sent dossier is acknowledged again)")
        print(f"  nothing lost or doubled: {'yes' if ok else 'NO'}")

        engine = make_engine(url)
        settings = load_settings({"database": {"url": url}, "portal": {"url": standin.url}})
        rt = Runtime(settings=settings, sessions=make_sessionmaker(engine))
        with rt.sessions() as session:
            queued = session.scalar(select(func.count(Outbox.id)).where(Outbox.channel == "portal"))
            changes = session.scalar(select(func.count(Outbox.id)).where(
                Outbox.channel == "portal", Outbox.body["service"].as_string() == sync.PROGRESS))
        half = queued // 2
        started = time.perf_counter()
        sent = 0
        while sent < half:
            report = sync.push(rt, dt.datetime.now(dt.UTC), limit=half - sent)
            sent += report.sent
        seconds = time.perf_counter() - started
        push_rate, status_rate = sent / seconds, len(standin.progress) / seconds
        print(f"outbox: {queued:,} messages queued by the intake ({changes:,} status changes)")
        print(f"  push: {sent:,} messages in {seconds:.1f} s = {push_rate:.0f} messages/s, of which "
              f"{len(standin.progress):,} status changes = {status_rate:.0f} status changes/s")
        started = time.perf_counter()
        calls_before, rounds = len(standin.calls), 0
        while True:
            if (len(standin.calls) - calls_before) % 10 == 0:
                standin.fail(1)
            report = sync.push(rt, dt.datetime.now(dt.UTC) + dt.timedelta(hours=rounds), limit=2000)
            rounds += 1
            sent += report.sent
            if report.sent == 0 and report.failed == 0 and report.waiting == 0:
                break
        seconds = time.perf_counter() - started
        progress = standin.progress
        in_order = all(standin.statuses(c)[:2] == ["2", "4"] for c in list(standin.records)[:2000])
        print(f"  push with one request in ten failing (HTTP 500, retried after back-off): the rest in "
              f"{seconds:.1f} s; all sent: {sent == queued}; status changes at the portal {len(progress):,} "
              f"of {changes:,}; each dossier's codes in order (2 then 4): {in_order}")
        Path(ROOT / "bench" / "results").mkdir(exist_ok=True)
        (ROOT / "bench" / "results" / "portal.json").write_text(json.dumps({
            "dossiers": n, "load_average": load, "run1_rate": taken1 / s1, "run2_rate": taken2 / s2,
            "run1_per_cpu_second": taken1 / cpu1, "run2_per_cpu_second": taken2 / cpu2, "killed": killed, "recount": final,
            "nothing_lost_or_doubled": ok, "push_messages_per_s": push_rate,
            "push_status_changes_per_s": status_rate,
        }, indent=1) + "\n")
        engine.dispose()


if __name__ == "__main__":
    main()
