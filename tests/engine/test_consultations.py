"""Consultations (issue 15 item 3): several agencies asked at once, each with its own deadline, inbox and
answer; the procedure's silence rule applied by the scheduler on the injected clock, once."""
from __future__ import annotations

import datetime as dt
import shutil
import threading

import pytest
from sqlalchemy import select
from support import WORKFLOWS, receive

from bpmn.package import read_meta
from bpmn.validation import validate_package
from engine import consultations, dossiers
from engine.errors import Conflict
from engine.models import Agency, AuditEvent, Dossier, Task, User

PERMIT = "construction-permit-house"
EXAMINED = {"outcome": "approve", "site_address": "thôn Đông, xã Tân Lập", "land_parcel": "Thửa 112, tờ bản đồ 7",
            "floors": 3, "floor_area_m2": 240.5, "site_checked_on": "2026-03-04", "planning_compliant": True}


def _open(session, dossier_id) -> dict[str, Task]:
    session.expire_all()
    rows = session.scalars(select(Task).where(Task.dossier_id == dossier_id, Task.state.in_(("ready", "claimed"))))
    return {t.bpmn_id: t for t in rows}


def _consulting(rt, session, users) -> int:
    """A permit dossier examined and approved: its two consultation steps are open."""
    d = receive(rt, session, users, procedure=PERMIT).dossier
    task = _open(session, d.id)["examine"]
    dossiers.complete_task(rt, session, task.id, EXAMINED, actor=users["tanlap.specialist"], now=rt.clock.now())
    session.commit()
    return d.id


def test_each_consulted_agency_gets_its_own_step_inbox_and_deadline(rt, session, users):
    dossier_id = _consulting(rt, session, users)
    steps = _open(session, dossier_id)
    assert sorted(steps) == ["consult_land", "consult_police"]
    kinds = {step: session.get(Agency, t.agency_id).kind for step, t in steps.items()}
    assert kinds == {"consult_police": "police", "consult_land": "land_registry"}
    # P1D and PT4H of working time from the same start: two different deadlines
    assert steps["consult_land"].due_at < steps["consult_police"].due_at
    # an official of the commune cannot answer for the police
    with pytest.raises(Exception) as refused:
        dossiers.complete_task(rt, session, steps["consult_police"].id, {"outcome": "agree"},
                               actor=users["tanlap.specialist"], now=rt.clock.now())
    session.rollback()
    assert type(refused.value).__name__ in ("Forbidden", "NotFound")


