"""`motcua escalate --now` and `motcua scheduler` against the test databases."""
from __future__ import annotations

import datetime as dt
import os
import select as io_select
import signal
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select
from support import receive

from api.commands.watch import escalate  # noqa: E402
from engine.models import Escalation  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def test_escalate_runs_one_scan_as_if_at_the_given_instant_and_prints_what_it_created(rt, session, users, db_url,
                                                                                        monkeypatch):
    monkeypatch.setenv("MOTCUA_DATABASE_URL", db_url)
    d = receive(rt, session, users).dossier  # Monday 2 March 09:00, examine warns Tuesday 10:00
    runner = CliRunner()
    quiet = runner.invoke(escalate, ["--now", "2026-03-02T09:00:00+07:00"])
    assert quiet.exit_code == 0, quiet.output
    assert "rung" not in quiet.stdout
    result = runner.invoke(escalate, ["--now", "2026-03-03T14:31:00+07:00"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"rung 1\t{d.code}\tThẩm định hồ sơ\tspecialist@000.01.31.H26",
        f"rung 2\t{d.code}\tThẩm định hồ sơ\tsupervisor@000.01.31.H26",
    ]
    again = runner.invoke(escalate, ["--now", "2026-03-03T14:31:00+07:00"])
    assert again.exit_code == 0 and again.stdout == ""
    assert session.scalar(select(func.count()).select_from(Escalation)) == 2


def test_escalate_refuses_a_bad_instant_with_one_line_and_status_2(rt, db_url, monkeypatch):
    monkeypatch.setenv("MOTCUA_DATABASE_URL", db_url)
    for bad in ("yesterday", "2026-03-02T09:00:00"):
        result = CliRunner().invoke(escalate, ["--now", bad])
        assert result.exit_code == 2
        assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("error: --now")


def test_the_scheduler_command_runs_until_sigterm(rt, db_url):
    env = {**os.environ, "MOTCUA_DATABASE_URL": db_url, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-u", "-c", "from api.commands.watch import scheduler; scheduler()"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready, _, _ = io_select.select([proc.stdout], [], [], 60)
        assert ready, "the scheduler did not start"
        assert proc.stdout.readline().startswith("scheduler running: scan_deadlines")
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "scheduler stopped" in out


def test_now_is_read_with_its_offset():
    result = CliRunner().invoke(escalate, ["--help"])
    assert "--now INSTANT" in result.output
    assert dt.datetime.fromisoformat("2026-03-02T09:00:00+07:00").utcoffset() == dt.timedelta(hours=7)
