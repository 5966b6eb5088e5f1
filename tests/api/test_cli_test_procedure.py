"""`motcua test-procedure PATH`: a line per scenario, a summary, exit 1 when one fails, 2 on unreadable input;
and the library's contract: at least 12 packages, `motcua validate workflows/` clean."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.cli import main
from api.commands.procedures import validate
from api.commands.scenarios import test_procedure as scenarios_command

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"


@pytest.fixture(autouse=True)
def _plain_settings(monkeypatch):
    for name in [n for n in os.environ if n.startswith("MOTCUA_")]:
        monkeypatch.delenv(name)


def run(path):
    return CliRunner().invoke(scenarios_command, [str(path)])


def test_the_library_validates_clean_with_at_least_twelve_packages():
    result = CliRunner().invoke(validate, [str(WORKFLOWS)])
    assert result.exit_code == 0, result.stdout
    count = int(result.stdout.splitlines()[-1].split(" in ")[1].split()[0])
    assert result.stdout.startswith("0 errors, 0 warnings") and count >= 12


def test_help_exists():
    result = CliRunner().invoke(main, ["test-procedure", "--help"])
    assert result.exit_code == 0 and "scenarios" in result.stdout


def test_a_package_s_scenarios_pass(tmp_path):
    result = run(WORKFLOWS / "certified-copy")
    assert result.exit_code == 0, result.stdout
    lines = result.stdout.splitlines()
    assert lines[-1] == "5 passed, 0 failed in 5 scenarios of 1 procedures"
    assert all(line.startswith("ok    ") for line in lines[:-1])


def test_a_wrong_expectation_fails_with_exit_1(tmp_path):
    package = tmp_path / "certified-copy"
    shutil.copytree(WORKFLOWS / "certified-copy", package)
    for extra in sorted((package / "scenarios").glob("*.toml"))[1:]:
        extra.unlink()
    first = next((package / "scenarios").glob("*.toml"))
    first.write_text(first.read_text(encoding="utf-8").replace('status = "returned"', 'status = "refused"'),
                     encoding="utf-8")
    result = run(package)
    assert result.exit_code == 1
    assert "FAIL" in result.stdout and "status: expected 'refused', got 'returned'" in result.stdout
    assert result.stdout.splitlines()[-1] == "0 passed, 1 failed in 1 scenarios of 1 procedures"


def test_unreadable_input_is_exit_2(tmp_path):
    assert run(tmp_path / "nothing").exit_code == 2
    package = tmp_path / "extract-copy"
    shutil.copytree(WORKFLOWS / "extract-copy", package)
    (package / "scenarios" / "bad.toml").write_text('name = "x"\n[reception]\nat = "yesterday"\n')
    result = run(package)
    assert result.exit_code == 2 and "bad.toml [reception] at" in result.stderr
