"""Diagrams forced past validation cannot crash or stall the server (issue 10): each bad diagram is a
WorkflowError (HTTP 422) naming its element, nothing is stored, and other requests are answered meanwhile."""
from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from support import act, open_task, receive, restore_library

from bpmn.package import load_package
from engine import dossiers
from engine.deploy import deploy_package
from engine.errors import WorkflowError
from engine.models import Dossier, Task

ROOT = Path(__file__).resolve().parents[2]
SIMPLE = ROOT / "tests" / "data" / "bpmn" / "valid" / "simple-permit"
SLACK = 1.5  # past the wall-clock bound: killing the helper, a loaded machine


@pytest.fixture(autouse=True)
def _library_as_seeded(rt):
    yield
    restore_library(rt)


def _forced(rt, session, tmp_path, slug: str, *replacements: tuple[str, str]) -> str:
    """simple-permit with text replaced, deployed past validation (as a row forced into the database)."""
    folder = tmp_path / slug
    shutil.copytree(SIMPLE, folder)
    bpmn = folder / f"{slug}.bpmn"
    (folder / "simple-permit.bpmn").rename(bpmn)
    toml = folder / "procedure.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('slug = "simple-permit"', f'slug = "{slug}"'),
                    encoding="utf-8")
    diagram = bpmn.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in diagram, old
        diagram = diagram.replace(old, new)
    bpmn.write_text(diagram, encoding="utf-8")
    deploy_package(rt, session, load_package(folder), actor=None, now=rt.clock.now())
    session.commit()
    return slug


def _refused(rt, session, users, dossier_id: int, data: dict) -> tuple[WorkflowError, float]:
    """Complete the dossier's open task with `data`: it must be refused, with nothing stored."""
    task = open_task(session, dossier_id)
    version = session.get(Dossier, dossier_id).version
    tasks_before = session.scalar(select(Task.id).where(Task.dossier_id == dossier_id).order_by(Task.id.desc()))
    started = time.perf_counter()
    with pytest.raises(WorkflowError) as info:
        dossiers.complete_task(rt, session, task.id, data, actor=users[f"tanlap.{task.role}"], now=rt.clock.now())
    elapsed = time.perf_counter() - started
    session.rollback()
    session.expire_all()
    assert session.get(Dossier, dossier_id).version == version
    assert open_task(session, dossier_id).id == task.id
    assert session.scalar(select(Task.id).where(Task.dossier_id == dossier_id).order_by(Task.id.desc())) == \
        tasks_before
    return info.value, elapsed


STALL = "[[0] * 100000] * 100000 == [[0] * 100000] * 100000"


def test_a_stalling_gateway_condition_is_a_422_within_the_bound_and_others_are_answered(rt, session, users,
                                                                                         tmp_path):
    slug = _forced(rt, session, tmp_path, "stalling-permit", ('outcome == "accept"', STALL))
    d = receive(rt, session, users, procedure=slug).dossier
    latencies, stop = [], threading.Event()

    def another_official():  # another request of this process, with its own session, while the bad one runs
        last = time.perf_counter()
        while not stop.is_set():
            with rt.sessions() as s:
                assert s.get(Dossier, d.id) is not None
            time.sleep(0.02)
            now = time.perf_counter()  # the gap counts any wait for the interpreter, even in sleep()
            latencies.append(now - last)
            last = now

    other = threading.Thread(target=another_official)
    other.start()
    try:
        error, elapsed = _refused(rt, session, users, d.id, {"outcome": "accept"})
    finally:
        stop.set()
        other.join()
    assert error.extra["element_id"] == "gw_receive"
    assert "gw_receive" in error.detail and "(the bound); the evaluation was killed" in error.detail, error.detail
    assert elapsed < rt.settings.script_wall_seconds + SLACK
    assert len(latencies) > 10 and max(latencies) < 0.5, max(latencies)


