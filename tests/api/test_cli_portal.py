"""`motcua portal ...` and `motcua import-catalog` as commands, against a stand-in portal."""
from __future__ import annotations

import json

from click.testing import CliRunner
from portal_standin import Standin, dossier_message, ensure_account

from api.cli import main


def test_the_commands_exist():
    runner = CliRunner()
    for args in (["portal", "--help"], ["import-catalog", "--help"]):
        result = runner.invoke(main, args)
        assert result.exit_code == 0 and "Usage:" in result.output


def test_take_push_reconcile_and_rejected(rt, db_url, monkeypatch, tmp_path):
    ensure_account(rt)
    monkeypatch.setenv("MOTCUA_DATABASE_URL", db_url)
    inbox = tmp_path / "inbox.jsonl"
    inbox.write_text("\n".join([json.dumps(dossier_message("CLI-1"), ensure_ascii=False),
                                json.dumps(dossier_message("CLI-2", MaTTHC="")), "{broken"]), encoding="utf-8")
    runner = CliRunner()
    with Standin() as standin:
        monkeypatch.setenv("MOTCUA_PORTAL_URL", standin.url)
        taken = runner.invoke(main, ["portal", "take", str(inbox)])
        assert taken.exit_code == 1  # something was refused
        assert taken.stdout.startswith("CLI-1\ttaken\t000.01.31.H26-")
        assert f"{inbox}:2: CLI-2: refused: the portal dossier is malformed (MaTTHC: required)" in taken.output
        assert f"{inbox}:3: -: refused: not JSON" in taken.output
        behind = runner.invoke(main, ["portal", "reconcile"])
        assert behind.exit_code == 1 and "missing\tCLI-1" in behind.stdout
        pushed = runner.invoke(main, ["portal", "push"])
        assert pushed.exit_code == 0 and pushed.stdout.startswith("3 sent, 0 failed")
        assert standin.statuses("CLI-1") == ["2", "4"]
        assert runner.invoke(main, ["portal", "reconcile"]).exit_code == 0
        listed = runner.invoke(main, ["portal", "rejected"]).stdout
        assert "CLI-2" in listed and "MaTTHC: required" in listed and "not JSON" in listed
