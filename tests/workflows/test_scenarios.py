"""Every package's scenarios (workflows/<slug>/scenarios/*.toml), run by the engine on both databases.

Discovered, not listed: a package added to workflows/ with its scenarios is tested here with no Python test.
"""
from __future__ import annotations

import pytest
from support import WORKFLOWS

from engine.scenarios import load_scenario, run_scenario, scenario_files

CASES = [pytest.param(f.parent.parent.name, f, id=f"{f.parent.parent.name}/{f.stem}")
         for folder in sorted(p.parent for p in WORKFLOWS.glob("*/procedure.toml")) for f in scenario_files(folder)]


@pytest.mark.parametrize("slug, path", CASES)
def test_scenario(rt, session, slug, path):
    outcome = run_scenario(rt, session, slug, load_scenario(path))
    assert outcome.ok, "\n".join(outcome.failures)


def test_every_package_has_scenarios():
    folders = sorted(p.parent for p in WORKFLOWS.glob("*/procedure.toml"))
    assert len(folders) >= 12
    assert [f.name for f in folders if not scenario_files(f)] == []
