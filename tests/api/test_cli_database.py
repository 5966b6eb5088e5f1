"""The CLI acts on the database the demo serves, and refuses an unmigrated one in one line."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.commands.db import deploy
from api.commands.serve import DEMO_DATABASE
from api.commands.watch import escalate
from config import load_settings

ROOT = Path(__file__).resolve().parents[2]


def motcua(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-c", "from api.cli import main; main()", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_default_database_is_the_one_the_demo_serves(monkeypatch):
    monkeypatch.delenv("MOTCUA_DATABASE_URL", raising=False)
    monkeypatch.delenv("MOTCUA_CONFIG", raising=False)
    assert load_settings().database_url == f"sqlite:///{DEMO_DATABASE.as_posix()}"


def test_after_the_demo_escalate_and_deploy_act_on_its_database(tmp_path):
    made = motcua("demo", "--no-serve", "--workflows", str(ROOT / "workflows"), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    scan = motcua("escalate", "--now", "2030-01-02T09:00:00+07:00", cwd=tmp_path)
    assert scan.returncode == 0, scan.stderr
    assert "rung 4" in scan.stdout  # the demo's dossiers, long overdue by 2030
    again = motcua("deploy", str(ROOT / "workflows"), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "unchanged" in again.stdout
    assert not (tmp_path / "var" / "motcua.db").exists()


@pytest.mark.parametrize("command", [(escalate, ["--now", "2026-03-02T09:00:00+07:00"]), (deploy, [str(ROOT / "workflows")])],
                         ids=["escalate", "deploy"])
def test_a_database_without_migrations_is_one_error_line_naming_db_upgrade(tmp_path, monkeypatch, command):
    cmd, args = command
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    for url in (f"sqlite:///{empty}", f"sqlite:///{tmp_path / 'absent.db'}"):
        monkeypatch.setenv("MOTCUA_DATABASE_URL", url)
        result = CliRunner().invoke(cmd, args)
        assert result.exit_code == 2, result.output
        [line] = result.stderr.splitlines()
        assert line.startswith("error: database ") and "`motcua db upgrade`" in line
    assert not (tmp_path / "absent.db").exists()
