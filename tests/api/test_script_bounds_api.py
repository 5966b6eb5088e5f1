"""Issue 10's stall over HTTP: while one official's completion evaluates a condition that would hold the
interpreter for 10 s, another official's `GET /auth/me` is answered at once, and the completion is a 422
naming the gateway within the sandbox's wall-clock bound, with nothing stored."""
from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest
from support import open_task, receive, restore_library

from bpmn.package import load_package
from engine.deploy import deploy_package
from engine.models import Dossier

SIMPLE = Path(__file__).resolve().parents[1] / "data" / "bpmn" / "valid" / "simple-permit"
STALL = "[[0] * 100000] * 100000 == [[0] * 100000] * 100000"


@pytest.fixture(autouse=True)
def _library_as_seeded(rt):
    yield
    restore_library(rt)


def test_a_stalling_condition_does_not_hold_other_requests(rt, session, users, client_for, tmp_path):
    folder = tmp_path / "stalling-permit"
    shutil.copytree(SIMPLE, folder)
    (folder / "simple-permit.bpmn").rename(folder / "stalling-permit.bpmn")
    for name, old, new in (("procedure.toml", 'slug = "simple-permit"', 'slug = "stalling-permit"'),
                           ("stalling-permit.bpmn", 'outcome == "accept"', STALL)):
        path = folder / name
        path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    deploy_package(rt, session, load_package(folder), actor=None, now=rt.clock.now())  # past validation
    session.commit()
    dossier = receive(rt, session, users, procedure="stalling-permit").dossier
    task = open_task(session, dossier.id)
    version = dossier.version
    reception, other = client_for("tanlap.reception"), client_for("tanlap.specialist")
    answer = {}

    def complete():
        started = time.perf_counter()
        answer["response"] = reception.post(f"/api/v1/tasks/{task.id}/complete", json={"data": {"outcome": "accept"}})
        answer["seconds"] = time.perf_counter() - started

    worker = threading.Thread(target=complete)
    worker.start()
    time.sleep(0.3)  # the completion is evaluating the condition now
    gaps, last = [], time.perf_counter()
    while worker.is_alive():  # the gap between answers counts any wait for the interpreter, even in sleep()
        assert other.get("/api/v1/auth/me").status_code == 200
        time.sleep(0.05)
        now = time.perf_counter()
        gaps.append(now - last)
        last = now
    worker.join()
    gaps.append(time.perf_counter() - last)
    assert len(gaps) > 3 and max(gaps) < 0.5, gaps
    response = answer["response"]
    assert response.status_code == 422, response.get_json()
    assert "gw_receive" in response.get_json()["detail"]
    assert answer["seconds"] < rt.settings.script_wall_seconds + 1.5
    session.expire_all()
    assert session.get(Dossier, dossier.id).version == version
    assert open_task(session, dossier.id).id == task.id
