"""Deploying versions, and diagrams that try to escape the script policy."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from samples import HH_APPROVE, SIGN_APPROVE
from sqlalchemy import select
from support import act, open_task, receive, restore_library

from bpmn.package import load_package
from engine import dossiers
from engine.deploy import deploy_package, deploy_path
from engine.errors import InvalidInput, NotFound, WorkflowError
from engine.models import Agency, Dossier, Procedure, ProcedureVersion

ROOT = Path(__file__).resolve().parents[2]
SIMPLE = ROOT / "tests" / "data" / "bpmn" / "valid" / "simple-permit"
LEAK = ROOT / "var" / "leaked-by-script.txt"


@pytest.fixture(autouse=True)
def _library_as_seeded(rt):
    """Leave the database's procedures as the suite seeded them: these tests deploy others."""
    yield
    restore_library(rt)


def test_redeploying_an_unchanged_library_adds_no_version(rt, session):
    before = session.scalars(select(ProcedureVersion.id)).all()
    result = deploy_path(rt, session, ROOT / "workflows", actor=None, now=rt.clock.now())
    assert {d.is_new for d in result} == {False}
    assert session.scalars(select(ProcedureVersion.id)).all() == before


def test_running_dossiers_stay_on_their_version(rt, session, users, tmp_path):
    old = receive(rt, session, users).dossier
    old_version = session.get(ProcedureVersion, old.procedure_version_id).version
    copy = tmp_path / "household-business"
    shutil.copytree(ROOT / "workflows" / "household-business", copy)
    bpmn = copy / "household-business.bpmn"
    bpmn.write_text(bpmn.read_text(encoding="utf-8").replace('value="P1DT4H"', 'value="P1D"'), encoding="utf-8")
    [deployment] = deploy_path(rt, session, copy, actor=None, now=rt.clock.now())
    session.commit()
    try:
        assert deployment.is_new and deployment.version >= 2
        new = receive(rt, session, users).dossier
        assert new.procedure_version_id != old.procedure_version_id
        assert open_task(session, new.id).budget == "P1D"
        assert open_task(session, old.id).budget == "P1DT4H"
        act(rt, session, users, old.id, "examine", HH_APPROVE)
        act(rt, session, users, old.id, "sign", SIGN_APPROVE)
        assert open_task(session, old.id).bpmn_id == "issue"
    finally:  # deploying the library's files again reinstates its version for the other tests
        session.rollback()
        again = deploy_package(rt, session, load_package(ROOT / "workflows" / "household-business"), actor=None,
                               now=rt.clock.now())
        session.commit()
    assert (again.outcome, again.version) == ("reinstated", old_version)
    assert receive(rt, session, users).dossier.procedure_version_id == old.procedure_version_id


def _copy_of_simple(tmp_path, slug: str) -> tuple[Path, Path]:
    """The simple-permit package under another slug: its folder and its diagram, to edit."""
    folder = tmp_path / slug
    shutil.copytree(SIMPLE, folder)
    (folder / "simple-permit.bpmn").rename(folder / f"{slug}.bpmn")
    toml = (folder / "procedure.toml").read_text(encoding="utf-8")
    (folder / "procedure.toml").write_text(toml.replace('slug = "simple-permit"', f'slug = "{slug}"'),
                                           encoding="utf-8")
    return folder, folder / f"{slug}.bpmn"


def _malicious_package(tmp_path) -> Path:
    folder, bpmn = _copy_of_simple(tmp_path, "leaky-permit")
    script = f'import os\nopen("{LEAK}", "w").write(str(os.listdir("/")))'
    text = bpmn.read_text(encoding="utf-8")
    start = text.index("<bpmn:script>") + len("<bpmn:script>")
    bpmn.write_text(text[:start] + script + text[text.index("</bpmn:script>"):], encoding="utf-8")
    return folder


def test_a_script_that_imports_os_is_refused_at_deploy(rt, session, tmp_path):
    with pytest.raises(InvalidInput) as exc:
        deploy_path(rt, session, _malicious_package(tmp_path), actor=None, now=rt.clock.now())
    assert any("compute_fee" in line and "import" in line for line in exc.value.errors["problems"])
    session.rollback()
    assert session.scalars(select(Procedure).where(Procedure.slug == "leaky-permit")).first() is None


def test_a_script_forced_into_the_database_is_refused_at_run_time(rt, session, users, tmp_path):
    LEAK.unlink(missing_ok=True)
    deploy_package(rt, session, load_package(_malicious_package(tmp_path)), actor=None, now=rt.clock.now())
    session.commit()
    d = receive(rt, session, users, procedure="leaky-permit").dossier
    act(rt, session, users, d.id, "receive", {"outcome": "accept", "documents": ["a"]})
    examine = open_task(session, d.id)
    version = d.version
    with pytest.raises(WorkflowError) as exc:
        dossiers.complete_task(rt, session, examine.id, {"outcome": "approve"},
                               actor=users["tanlap.specialist"], now=rt.clock.now())
    session.rollback()
    assert "compute_fee" in str(exc.value.detail)
    assert not LEAK.exists()
    session.expire_all()
    assert session.get(Dossier, d.id).version == version
    assert open_task(session, d.id).id == examine.id


def test_a_condition_forced_into_the_database_says_what_it_refused(rt, session, users, tmp_path):
    folder, bpmn = _copy_of_simple(tmp_path, "greedy-permit")
    bpmn.write_text(bpmn.read_text(encoding="utf-8").replace('outcome == "accept"',
                                                             'len(note * 100000000) > 0'), encoding="utf-8")
    deploy_package(rt, session, load_package(folder), actor=None, now=rt.clock.now())  # past validation
    session.commit()
    d = receive(rt, session, users, procedure="greedy-permit").dossier
    task = open_task(session, d.id)
    with pytest.raises(WorkflowError) as exc:
        dossiers.complete_task(rt, session, task.id, {"outcome": "accept", "note": "x"},
                               actor=users["tanlap.reception"], now=rt.clock.now())
    session.rollback()
    assert "would build a str of 100,000,000 items" in exc.value.detail, exc.value.detail
    session.expire_all()
    assert open_task(session, d.id).id == task.id


def test_an_inter_agency_lane_sends_the_step_to_the_nearest_agency_of_that_kind(rt, session, users, tmp_path):
    folder, bpmn = _copy_of_simple(tmp_path, "police-permit")
    bpmn.write_text(bpmn.read_text(encoding="utf-8").replace('name="specialist"', 'name="police:specialist"'),
                    encoding="utf-8")
    deploy_path(rt, session, folder, actor=None, now=rt.clock.now())
    session.commit()
    d = receive(rt, session, users, procedure="police-permit").dossier
    act(rt, session, users, d.id, "receive", {"outcome": "accept", "documents": ["a"]})
    examine = open_task(session, d.id)
    police = session.scalars(select(Agency).where(Agency.kind == "police")).one()
    assert (examine.agency_id, examine.role) == (police.id, "specialist")
    with pytest.raises(NotFound):  # the police's task: outside the commune official's agencies
        dossiers.complete_task(rt, session, examine.id, {"outcome": "approve"}, actor=users["tanlap.specialist"],
                               now=rt.clock.now())
