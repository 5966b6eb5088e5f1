"""The lease (one runner at a time), the scheduler's job registration, and BPMN timers fired by the job."""
from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from pathlib import Path

import pytest
from sqlalchemy import select
from support import agency_id, at

from engine import dossiers, jobs, lease, scheduler, timers
from engine.deploy import deploy_path
from engine.models import AuditEvent, Dossier, Outbox, Task

UTC = dt.UTC


def test_a_lease_is_held_by_one_runner_at_a_time(rt):
    with lease.held(rt, "probe") as first:
        assert first
        outcome = []
        # another thread (its own connection, as another process would have) is refused meanwhile
        worker = threading.Thread(target=lambda: outcome.append(lease.held(rt, "probe").__enter__()))
        worker.start()
        worker.join()
        assert outcome == [False]
    with lease.held(rt, "probe") as again:
        assert again


def test_a_lease_row_of_a_crashed_holder_is_taken_over_once_expired(rt, session):
    t0, ttl = dt.datetime(2026, 3, 2, 2, 0, tzinfo=UTC), dt.timedelta(minutes=5)
    assert lease.take_row(session, "lease:probe", "a", t0, ttl)
    session.commit()
    assert not lease.take_row(session, "lease:probe", "b", t0 + dt.timedelta(minutes=4, seconds=59), ttl)
    assert lease.take_row(session, "lease:probe", "a", t0 + dt.timedelta(minutes=4), ttl)  # renewal
    assert not lease.take_row(session, "lease:probe", "b", t0 + dt.timedelta(minutes=8, seconds=59), ttl)
    assert lease.take_row(session, "lease:probe", "b", t0 + dt.timedelta(minutes=9), ttl)  # a never came back
    lease.release_row(session, "lease:probe", "a")  # too late: no longer a's
    assert not lease.take_row(session, "lease:probe", "c", t0 + dt.timedelta(minutes=10), ttl)
    lease.release_row(session, "lease:probe", "b")
    assert lease.take_row(session, "lease:probe", "c", t0 + dt.timedelta(minutes=10), ttl)
    session.commit()


def test_a_scan_while_another_holds_the_lease_does_nothing(rt, session):
    with lease.held(rt, "scan_deadlines") as got:
        assert got
        assert jobs.scan_deadlines(rt, at(3, 10)) is None
    assert jobs.scan_deadlines(rt, at(3, 10)) is not None


def test_the_scheduler_registers_each_job_with_its_configured_interval(rt):
    tuned = dataclasses.replace(rt, settings=dataclasses.replace(rt.settings, scan_interval=17, outbox_interval=5,
                                                                 timers_interval=23, digest_time=dt.time(6, 45)))
    sched = scheduler.build(tuned)
    jobs_by_id = {j.id: j for j in sched.get_jobs()}
    assert set(jobs_by_id) == set(scheduler.JOBS)
    assert jobs_by_id["scan_deadlines"].trigger.interval == dt.timedelta(seconds=17)
    assert jobs_by_id["deliver_outbox"].trigger.interval == dt.timedelta(seconds=5)
    assert jobs_by_id["fire_timers"].trigger.interval == dt.timedelta(seconds=23)
    assert "hour='6', minute='45'" in str(jobs_by_id["daily_digest"].trigger)
    assert all(j.max_instances == 1 and j.coalesce for j in jobs_by_id.values())


def test_the_in_process_scheduler_runs_and_its_jobs_use_the_runtime_clock(rt, session, users):
    started = scheduler.start_in_process(rt)
    try:
        assert started.running
        job = started.get_job("scan_deadlines")
        rt.clock.set(at(9, 8))
        job.func()  # what the interval trigger calls: no waiting for it
    finally:
        started.shutdown(wait=True)
    assert not started.running


# -- BPMN timers ---------------------------------------------------------------------------------------

TIMER_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs_timer_probe"
    targetNamespace="https://motcua.vn/bpmn/timer-probe">
  <bpmn:process id="timer_probe" name="Thủ tục có hẹn giờ" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_specialist" name="specialist">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>examine</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>too_slow</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="lane_head" name="head">
        <bpmn:flowNodeRef>take_over</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="examine" />
    <bpmn:userTask id="examine" name="Thẩm định">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="budget" value="P1D" />
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="too_slow" name="Quá 4 giờ làm việc" attachedToRef="examine">
      <bpmn:timerEventDefinition id="too_slow_timer">
        <bpmn:timeDate>add_working_time(received_at, "PT4H")</bpmn:timeDate>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="too_slow" targetRef="take_over" />
    <bpmn:userTask id="take_over" name="Lãnh đạo phòng xử lý">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="budget" value="PT4H" />
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f3" sourceRef="take_over" targetRef="end" />
    <bpmn:sequenceFlow id="f4" sourceRef="examine" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>