def test_two_agencies_answering_at_once_lose_nothing(rt, session, users):
    dossier_id = _consulting(rt, session, users)
    steps = _open(session, dossier_id)
    answers = {"consult_police": ("conganxa.specialist", {"outcome": "disagree", "letter_number": "15/PCCC",
                                                          "opinion": "Thiếu lối thoát nạn."}),
               "consult_land": ("vpdk.specialist", {"outcome": "agree", "letter_number": "08/VPĐK"})}
    order = sorted(answers)
    officials = {step: users[name].id for step, (name, _data) in answers.items()}
    barrier = threading.Barrier(2)
    conflicts = []

    def answer(i):
        step = order[i]
        barrier.wait()
        for _attempt in range(10):  # the agency's page answers 409 to the slower one: it sends again
            with rt.sessions() as s:
                try:
                    dossiers.complete_task(rt, s, steps[step].id, dict(answers[step][1]),
                                           actor=s.get(User, officials[step]), now=rt.clock.now())
                    s.commit()
                    return
                except Conflict:
                    s.rollback()
                    conflicts.append(step)
        raise AssertionError(f"{step} never got through")

    threads = [threading.Thread(target=answer, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    left = _open(session, dossier_id)
    assert sorted(left) == ["review"]  # the join waited for both
    dossier = session.get(Dossier, dossier_id)
    kept = consultations.dossiers_data(rt, session, dossier)
    assert kept["consult_police"] == answers["consult_police"][1]
    assert kept["consult_land"] == answers["consult_land"][1]
    got = {a.step: (a.state, a.outcome) for a in consultations.answers(rt, session, dossier)}
    assert got == {"consult_police": ("answered", "disagree"), "consult_land": ("answered", "agree")}


def test_a_silent_agency_past_its_deadline_gets_the_rule_once(rt, session, users, clock):
    dossier_id = _consulting(rt, session, users)
    steps = _open(session, dossier_id)
    land_due = steps["consult_land"].due_at
    dossiers.complete_task(rt, session, steps["consult_police"].id, {"outcome": "agree"},
                           actor=users["conganxa.specialist"], now=rt.clock.now())
    session.commit()
    # before the land registry's deadline: nothing happens
    assert consultations.apply_silence(rt, land_due - dt.timedelta(minutes=1)) == 0
    assert sorted(_open(session, dossier_id)) == ["consult_land"]
    # past it: the rule (silence counts as agreement) applies, once, however often the scheduler runs
    later = land_due + dt.timedelta(minutes=1)
    clock.set(later)
    assert consultations.apply_silence(rt, later) == 1
    assert consultations.apply_silence(rt, later) == 0
    assert consultations.apply_silence(rt, later + dt.timedelta(days=3)) == 0
    assert sorted(_open(session, dossier_id)) == ["review"]
    events = session.scalars(select(AuditEvent).where(AuditEvent.dossier_id == dossier_id,
                                                      AuditEvent.action == "consultation_silence")).all()
    assert [(e.detail["step"], e.detail["outcome"], e.actor_id) for e in events] == [("consult_land", "agree", None)]
    dossier = session.get(Dossier, dossier_id)
    kept = consultations.dossiers_data(rt, session, dossier)
    assert kept["consult_land"]["silent"] is True and kept["consult_land"]["outcome"] == "agree"
    assert kept["consult_police"] == {"outcome": "agree"}
    got = {a.step: a.state for a in consultations.answers(rt, session, dossier)}
    assert got == {"consult_police": "answered", "consult_land": "silent"}
    land = session.scalars(select(Task).where(Task.dossier_id == dossier_id, Task.bpmn_id == "consult_land")).one()
    assert land.state == "completed" and land.completed_by_id is None and land.outcome == "agree"


def test_an_agency_answering_after_the_rule_applied_is_refused(rt, session, users):
    dossier_id = _consulting(rt, session, users)
    land = _open(session, dossier_id)["consult_land"]
    assert consultations.apply_silence(rt, land.due_at + dt.timedelta(seconds=1)) == 1
    with pytest.raises(Conflict):
        dossiers.complete_task(rt, session, land.id, {"outcome": "disagree"}, actor=users["vpdk.specialist"],
                               now=land.due_at + dt.timedelta(minutes=5))
    session.rollback()


BASE = {"slug": "x", "code": "1.000001", "process_id": "x", "name_vi": "x", "name_en": "x", "level": "commune",
        "field": "x", "agency_kind": "commune", "pause_rule": "resume", "channels": ["counter"],
        "result_delivery": ["counter"], "deadline": {"unit": "working_days", "value": 5}}


def test_procedure_toml_refuses_a_silence_rule_without_its_legal_basis():
    meta, found = read_meta({**BASE, "consultations": [{"task": "ask", "on_silence": "agree"}]}, "x")
    assert meta is None
    assert any(where == "consultations #1" and key == "basis" for where, key, _m, s in found if s == "error")
    meta, found = read_meta({**BASE, "consultations": [{"task": "ask", "on_silence": "maybe"}]}, "x")
    assert meta is None and any(key == "on_silence" for _w, key, _m, _s in found)
    meta, _found = read_meta({**BASE, "consultations": [{"task": "ask", "on_silence": "none"}]}, "x")
    assert meta.consultations[0].on_silence == "none" and meta.consultations[0].sure is False


def _problems(tmp_path, edit_bpmn=lambda s: s, edit_toml=lambda s: s):
    folder = tmp_path / PERMIT
    shutil.copytree(WORKFLOWS / PERMIT, folder)
    diagram, toml = folder / f"{PERMIT}.bpmn", folder / "procedure.toml"
    diagram.write_text(edit_bpmn(diagram.read_text(encoding="utf-8")), encoding="utf-8")
    toml.write_text(edit_toml(toml.read_text(encoding="utf-8")), encoding="utf-8")
    return [p for p in validate_package(folder) if p.is_error]


def test_the_validator_checks_each_consultation_step(tmp_path):
    assert _problems(tmp_path / "as-is") == []
    no_branch = _problems(tmp_path / "branch", edit_bpmn=lambda s: s.replace(
        '<spiffworkflow:property name="branch" value="consult_land" />', ""))
    assert [(p.element_id, "branch" in p.message) for p in no_branch] == [("consult_land", True)]
    unknown = _problems(tmp_path / "task", edit_toml=lambda s: s.replace('task = "consult_land"', 'task = "ask_land"'))
    assert len(unknown) == 1 and unknown[0].file.endswith("procedure.toml") and "'ask_land'" in unknown[0].message
    silence = _problems(tmp_path / "outcome", edit_toml=lambda s: s.replace('on_silence = "agree"',
                                                                           'on_silence = "disagree"', 1),
                        edit_bpmn=lambda s: s.replace('value="agree,disagree"', 'value="agree,other"', 1))
    assert any(p.element_id == "consult_police" and "'disagree'" in p.message for p in silence)