def test_a_script_leaving_a_generator_is_a_422_naming_the_task(rt, session, users, tmp_path):
    slug = _forced(rt, session, tmp_path, "generator-permit",
                   ("lines = []\nfor doc in documents:\n    lines.append(doc.upper())", "g = (d for d in documents)"))
    d = receive(rt, session, users, procedure=slug).dossier
    act(rt, session, users, d.id, "receive", {"outcome": "accept", "documents": ["a"]})
    error, _ = _refused(rt, session, users, d.id, {"outcome": "approve"})
    assert error.extra["element_id"] == "compute_fee" and "a generator" in error.detail, error.detail


def test_a_script_gateway_cycle_is_refused_at_the_engine_step_bound(rt, session, users, tmp_path):
    cycle = ('<bpmn:sequenceFlow id="f_fee" sourceRef="compute_fee" targetRef="sign" />',
             '<bpmn:sequenceFlow id="f_fee" sourceRef="compute_fee" targetRef="gw_loop" />'
             '<bpmn:exclusiveGateway id="gw_loop" default="f_out" />'
             '<bpmn:sequenceFlow id="f_again" sourceRef="gw_loop" targetRef="compute_fee">'
             '<bpmn:conditionExpression>fee &gt; 0</bpmn:conditionExpression></bpmn:sequenceFlow>'
             '<bpmn:sequenceFlow id="f_out" sourceRef="gw_loop" targetRef="sign" />')
    slug = _forced(rt, session, tmp_path, "cycling-permit", cycle)
    d = receive(rt, session, users, procedure=slug).dossier
    act(rt, session, users, d.id, "receive", {"outcome": "accept", "documents": ["a"]})
    error, _ = _refused(rt, session, users, d.id, {"outcome": "approve"})
    assert f"more than {rt.settings.max_engine_steps} engine steps" in error.detail, error.detail
    assert error.extra["element_id"] in ("compute_fee", "gw_loop")


def test_a_multi_instance_over_the_ceiling_is_refused_before_its_instances_exist(rt, session, users, tmp_path):
    many = ('</bpmn:userTask>\n    <bpmn:sequenceFlow id="f_examine"',
            '<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>3000</bpmn:loopCardinality>'
            '</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>\n    <bpmn:sequenceFlow id="f_examine"')
    slug = _forced(rt, session, tmp_path, "many-permit", many)
    d = receive(rt, session, users, procedure=slug).dossier
    error, elapsed = _refused(rt, session, users, d.id, {"outcome": "accept"})
    assert "loopCardinality 3000" in error.detail and "ceiling of 1000" in error.detail, error.detail
    assert error.extra["element_id"] == "examine"
    assert elapsed < 2


def test_a_dossier_left_with_nothing_to_wait_for_is_refused(rt, session, users, tmp_path):
    # examine becomes a message catch event nobody sends: the dossier would stay "processing" for ever
    waits = ('<bpmn:userTask id="examine" name="Thẩm định hồ sơ">',
             '<bpmn:intermediateCatchEvent id="examine" name="Chờ tin"><bpmn:messageEventDefinition '
             'messageRef="never" /></bpmn:intermediateCatchEvent><bpmn:userTask id="examine_unused" name="x">')
    message = ('<bpmn:process id="simple_permit"', '<bpmn:message id="never" name="never" />'
               '<bpmn:process id="simple_permit"')
    slug = _forced(rt, session, tmp_path, "stranded-permit", waits, message)
    d = receive(rt, session, users, procedure=slug).dossier
    error, _ = _refused(rt, session, users, d.id, {"outcome": "accept"})
    assert "no open step, pause or waiting timer" in error.detail, error.detail
    assert error.extra["element_id"] == "examine"


def test_add_working_time_over_ten_years_is_a_quick_422(rt, session, users, tmp_path):
    slug = _forced(rt, session, tmp_path, "eternal-permit",
                   ("lines = []\nfor doc in documents:\n    lines.append(doc.upper())",
                    'due = add_working_time(received_at, "PT99999999H")'))
    d = receive(rt, session, users, procedure=slug).dossier
    act(rt, session, users, d.id, "receive", {"outcome": "accept", "documents": ["a"]})
    error, elapsed = _refused(rt, session, users, d.id, {"outcome": "approve"})
    assert error.extra["element_id"] == "compute_fee" and "ten years" in error.detail, error.detail
    assert elapsed < 1
