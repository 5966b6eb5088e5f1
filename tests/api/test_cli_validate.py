"""`motcua validate PATH`: one line per problem, a summary line, exit 1 on errors, 2 on a missing path."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.commands.procedures import validate

DATA = Path(__file__).resolve().parents[1] / "data" / "bpmn"
WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
LINE = re.compile(r"^\S+?(:\d+)?: (\[[^\]]+\] )?.+ \((error|warning)\)$")
SUMMARY = re.compile(r"^(\d+) errors?, (\d+) warnings? in (\d+) procedures?$")


@pytest.fixture(autouse=True)
def _plain_settings(monkeypatch):
    """Run on the default settings, whatever the developer's environment says."""
    for name in [n for n in os.environ if n.startswith("MOTCUA_")]:
        monkeypatch.delenv(name)


def run(path: Path | str):
    return CliRunner().invoke(validate, [str(path)])


def test_a_valid_package_passes():
    result = run(DATA / "valid" / "simple-permit")
    *lines, summary = result.stdout.splitlines()
    # the sample keeps its reception step, written before the rule that warns about it
    assert [line.split(": [", 1)[1].startswith("receive] a reception step inside the diagram") for line in lines] \
        == [True]
    assert (result.exit_code, summary, result.stderr) == (0, "0 errors, 1 warning in 1 procedure", "")


def test_the_broken_corpus_fails_with_one_line_per_problem():
    result = run(DATA / "broken" / "packages")
    assert result.exit_code == 1
    *lines, summary = result.stdout.splitlines()
    assert all(LINE.match(line) for line in lines), [line for line in lines if not LINE.match(line)]
    errors, warnings, count = map(int, SUMMARY.match(summary).groups())
    assert errors == sum(line.endswith("(error)") for line in lines) > 0
    assert warnings == sum(line.endswith("(warning)") for line in lines) > 0
    assert count == len([p for p in (DATA / "broken" / "packages").iterdir() if p.is_dir()])
    unit = "toml-deadline-unit-weeks/procedure.toml:14: [deadline] unit: 'weeks' is not one of"
    assert any(unit in line for line in lines)


def test_the_whole_corpus_tree_is_checked():
    result = run(DATA)
    assert result.exit_code == 1
    errors, warnings, count = map(int, SUMMARY.match(result.stdout.splitlines()[-1]).groups())
    loose = [p for p in DATA.rglob("*.bpmn") if not (p.parent / "procedure.toml").exists()]
    packages = list(DATA.rglob("procedure.toml"))
    assert count == len(loose) + len(packages) and errors > len(loose) / 2


def test_one_broken_diagram_fails():
    result = run(DATA / "broken" / "diagrams" / "gateway-outcome-not-covered.bpmn")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == "1 error, 0 warnings in 1 procedure"
    assert "gateway-outcome-not-covered.bpmn:24: [gw] no default flow" in result.stdout


def test_warnings_alone_pass():
    result = run(DATA / "broken" / "packages" / "budget-over-deadline")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == "0 errors, 2 warnings in 1 procedure"  # + its reception step
    assert result.stdout.splitlines()[0].endswith("(warning)")


def test_a_missing_path_is_one_line_and_exit_2(tmp_path):
    result = run(tmp_path / "nope")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"error: {tmp_path / 'nope'}: no such file or folder\n"


def test_the_configured_roles_are_used(monkeypatch):
    monkeypatch.setenv("MOTCUA_ORGANIZATION_ROLES", '["reception", "specialist"]')
    result = run(DATA / "valid" / "simple-permit")
    assert result.exit_code == 1
    assert "unknown role 'leader'" in result.stdout


@pytest.mark.skipif(not any(WORKFLOWS.glob("*/procedure.toml")), reason="no procedure in workflows/ yet")
def test_the_procedure_library_passes():
    result = run(WORKFLOWS)
    assert result.exit_code == 0, result.stdout


def test_a_folder_with_a_diagram_but_no_procedure_toml_is_an_error(tmp_path):
    folder = tmp_path / "marriage"
    folder.mkdir()
    (folder / "marriage.bpmn").write_text((DATA / "valid" / "inter-agency-subprocess.bpmn").read_text(encoding="utf-8"),
                                          encoding="utf-8")
    result = run(folder)
    assert result.exit_code == 1
    assert "marriage/procedure.toml: missing: marriage/ holds a diagram but no procedure.toml" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("1 error,")


def test_the_organisation_option_reads_the_agencies_of_the_database(tmp_path, monkeypatch, db_url):
    package = tmp_path / "simple-permit"
    import shutil
    shutil.copytree(DATA / "valid" / "simple-permit", package)
    bpmn = package / "simple-permit.bpmn"
    bpmn.write_text(bpmn.read_text(encoding="utf-8").replace('name="leader"', 'name="justice:leader"'),
                    encoding="utf-8")
    assert run(package).exit_code == 0  # justice is a configured kind
    monkeypatch.setenv("MOTCUA_DATABASE_URL", db_url)
    result = CliRunner().invoke(validate, [str(package), "--organisation"])
    assert result.exit_code == 1 and "no agency of kind 'justice' exists in this organisation" in result.stdout


def test_the_organisation_option_on_a_database_without_schema_is_exit_2(tmp_path, monkeypatch):
    monkeypatch.setenv("MOTCUA_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    result = CliRunner().invoke(validate, [str(DATA / "valid" / "simple-permit"), "--organisation"])
    assert result.exit_code == 2 and result.stderr.startswith("error: --organisation: cannot read the database")
