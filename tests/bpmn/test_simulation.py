"""engine.studio.simulation without a database: paths, budgets, timers, the legal extension, sampled history;
and `motcua simulate` (exit 1 when a path cannot fit)."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.commands.simulate import simulate_command
from bpmn.durations import Duration
from bpmn.package import PackageError, load_package, package_from_document, package_to_document
from engine.studio.simulation import simulate, timer_seconds

ROOT = Path(__file__).resolve().parents[2]
SIMPLE = ROOT / "tests" / "data" / "bpmn" / "valid" / "simple-permit"
WDS = 8 * 3600


@pytest.fixture(autouse=True)
def _plain_settings(monkeypatch):
    for name in [n for n in os.environ if n.startswith("MOTCUA_")]:
        monkeypatch.delenv(name)


def _copy(tmp_path, toml_edit=None, bpmn_edit=None) -> Path:
    folder = tmp_path / "simple-permit"
    shutil.copytree(SIMPLE, folder)
    for name, edit in (("procedure.toml", toml_edit), ("simple-permit.bpmn", bpmn_edit)):
        if edit:
            (folder / name).write_text(edit((folder / name).read_text(encoding="utf-8")), encoding="utf-8")
    return folder


def test_every_path_of_the_sample_with_its_budget():
    sim = simulate(load_package(SIMPLE), working_day_seconds=WDS)
    paths = {(p.label, p.end_status): p.seconds for p in sim.paths}
    # receive PT4H, examine P1D, sign PT4H; the supplement loop (back to receive) is cut
    assert paths == {
        ("receive → examine → sign → end_returned", "returned"): 4 * 3600 + WDS + 4 * 3600,
        ("receive → examine → end_refused", "refused"): 4 * 3600 + WDS,
    }
    assert sim.deadline_seconds == 3 * WDS and sim.ok and all(p.fits for p in sim.paths)
    assert sim.paths[0].seconds == max(paths.values())  # longest first


def test_a_path_over_the_deadline_fails_unless_the_law_extends_it(tmp_path):
    one_day = _copy(tmp_path, lambda t: t.replace("value = 3", "value = 1"))
    sim = simulate(load_package(one_day), working_day_seconds=WDS)
    assert not sim.ok and {p.fits for p in sim.paths} == {False}
    extended = simulate(load_package(one_day), working_day_seconds=WDS, extension=Duration(days=1))
    assert extended.ok and {(p.fits, p.fits_extended) for p in extended.paths} == {(False, True)}


def test_the_packages_own_extension_is_read_from_procedure_toml(tmp_path):
    folder = _copy(tmp_path, lambda t: t.replace("value = 3", "value = 1") + (
        '\n[extension]\nmax = "P1D"\nwhen_vi = "Cần xác minh thêm"\nbasis = "(test)"\n'))
    pkg = load_package(folder)
    assert pkg.meta.extension.max == Duration(days=1) and pkg.meta.extension.when_vi == "Cần xác minh thêm"
    assert simulate(pkg, working_day_seconds=WDS).ok
    again = package_from_document(json.loads(json.dumps(package_to_document(pkg))))
    assert again.meta == pkg.meta and again.checksum == pkg.checksum
    assert load_package(SIMPLE).checksum != pkg.checksum


@pytest.mark.parametrize(("extension", "fragment"), [('max = "2 days"', "[extension] max: '2 days' is not"),
                                                     ('max = "PT0S"', "[extension] max: must be more than zero"),
                                                     ('maximum = "P1D"', "[extension] maximum: unknown key")])
def test_a_bad_extension_names_its_key_and_line(tmp_path, extension, fragment):
    folder = _copy(tmp_path, lambda t: t + f"\n[extension]\n{extension}\n")
    if "unknown key" in fragment:  # a warning: the package loads, max is then missing (an error)
        fragment = "[extension] max: missing"
    with pytest.raises(PackageError) as exc:
        load_package(folder)
    assert any(fragment in str(p) and p.line is not None for p in exc.value.problems), str(exc.value)


@pytest.mark.parametrize(("expression", "seconds", "how"), [
    ('after_working_time("P2D")', 2 * WDS, "working time"),
    ('add_working_time(clock_started_at, "PT4H")', 4 * 3600, "working time"),
    ('"P7D"', 5 * WDS, "clock time, counted as working time"),
    ('"PT8H"', 8 * 3600, "clock time, counted as working time"),
    ("due_at", 0, "not readable"),
])
def test_timer_durations_are_read_in_working_time(expression, seconds, how):
    assert timer_seconds(expression, WDS) == (seconds, how)


def test_a_boundary_timer_is_the_path_on_which_it_fires(tmp_path):
    timer = ('<bpmn:boundaryEvent id="late" attachedToRef="examine"><bpmn:timerEventDefinition id="td">'
             '<bpmn:timeDate>after_working_time("P2D")</bpmn:timeDate></bpmn:timerEventDefinition>'
             '</bpmn:boundaryEvent><bpmn:sequenceFlow id="f_late" sourceRef="late" targetRef="end_refused" />')
    folder = _copy(tmp_path, bpmn_edit=lambda t: t.replace("</bpmn:process>", timer + "</bpmn:process>"))
    sim = simulate(load_package(folder), working_day_seconds=WDS)
    fired = [p for p in sim.paths if "late" in p.label]
    assert [(p.label, p.seconds) for p in fired] == [("receive → examine → late → end_refused", 4 * 3600 + 2 * WDS)]
    assert [s.seconds for s in fired[0].steps] == [4 * 3600, 0, 2 * WDS]  # examine is cut short by the timer


def test_history_gives_the_share_of_dossiers_on_time_per_path():
    pkg = load_package(SIMPLE)
    history = {"examine": [WDS] * 5 + [3 * WDS] * 5}  # half the examinations take three days
    sim = simulate(pkg, working_day_seconds=WDS, history=history, runs=2000, seed=1)
    by_label = {p.label: p for p in sim.paths}
    refused = by_label["receive → examine → end_refused"]
    assert refused.sampled_steps == 1 and 0.4 < refused.on_time_share < 0.6  # 4 h + 1 or 3 days, limit 3 days
    few = simulate(pkg, working_day_seconds=WDS, history={"examine": [3 * WDS] * 4}, runs=100)
    assert {p.sampled_steps for p in few.paths} == {0} and {p.on_time_share for p in few.paths} == {1.0}


def test_the_command_exits_1_when_a_path_cannot_fit(tmp_path):
    ok = CliRunner().invoke(simulate_command, [str(SIMPLE)])
    assert ok.exit_code == 0 and "2 paths, 0 too long" in ok.stdout
    late = _copy(tmp_path, lambda t: t.replace("value = 3", "value = 1"))
    result = CliRunner().invoke(simulate_command, [str(late)])
    assert result.exit_code == 1 and "TOO LONG" in result.stdout and "2 paths, 2 too long" in result.stdout
    data = json.loads(CliRunner().invoke(simulate_command, [str(late), "--json"]).stdout)
    assert data["ok"] is False and data["deadline_seconds"] == WDS and len(data["paths"]) == 2


def test_the_command_refuses_a_missing_path_and_a_folder_without_package(tmp_path):
    assert CliRunner().invoke(simulate_command, [str(tmp_path / "nope")]).exit_code == 2
    result = CliRunner().invoke(simulate_command, [str(tmp_path)])
    assert result.exit_code == 2 and "no procedure package" in result.stderr
    assert "--history" in CliRunner().invoke(simulate_command, ["--help"]).stdout
