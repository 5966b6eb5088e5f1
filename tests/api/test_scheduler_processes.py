"""Three `motcua escalate` processes scanning one database at the same instant record each rung once."""
from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select
from support import receive

from engine.models import ApologyLetter, Escalation, Outbox

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_three_scan_processes_at_once_escalate_each_rung_once(rt, session, users, db_url, tmp_path):
    codes = {receive(rt, session, users).dossier.code for _ in range(4)}  # Monday 2/3 09:00, due Thu 5/3 17:00
    env = {**os.environ, "MOTCUA_DATABASE_URL": db_url, "PYTHONPATH": str(ROOT), "MOTCUA_MAIL_ENABLED": "true"}
    # Separate interpreters, started together: each waits on a file until all three are up, then scans.
    go = Path(tmp_path) / "go"
    script = ("import os, sys, time\n"
              "from pathlib import Path\n"
              "from api.commands.watch import escalate\n"
              f"go = Path({str(go)!r})\n"
              "while not go.exists(): time.sleep(0.005)\n"
              "escalate(['--now', '2026-03-05T17:01:00+07:00'])\n")
    procs = [subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    try:
        go.touch()
        outputs = [p.communicate(timeout=120) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    # A process that finds the lease taken says so and exits 1 (an operator retries); none fails otherwise.
    for p, (_, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0 or (p.returncode == 1 and "another process is scanning" in err), err
    assert 0 in [p.returncode for p in procs]
    printed = [line for out, _ in outputs for line in out.splitlines() if line.startswith("rung")]
    rungs = Counter(line.split("\t")[0] for line in printed)
    assert rungs == Counter({"rung 1": 4, "rung 2": 4, "rung 3": 4, "rung 4": 4})  # each printed by one process
    assert {line.split("\t")[1] for line in printed} == codes
    assert session.scalar(select(func.count()).select_from(Escalation)) == 16
    assert session.scalar(select(func.count()).select_from(ApologyLetter)) == 4
    messages = Counter(session.execute(select(Outbox.escalation_id, Outbox.channel, Outbox.recipient)).all())
    assert messages and max(messages.values()) == 1  # mail goes out, and never twice for one escalation