"""

TIMER_TOML = """slug = "timer-probe"
code = "9.000009"
process_id = "timer_probe"
name_vi = "Thủ tục có hẹn giờ"
name_en = "Procedure with a timer"
level = "commune"
field = "Thử nghiệm"
agency_kind = "commune"
pause_rule = "resume"
channels = ["counter"]
result_delivery = ["counter"]

[deadline]
unit = "working_days"
value = 3
"""


@pytest.fixture
def timed_rt(rt, tmp_path: Path):
    """The runtime (it offers add_working_time to diagrams) with a procedure that has a boundary timer."""
    package = tmp_path / "timer-probe"
    package.mkdir()
    (package / "procedure.toml").write_text(TIMER_TOML, encoding="utf-8")
    (package / "timer-probe.bpmn").write_text(TIMER_BPMN, encoding="utf-8")
    with rt.sessions() as session:
        deploy_path(rt, session, package, actor=None, now=at(2, 8))
        session.commit()
    return rt


def test_add_working_time_counts_working_hours(rt, session):
    fn = timers.script_functions(lambda: rt.calendars.get(session))["add_working_time"]
    assert fn("2026-03-06T16:00:00+07:00", "PT4H") == "2026-03-09T10:30:00+07:00"  # Fri 16:00 -> Mon 10:30


def test_a_due_boundary_timer_fires_from_the_timer_job_on_the_engine_clock(timed_rt, session, users):
    rt = timed_rt
    # Engine steps run on the engine's clock (not the wall clock), and each save stores the next timer.
    received = dossiers.receive_dossier(rt, session, procedure="timer-probe", agency_id=agency_id(session),
                                        channel="counter", applicant={"name": "Lê Văn Cường"},
                                        actor=users["tanlap.reception"], now=at(2, 9))
    session.commit()
    d = received.dossier
    assert session.scalar(select(Dossier.next_timer_at).where(Dossier.id == d.id)) == at(2, 14, 30)  # 4 working hours

    assert jobs.fire_timers(rt, at(2, 14, 29)) == jobs.TimerReport(0, 0)
    assert jobs.fire_timers(rt, at(2, 14, 31)) == jobs.TimerReport(1, 0)
    session.expire_all()
    tasks = {t.bpmn_id: t.state for t in session.scalars(select(Task).where(Task.dossier_id == d.id))}
    assert tasks == {"examine": "cancelled", "take_over": "ready"}  # the interrupting timer took the step away
    assert session.scalar(select(Dossier.next_timer_at).where(Dossier.id == d.id)) is None
    assert session.scalar(select(AuditEvent.action).where(AuditEvent.action == "timer_fired")) == "timer_fired"
    assert jobs.fire_timers(rt, at(2, 15)) == jobs.TimerReport(0, 0)


def test_a_timer_that_makes_the_result_ready_tells_the_applicant(rt, session, users, tmp_path):
    """A timer moving the dossier on is news for the citizen as an official's step is (e-mail queued once)."""
    package = tmp_path / "timer-probe"
    package.mkdir()
    (package / "procedure.toml").write_text(TIMER_TOML, encoding="utf-8")
    ready = TIMER_BPMN.replace('<spiffworkflow:property name="budget" value="PT4H" />',
                               '<spiffworkflow:property name="budget" value="PT4H" />\n'
                               '        <spiffworkflow:property name="status" value="processed" />')
    assert ready != TIMER_BPMN
    (package / "timer-probe.bpmn").write_text(ready, encoding="utf-8")
    mailing = dataclasses.replace(rt, settings=dataclasses.replace(rt.settings, mail_enabled=True))
    with mailing.sessions() as s:
        deploy_path(mailing, s, package, actor=None, now=at(2, 8))
        s.commit()
    d = dossiers.receive_dossier(mailing, session, procedure="timer-probe", agency_id=agency_id(session),
                                 channel="counter", applicant={"name": "Lê Văn Cường", "email": "cuong@example.vn"},
                                 actor=users["tanlap.reception"], now=at(2, 9)).dossier
    session.commit()
    keys = select(Outbox.dedupe_key).where(Outbox.dedupe_key.like(f"%{d.id}:%"))
    assert [k for k in session.scalars(keys) if "result_ready" in k] == []
    assert jobs.fire_timers(mailing, at(2, 14, 31)) == jobs.TimerReport(1, 0)
    session.expire_all()
    assert session.get(Dossier, d.id).status == "processed"
    assert [k.rsplit(":", 2)[1] for k in session.scalars(keys) if "result_ready" in k] == ["result_ready"]
